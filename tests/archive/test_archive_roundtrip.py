"""Writing and reading back: records, bytes, tar compatibility, threads, dedup, levels, models."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import threading
from pathlib import Path

import av
import numpy as np
import pytest
import zstandard
from archive_helpers import items, open_archive, project, write_archive

from scmigrate.api import RunOptions
from scmigrate.errors import InputError
from scmigrate.model import Item, Media, ModelArtifact, ModelFile, RangeLabel, Scene
from scmigrate_archive import ArchiveSink, ArchiveSource
from scmigrate_archive.layout import (
    LEVEL_COMPRESSED_MEDIA,
    LEVEL_INCOMPRESSIBLE_MEDIA,
    LEVEL_JSON,
    LEVEL_RAW_MEDIA,
    item_member,
    level_for,
)


def _mp4(frames: int = 6) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=5)
        stream.width = stream.height = 32
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            img = np.full((32, 32, 3), i * 40, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def test_round_trip_keeps_every_record_and_byte(tmp_path: Path) -> None:
    its = items(5)
    video = _mp4()
    vmedia = Media("videos/clip", "video", "clip", "clip.mp4", width=32, height=32, fps=5.0, frame_count=6,
                   duration=1.2)
    vscene = Scene([], frame=2)
    its.append(Item(vmedia, lambda: io.BytesIO(video), [vscene], [RangeLabel(0, 3, ["dog"])]))
    facts = write_archive(tmp_path / "a.scz", its)
    assert facts["complete"] and facts["items"] == 6
    with open_archive(tmp_path / "a.scz") as reader:
        assert reader.project() == project()
        got = {it.key: it for it in reader.items()}
        assert list(got) == [it.key for it in its]  # written order is kept
        for it in its:
            back = got[it.key]
            data = it.open().read()
            assert back.open().read() == data
            assert back.media.sha256 == hashlib.sha256(data).hexdigest() and back.media.size == len(data)
            assert back.scenes == it.scenes and back.ranges == it.ranges
            assert back.media.kind == it.media.kind and back.media.filename == it.media.filename
        assert got["videos/clip"].media.fps == 5.0
        hint = reader.size_hint()
        assert hint.items == 6 and hint.bytes == sum(len(i.open().read()) for i in its)
        assert reader.verify() == []


def test_tar_lists_and_unpacks_it(tmp_path: Path, small_archive) -> None:
    path, its = small_archive
    listing = subprocess.run(["tar", "--zstd", "-tf", str(path)], capture_output=True, text=True, check=True)
    names = listing.stdout.split()
    assert names[:2] == ["manifest.json", "project.json"] and names[-1] == "index.json"
    assert listing.stderr == ""
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["tar", "--zstd", "-xf", str(path), "-C", str(out)], check=True, capture_output=True)
    for it in its:
        doc = json.loads((out / item_member(it.key)).read_text())
        assert doc["media"]["key"] == it.key
        assert (out / doc["blob"]).read_bytes() == it.open().read()
    assert json.loads((out / "manifest.json").read_text())["format_version"] == "1.0"
    # the zstd CLI accepts the whole file (member frames + trailer) as one stream
    check = subprocess.run(["zstd", "-t", "-q", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_identical_bytes_are_stored_once(tmp_path: Path) -> None:
    its = items(6, dup_every=2)  # items 1, 3, 5 repeat 0, 2, 4
    write_archive(tmp_path / "d.scz", its)
    names = subprocess.run(["tar", "--zstd", "-tf", str(tmp_path / "d.scz")], capture_output=True, text=True,
                           check=True).stdout.split()
    blobs = [n for n in names if n.startswith("blobs/")]
    assert len(blobs) == 3 == len(set(blobs))
    for b in blobs:
        assert b == f"blobs/{b[6:70]}.jpg"
    with open_archive(tmp_path / "d.scz") as reader:
        d = reader.describe()
        assert d["items"] == 6 and d["blobs"] == 3
        assert d["dedup_saved_bytes"] == sum(len(its[i].open().read()) for i in (1, 3, 5)) > 0
        assert [it.open().read() for it in reader.items()] == [it.open().read() for it in its]


def test_write_from_many_threads(tmp_path: Path) -> None:
    its = items(40, dup_every=5, side=24)
    write_archive(tmp_path / "t.scz", its, workers=8)
    with open_archive(tmp_path / "t.scz") as reader:
        assert reader.verify() == []
        got = {it.key: it.open().read() for it in reader.items()}
    assert got == {it.key: it.open().read() for it in its}
    names = subprocess.run(["tar", "--zstd", "-tf", str(tmp_path / "t.scz")], capture_output=True, text=True,
                           check=True).stdout.split()
    assert len(names) == len(set(names)) == 2 + 40 + 32 + 1  # manifest, project, items, unique blobs, index


def test_same_key_written_twice_is_kept_once(tmp_path: Path) -> None:
    it = items(1)[0]
    w = ArchiveSink().open(str(tmp_path / "k.scz"), RunOptions())
    w.begin(project(), None)
    barrier = threading.Barrier(4)

    def write() -> bool:
        barrier.wait()
        return w.write(it).skipped

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert w.done_keys() == {it.key}
    assert w.write(it).skipped
    w.finish(True)
    with open_archive(tmp_path / "k.scz") as reader:
        assert [x.key for x in reader.items()] == [it.key]


def test_compression_level_follows_the_content(tmp_path: Path) -> None:
    assert level_for("blobs/" + "a" * 64 + ".jpg") == LEVEL_INCOMPRESSIBLE_MEDIA < 0
    assert level_for("blobs/" + "a" * 64 + ".mp4") == LEVEL_INCOMPRESSIBLE_MEDIA
    assert level_for("blobs/" + "a" * 64 + ".png") == LEVEL_COMPRESSED_MEDIA == 1
    assert level_for("blobs/" + "a" * 64 + ".bmp") == LEVEL_RAW_MEDIA > 1
    assert level_for("items/" + "a" * 64 + ".json") == LEVEL_JSON >= 9
    # and the writer really uses them: a JSON member compressed at level 1 would be larger
    big = items(1)[0]
    big.scenes[0].annotations[1].shape.points = [(float(i % 97), float(i % 89)) for i in range(3000)]
    write_archive(tmp_path / "l.scz", [big])
    with open_archive(tmp_path / "l.scz") as reader:
        entry = reader.entries[item_member(big.key)]
        raw = subprocess.run(["tar", "--zstd", "-xOf", str(tmp_path / "l.scz"), entry["name"]],
                             capture_output=True, check=True).stdout
        fast = len(zstandard.ZstdCompressor(level=1).compress(raw))
        assert entry["length"] < fast * 0.95
        blob = reader.entries[next(n for n in reader.entries if n.startswith("blobs/"))]
        # JPEG: stored at the fast level, where zstd cannot shrink noise much
        assert blob["length"] > blob["size"] * 0.9


def test_models_are_kept(tmp_path: Path) -> None:
    w = ArchiveSink().open(str(tmp_path / "m.scz"), RunOptions())
    w.begin(project(), None)
    weights = bytes(range(256)) * 100
    model = ModelArtifact("Detection/YOLOX/3", {"name": "YOLOX", "score": 0.8},
                          [ModelFile("model.xml", lambda: io.BytesIO(b"<xml/>")),
                           ModelFile("weights.bin", lambda: io.BytesIO(weights))])
    assert not w.write_model(model).skipped
    assert w.write_model(model).skipped
    w.finish(True)
    with open_archive(tmp_path / "m.scz") as reader:
        [back] = list(reader.models())
        assert back.key == model.key and back.metadata == model.metadata
        assert {f.name: f.open().read() for f in back.files} == {"model.xml": b"<xml/>", "weights.bin": weights}
        assert reader.describe()["models"] == 1 and reader.verify() == []


def test_declared_hash_mismatch_is_refused(tmp_path: Path) -> None:
    it = items(1)[0]
    it.media.sha256 = "0" * 64
    w = ArchiveSink().open(str(tmp_path / "h.scz"), RunOptions())
    w.begin(project(), None)
    with pytest.raises(InputError, match="do not match"):
        w.write(it)
    w.abort()


def test_invalid_record_is_refused_on_write(tmp_path: Path) -> None:
    it = items(1)[0]
    it.scenes[0].annotations[1].shape.points = [(1.0, 1.0), (2.0, 2.0)]
    w = ArchiveSink().open(str(tmp_path / "v.scz"), RunOptions())
    w.begin(project(), None)
    with pytest.raises(InputError,
                       match=r"items/[0-9a-f]{64}\.json \(item .*annotations/scenes/0/annotations/1/shape/points"):
        w.write(it)
    w.abort()
    w = ArchiveSink().open(str(tmp_path / "v.scz"), RunOptions(resume=True))
    w.begin(project(), None)
    w.finish(True)
    with open_archive(tmp_path / "v.scz") as reader:
        assert reader.describe()["blobs"] == 0 and reader.describe()["items"] == 0  # no orphan media


def test_claims() -> None:
    assert ArchiveSource.claims("backup.scz") and ArchiveSink.claims("/x/Backup.SCZ")
    assert not ArchiveSource.claims("coco:x.json") and not ArchiveSink.claims("https://h/x.scz")
    assert not ArchiveSource.claims("backup.scz.json")


def test_an_old_archives_empty_label_box_reads_as_annotated_empty(tmp_path: Path) -> None:
    """Archives written before the model had one form of "empty" hold the cluster's (SPEC §4)."""
    from archive_helpers import jpeg

    from scmigrate.model import Annotation, ScoredLabel, Shape

    def on(key: str, anns: list[Annotation]) -> Item:
        data = jpeg(len(key))
        return Item(Media(key, "image", key, key + ".jpg", width=48, height=48), lambda: io.BytesIO(data),
                    [Scene(anns, modified="2024-05-01T00:00:00Z")], [])

    full = Shape.rectangle(0, 0, 48, 48)
    written = [
        on("old", [Annotation(full, [ScoredLabel("No object")])]),  # as earlier versions wrote it
        on("new", []),  # as this version writes it
        # a box of the whole image with a real label stays an object
        on("dog", [Annotation(full, [ScoredLabel("dog")])]),
    ]
    write_archive(tmp_path / "old.scz", written)
    with open_archive(tmp_path / "old.scz") as reader:
        got = {it.key: it.resolve().scenes for it in reader.items()}
    assert got["old"] == got["new"] == [Scene([], modified="2024-05-01T00:00:00Z")]
    assert [a.label_names for a in got["dog"][0].annotations] == [["dog"]]
