"""Progress reporting: a bar on a terminal, occasional plain lines in logs, nothing with ``-q``.

All output goes to stderr so that stdout stays clean for ``--json`` and the plan. Failures and
retry passes are always shown (even with ``-q``): a run never fails silently. Message lines are
also logged (logger ``scmigrate.run``), so that ``--log-file`` keeps them; the handler on stderr
leaves them out, as they are already shown there (see :data:`SHOWN`).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import TextIO

__all__ = ["SHOWN", "Progress", "make_progress"]

#: the attribute set on the log records of lines already written to the progress stream
SHOWN = "scmigrate_shown"
_LOG = logging.getLogger("scmigrate.run")


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"


class Progress:
    """Counts items and bytes; ``mode`` is ``"bar"`` (terminal), ``"log"`` (plain lines) or ``"quiet"``."""

    def __init__(self, mode: str = "log", stream: TextIO | None = None, interval: float | None = None) -> None:
        self.mode = mode
        self.stream = stream or sys.stderr
        self.interval = interval if interval is not None else (0.1 if mode == "bar" else 10.0)
        self.total_items: int | None = None
        self.total_bytes: int | None = None
        self.items = 0
        self.bytes = 0
        self._start = time.monotonic()
        self._last = 0.0
        self._lock = threading.Lock()
        self._bar_shown = False

    def start(self, total_items: int | None, total_bytes: int | None) -> None:
        with self._lock:
            self.total_items, self.total_bytes = total_items, total_bytes
            self._start = self._last = time.monotonic()

    def advance(self, items: int = 1, nbytes: int = 0) -> None:
        with self._lock:
            self.items += items
            self.bytes += nbytes
            now = time.monotonic()
            if self.mode != "quiet" and now - self._last >= self.interval:
                self._last = now
                self._render(final=False)

    def line(self) -> str:
        """The status text: items, bytes, rate and ETA."""
        elapsed = max(time.monotonic() - self._start, 1e-6)
        rate = self.items / elapsed
        total = f"/{self.total_items}" if self.total_items else ""
        pct = f"{100 * self.items / self.total_items:3.0f}% " if self.total_items else ""
        eta = None
        if self.total_items and rate > 0:
            eta = max(self.total_items - self.items, 0) / rate
        return (
            f"{pct}{self.items}{total} items, {_size(self.bytes)} "
            f"({rate:.1f} items/s, {_size(self.bytes / elapsed)}/s), ETA {_eta(eta)}"
        )

    def _render(self, final: bool) -> None:
        if self.mode == "bar":
            width = 24
            done = int(width * self.items / self.total_items) if self.total_items else 0
            bar = "#" * min(done, width) + "-" * (width - min(done, width))
            self.stream.write(f"\r[{bar}] {self.line()}\x1b[K" + ("\n" if final else ""))
            self._bar_shown = not final
        else:
            self.stream.write(f"progress: {self.line()}\n")
        self.stream.flush()

    def log(self, message: str, important: bool = False) -> None:
        """A message line (kept above the bar); ``important`` ones show even with ``-q``."""
        _LOG.log(logging.WARNING if important else logging.INFO, message, extra={SHOWN: True})
        if self.mode == "quiet" and not important:
            return
        with self._lock:
            if self._bar_shown:
                self.stream.write("\r\x1b[K")
                self._bar_shown = False
            self.stream.write(message + "\n")
            self.stream.flush()

    def close(self, render: bool = True) -> None:
        """End the display: the final status line, or (``render=False``) nothing, the bar wiped."""
        with self._lock:
            if self.mode == "quiet":
                return
            if render:
                self._render(final=True)
            elif self._bar_shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self._bar_shown = False


def make_progress(quiet: bool = False, stream: TextIO | None = None, *, bar: bool | None = None,
                  interval: float | None = None) -> Progress:
    """A bar when stderr is a terminal, plain occasional lines otherwise, silence with ``quiet``.

    ``bar=True`` (``-P/--progress``) shows the bar on any stream; ``interval`` (``--stats N``) is the
    seconds between plain lines (default 10; the bar redraws every 0.1 s).
    """
    stream = stream or sys.stderr
    if quiet:
        return Progress("quiet", stream)
    if bar is None:
        bar = bool(getattr(stream, "isatty", lambda: False)())
    return Progress("bar" if bar else "log", stream, None if bar else interval)
