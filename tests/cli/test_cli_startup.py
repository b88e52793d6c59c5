"""``import scmigrate`` and ``scmigrate --help`` import no plugin and no Datumaro, and start fast."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

_PROBE = """
import sys
{code}
heavy = sorted(m for m in sys.modules
               if m.startswith(("scmigrate_", "datumaro", "sc_emulator", "av", "cv2", "requests", "numpy")))
print(heavy)
"""


def _heavy_modules(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", _PROBE.format(code=code)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_import_scmigrate_is_light():
    assert _heavy_modules("import scmigrate, scmigrate.api, scmigrate.model, scmigrate.errors") == "[]"


def test_help_loads_no_plugin():
    code = ("from scmigrate.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0, e.code")
    assert _heavy_modules(code) == "[]"


def test_the_probe_would_see_a_plugin():
    assert "scmigrate_archive" in _heavy_modules("import scmigrate_archive")


def test_help_is_quick():
    best = min(_timed([sys.executable, "-m", "scmigrate", "--help"]) for _ in range(2))
    # measured ~0.2 s on the project machine; generous so a busy CI machine does not flake
    assert best < 3.0


def _timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "Usage: scmigrate" in out.stdout
    return time.perf_counter() - start


def _modules(code: str, *prefixes: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(sorted(m for m in sys.modules if m.startswith({prefixes!r})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 - our own probe's list of names


def test_a_valid_document_is_checked_without_jsonschema():
    # the compiled predicate accepts it: jsonschema and its registry (~25 ms) are for documents it refuses
    code = ("from scmigrate import schema\n"
            "schema.validate('manifest', {'format_version': '1.0', 'created_by': 'x', "
            "'created_at': '2026-01-01T00:00:00Z'}, '1.0')")
    assert _modules(code, "jsonschema", "referencing") == []


def test_an_invalid_document_still_gets_jsonschema_s_verdict():
    code = ("from scmigrate import schema\nfrom scmigrate.errors import InputError\n"
            "try:\n    schema.validate('manifest', {'format_version': 1}, '1.0')\n"
            "except InputError as e:\n    assert 'required property' in str(e), e\n"
            "else:\n    raise SystemExit('accepted')")
    assert "referencing" in _modules(code, "referencing")


def test_the_arena_cap_does_not_search_for_libc():
    # ctypes.util's search imports subprocess (~10 ms of every command's start-up)
    code = "from scmigrate.cli.arenas import limit_malloc_arenas\nassert limit_malloc_arenas()"
    assert _modules(code, "ctypes.util", "subprocess") == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads counted in /proc")
def test_numpy_imported_after_the_cli_started_spins_no_blas_threads():
    # OpenBLAS's threads, one for each core but one, each spun ~0.1 s of CPU at every run that imported numpy
    code = ("import os\nfrom scmigrate.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "import numpy\nprint(len(os.listdir('/proc/self/task')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "1"


def test_resolving_a_dataset_or_archive_location_does_not_import_the_http_stack():
    """Every plugin is asked whether it claims a location; the cluster plugin's answer for a file or a
    ``coco:`` location must not cost the import of requests (~50 ms of a local run's start-up)."""
    code = ("from scmigrate.registry import get_registry\n"
            "r = get_registry()\n"
            "r.resolve_source('coco:instances.json'); r.resolve_sink('out.scz')")
    assert _modules(code, "requests", "urllib3") == []


def test_a_configured_clusters_name_is_still_claimed(tmp_path, monkeypatch):
    """The light check must still know the clusters of the config file (and only by their names)."""
    from scmigrate.config import ClusterConfig, save_cluster
    from scmigrate.registry import get_registry

    monkeypatch.setenv("SCMIGRATE_CONFIG", str(tmp_path / "config.json"))
    save_cluster(ClusterConfig(name="lab", url="https://lab.example", token_env="LAB_TOKEN"))
    reg = get_registry()
    assert reg.resolve_sink("lab").name == reg.resolve_sink("https://other.example").name == "cluster"
    assert reg.resolve_sink("lab.scz").name == "archive"
