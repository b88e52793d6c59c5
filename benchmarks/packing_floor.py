"""The least a Python packer must do per file for a `.scz` archive, and nothing more.

    .venv/bin/python benchmarks/packing_floor.py FOLDER OUT [--threads N | --processes N]

For every file of FOLDER (sorted): read it, take its sha256 (the index's digest), compress a
512-byte header and the bytes as one zstd frame at level -1 with its checksum (as the writer does
for media), take the CRC-32 of the frame (the index's), and append the frame to OUT; then fsync
OUT. No item records, no index, no annotations, no validation, no journal: the per-byte work the
format asks for, with the smallest per-file Python around it.

``archive_bench.py`` runs it next to ``tar --zstd -cf`` on the same files: what this script
reaches is a ceiling for any packer written in Python on this machine, ``scmigrate run`` included,
which does all of this and an item's worth of Python besides.

- ``--threads N`` (default 2): N threads share the files (hashing and compressing release the
  GIL, so two cores can work at once); the frames go to OUT under a lock.
- ``--processes N``: N forked processes each pack their share into a segment file, which the
  parent joins into OUT in the kernel (``copy_file_range``): what a packer split across processes
  could reach, before the cost of sharing the per-item work between them.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import threading
import traceback
import zlib
from concurrent.futures import ThreadPoolExecutor

import zstandard

HEADER = bytes(512)


def pack(folder: str, names: list[str], out: int, lock: threading.Lock | None, local: threading.local) -> None:
    compressor = getattr(local, "compressor", None)
    if compressor is None:  # one per thread: a compressor must not be shared
        compressor = local.compressor = zstandard.ZstdCompressor(level=-1, write_checksum=True)
    for name in names:
        fd = os.open(os.path.join(folder, name), os.O_RDONLY)
        try:
            data = os.read(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)
        hashlib.sha256(data).digest()
        frame = compressor.compress(HEADER + data)
        zlib.crc32(frame)
        if lock is None:
            os.write(out, frame)
        else:
            with lock:
                os.write(out, frame)


def threads(folder: str, names: list[str], target: str, n: int) -> None:
    out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    lock, local = threading.Lock(), threading.local()
    with ThreadPoolExecutor(n) as pool:
        # one file at a time per task, as a writer's workers take items
        list(pool.map(lambda name: pack(folder, [name], out, lock, local), names))
    os.fsync(out)
    os.close(out)


def processes(folder: str, names: list[str], target: str, n: int) -> None:
    segments = [f"{target}.{i}" for i in range(n)]
    children = []
    for i, segment in enumerate(segments):
        pid = os.fork()
        if pid == 0:  # the child never returns into the parent's code
            try:
                out = os.open(segment, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                pack(folder, names[i::n], out, None, threading.local())
                os.close(out)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        children.append(pid)
    for pid in children:
        if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0:
            raise SystemExit(f"a packing process failed ({pid})")
    out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for segment in segments:
        src = os.open(segment, os.O_RDONLY)
        left = os.fstat(src).st_size
        while left:
            left -= os.copy_file_range(src, out, left)
        os.close(src)
        os.unlink(segment)
    os.fsync(out)
    os.close(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder")
    ap.add_argument("out")
    how = ap.add_mutually_exclusive_group()
    how.add_argument("--threads", type=int, default=2)
    how.add_argument("--processes", type=int)
    args = ap.parse_args()
    names = sorted(os.listdir(args.folder))
    if args.processes:
        processes(args.folder, names, args.out, args.processes)
    else:
        threads(args.folder, names, args.out, args.threads)


if __name__ == "__main__":
    main()
