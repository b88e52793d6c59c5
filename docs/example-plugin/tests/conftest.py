"""Shared fixtures of the example plugin's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from scmigrate.testing import image_bytes

CSV = """image,label,x,y,width,height
photos/a.jpg,dog,10,20,30,40
photos/a.jpg,cat,50,5,20,20
photos/b.png,,,,,
photos/c.jpg,dog,0,0,64,48
"""


@pytest.fixture
def boxes_csv(tmp_path: Path) -> Path:
    """A CSV file with three real images next to it (one of them without objects)."""
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(image_bytes(100, 80, "JPEG", seed=1))
    (tmp_path / "photos" / "b.png").write_bytes(image_bytes(32, 32, "PNG", seed=2))
    (tmp_path / "photos" / "c.jpg").write_bytes(image_bytes(64, 48, "JPEG", seed=3))
    path = tmp_path / "boxes.csv"
    path.write_text(CSV)
    return path
