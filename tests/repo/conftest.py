"""Fixtures for the snapshot repository's tests: the installed plugins plus the in-memory source/sink."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from scmigrate.testing import clear_memory, make_registry, memory_plugin

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # journals of repo: runs live there
    clear_memory()
    yield make_registry(memory_plugin, load_installed=True)
    clear_memory()
