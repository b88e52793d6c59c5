"""sdk-folder: a symbolic link that leads out of the folder is refused, named, unless --follow-links."""

from __future__ import annotations

import os

import pytest
from folders_gen import make_sdk_folder, write_image

from scmigrate.api import RunOptions
from scmigrate.errors import InputError
from scmigrate_folders import SdkFolderSource


def _keys(location: str, **extra: object) -> set[str]:
    with SdkFolderSource().open(location, RunOptions(extra=dict(extra))) as reader:
        return {i.media.filename for i in reader.items()}


def test_a_link_out_of_the_folder_is_refused_unless_follow_links(tmp_path):
    root = tmp_path / "download"
    make_sdk_folder(root)
    outside = tmp_path / "elsewhere" / "secret.jpg"
    write_image(outside, 32, 24, 3)
    os.symlink(outside, root / "images" / "Dataset" / "secret.jpg")
    os.symlink(root / "images" / "Dataset" / "alpha.jpg", root / "images" / "Dataset" / "inside.jpg")
    with pytest.raises(InputError) as info:
        _keys(f"sdk-folder:{root}")
    assert "images/Dataset/secret.jpg" in str(info.value) and "--follow-links" in str(info.value)
    assert {"secret.jpg", "inside.jpg"} <= _keys(f"sdk-folder:{root}", **{"follow-links": True})


def test_a_link_that_stays_inside_is_read(tmp_path):
    root = tmp_path / "download"
    make_sdk_folder(root)
    os.symlink(root / "images" / "Dataset" / "alpha.jpg", root / "images" / "Dataset" / "inside.jpg")
    assert "inside.jpg" in _keys(f"sdk-folder:{root}")
