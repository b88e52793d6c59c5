"""An image's width and height from its header: JPEG and PNG read directly, the rest by Pillow.

Every image a dataset source reads needs its size, and only its size: the pixels go to the sink
byte for byte. Pillow's ``Image.open`` reads no pixels either, but it builds a whole image object
and parses every table of a JPEG header (quantisation, Huffman, EXIF) to get there: about 0.1 ms
per image, as much as hashing and compressing the image's 100 KB. The two formats nearly every
dataset uses state their size at a fixed place (PNG's IHDR chunk) or in the first frame segment
(JPEG's SOF), so both are read here from the first 64 KiB. Anything else, and anything this
reader does not fully recognise (an SOF past the first 64 KiB, a zero or huge size, broken
segment lengths), goes to Pillow, which gives the same answer or the error to report.

This module is public (:data:`scmigrate.api.PUBLIC_MODULES`): a dataset source plugin reads
its images' sizes here.
"""

from __future__ import annotations

import io
import struct
from typing import BinaryIO

from .errors import InputError

__all__ = ["MAX_PIXELS", "image_size"]

_HEAD = 64 << 10
# most headers end within the first few KB: reading 64 KiB at once copied ten times what was needed
# (~10 us per image); the rest is read only when the walk runs past this
_FIRST = 4 << 10
# Pillow refuses an image past twice its MAX_IMAGE_PIXELS (a decompression bomb). The limit is ours,
# a constant at Pillow's default, because Pillow's is a process-wide setting that any other module
# may switch off (the emulator does, for its own 20,000 px check) and a size must not depend on that.
MAX_PIXELS = 2 * 89_478_485
_PNG = b"\x89PNG\r\n\x1a\n"
# start-of-frame markers: every SOFn except DHT (C4), JPG (C8) and DAC (CC), which share the range
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# markers without a length field: TEM, RSTn (SOI and EOI never occur inside a header walk)
_STANDALONE = frozenset([0x01, *range(0xD0, 0xD8)])


def image_size(f: BinaryIO, name: str) -> tuple[int, int]:
    """``(width, height)`` of the image in ``f`` (positioned at its start; it is read, not closed).

    ``name`` is what an error names: an unreadable image is an ``InputError`` in one line.
    """
    head = f.read(_FIRST)
    size = _header(head)
    if size is None and len(head) == _FIRST:
        # the header walk ran past what was read: the same walk over the first 64 KiB
        head += f.read(_HEAD - _FIRST)
        size = _header(head)
    if size is not None and _plausible(size):
        return size
    f.seek(0)
    if isinstance(f, io.RawIOBase):
        # an unbuffered file (one system call per read: the fast path reads once or twice); Pillow
        # reads a header in many small steps
        buffered = io.BufferedReader(f)
        try:
            return _pillow(buffered, name)
        finally:
            buffered.detach()  # the caller's file stays open, as it was given
    return _pillow(f, name)


def _header(head: bytes) -> tuple[int, int] | None:
    return _png(head) if head.startswith(_PNG) else _jpeg(head) if head.startswith(b"\xff\xd8") else None


def _png(head: bytes) -> tuple[int, int] | None:
    # signature, then the IHDR chunk: length (13), type, width, height
    if len(head) < 24 or head[12:16] != b"IHDR":
        return None
    w, h = struct.unpack_from(">II", head, 16)
    return int(w), int(h)


def _jpeg(head: bytes) -> tuple[int, int] | None:
    pos, end = 2, len(head)
    while pos + 4 <= end:
        if head[pos] != 0xFF:
            return None  # not at a marker: leave the verdict to Pillow
        marker = head[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        length = int.from_bytes(head[pos + 2 : pos + 4], "big")
        if length < 2:
            return None
        if marker in _SOF:
            if pos + 9 > end or length < 7:
                return None
            h, w = struct.unpack_from(">HH", head, pos + 5)
            return int(w), int(h)
        if marker == 0xDA:  # start of scan before any frame header: not a JPEG we understand
            return None
        pos += 2 + length
    return None


def _plausible(size: tuple[int, int]) -> bool:
    """A size this module accepts from a header; anything else is left to Pillow to judge."""
    w, h = size
    return w > 0 and h > 0 and w * h <= MAX_PIXELS


def _pillow(f: BinaryIO, name: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(f) as im:  # reads the header only
            w, h = int(im.width), int(im.height)
    except UnidentifiedImageError:  # its message shows the file object's repr, not the file
        raise InputError(f"{name}: not a readable image (not a format Pillow recognises)") from None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(f"{name}: not a readable image ({exc})") from None
    if w * h > MAX_PIXELS:
        raise InputError(f"{name}: not a readable image ({w}x{h} is {w * h:,} pixels, past the limit of "
                         f"{MAX_PIXELS:,} that guards against decompression bombs)")
    return w, h
