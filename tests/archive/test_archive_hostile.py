"""Archives from someone else: bad names, links, devices, huge sizes, zstd bombs, garbage.

Each must give one clear InputError (exit 2 through the CLI), never a crash, never a file
written anywhere, and bounded memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

import pytest
import zstandard
from archive_helpers import items, open_archive, raw_archive, tar_member, write_archive

from scmigrate.errors import InputError
from scmigrate_archive.layout import item_member

SCMIGRATE = Path(sys.executable).with_name("scmigrate")
SHA = hashlib.sha256(b"x").hexdigest()
BLOB = f"blobs/{SHA}.jpg"


def _project_json() -> bytes:
    from archive_helpers import project

    return json.dumps(project().to_dict()).encode()


def _read_everything(path: Path) -> None:
    """What `scmigrate run --from path` would do: project, items with their bytes, models, verify."""
    with open_archive(path) as reader:
        reader.verify()
        reader.project()
        for it in reader.items():
            it.open().read()
        list(reader.models())


def _rle_bomb(prefix: bytes, gib: int) -> bytes:
    """A zstd frame: ``prefix`` as a raw block, then RLE blocks making ``gib`` GiB of zeros (~128 KiB file)."""
    frame = struct.pack("<I", 0xFD2FB528) + bytes([0x00, (17 - 10) << 3])  # no content size, 128 KiB window
    frame += (len(prefix) << 3 | 0 << 1).to_bytes(3, "little") + prefix  # raw block
    count = gib * 8192
    rle = ((128 << 10) << 3 | 1 << 1).to_bytes(3, "little") + b"\0"
    last = ((128 << 10) << 3 | 1 << 1 | 1).to_bytes(3, "little") + b"\0"
    return frame + rle * (count - 1) + last


def _hostile_cases(tmp_path: Path) -> dict[str, bytes]:
    item_doc = {"media": {"key": "k", "kind": "image", "name": "k", "filename": "k.jpg", "size": 1, "sha256": SHA},
                "blob": BLOB, "annotations": {"key": "k", "scenes": [], "ranges": []}}
    item_bytes = json.dumps(item_doc).encode()
    good = [("project.json", _project_json())]
    claims_blob = {BLOB: {"sha256": SHA, "size": 1}}  # the index vouches for the link as if it were the media
    cases = {
        "dotdot name": raw_archive([*good, tar_member("../../evil.jpg", b"x")]),
        "absolute name": raw_archive([*good, tar_member("/tmp/evil.jpg", b"x")]),
        "dotdot name behind a clean index": raw_archive(
            [*good, tar_member("../../evil.jpg", b"x"), (item_member("k"), item_bytes)],
            patch={"../../evil.jpg": {"name": BLOB}}),
        "absolute name behind a clean index": raw_archive(
            [*good, tar_member("/tmp/evil.jpg", b"x"), (item_member("k"), item_bytes)],
            patch={"/tmp/evil.jpg": {"name": BLOB}}),
        "symlink": raw_archive([*good, tar_member(BLOB, kind=tarfile.SYMTYPE, linkname="/etc/passwd"),
                                (item_member("k"), item_bytes)], patch=claims_blob),
        "hardlink": raw_archive([*good, tar_member(BLOB, kind=tarfile.LNKTYPE, linkname="project.json"),
                                 (item_member("k"), item_bytes)], patch=claims_blob),
        "device": raw_archive([*good, tar_member(BLOB, kind=tarfile.CHRTYPE), (item_member("k"), item_bytes)],
                              patch=claims_blob),
        "garbage": os.urandom(5000),
        "empty": b"",
        "zstd of non-tar": zstandard.ZstdCompressor().compress(os.urandom(3000)),
        "gnu tar.zst": b"",  # filled below: a real `tar --zstd -cf` of a manifest
        "not json": raw_archive([("project.json", b"{not json")]),
        "invalid project": raw_archive([("project.json", b'{"name": 3}')]),
        "manifest with bad version": raw_archive([], version="x.y"),
    }
    src = tmp_path / "tarsrc"
    src.mkdir()
    (src / "manifest.json").write_text('{"format_version": "1.0", "created_by": "x", "created_at": "y"}')
    (src / "project.json").write_bytes(_project_json())
    subprocess.run(["tar", "--zstd", "-cf", str(tmp_path / "t.tar.zst"), "-C", str(src), "manifest.json",
                    "project.json"], check=True)
    cases["gnu tar.zst"] = (tmp_path / "t.tar.zst").read_bytes()
    # an index that lies: a member's declared size is huge / it points past its frame
    base = raw_archive([*good, ("blobs/" + SHA + ".jpg", b"x")])
    (tmp_path / "base.scz").write_bytes(base)
    with open_archive(tmp_path / "base.scz") as reader:
        entries = list(reader.entries.values())
    huge = [dict(e, size=1 << 40) if e["name"] == "project.json" else e for e in entries]
    cases["huge declared size"] = raw_archive([*good, ("blobs/" + SHA + ".jpg", b"x")], entries=huge)
    overlap = [dict(e, offset=0) if e["name"] == "project.json" else e for e in entries]
    cases["index overlaps members"] = raw_archive([*good, ("blobs/" + SHA + ".jpg", b"x")], entries=overlap)
    outside = [dict(e, offset=10**9) if e["name"] == "project.json" else e for e in entries]
    cases["index points outside"] = raw_archive([*good, ("blobs/" + SHA + ".jpg", b"x")], entries=outside)
    return cases


WHY = {
    "dotdot name": "members/2/name: '../../evil.jpg' does not match",
    "absolute name": "members/2/name: '/tmp/evil.jpg' does not match",
    "dotdot name behind a clean index": "unexpected member name '../../evil.jpg'",
    "absolute name behind a clean index": "unexpected member name '/tmp/evil.jpg'",
    "symlink": "member is a symlink, not a regular file",
    "hardlink": "member is a hard link, not a regular file",
    "device": "member is a character device, not a regular file",
    "garbage": "not a scmigrate archive",
    "empty": "not a scmigrate archive",
    "zstd of non-tar": "not a scmigrate archive",
    "gnu tar.zst": "not a scmigrate archive",
    "not json": "project.json: not valid JSON",
    "invalid project": "project.json: (document): 'pipeline' is a required property",
    "manifest with bad version": "format_version 'x.y' is not MAJOR.MINOR",
    "huge declared size": "declares 1099511627776 bytes, more than a JSON member may hold",
    "index overlaps members": "index.json: places project.json over the member before it",
    "index points outside": "places project.json outside the archive's member area",
}


def test_hostile_archives_are_input_errors(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    before = sorted(p for p in Path("/tmp").iterdir() if p.name.startswith("evil"))
    cases = _hostile_cases(tmp_path)
    assert set(cases) == set(WHY)
    for name, data in cases.items():
        path = work / (name.replace(" ", "_") + ".scz")
        path.write_bytes(data)
        with pytest.raises(InputError) as err:
            _read_everything(path)
        text = str(err.value)
        assert text.startswith(str(path)) and "\n" not in text, (name, text)
        assert WHY[name] in text, (name, text)
    assert sorted(p.name for p in work.iterdir()) == sorted(n.replace(" ", "_") + ".scz" for n in cases)
    assert not (tmp_path / "evil.jpg").exists() and not (tmp_path.parent / "evil.jpg").exists()
    assert sorted(p for p in Path("/tmp").iterdir() if p.name.startswith("evil")) == before


_BOMB_CHILD = r"""
import json, sys, time
from pathlib import Path
from scmigrate.errors import InputError
from scmigrate_archive.reader import ArchiveReader
t = time.time()
outcome = {}
for path in sys.argv[1:]:
    try:
        r = ArchiveReader(Path(path))
        outcome[path + ":verify"] = r.verify()
        for it in r.items():
            it.open().read()
        outcome[path] = "read"
    except InputError as e:
        outcome[path] = "InputError: " + str(e)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec, so a child of a big pytest
# worker would report the worker's peak instead of its own.
hwm_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"outcome": outcome, "seconds": time.time() - t, "maxrss_mb": hwm_kb / 1024}))
"""


def test_zstd_bombs_stop_early_with_bounded_memory(tmp_path: Path) -> None:
    item_doc = {"media": {"key": "k", "kind": "image", "name": "k", "filename": "k.jpg", "size": 1, "sha256": SHA},
                "blob": BLOB, "annotations": {"key": "k", "scenes": [], "ranges": []}}
    base_members = [("project.json", _project_json()), (BLOB, b"x"), (item_member("k"), json.dumps(item_doc).encode())]
    path = tmp_path / "base.scz"
    path.write_bytes(raw_archive(base_members))
    with open_archive(path) as reader:
        entries = {e["name"]: e for e in reader.entries.values()}
    original = path.read_bytes()
    # 1) the media member's frame decodes to 4 GiB: a valid header and byte, then zeros forever
    blob = entries[BLOB]
    bomb = _rle_bomb(tar_member(BLOB, b"x"), gib=4)
    head, tail = original[: blob["offset"]], original[blob["offset"] + blob["length"] :]
    shifted = len(bomb) - blob["length"]
    fixed = [dict(e, length=len(bomb), crc32=zlib.crc32(bomb)) if n == BLOB else
             dict(e, offset=e["offset"] + (shifted if e["offset"] > blob["offset"] else 0)) for n, e in entries.items()]
    members_bomb = tmp_path / "media_bomb.scz"
    # rebuild with the bomb in place of the blob frame, and an index that matches it
    body = head + bomb + tail[: entries[item_member("k")]["length"]]
    from scmigrate_archive.frames import Trailer, pack_trailer

    index = tar_member("index.json", json.dumps({"format_version": "1.0", "members": fixed}).encode())
    cctx = zstandard.ZstdCompressor(write_checksum=True)
    iframe, end = cctx.compress(index), cctx.compress(bytes(1024))
    members_bomb.write_bytes(body + iframe + end + pack_trailer(
        Trailer(len(body), len(iframe), len(end), zlib.crc32(iframe), zlib.crc32(end))))
    # 2) the manifest frame itself is a bomb (no index needed to reach it)
    manifest_bomb = tmp_path / "manifest_bomb.scz"
    manifest_bomb.write_bytes(_rle_bomb(tar_member("manifest.json", b'{"format_version":"1.0"}'), gib=4))
    # 3) a frame demanding a 2 GiB window
    window_bomb = tmp_path / "window_bomb.scz"
    window_bomb.write_bytes(struct.pack("<I", 0xFD2FB528) + bytes([0x00, (31 - 10) << 3]) + b"\x01\x00\x00")
    for p in (members_bomb, manifest_bomb, window_bomb):
        assert p.stat().st_size < 200_000
    child = subprocess.run([sys.executable, "-c", _BOMB_CHILD, str(members_bomb), str(manifest_bomb), str(window_bomb)],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout)
    out = result["outcome"]
    assert out[str(members_bomb) + ":verify"] and BLOB in out[str(members_bomb) + ":verify"][0]
    assert out[str(members_bomb)].startswith(f"InputError: {members_bomb}: {BLOB} (media of item 'k'): damaged")
    assert "more data than the member's declared size" in out[str(members_bomb)]
    assert out[str(manifest_bomb)].startswith(f"InputError: {manifest_bomb}: not a scmigrate archive")
    assert out[str(window_bomb)].startswith(f"InputError: {window_bomb}: not a scmigrate archive")
    assert result["seconds"] < 20 and result["maxrss_mb"] < 150, result  # 4 GiB if it were decoded


def test_cli_hostile_archive_exits_2_with_one_line(tmp_path: Path) -> None:
    cases = _hostile_cases(tmp_path)
    for name in ("dotdot name", "garbage", "gnu tar.zst", "huge declared size", "manifest with bad version"):
        path = tmp_path / (name.replace(" ", "_") + ".scz")
        path.write_bytes(cases[name])
        proc = subprocess.run([str(SCMIGRATE), "inspect", str(path)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, (name, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and WHY[name] in lines[0], (name, proc.stderr)
    # a link posing as media is only met when the media is read: `run` stops with exit 2
    for name in ("symlink", "device"):
        path = tmp_path / (name.replace(" ", "_") + ".scz")
        path.write_bytes(cases[name])
        proc = subprocess.run([str(SCMIGRATE), "-q", "run", "--from", str(path), "--to",
                               str(tmp_path / f"{name}-out.scz")],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, (name, proc.stdout, proc.stderr)
        assert WHY[name] in proc.stderr.strip().splitlines()[-1] and "Traceback" not in proc.stderr


def test_cli_verify_exit_codes(tmp_path: Path) -> None:
    path = tmp_path / "ok.scz"
    write_archive(path, items(3, side=24))
    ok = subprocess.run([str(SCMIGRATE), "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "intact" in ok.stdout, ok
    with open_archive(path) as reader:
        member = next(e for n, e in reader.entries.items() if n.startswith("items/"))
    data = bytearray(path.read_bytes())
    data[member["offset"] + member["length"] - 6] ^= 0x10
    path.write_bytes(data)
    bad = subprocess.run([str(SCMIGRATE), "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1, bad
    assert member["name"] in bad.stdout and "Traceback" not in bad.stderr
    path.write_bytes(b"nonsense")
    worse = subprocess.run([str(SCMIGRATE), "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert worse.returncode == 2 and len(worse.stderr.strip().splitlines()) == 1, worse


def test_a_manifest_declaring_gigabytes_is_refused_before_decoding(tmp_path: Path) -> None:
    from scmigrate_archive.reader import ArchiveReader

    path = tmp_path / "big_manifest.scz"
    # the header claims 4 GiB; the reader must refuse on the claim (SPEC §10), not decode to find out
    path.write_bytes(zstandard.ZstdCompressor(write_checksum=True).compress(
        tar_member("manifest.json", b"{}", size=1 << 32)))
    with pytest.raises(InputError) as info:
        ArchiveReader(path)
    assert str(info.value) == (f"{path}: not a scmigrate archive, or its manifest.json is damaged "
                               f"(manifest.json declares {1 << 32} bytes, more than the {64 << 20} it may hold)")
