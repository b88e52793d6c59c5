"""The names, numbers and limits of the .scz layout (archive_spec/SPEC.md says why each is so)."""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "CHUNK",
    "FORMAT_VERSION",
    "INDEX",
    "MANIFEST",
    "MAX_INDEX",
    "MAX_JSON",
    "MAX_WINDOW",
    "PROJECT",
    "READS_MAJOR",
    "blob_name",
    "check_member_name",
    "item_member",
    "level_for",
    "model_member",
]

#: What this writer produces; readers accept any 1.x.
FORMAT_VERSION = "1.0"
READS_MAJOR = 1

MANIFEST = "manifest.json"
PROJECT = "project.json"
INDEX = "index.json"

#: Every member name a v1 archive may hold. Anything else (``..``, absolute paths, links, other
#: folders) marks a hostile or foreign archive.
_NAME = re.compile(
    r"(manifest\.json|project\.json|index\.json|blobs/[0-9a-f]{64}(\.[a-z0-9]{1,8})?|(items|models)/[0-9a-f]{64}\.json)"
)
_EXT = re.compile(r"\.[a-z0-9]{1,8}")

#: Decompression window cap: writers never need more than 8 MiB (level ≤ 19); 32 MiB leaves room
#: while bounding what a hostile frame can make a reader allocate.
MAX_WINDOW = 1 << 25
#: Largest JSON member (item, model, project, manifest) a reader loads into memory.
MAX_JSON = 64 << 20
#: Largest index member (about 300 bytes per member, so ~1 M members).
MAX_INDEX = 512 << 20
#: I/O chunk for streaming copies and reads.
CHUNK = 1 << 20

#: zstd levels: media that is already compressed gains nothing from effort; JSON gains a lot.
#: Lossy images and video do not shrink at any level: zstd's fast mode (a negative level) stores
#: them three times faster than level 1 (a frame like any other, read the same way).
LEVEL_INCOMPRESSIBLE_MEDIA = -1
LEVEL_COMPRESSED_MEDIA = 1  # lossless formats and weights still lose a few per cent at level 1
LEVEL_RAW_MEDIA = 6
LEVEL_JSON = 9  # as small as level 12 on item records (~360 bytes), at a third of the time
LEVEL_INDEX = 3
_INCOMPRESSIBLE = frozenset(
    [".jpg", ".jpeg", ".webp", ".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".jp2", ".heic", ".zip", ".gz",
     ".zst", ".xz", ".bz2", ".7z"]
)
_ALREADY_COMPRESSED = frozenset([".png", ".gif", ".bin", ".onnx", ".pth", ".pt"])


def _ext(filename: str) -> str:
    dot = filename.rfind(".")
    ext = filename[dot:].lower() if dot > 0 else ""
    return ext if _EXT.fullmatch(ext) else ""


def blob_name(sha256_hex: str, filename: str) -> str:
    """The content-addressed member for bytes with this sha256 (extension kept for ``tar -x`` users)."""
    return f"blobs/{sha256_hex}{_ext(filename)}"


def _hashed(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def item_member(key: str) -> str:
    """Item keys are arbitrary strings; the member name is their sha256 so it is always safe."""
    return f"items/{_hashed(key)}.json"


def model_member(key: str) -> str:
    return f"models/{_hashed(key)}.json"


def check_member_name(name: str) -> bool:
    """True if ``name`` is a name a v1 archive may hold."""
    return _NAME.fullmatch(name) is not None


def level_for(member: str) -> int:
    """The zstd level a writer uses for a member."""
    if member == INDEX:
        return LEVEL_INDEX  # large (≈250 bytes per member) and mostly hex digests: effort buys little, costs memory
    if member.endswith(".json"):
        return LEVEL_JSON
    ext = _ext(member)
    if ext in _INCOMPRESSIBLE:
        return LEVEL_INCOMPRESSIBLE_MEDIA
    return LEVEL_COMPRESSED_MEDIA if ext in _ALREADY_COMPRESSED else LEVEL_RAW_MEDIA
