"""``scmigrate.spool``: one copy of a stream with its size and sha256, checked against a declaration."""

from __future__ import annotations

import hashlib
import io

import pytest

from scmigrate.errors import InputError
from scmigrate.spool import Spool


def test_spool_copies_hashes_and_rewinds():
    data = bytes(range(256)) * 5000  # over one read chunk
    with Spool(io.BytesIO(data), max_memory=1024) as spool:
        assert (spool.size, spool.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert spool.file.read() == data and spool.rewind().read(3) == data[:3]
        spool.check(hashlib.sha256(data).hexdigest().upper(), len(data), what="x")
        spool.check(None, None, what="x")  # nothing declared: nothing to check


def test_a_declaration_the_bytes_do_not_match_names_the_item():
    with Spool(io.BytesIO(b"abc")) as spool:
        with pytest.raises(InputError, match=r"^Dataset/a.jpg: the bytes read do not match the sha256"):
            spool.check("0" * 64, what="Dataset/a.jpg")
        with pytest.raises(InputError, match=r"^k: the 3 bytes read do not match the 4 the source declared"):
            spool.check(None, 4, what="k")
