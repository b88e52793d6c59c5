"""Runs the example plugin's own test suite (docs/example-plugin/tests) as part of `make test`.

The example is a separate package with its own pytest configuration, so it runs in its own
pytest process, exactly as its author would run it; `make install` installs it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example-plugin"


def test_example_plugin_suite_passes():
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        cwd=EXAMPLE, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert " passed" in out.stdout and "failed" not in out.stdout and "skipped" not in out.stdout
