"""Cap glibc's malloc arenas for the CLI process: its memory then stays flat as its threads multiply.

glibc gives each thread that meets a locked arena a new one (up to 8 per core), and an arena keeps
the pages freed into it. A run's threads (uploads, downloads, listing pages, hashing) grow with the
concurrency the adaptive limit reaches, so a longer run held more arenas and a higher peak RSS for the
same work (backup of 10,000 small images: 90 MB with the default, 63 MB with two arenas;
benchmarks/README.md, "Scale"). The threads mostly wait on sockets under the GIL, so they rarely
contend for an arena. ``MALLOC_ARENA_MAX`` in the environment, read by glibc at start, still wins.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["ARENAS", "limit_malloc_arenas"]

#: arenas the process may use: the main one and one shared by the threads
ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap the arenas threads started from now on may create; False where there is no glibc to ask."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        # the process's own symbols, libc's among them: ctypes.util's search for the library
        # (and the subprocess module it imports) cost ~10 ms of every command's start-up
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt, and no per-thread arenas to cap
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))
