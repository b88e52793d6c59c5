"""Random access (one item touches only its frames) and the versioning rules."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from archive_helpers import items, open_archive, raw_archive, write_archive

from scmigrate.errors import InputError
from scmigrate_archive.layout import item_member
from scmigrate_archive.reader import ArchiveReader


class CountingFile(io.FileIO):
    """A real file that records every (offset, length) read from it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "rb")
        self.reads: list[tuple[int, int]] = []
        self.seeks = 0

    def seek(self, pos: int, whence: int = 0) -> int:
        self.seeks += 1
        return super().seek(pos, whence)

    def read(self, n: int = -1) -> bytes:
        at = self.tell()
        data = super().read(n)
        self.reads.append((at, len(data)))
        return data


def test_reading_one_item_touches_only_its_frames(tmp_path: Path) -> None:
    its = items(60, side=64)
    path = tmp_path / "r.scz"
    write_archive(path, its)
    files: list[CountingFile] = []
    reader = ArchiveReader(path, opener=lambda p: files.append(CountingFile(p)) or files[-1])
    f = files[0]
    opened = sum(n for _, n in f.reads)
    f.reads.clear()
    target = its[37]
    got = reader.item(target.key)
    assert got.open().read() == target.open().read() and got.scenes == target.scenes
    entry = reader.entries[item_member(target.key)]
    blob = reader.entries[entry["blob"]]
    allowed = [(entry["offset"], entry["offset"] + entry["length"]), (blob["offset"], blob["offset"] + blob["length"])]
    for at, n in f.reads:
        assert any(lo <= at and at + n <= hi for lo, hi in allowed), f"read {at}+{n} outside the item's frames"
    assert sum(n for _, n in f.reads) == entry["length"] + blob["length"]
    # opening read the manifest, the trailer and the index: a small part of the file
    assert opened < reader.size / 10
    reader.close()


def test_items_are_streamed_not_loaded(tmp_path: Path) -> None:
    """An item's open() decodes its blob lazily: listing items reads no media frame."""
    its = items(10, side=64)
    path = tmp_path / "s.scz"
    write_archive(path, its)
    files: list[CountingFile] = []
    reader = ArchiveReader(path, opener=lambda p: files.append(CountingFile(p)) or files[-1])
    listed = list(reader.items())
    blobs = [(e["offset"], e["offset"] + e["length"]) for n, e in reader.entries.items() if n.startswith("blobs/")]
    for at, _n in files[0].reads:
        assert not any(lo <= at < hi for lo, hi in blobs)
    assert [x.key for x in listed] == [x.key for x in its]


def _with_version(tmp_path: Path, version: str) -> Path:
    path = tmp_path / f"v{version}.scz"
    path.write_bytes(raw_archive([], version=version))
    return path


def test_newer_major_version_is_a_clear_error(tmp_path: Path) -> None:
    path = _with_version(tmp_path, "2.0")
    with pytest.raises(InputError) as err:
        open_archive(path)
    assert str(err.value) == f"{path}: format version 2.0 is newer than this scmigrate reads (1.x); upgrade scmigrate"


def test_newer_major_checked_before_anything_else(tmp_path: Path) -> None:
    """A 2.x archive may change everything after its manifest; even a cut one gets the version error."""
    path = _with_version(tmp_path, "3.1")
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(InputError, match="format version 3.1 is newer"):
        open_archive(path)


@pytest.mark.parametrize("version", ["1.0", "1.7"])
def test_equal_and_later_minor_versions_read(tmp_path: Path, version: str) -> None:
    path = _with_version(tmp_path, version)
    with open_archive(path) as reader:
        assert reader.describe()["format_version"] == version
        assert list(reader.items()) == []
        assert reader.verify() == []


def test_unknown_old_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown format version 0.9"):
        open_archive(_with_version(tmp_path, "0.9"))


def test_describe(tmp_path: Path, small_archive) -> None:
    path, its = small_archive
    with open_archive(path) as reader:
        d = reader.describe()
    assert d["format_version"] == "1.0" and d["created_by"].startswith("scmigrate ") and d["complete"]
    assert d["items"] == 4 and d["blobs"] == 3 and d["members"] == 2 + 4 + 3 + 1
    assert d["compressed_bytes"] == path.stat().st_size
    assert d["uncompressed_bytes"] > d["media_bytes"] > d["stored_media_bytes"] > 0
    assert d["dedup_saved_bytes"] == len(its[3].open().read())
    json.dumps(d)


def test_incomplete_archive_never_looks_complete(tmp_path: Path) -> None:
    path = tmp_path / "i.scz"
    facts = write_archive(path, items(3), complete=False)
    assert facts["complete"] is False
    with open_archive(path) as reader:
        assert not reader.describe()["complete"]
        for call in (reader.project, lambda: list(reader.items()), lambda: list(reader.models())):
            with pytest.raises(InputError) as err:
                call()
            assert str(err.value) == (f"{path}: incomplete archive (its end is missing: a write was interrupted "
                                      "or the file was cut short); a write of yours finishes with --resume")
        assert any("index.json: missing" in line for line in reader.verify())
