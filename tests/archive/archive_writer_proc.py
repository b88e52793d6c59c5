"""Run as a subprocess by the resume tests: write (or resume) an archive, maybe dying mid-write.

    python archive_writer_proc.py PATH N [--kill-at BYTES] [--resume] [--workers K]
                                         [--fsize-limit BYTES] [--delay SECONDS]

``--kill-at`` sends this very process SIGKILL once the archive file would grow past BYTES, after
writing the bytes up to that point (so the file ends inside a frame, as after a real crash).
``--fsize-limit`` sets RLIMIT_FSIZE (a full disk, as far as the writer can tell).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive_helpers import items, project

from scmigrate.api import RunOptions
from scmigrate.errors import InputError
from scmigrate_archive import ArchiveSink


class KillingFile:
    """Forwards to the archive (its appender) until ``budget`` more bytes have been written, then SIGKILLs."""

    def __init__(self, inner, budget: int) -> None:
        self._inner, self._budget = inner, budget

    def write(self, data) -> int:
        if len(data) >= self._budget:
            self._inner.write(bytes(data[: self._budget]))
            os.kill(os.getpid(), signal.SIGKILL)
        self._budget -= len(data)
        return self._inner.write(data)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("n", type=int)
    ap.add_argument("--kill-at", type=int, default=-1)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--fsize-limit", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--side", type=int, default=24, help="image side in pixels (noise: bigger is bigger)")
    args = ap.parse_args()
    if args.fsize_limit:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write() instead of dying
        resource.setrlimit(resource.RLIMIT_FSIZE, (args.fsize_limit, args.fsize_limit))
    try:
        writer = ArchiveSink().open(args.path, RunOptions(resume=args.resume))
        if args.kill_at >= 0:
            writer._out = KillingFile(writer._out, args.kill_at - writer._pos)
        writer.begin(project(), None)
        done = writer.done_keys()
        todo = [it for it in items(args.n, dup_every=4, side=args.side) if it.key not in done]
        print(json.dumps({"started": True, "done_before": len(done)}), flush=True)

        def write(it):
            time.sleep(args.delay)
            return writer.write(it)

        with ThreadPoolExecutor(args.workers) as pool:
            list(pool.map(write, todo))
        writer.finish(True)
    except InputError as e:
        print(str(e), file=sys.stderr)
        return 2
    print(json.dumps({"written": len(todo)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
