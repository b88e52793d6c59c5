"""Object-store members through fsspec, and appending to one as a resumable, staged upload.

An object store cannot append to an object, and the parts of an unfinished multipart upload
cannot be read back, which the archive writer's resume needs (it walks the frames written so
far and cuts back to the last complete one). So an appended member ``x.scz`` is written as
*pieces*, ordinary objects ``x.scz.partial/<offset>`` of :func:`piece_size` bytes (8 MiB, the
last one shorter), each uploaded once when it is full. ``publish`` assembles them into ``x.scz``
at once: on S3 by a multipart upload whose parts are server-side copies of the pieces
(``UploadPartCopy``: no byte travels again), elsewhere by streaming them into one new object;
then the pieces are deleted. A reader never sees a half-written ``x.scz``.

A resume lists the pieces, reads them back with ranged reads, lets the writer cut at its last
complete frame and keeps the pieces before the cut: only the piece holding the cut is
uploaded again. A multipart upload of ``x.scz`` left by an assembly that was killed is aborted
when the member is next opened for appending (:meth:`FsspecStorage.abort_uploads`, which a
repository's backup and prune also call for the whole repository, under its lock). Memory: one
piece being filled, plus the read cache of :data:`scmigrate.storage.READ_BLOCK` blocks while resuming.
"""

from __future__ import annotations

import contextlib
import io
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO, TypeVar

from .storage import READ_BLOCK, READ_BLOCKS, Appender, Storage, StorageError

__all__ = ["FsspecStorage", "StagedAppender", "piece_size"]

PART = 8 << 20
_MIN_PART = 5 << 20  # S3's smallest part (but the last)
_MAX_PART = 4 << 30
PARTIAL = ".partial"
T = TypeVar("T")
Pieces = list[tuple[int, int]]  # (offset, size) of each piece, by offset


def piece_size(offset: int) -> int:
    """8 MiB up to 8 GiB, then a thousandth of what precedes (S3 allows 10,000 parts)."""
    return min(_MAX_PART, max(PART, -(-offset // 1000 // (1 << 20)) << 20))


class FsspecStorage(Storage):
    """A URL prefix on any fsspec filesystem (``s3://bucket/prefix``)."""

    def __init__(self, fs: Any, root: str, path: str) -> None:
        self.fs, self.root = fs, root
        self.path = fs._strip_protocol(root).rstrip("/") if path else path

    def _p(self, name: str) -> str:
        return f"{self.path}/{name}" if name else self.path

    def call(self, name: str, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one backend call; its failure becomes one line naming the member."""
        try:
            return fn(*args, **kwargs)
        except StorageError:
            raise
        except Exception as e:
            raise self._fail(name, what, e) from None

    @property
    def is_s3(self) -> bool:
        return hasattr(self.fs, "call_s3")

    def exists(self, name: str) -> bool:
        self.fs.invalidate_cache(self._p(name))
        return self.call(name, "read", self.fs.exists, self._p(name))

    def size(self, name: str) -> int:
        return int(self.call(name, "read", self.fs.size, self._p(name)))

    def list(self, prefix: str = "") -> Iterator[str]:
        top = self._p(prefix.rpartition("/")[0])
        self.fs.invalidate_cache(top)
        try:
            found = self.fs.find(top)
        except FileNotFoundError:
            return iter(())
        except Exception as e:
            raise self._fail(prefix, "list", e) from None
        start = len(self.path) + 1
        return iter(sorted(n[start:] for n in found if n[start:].startswith(prefix)))

    def open_read(self, name: str) -> BinaryIO:
        f = self.call(name, "read", self.fs.open, self._p(name), "rb", block_size=READ_BLOCK,
                      cache_type="blockcache", cache_options={"maxblocks": READ_BLOCKS})
        return io.BufferedReader(_Guarded(f, self, name), buffer_size=1 << 16)

    @contextlib.contextmanager
    def write_atomic(self, name: str) -> Iterator[BinaryIO]:
        # s3fs, gcsfs, adlfs publish at close(); memory:// (a test backend) shows a file at once
        f = self.call(name, "write", self.fs.open, self._p(name), "wb", block_size=PART)
        try:
            yield f
        except BaseException:
            with contextlib.suppress(Exception):
                f.discard()  # s3fs: aborts the multipart upload; the object never appears
            with contextlib.suppress(Exception):
                f.closed = True  # not close(): that would publish what was written so far
            raise
        self.call(name, "write", f.close)

    def put_if_absent(self, name: str, data: bytes) -> bool:
        # content-addressed: two writers racing here store the same bytes, so no conditional put
        if self.exists(name):
            return False
        self.put_bytes(name, data)
        return True

    def put_bytes(self, name: str, data: bytes) -> None:
        self.call(name, "write", self.fs.pipe_file, self._p(name), data)

    def delete(self, name: str) -> None:
        try:
            self.fs.rm_file(self._p(name))
        except FileNotFoundError:
            pass
        except Exception as e:
            raise self._fail(name, "delete", e) from None

    def lock_path(self) -> str | None:
        return None

    def pieces(self, name: str) -> Pieces:
        """The pieces of an unfinished append of ``name``: (offset, size), by offset."""
        folder = self._p(name + PARTIAL)
        self.fs.invalidate_cache(folder)
        try:
            entries = self.fs.ls(folder, detail=True)
        except FileNotFoundError:
            return []
        except Exception as e:
            raise self._fail(name, "read", e) from None
        found = []
        for entry in entries:
            base = str(entry["name"]).rstrip("/").rpartition("/")[2]
            if base.isdigit() and entry.get("type") != "directory":
                found.append((int(base), int(entry["size"])))
        return sorted(found)

    def piece(self, name: str, offset: int) -> str:
        return f"{name}{PARTIAL}/{offset:015d}"

    def check_writable(self, name: str) -> None:
        bucket = self.path.split("/")[0]
        try:
            self.fs.info(bucket)
        except FileNotFoundError:
            raise StorageError(f"{self.url(name)}: cannot write (bucket {bucket} does not exist)") from None
        except Exception as e:
            raise self._fail(name, "write", e) from None

    def check_append(self, name: str, resume: bool) -> bool:
        self.check_writable(name)  # a missing bucket or refused credentials: now, not at the first full piece
        there = bool(self.pieces(name)) or self.exists(name)
        if there and not resume:
            if self.pieces(name):
                raise StorageError(f"{self.url(name)}: an interrupted write of it is in {self.url(name + PARTIAL)}/; "
                                   "run with --resume to continue it, or remove that")
            raise self._exists_refusal(name)
        return there

    def open_append(self, name: str, resume: bool) -> Appender:
        self.check_append(name, resume)
        self.abort_uploads(name, exact=True)
        return StagedAppender(self, name)

    def abort_uploads(self, prefix: str = "", exact: bool = False) -> int:
        if not self.is_s3:
            return 0  # gcsfs and adlfs upload in one go or expire what is left (no listing to clean)
        bucket, _, key = self._p(prefix).partition("/")
        if not prefix and key:
            key += "/"  # the whole folder, not also its namesakes (s3://b/repo2 beside s3://b/repo)
        aborted, marks = 0, dict[str, str]()
        while True:
            listed = self.call(prefix, "read", self.fs.call_s3, "list_multipart_uploads", Bucket=bucket,
                               Prefix=key, **marks)
            for up in listed.get("Uploads", []):
                if not exact or up["Key"] == key:
                    self.call(prefix, "write", self.fs.call_s3, "abort_multipart_upload", Bucket=bucket,
                              Key=up["Key"], UploadId=up["UploadId"])
                    aborted += 1
            if not listed.get("IsTruncated"):
                return aborted
            marks = {"KeyMarker": listed["NextKeyMarker"], "UploadIdMarker": listed["NextUploadIdMarker"]}


class _Guarded(io.RawIOBase):
    """An fsspec file whose failures are one line naming the member."""

    def __init__(self, f: Any, storage: FsspecStorage, name: str) -> None:
        self._f, self._s, self._name = f, storage, name

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self._f.seek(offset, whence))

    def tell(self) -> int:
        return int(self._f.tell())

    def readinto(self, buf: Any) -> int:
        data = self._s.call(self._name, "read", self._f.read, len(buf))
        buf[: len(data)] = data
        return len(data)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._f.close()
        super().close()


class StagedAppender(Appender):
    """See the module's docstring: pieces under ``name.partial/``, assembled by ``publish``."""

    def __init__(self, storage: FsspecStorage, name: str) -> None:
        self.s, self.name = storage, name
        self._pieces: Pieces = []
        for off, size in storage.pieces(name):  # the run of pieces from offset 0 without a gap
            if off != sum(s for _, s in self._pieces):
                break
            self._pieces.append((off, size))
        # no pieces, but the member itself (resuming a finished archive): read it until truncate()
        self._base = not self._pieces and storage.exists(name)
        self.size = storage.size(name) if self._base else sum(s for _, s in self._pieces)
        self._buf = bytearray()
        self._buf_off = self.size
        self._cache: OrderedDict[tuple[str, int], bytes] = OrderedDict()

    # -------------------------------------------------------------------- reading back

    def _block(self, member: str, index: int) -> bytes:
        key = (member, index)
        if key not in self._cache:
            self._cache[key] = self.s.call(member, "read", self.s.fs.cat_file, self.s._p(member),
                                           start=index * READ_BLOCK, end=(index + 1) * READ_BLOCK)
            while len(self._cache) > 4:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return self._cache[key]

    def _sources(self) -> list[tuple[int, int, str]]:
        if self._base:
            return [(0, self.size, self.name)]
        return [(off, size, self.s.piece(self.name, off)) for off, size in self._pieces]

    def read_at(self, offset: int, n: int) -> bytes:
        out, end, pos = bytearray(), offset + n, offset
        for start, size, member in self._sources():
            stop = min(end, start + size)
            while start <= pos < stop:
                rel = pos - start
                take = self._block(member, rel // READ_BLOCK)[rel % READ_BLOCK: rel % READ_BLOCK + stop - pos]
                if not take:  # shorter than listed: someone else changed it; the walk stops here
                    return bytes(out)
                out += take
                pos += len(take)
        if self._buf_off <= pos < end:
            out += self._buf[pos - self._buf_off: end - self._buf_off]
        return bytes(out)

    # -------------------------------------------------------------------- appending

    def truncate(self, size: int) -> None:
        if self._base:  # a finished member: its first ``size`` bytes become pieces (read and uploaded)
            pos, self._buf_off = 0, 0
            while pos < size:
                data = self.read_at(pos, min(1 << 20, size - pos))
                self._buf += data
                pos += len(data)
                self._fill()
            self._base, self._cache = False, OrderedDict()
            return
        kept: Pieces = []
        for off, n in self._pieces:  # whole pieces before the cut stay as uploaded
            if off + n > size or n < _MIN_PART:
                break
            kept.append((off, n))
        start = sum(n for _, n in kept)
        self._buf = bytearray(self.read_at(start, size - start))
        # pieces past the cut go, the last first, so an interruption here still leaves a run from 0
        for off, _ in reversed(self._pieces[len(kept):]):
            if off > start or not self._buf:
                self.s.delete(self.s.piece(self.name, off))
        self._pieces, self._buf_off, self._cache = kept, start, OrderedDict()

    def _fill(self) -> None:
        while len(self._buf) >= piece_size(self._buf_off):
            self._flush(piece_size(self._buf_off))

    def _flush(self, n: int) -> None:
        with memoryview(self._buf) as view:  # one copy of the piece, not a slice and then its copy
            data = bytes(view[:n])
        self.s.put_bytes(self.s.piece(self.name, self._buf_off), data)
        self._pieces.append((self._buf_off, n))
        del self._buf[:n]
        self._buf_off += n

    def write(self, data: bytes | memoryview) -> None:
        self._buf += data
        self._fill()

    def publish(self) -> None:
        if self._base:
            return  # nothing was cut or added
        if not self._pieces:  # small enough to have stayed in memory: one plain upload
            self.s.put_bytes(self.name, bytes(self._buf))
            self._buf.clear()
        else:
            self._assemble()
        # every piece goes, also one that a resume kept to overwrite (it was cut back into memory)
        for off, _ in reversed(self.s.pieces(self.name)):
            self.s.delete(self.s.piece(self.name, off))
        self._pieces = []

    def _assemble(self) -> None:
        if self._buf:
            self._flush(len(self._buf))
        if self.s.is_s3:
            self._assemble_s3()
        else:
            with self.s.write_atomic(self.name) as out:
                for off, n in self._pieces:
                    for pos in range(0, n, PART):
                        out.write(self.s.call(self.name, "read", self.s.fs.cat_file,
                                              self.s._p(self.s.piece(self.name, off)), start=pos, end=pos + PART))

    def _assemble_s3(self) -> None:
        s, fs = self.s, self.s.fs
        bucket, key, _ = fs.split_path(s._p(self.name))
        upload = s.call(self.name, "write", fs.call_s3, "create_multipart_upload", Bucket=bucket, Key=key)["UploadId"]

        def copy(job: tuple[int, tuple[int, int]]) -> dict[str, Any]:
            number, (off, _) = job
            src_bucket, src_key, _ = fs.split_path(s._p(s.piece(self.name, off)))
            done = s.call(self.name, "write", fs.call_s3, "upload_part_copy", Bucket=bucket, Key=key,
                          UploadId=upload, PartNumber=number, CopySource={"Bucket": src_bucket, "Key": src_key})
            return {"PartNumber": number, "ETag": done["CopyPartResult"]["ETag"]}

        try:
            with ThreadPoolExecutor(4) as pool:
                parts = list(pool.map(copy, enumerate(self._pieces, 1)))
            s.call(self.name, "write", fs.call_s3, "complete_multipart_upload", Bucket=bucket, Key=key,
                   UploadId=upload, MultipartUpload={"Parts": parts})
        except BaseException:
            with contextlib.suppress(Exception):
                fs.call_s3("abort_multipart_upload", Bucket=bucket, Key=key, UploadId=upload)
            raise

    def close(self) -> None:
        """Keep what was written for a resume: the unfilled piece is uploaded too (short, it is the last)."""
        if self._buf and not self._base:
            with contextlib.suppress(StorageError):
                self._flush(len(self._buf))
        self._buf.clear()

