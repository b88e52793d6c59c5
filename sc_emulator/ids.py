"""Identifiers and timestamps in the shapes the real SC / Geti services use.

Entities carry 24-hex MongoDB ObjectIds; organisations, workspaces, users and single annotations carry
UUIDs; personal access tokens follow the ``geti_pat_<43 base62>_<6 checksum>`` layout that the auth
proxy checks.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import os
import secrets
import threading
import time
import uuid
import zlib

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
_counter_lock = threading.Lock()
_process_random = os.urandom(5)


def object_id() -> str:
    """Return a new ObjectId-like 24-hex id: 4 bytes time, 5 bytes random, 3 bytes counter (as MongoDB)."""
    with _counter_lock:
        count = next(_counter) & 0xFFFFFF
    raw = int(time.time()).to_bytes(4, "big") + _process_random + count.to_bytes(3, "big")
    return raw.hex()


def new_uuid() -> str:
    """Return a random UUID string (36 characters)."""
    return str(uuid.uuid4())


def is_object_id(value: str) -> bool:
    """True when ``value`` looks like a 24-hex ObjectId."""
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value)


def now_iso() -> str:
    """Current UTC time in Python ``isoformat`` with offset and microseconds, like the real services."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rem = divmod(number, 62)
        digits.append(_BASE62[rem])
    return "".join(reversed(digits)).rjust(width, "0")


def token_checksum(body: str) -> str:
    """The 6-character CRC32 checksum (base62) that ends a personal access token."""
    return _base62(zlib.crc32(body.encode("ascii")), 6)


def new_token() -> str:
    """A fresh personal access token ``geti_pat_<43 base62>_<checksum>``."""
    body = "".join(secrets.choice(_BASE62) for _ in range(43))
    return f"geti_pat_{body}_{token_checksum(body)}"


def token_well_formed(token: str) -> bool:
    """True when ``token`` has the PAT layout and a matching checksum."""
    parts = token.split("_")
    if len(parts) != 4 or parts[0] != "geti" or parts[1] != "pat":
        return False
    body, check = parts[2], parts[3]
    return len(body) == 43 and all(c in _BASE62 for c in body) and token_checksum(body) == check
