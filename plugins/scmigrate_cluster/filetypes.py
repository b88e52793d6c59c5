"""The file extension of media bytes, for clusters that do not say it (``media_information.extension`` arrived
in Geti 2.5; before, a media's name has no extension and only its bytes tell PNG from JPEG)."""

from __future__ import annotations

#: bytes enough for every signature below
HEAD_BYTES = 16

_SIGNATURES = [  # (offset, magic, extension)
    (0, b"\xff\xd8\xff", ".jpg"),
    (0, b"\x89PNG\r\n\x1a\n", ".png"),
    (0, b"BM", ".bmp"),
    (0, b"II*\x00", ".tif"),
    (0, b"MM\x00*", ".tif"),
    (0, b"\x1a\x45\xdf\xa3", ".mkv"),
]


def extension_of(head: bytes) -> str | None:
    """``.jpg``, ``.png``, … from the first :data:`HEAD_BYTES` of a file; None when nothing matches."""
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"AVI "):
        return ".webp" if head[8:12] == b"WEBP" else ".avi"
    if head[4:8] == b"ftyp":  # ISO media: QuickTime says so in its brand, the rest are MP4
        return ".mov" if head[8:12] == b"qt  " else ".mp4"
    for offset, magic, ext in _SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return ext
    return None
