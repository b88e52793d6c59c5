"""The POSIX ustar headers of .scz members: built by the writer, checked strictly by readers.

Only what a v1 writer produces is accepted: regular files ('0'), ustar magic, names that fit the
100-byte name field, a valid header checksum. That refuses links, devices, long-name extensions
and any other trick a foreign tar could play.
"""

from __future__ import annotations

from .layout import check_member_name

__all__ = ["BLOCK", "END_BLOCKS", "HeaderError", "header", "padding", "parse_header"]

BLOCK = 512
END_BLOCKS = bytes(2 * BLOCK)
_OCTAL_MAX = 8**11 - 1  # 11 octal digits


class HeaderError(ValueError):
    """A tar header that a v1 writer would not produce."""


def padding(size: int) -> int:
    """Zero bytes after ``size`` data bytes to reach the next 512-byte boundary."""
    return -size % BLOCK


def _octal(value: int, width: int) -> bytes:
    return b"%0*o\0" % (width - 1, value)


def _size_field(size: int) -> bytes:
    if size <= _OCTAL_MAX:
        return _octal(size, 12)
    # GNU base-256: high bit of the first byte set, big-endian binary in the rest (> 8 GiB media)
    return bytes([0x80]) + size.to_bytes(11, "big")


def _template() -> bytearray:
    """Every header field that is the same for all members, the checksum field as eight spaces."""
    h = bytearray(BLOCK)
    h[100:108] = _octal(0o644, 8)
    h[108:116] = _octal(0, 8)
    h[116:124] = _octal(0, 8)
    h[148:156] = b" " * 8
    h[156:157] = b"0"
    h[257:265] = b"ustar\x0000"
    return h


_TEMPLATE = bytes(_template())
# the checksum is the sum of all 512 bytes: the fixed fields' share is summed once, here, and each
# header adds only its name, size and mtime (summing a whole header was a tenth of a member's cost)
_TEMPLATE_SUM = sum(_TEMPLATE)


def header(name: str, size: int, mtime: int) -> bytes:
    """The 512-byte ustar header of a regular file member."""
    raw = name.encode("ascii")
    if len(raw) > 100 or not check_member_name(name):
        raise ValueError(f"not a valid member name: {name!r}")
    size_f, mtime_f = _size_field(size), _octal(max(0, min(mtime, _OCTAL_MAX)), 12)
    h = bytearray(_TEMPLATE)
    h[0 : len(raw)] = raw
    h[124:136] = size_f
    h[136:148] = mtime_f
    h[148:156] = b"%06o\0 " % (_TEMPLATE_SUM + sum(raw) + sum(size_f) + sum(mtime_f))
    return bytes(h)


def _parse_number(field: bytes) -> int:
    if field[:1] == b"\x80":
        return int.from_bytes(field[1:], "big")
    text = field.split(b"\0", 1)[0].strip()
    if not text or any(c not in b"01234567" for c in text):
        raise HeaderError("bad number field")
    return int(text, 8)


def parse_header(block: bytes) -> tuple[str, int]:
    """``(name, size)`` of a v1 member header; raises :class:`HeaderError` for anything else."""
    if len(block) != BLOCK:
        raise HeaderError("short tar header")
    stored = _parse_number(block[148:156])
    if stored != sum(block[:148]) + 8 * 32 + sum(block[156:]):
        raise HeaderError("tar header checksum mismatch")
    if block[257:265] != b"ustar\x0000":
        raise HeaderError("not a ustar header")
    if block[156:157] not in (b"0", b"\0"):
        kind = {b"1": "hard link", b"2": "symlink", b"3": "character device", b"4": "block device",
                b"5": "directory", b"6": "fifo"}.get(block[156:157], f"type {block[156:157]!r}")
        raise HeaderError(f"member is a {kind}, not a regular file")
    if block[345:500].strip(b"\0"):
        raise HeaderError("member uses the ustar prefix field (not produced by v1 writers)")
    try:
        name = block[:100].split(b"\0", 1)[0].decode("ascii")
    except UnicodeDecodeError:
        raise HeaderError("member name is not ASCII") from None
    if not check_member_name(name):
        raise HeaderError(f"unexpected member name {name!r}")
    return name, _parse_number(block[124:136])
