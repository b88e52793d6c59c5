"""``scmigrate.spool``: one copy of a stream with its size and sha256, checked against a declaration."""

from __future__ import annotations

import hashlib
import io

import pytest

from scmigrate.errors import InputError
from scmigrate.spool import CheckedReader, Spool


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


@pytest.mark.parametrize("size", [0, 1, 2048, 3 << 20])
def test_a_declared_size_is_asked_for_as_it_is_then_one_byte(size, recording):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    stream = recording(data)
    with Spool(stream, max_memory=1 << 20, expected=size) as spool:
        assert spool.size == size and spool.file.read() == data
    assert sum(stream.asked[:-1]) == size and stream.asked[-1] == 1
    assert max(stream.asked) <= 1 << 20  # never more than a chunk at once


@pytest.mark.parametrize("declared", [10, 5000, 6000])
def test_a_stream_longer_or_shorter_than_declared_is_copied_whole_and_check_says_so(declared, recording):
    data = b"y" * 5000
    with Spool(recording(data), expected=declared) as spool:
        assert spool.size == 5000 and spool.file.read() == data
        if declared != 5000:
            with pytest.raises(InputError, match=f"the 5000 bytes read do not match the {declared}"):
                spool.check(None, declared, what="k")


class _EndsBadly(io.RawIOBase):
    """A raw stream that checks its bytes at its end, as an archive member does, and finds them wrong."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:  # type: ignore[no-untyped-def]
        n = self._data.readinto(buf)
        if n == 0:
            raise InputError("m.scz: blobs/x: damaged (sha256 of the data does not match)")
        return n


def test_a_checked_stream_gives_its_digest_and_its_damage_to_the_spool():
    data = b"x" * 300_000
    # the digest comes from the stream (its promise), not from hashing the bytes again: a claimed
    # one that is not theirs shows which of the two the spool reports
    claimed = hashlib.sha256(b"something else").hexdigest()
    with Spool(CheckedReader(io.BytesIO(data), claimed), expected=len(data)) as spool:  # type: ignore[arg-type]
        assert (spool.size, spool.sha256) == (len(data), claimed)
        assert spool.file.read() == data
    with pytest.raises(InputError, match="sha256 of the data does not match"):
        Spool(CheckedReader(_EndsBadly(data), hashlib.sha256(data).hexdigest()), expected=len(data))
    # any other stream is hashed as it is copied
    with Spool(io.BufferedReader(io.BytesIO(data)), expected=len(data)) as spool:  # type: ignore[arg-type]
        assert spool.sha256 == hashlib.sha256(data).hexdigest()
