"""Fixtures for the snapshot repository's tests: the installed plugins plus the in-memory source/sink,
and the emulated clusters of the cluster tests (their fixtures, reused as they are)."""

from __future__ import annotations

from typing import Any

import pytest
from cluster.conftest import clusters, config_file

__all__ = ["clusters", "config_file", "registry"]


@pytest.fixture
def registry() -> Any:
    from scmigrate.testing import clear_memory, make_registry, memory_plugin

    clear_memory()
    yield make_registry(memory_plugin, load_installed=True)
    clear_memory()
