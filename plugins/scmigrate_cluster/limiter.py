"""The concurrency limit of one cluster connection, and the request counters the report shows.

Every request to a cluster takes a permit from one :class:`AdaptiveLimiter`, whatever stream it
belongs to (media, annotations, frames, settings), so the limit is the connection's, not a
thread's. Two modes:

- **fixed** (``--workers N``): the limit is N. A 429 halves it, at most once per short
  interval so that one burst of 429s from many threads counts as one signal, and a run of
  successes lets it grow back by one, never above N.
- **automatic** (no ``--workers``): it starts at ``start`` (8) and looks for its own level up to
  ``maximum`` (32). Completed requests are judged in windows of about ``2 × limit`` requests. A
  window in which every permit was in use (the demand was there) grows the limit while the median
  latency of the last three windows stays within twice the lowest seen: by half while the limit
  is still looking for its level (*slow start*), by a quarter after. A growth's window starts when
  its new permits are all taken (the climb to them is not the new level's throughput) and is
  twice as long; it checks that the throughput rose with the limit against the old level's
  smoothed throughput (by a quarter of the step's size, a tenth in the slow start), else the step
  is undone, held for a while, and the slow start is over.
  Latency that has tripled, or server errors (5xx, timeouts, dropped connections), take a quarter
  off, never below ``start``, and end the slow start too; the level they left is regained by
  halves once the latency holds again, since on a loaded client machine a few slow windows may be
  the client's own. A 429 halves the limit as in the fixed mode, with no quick way back. Adding
  concurrency to a server that is already busy only lengthens its queue: the throughput stops
  rising and the latency grows.

It is AIMD with a slow start, the scheme TCP uses, because it converges on what the cluster
tolerates without us knowing its limit, and the slow start gets there in four steps rather than
seven (a transfer of a few thousand items lasts ten or twenty seconds; a step, two windows or so).
``clock`` is injectable so that the tests can drive it deterministically.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

__all__ = ["AdaptiveLimiter", "HttpStats", "AUTO_START", "AUTO_MAXIMUM"]

#: where an automatic limit starts (what ``--workers`` defaulted to before it adapted)
AUTO_START = 8
#: the ceiling of an automatic limit (the engine runs this many threads when ``--workers`` is not given)
AUTO_MAXIMUM = 32



class AdaptiveLimiter:
    """A semaphore whose size follows what the cluster answers (see the module docstring)."""

    #: minimum seconds between two halvings
    SHRINK_INTERVAL = 0.25
    #: a window closes after at least this many completed requests (and ``2 × limit`` of them) ...
    WINDOW_MIN_REQUESTS = 16
    #: ... and at least this many seconds
    WINDOW_MIN_SECONDS = 0.1
    #: grow while the window's median latency is below this multiple of the lowest seen
    GROW_BELOW = 2.0
    #: back off when it is above this multiple (a client on a busy machine sees its own scheduling
    #: delays as latency too: a lower threshold would back off because of its neighbours)
    BACK_OFF_ABOVE = 3.0
    #: a growth that raised the throughput by less than this fraction of its own size did not pay ...
    MIN_GAIN = 0.25
    #: ... or, in the slow start, this fraction: far below its level, a step of half the limit that
    #: gains little is more often a noisy window than a full server (which gains nothing), and undoing
    #: it ends the slow start: the run then climbs by quarters, a second or so per step
    SLOW_START_MIN_GAIN = 0.1
    #: windows to wait, after a growth that did not pay, before probing again
    HOLD_WINDOWS = 8
    #: the growth of one step in the slow start, as a fraction of the limit (after it: a quarter)
    SLOW_START_STEP = 0.5

    def __init__(self, maximum: int, start: int | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.maximum = max(1, int(maximum))
        self.adaptive = start is not None and int(start) < self.maximum
        self.start = self.maximum if start is None else max(1, min(int(start), self.maximum))
        self.limit = self.start
        self.lowest = self.limit
        self.highest = self.limit
        self.shrinks = 0  # halvings on 429
        self.backoffs = 0  # automatic mode: quarters taken off for latency or server errors
        self._clock = clock
        self._inflight = 0
        self._successes = 0
        self._last_shrink = -1e9
        self._cond = threading.Condition()
        # the current window (automatic mode)
        self._win_start = clock()
        self._win_latencies: list[float] = []
        self._win_errors = 0
        self._win_full = False  # every permit was taken at some point
        self._baseline: float | None = None  # the lowest window median latency, drifting up slowly
        self._recent: deque[float] = deque(maxlen=3)  # the last windows' median latencies
        self._recover_to = 0  # the level a back-off left: regained at the slow start's pace
        self._grew_from: tuple[int, float] | None = None  # the level before the last growth, its throughput
        self._throughput: float | None = None  # the window throughputs at the current limit, smoothed
        self._settling = False  # a growth whose new permits are not all taken yet (its window waits)
        self._slow_start = self.adaptive
        self._hold = 0

    # ------------------------------------------------------------------ permits

    def acquire(self) -> float:
        """Wait for a permit; the clock's reading when it was granted (give it to :meth:`release`)."""
        with self._cond:
            while self._inflight >= self.limit:
                self._cond.wait()
            self._inflight += 1
            if self._inflight >= self.limit:
                if self._settling:
                    # the level the last growth set is reached: its window starts now, not with the
                    # climb to it, else the climb would count as the new level's throughput
                    self._settling = False
                    self._reset_window(self._clock())
                self._win_full = True
            return self._clock()

    def release(self, started: float, status: int) -> None:
        """Give the permit back. ``status``: the HTTP status, or 0 when no answer came (timeout, drop)."""
        with self._cond:
            self._inflight -= 1
            if status == 429:
                self._throttled()
            elif status >= 500 or status == 0:
                if self.adaptive:
                    self._win_errors += 1
            else:
                self._succeeded(self._clock() - started)
            if self.adaptive:
                self._maybe_judge()
            # one permit came back: wake one waiter (a larger limit wakes them all, in _set); waking
            # every waiting thread on every answer costs real CPU with 32 threads and 8 permits
            self._cond.notify()

    def __enter__(self) -> AdaptiveLimiter:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._inflight -= 1
            self._cond.notify()

    # ------------------------------------------------------------------ signals

    def throttled(self) -> None:
        """The cluster said 429: halve the limit (once per interval)."""
        with self._cond:
            self._throttled()

    def succeeded(self) -> None:
        """A request went through (fixed mode: after ``2 × limit`` in a row, allow one more)."""
        with self._cond:
            self._succeeded(None)

    def _throttled(self) -> None:
        now = self._clock()
        if now - self._last_shrink < self.SHRINK_INTERVAL:
            return
        self._last_shrink = now
        self._set(max(1, self.limit // 2))
        self.shrinks += 1
        self._successes = 0
        self._reset_window(now)
        self._grew_from = None
        self._settling = self._slow_start = False
        self._recover_to = 0  # the cluster said how much is too much: no quick way back

    def _succeeded(self, latency: float | None) -> None:
        if self.adaptive:
            if latency is not None:
                self._win_latencies.append(latency)
            return
        if self.limit >= self.maximum:
            return
        self._successes += 1
        if self._successes >= 2 * self.limit:
            self._set(self.limit + 1)
            self._successes = 0

    # ------------------------------------------------------------------ automatic mode

    def _maybe_judge(self) -> None:
        now = self._clock()
        done = len(self._win_latencies) + self._win_errors
        # the window that checks a growth is twice as long: one short window's throughput is noisy (a
        # client on a busy machine is now and then held up as a whole), and the verdict holds for a while
        span = 2 if self._grew_from is not None else 1
        if (done < span * max(self.WINDOW_MIN_REQUESTS, 2 * self.limit)
                or now - self._win_start < span * self.WINDOW_MIN_SECONDS):
            return
        latency = statistics.median(self._win_latencies) if self._win_latencies else None
        throughput = len(self._win_latencies) / max(1e-9, now - self._win_start)
        errors, full = self._win_errors, self._win_full
        self._reset_window(now)
        if latency is not None:
            # the lowest median seen, allowed to drift up 1 % a window so that an old minimum is forgotten;
            # judged against the median of the last three windows, so that a window in which the machine
            # was busy elsewhere (the client's own threads waiting for a core look like latency, and on a
            # loaded machine such a window can show ten times the latency) does not count as a trend
            self._baseline = latency if self._baseline is None else min(latency, self._baseline * 1.01)
            self._recent.append(latency)
        if errors:
            self._back_off()
            return
        if not self._recent or self._baseline is None:
            return
        ratio = statistics.median(self._recent) / self._baseline
        if ratio > self.BACK_OFF_ABOVE:
            self._back_off()
            return
        if self._grew_from is not None:
            # this window ran at the level the last window grew to: did the extra permits carry more?
            old_limit, old_tput = self._grew_from
            self._grew_from = None
            expected = self.limit / old_limit - 1
            # (still settling: the new permits were never all taken, so the demand was not there)
            gain = self.SLOW_START_MIN_GAIN if self._slow_start else self.MIN_GAIN
            if self._settling or not full or throughput < old_tput * (1 + gain * expected):
                self._set(old_limit)
                self._hold = self.HOLD_WINDOWS
                self._settling = self._slow_start = False
                self._recover_to = 0
                return
        # judged against the level's smoothed throughput, not its last window's alone
        level = self._throughput = throughput if self._throughput is None else 0.5 * (self._throughput + throughput)
        if self._hold:
            self._hold -= 1
            return
        if full and ratio < self.GROW_BELOW and self.limit < self.maximum:
            self._grew_from = (self.limit, level)
            self._settling = True
            if self._slow_start or self.limit < self._recover_to:
                # looking for the level, or regaining the one a back-off left (the cause may have been
                # a moment's load on the client's machine): at the slow start's pace, not the probe's
                ceiling = self.maximum if self._slow_start else self._recover_to
                grown = min(ceiling, self.limit + max(1, int(self.limit * self.SLOW_START_STEP)))
            else:
                grown = min(self.maximum, self.limit + max(1, self.limit // 4))
            if grown >= self._recover_to:
                self._recover_to = 0  # regained: growing further is a probe again
            self._set(grown)

    def _back_off(self) -> None:
        new = max(self.start, self.limit - max(1, self.limit // 4))
        self._recover_to = max(self._recover_to, self.limit)
        self._grew_from = None
        self._settling = self._slow_start = False
        if new < self.limit:
            self._set(new)
            self.backoffs += 1

    def _reset_window(self, now: float) -> None:
        self._win_start = now
        self._win_latencies = []
        self._win_errors = 0
        self._win_full = self._inflight >= self.limit

    def _set(self, limit: int) -> None:
        if limit != self.limit:
            self._throughput = None
        self.limit = limit
        self.lowest = min(self.lowest, limit)
        self.highest = max(self.highest, limit)
        self._cond.notify_all()

    def to_dict(self) -> dict[str, Any]:
        """What the report shows under ``concurrency``."""
        return {
            "mode": "auto" if self.adaptive else "fixed",
            "start": self.start,
            "max": self.maximum,
            "lowest": self.lowest,
            "highest": self.highest,
            "final": self.limit,
            "shrinks": self.shrinks,
            "backoffs": self.backoffs,
        }


class HttpStats:
    """Thread-safe counters of requests, retries by reason and recovered uploads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.retries: Counter[str] = Counter()
        self.unknown_outcomes = 0
        self.recovered = 0
        self.bytes_sent = 0
        self.bytes_received = 0

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def retry(self, reason: str) -> None:
        with self._lock:
            self.retries[reason] += 1

    def to_dict(self, limiter: AdaptiveLimiter | None = None) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {
                "requests": self.requests,
                "retries": dict(self.retries),
                "retries_total": sum(self.retries.values()),
                "posts_with_unknown_outcome": self.unknown_outcomes,
                "posts_found_on_cluster": self.recovered,
                "bytes_sent": self.bytes_sent,
                "bytes_received": self.bytes_received,
            }
        if limiter is not None:
            out["concurrency"] = limiter.to_dict()
        return out
