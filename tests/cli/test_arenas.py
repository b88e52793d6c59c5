"""The CLI caps glibc's malloc arenas (scmigrate.cli.arenas): threads share them instead of one each."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")

_PROGRAM = textwrap.dedent("""
    import ctypes, sys, threading
    from scmigrate.cli.arenas import limit_malloc_arenas
    if sys.argv[1] == "capped":
        assert limit_malloc_arenas()
    def work():  # > 512 bytes: past Python's own allocator, from the thread's malloc arena
        kept = [bytes(1000 + i) for i in range(2000)]
        barrier.wait()
    barrier = threading.Barrier(8)
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    libc = ctypes.CDLL("libc.so.6")
    libc.fdopen.restype = ctypes.c_void_p
    out = ctypes.c_void_p(libc.fdopen(1, b"w"))
    libc.malloc_info(0, out)
    libc.fflush(out)
""")


def _arenas(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    out = subprocess.run([sys.executable, "-c", _PROGRAM, mode], env=env, capture_output=True, text=True,
                         check=True).stdout
    return out.count("<heap nr=")


def test_threads_share_the_capped_arenas():
    assert _arenas("default") > 2  # glibc's own rule: a new arena for each new thread (up to 8 per core)
    assert _arenas("capped") <= 2
