"""Run the real command line in a subprocess, with fixture plugins behind a temporary entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]

_ENTRY_POINTS = """\
[scmigrate]
memfixture = fixture_plugins.memfixture
broken = fixture_plugins.broken_import
good = fixture_plugins.good
boxes = fixture_plugins.boxes
"""


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a dist-info that publishes the fixture plugins as entry points."""
    site = tmp_path_factory.mktemp("site")
    dist = site / "scmigrate_test_fixtures-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: scmigrate-test-fixtures\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(_ENTRY_POINTS)
    return site


@pytest.fixture
def cli(fixture_site: Path, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli(*args, plugins="memfixture", env={}, input=None)`` runs ``python -m scmigrate`` in tmp_path.

    ``plugins`` sets ``SCMIGRATE_LOAD_PLUGINS`` (``None`` = every installed plugin and the fixtures).
    """

    def run(*args: str, plugins: str | None = "memfixture", env: dict[str, str] | None = None,
            input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        full = dict(os.environ)
        full["PYTHONPATH"] = os.pathsep.join([str(fixture_site), str(TESTS), full.get("PYTHONPATH", "")])
        full.pop("SCMIGRATE_LOAD_PLUGINS", None)
        if plugins is not None:
            full["SCMIGRATE_LOAD_PLUGINS"] = plugins
        full.update(env or {})
        return subprocess.run([sys.executable, "-m", "scmigrate", *args], capture_output=True, text=True,
                              cwd=tmp_path, env=full, input=input, timeout=timeout)

    return run
