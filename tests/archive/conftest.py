"""Fixtures for the archive tests; the helpers live in archive_helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from archive_helpers import items, write_archive

from scmigrate.model import Item


@pytest.fixture
def small_archive(tmp_path: Path) -> tuple[Path, list[Item]]:
    """A complete archive of 4 items, the last one repeating the third one's image."""
    its = items(4, dup_every=4, side=24)
    path = tmp_path / "small.scz"
    write_archive(path, its)
    return path, its
