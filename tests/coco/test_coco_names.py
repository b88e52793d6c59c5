"""File names in a COCO file are read as pathlib reads them, without building a path per image."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from scmigrate_datumaro.coco_check import safe_file_name
from scmigrate_datumaro.filenames import path_name, path_stem, posix_key

NAMES = ["a.jpg", "dir/a.jpg", "dir/sub/a.b.jpg", ".hidden", "a.", "..", "../a.jpg", "a/../b.jpg", "/abs.jpg",
         "//two.jpg", "a//b.jpg", "a/./b.jpg", "./a.jpg", "a/", "a/.", ".", "", "c:/x.jpg", "c:x.jpg", "dir\\a.jpg",
         "dir\\..\\a.jpg", "a b/ü.png", "x/.jpg", "noext", "a..jpg"]


def _safe_by_pathlib(name: str) -> bool:
    p = PurePosixPath(name.replace("\\", "/"))
    return bool(name) and not p.is_absolute() and ".." not in p.parts and ":" not in p.parts[0]


@pytest.mark.parametrize("name", NAMES)
def test_names_and_stems_as_pathlib(name: str) -> None:
    assert path_name(name) == PurePosixPath(name).name
    assert path_stem(name) == PurePosixPath(name).stem


@pytest.mark.parametrize("name", [n for n in NAMES if n != "."])  # pathlib itself fails on "."
def test_safe_names_and_keys_as_pathlib(name: str) -> None:
    assert safe_file_name(name) == _safe_by_pathlib(name)
    assert posix_key(name) == PurePosixPath(name.replace("\\", "/")).as_posix()
