"""The official Geti SDK in a virtualenv of its own, created from the package index on first use and kept.

Used by ``vs_sdk.py`` (geti-sdk 2.13.1 beside scmigrate) and ``sdk_eras.py`` (the geti-sdk 1.x of each old
era). The SDK never shares scmigrate's environment: its pins (numpy 1.21 for 1.x, so Python 3.9) would
fight ours, and a child process keeps its memory and CPU figures its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def python39() -> str:
    """A Python 3.9 for geti-sdk 1.x (it pins numpy 1.21, which has no wheels past 3.9): ``$SDK_PYTHON39``,
    else the newest 3.9 pyenv installed (its shims only run a version that is active), else ``python3.9``."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    by_patch = sorted(root.glob("versions/3.9.*/bin/python3.9"), key=lambda p: int(p.parts[-3].split(".")[2]))
    found = os.environ.get("SDK_PYTHON39") or (str(by_patch[-1]) if by_patch else shutil.which("python3.9"))
    if not found:
        raise SystemExit("geti-sdk 1.x needs Python 3.9: set SDK_PYTHON39 or install it (`pyenv install 3.9`)")
    return found


def sdk_venv(version: str) -> Path:
    """Where the virtualenv of ``geti-sdk==version`` lives (gitignored)."""
    return HERE / f".venv-sdk-{version}"


def installed_version(python: Path) -> str | None:
    """The geti-sdk version importable by ``python``, or None."""
    if not python.exists():
        return None
    check = [str(python), "-c", "import importlib.metadata as m; print(m.version('geti-sdk'))"]
    out = subprocess.run(check, capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def ensure_sdk(version: str, venv: Path | None = None, base_python: str = sys.executable) -> Path:
    """The interpreter of a virtualenv holding ``geti-sdk==version``, installing it there (once) if needed."""
    venv = venv or sdk_venv(version)
    python = venv / "bin" / "python"
    if installed_version(python) == version:
        return python
    print(f"installing geti-sdk=={version} into {venv} with {base_python} (once; minutes) ...", flush=True)
    subprocess.run([base_python, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"geti-sdk=={version}"], check=True)
    return python
