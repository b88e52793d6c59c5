"""verify() finds every flipped byte and every truncation, and names the member."""

from __future__ import annotations

import hashlib
import os
from itertools import pairwise
from pathlib import Path

import pytest
import zstandard
from archive_helpers import item, items, open_archive, write_archive

from scmigrate.errors import InputError
from scmigrate.spool import Spool
from scmigrate_archive.frames import TRAILER_SIZE


def _regions(path: Path) -> list[tuple[int, int, str]]:
    """(start, end, what verify must name) for every byte of an intact archive."""
    with open_archive(path) as reader:
        out = [(e["offset"], e["offset"] + e["length"], e["name"]) for e in reader.entries.values()]
        t = reader.trailer
        out += [(t.index_offset, t.end_offset, "index.json"),
                (t.end_offset, t.end_offset + t.end_length, "end-of-archive"),
                (reader.size - TRAILER_SIZE, reader.size, "trailer")]
    return sorted(out)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, list[tuple[int, int, str]]]:
    path = tmp_path_factory.mktemp("v") / "tiny.scz"
    write_archive(path, items(3, dup_every=3, side=16))
    regions = _regions(path)
    assert regions[0][0] == 0 and all(a[1] == b[0] for a, b in pairwise(regions))
    assert regions[-1][1] == path.stat().st_size  # the regions tile the file
    return path, regions


def _region(regions, offset: int) -> tuple[int, int, str]:
    return next(r for r in regions if r[0] <= offset < r[1])


def test_intact_archive_verifies(tiny) -> None:
    with open_archive(tiny[0]) as reader:
        assert reader.verify() == []


def test_every_flipped_byte_is_found_and_named(tiny, tmp_path: Path) -> None:
    path, regions = tiny
    original = path.read_bytes()
    bad = tmp_path / "bad.scz"
    missed = []
    for offset in range(len(original)):
        data = bytearray(original)
        data[offset] ^= 0x5A
        bad.write_bytes(data)
        start, _, name = _region(regions, offset)
        try:
            with open_archive(bad) as reader:
                lines = reader.verify()
        except InputError as e:  # only a damaged manifest can stop the archive being opened at all
            assert name == "manifest.json" and "manifest.json" in str(e), (offset, str(e))
            continue
        if not any(name in line or f"frame at byte {start}" in line for line in lines):
            missed.append((offset, name, lines))
    assert not missed, missed[:5]


def test_every_truncation_is_found_and_named(tiny, tmp_path: Path) -> None:
    path, regions = tiny
    original = path.read_bytes()
    bad = tmp_path / "cut.scz"
    cuts = sorted(set(range(0, len(original), 3)) | {r[0] for r in regions} | {r[1] - 1 for r in regions})
    for cut in cuts:
        bad.write_bytes(original[:cut])
        try:
            reader = open_archive(bad)
        except InputError as e:
            assert cut < regions[0][1], (cut, str(e))  # the manifest itself is cut
            assert "not a scmigrate archive" in str(e) and str(bad) in str(e)
            continue
        with reader:
            lines = reader.verify()
            with pytest.raises(InputError, match="incomplete archive"):
                reader.project()
        start, _, name = _region(regions, cut)
        text = "\n".join(lines)
        assert lines and lines[0].startswith("trailer: missing"), (cut, lines)
        if start == cut and name == "end-of-archive":
            assert "end-of-archive blocks: missing" in text, (cut, lines)
        elif start == cut and name != "trailer":
            assert "index.json: missing" in text, (cut, lines)  # cut between members: nothing is damaged
        elif name in ("end-of-archive", "trailer"):
            assert "damaged" in text or "truncated" in text, (cut, lines)
        else:
            assert f"{name}: truncated" in text or f"frame at byte {start}: truncated" in text, (cut, lines)


def test_damaged_media_is_named_with_its_item(tmp_path: Path) -> None:
    its = items(3, side=32)
    path = tmp_path / "m.scz"
    write_archive(path, its)
    with open_archive(path) as reader:
        blob = next(e for n, e in reader.entries.items() if n.startswith("blobs/"))
    data = bytearray(path.read_bytes())
    data[blob["offset"] + blob["length"] // 2] ^= 1
    path.write_bytes(data)
    with open_archive(path) as reader:
        [line] = reader.verify()
        assert line.startswith(f"{blob['name']} (media of item {its[0].key!r}): ")
        with pytest.raises(InputError, match=rf"{blob['name']} \(media of item .*damaged"):
            next(iter(reader.items())).open().read()


def test_media_whose_frame_is_sound_but_whose_bytes_are_not_is_refused(tmp_path: Path) -> None:
    """Bytes changed and the frame made again around them (its zstd checksum right, its CRC-32 the
    index's concern): only the sha256 can tell. A sink's Spool takes the digest from the member's
    stream instead of hashing again, so the stream itself must refuse them at its end."""
    its = [item("noise", os.urandom(200_000))]  # incompressible: raw zstd blocks, the same length again
    path = tmp_path / "m.scz"
    write_archive(path, its)
    with open_archive(path) as reader:
        blob = next(e for n, e in reader.entries.items() if n.startswith("blobs/"))
    data = bytearray(path.read_bytes())
    frame = bytes(data[blob["offset"]: blob["offset"] + blob["length"]])
    plain = bytearray(zstandard.ZstdDecompressor().decompressobj().decompress(frame))
    plain[512 + 1000] ^= 1  # in the media's bytes, past the tar header
    remade = zstandard.ZstdCompressor(level=1, write_checksum=True).compress(bytes(plain))
    assert len(remade) == len(frame)
    data[blob["offset"]: blob["offset"] + blob["length"]] = remade
    path.write_bytes(data)
    with open_archive(path) as reader:
        [it] = reader.items()
        with pytest.raises(InputError, match=rf"{blob['name']} \(media of item 'noise'\): damaged \(sha256"):
            Spool(it.open(), expected=it.media.size)
        assert [line.split(": ", 1)[0] for line in reader.verify()] == [f"{blob['name']} (media of item 'noise')"]
    # an intact one: the digest the spool reports is the member's, checked on the way
    write_archive(tmp_path / "intact.scz", its)
    with open_archive(tmp_path / "intact.scz") as reader, Spool(next(iter(reader.items())).open()) as spool:
        assert spool.sha256 == hashlib.sha256(its[0].open().read()).hexdigest() == blob["sha256"]


def test_a_cut_member_is_named_even_when_its_header_is_lost(tmp_path: Path) -> None:
    """Cut inside a small JSON member (too little is left to decode its header): verify still says
    which member it is, by the intact member before it; cut inside a blob: by the blob's name."""
    its = items(3, side=256)
    path = tmp_path / "whole.scz"
    write_archive(path, its)
    with open_archive(path) as reader:
        ordered = sorted(reader.entries.values(), key=lambda e: e["offset"])
    data = path.read_bytes()
    second_item = [e for e in ordered if e["name"].startswith("items/")][1]
    before = ordered[ordered.index(second_item) - 1]
    cut = tmp_path / "cut.scz"
    cut.write_bytes(data[: second_item["offset"] + second_item["length"] // 2])
    with open_archive(cut) as reader:
        lines = reader.verify()
    assert lines[1] == (f"frame at byte {second_item['offset']}: truncated (the file ends inside it; "
                        f"it is the member after {before['name']})"), lines
    blob = [e for e in ordered if e["name"].startswith("blobs/")][2]
    # media that is already compressed is stored in raw zstd blocks: a cut one still shows its header
    cut.write_bytes(data[: blob["offset"] + blob["length"] // 2])
    with open_archive(cut) as reader:
        lines = reader.verify()
    assert lines[1].startswith(f"{blob['name']}: truncated ("), lines
