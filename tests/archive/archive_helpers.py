"""Helpers for the archive tests (imported by name: pytest puts this folder on sys.path): real images
drawn with Pillow, items, and archive builders."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import zstandard
from PIL import Image, ImageDraw

from scmigrate.api import RunOptions
from scmigrate.model import (
    Annotation,
    Item,
    Label,
    Media,
    Project,
    Scene,
    ScoredLabel,
    Shape,
    Task,
)
from scmigrate_archive import ArchiveSink, ArchiveSource
from scmigrate_archive.frames import Trailer, pack_trailer


def jpeg(seed: int, side: int = 48) -> bytes:
    """A JPEG of coloured noise with a drawn box (noise so it does not compress to nothing)."""
    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8))
    ImageDraw.Draw(img).rectangle((side // 4, side // 4, side // 2, side // 2), outline=(255, 0, 0), width=2)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


IMAGE = jpeg(7, 24)  # the image content_archive stores unless told otherwise


def project() -> Project:
    return Project.chain(
        "Dogs", Task("Detection", "detection", [Label("dog", "#ff0000ff"), Label("No object", is_empty=True)]),
        Task("Segmentation", "segmentation", [Label("dog shape", "#00ff00ff", parent="dog")]),
    )


def item(key: str, data: bytes, n: int = 0) -> Item:
    """An item with a box and a polygon (``n`` varies the shapes), a frame-less image scene."""
    scene = Scene([
        Annotation(Shape.rectangle(1 + n, 2, 10, 12), [ScoredLabel("dog")]),
        Annotation(Shape.polygon([(1, 1), (9 + n, 1), (5, 8)]), [ScoredLabel("dog shape", 0.75)]),
    ], state_per_task={"Detection": "annotated"})
    media = Media(key, "image", key.rsplit("/", 1)[-1], key.rsplit("/", 1)[-1] + ".jpg", width=48, height=48)
    return Item(media, lambda: io.BytesIO(data), [scene], [])


def items(n: int, dup_every: int = 0, side: int = 48) -> list[Item]:
    """``n`` items with awkward keys; with ``dup_every=k`` every k-th one repeats an earlier image."""
    out = []
    for i in range(n):
        seed = i - 1 if dup_every and i % dup_every == dup_every - 1 else i
        out.append(item(f"folder {i % 3}/img ü {i}?*..", jpeg(seed, side), i))
    return out


def write_archive(path: Path, its: Iterable[Item], workers: int = 1, complete: bool = True,
                  resume: bool = False, proj: Project | None = None) -> dict:
    w = ArchiveSink().open(str(path), RunOptions(resume=resume))
    w.begin(proj or project(), None)
    if workers == 1:
        for it in its:
            w.write(it)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(w.write, its))
    return w.finish(complete)


def open_archive(path: Path):
    return ArchiveSource().open(str(path), RunOptions())


def tar_member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, linkname: str = "",
               size: int | None = None) -> bytes:
    """A tar member built by Python's tarfile (independent of the plugin's own header code)."""
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    info.size = len(data) if size is None else size
    head = info.tobuf(format=tarfile.USTAR_FORMAT)
    return head + data + bytes(-len(data) % 512)


def raw_archive(members: list[tuple[str, bytes]] | list[bytes], version: str = "1.0",
                entries: list[dict] | None = None, patch: dict[str, dict] | None = None) -> bytes:
    """An archive assembled by hand: a manifest, the given tar members, an index and a trailer.

    ``members`` are ``(name, data)`` pairs or ready tar member bytes (for hostile headers).
    ``entries`` overrides the index entries (for lying indexes); ``patch`` maps a member's name to
    fields its index entry should claim instead (a clean index in front of a hostile tar header).
    """
    cctx = zstandard.ZstdCompressor(level=3, write_checksum=True)
    manifest = json.dumps({"format_version": version, "created_by": "test", "created_at": "now"}).encode()
    out, made = bytearray(), []
    for m in [("manifest.json", manifest), *members]:
        if isinstance(m, tuple):
            name, data = m
            raw = tar_member(name, data)
        else:
            raw = m
            info = tarfile.TarInfo.frombuf(raw[:512], "utf-8", "strict")
            name, data = info.name, raw[512 : 512 + info.size]
        frame = cctx.compress(raw)
        made.append({"name": name, "offset": len(out), "length": len(frame), "size": len(data),
                     "sha256": hashlib.sha256(data).hexdigest(), "crc32": zlib.crc32(frame),
                     **(patch or {}).get(name, {})})
        out += frame
    index = json.dumps({"format_version": version, "members": made if entries is None else entries}).encode()
    iframe = cctx.compress(tar_member("index.json", index))
    ioff = len(out)
    out += iframe
    end = cctx.compress(bytes(1024))
    out += end
    out += pack_trailer(Trailer(ioff, len(iframe), len(end), zlib.crc32(iframe), zlib.crc32(end)))
    return bytes(out)


def item_doc(key: str, data: bytes, scenes: list[dict] | None = None, **media: object) -> dict:
    """The item document a writer would store for ``data`` (``media`` overrides its fields)."""
    sha = hashlib.sha256(data).hexdigest()
    doc = {"media": {"key": key, "kind": "image", "name": key, "filename": f"{key}.jpg", "size": len(data),
                     "sha256": sha, "width": 24, "height": 24, **media},
           "blob": f"blobs/{sha}.jpg", "annotations": {"key": key, "scenes": scenes or [], "ranges": []}}
    return doc


def box_scene(label: str = "dog", **shape: object) -> list[dict]:
    """One annotation scene holding one rectangle (``shape`` overrides its fields)."""
    return [{"kind": "annotation", "annotations": [
        {"shape": {"type": "RECTANGLE", "x": 1, "y": 2, "width": 5, "height": 6, **shape},
         "labels": [{"name": label, "probability": 1}]}]}]


def content_archive(docs: list[dict | tuple[str, bytes]], proj: dict | bytes | None = None,
                    blobs: dict[str, bytes] | None = None) -> bytes:
    """A complete, byte-for-byte intact archive of hand-made documents: whatever is wrong is content.

    ``docs`` are item documents, or ``(key, JSON text)`` for text that json.dumps does not produce;
    ``blobs`` maps blob names to their bytes (by default one image, named as ``item_doc`` names it).
    """
    from scmigrate_archive.layout import item_member

    raw_project = proj if isinstance(proj, bytes) else json.dumps(proj or project().to_dict()).encode()
    members: list[tuple[str, bytes]] = [("project.json", raw_project)]
    members += list((blobs if blobs is not None else {f"blobs/{hashlib.sha256(IMAGE).hexdigest()}.jpg": IMAGE}).items())
    for doc in docs:
        key, text = (doc["media"]["key"], json.dumps(doc).encode()) if isinstance(doc, dict) else doc
        members.append((item_member(key), text))
    return raw_archive(members)


def rewrite_index(src: Path, dst: Path, edit) -> None:
    """Copy an archive with its index document changed by ``edit(doc)`` (index, end and trailer rebuilt)."""
    from scmigrate_archive.frames import decode_member
    from scmigrate_archive.tarfmt import header

    data = src.read_bytes()
    with open_archive(src) as reader:
        t = reader.trailer
    _, raw = decode_member(lambda o, n: data[o : o + n], t.index_offset, t.index_length, keep_up_to=1 << 30)
    doc = json.loads(raw)
    edit(doc)
    body = json.dumps(doc).encode()
    iframe = zstandard.ZstdCompressor(level=3, write_checksum=True).compress(
        header("index.json", len(body), 0) + body + bytes(-len(body) % 512))
    end = data[t.end_offset : t.end_offset + t.end_length]
    out = data[: t.index_offset] + iframe + end
    dst.write_bytes(out + pack_trailer(Trailer(t.index_offset, len(iframe), len(end), zlib.crc32(iframe),
                                               zlib.crc32(end))))
