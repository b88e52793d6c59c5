"""An adaptive concurrency limit and the request counters the report shows.

The limiter starts at the worker count. A 429 (rate limited) halves it, at most once per
short interval so that one burst of 429s from many threads counts as one signal; a run of
successes lets it grow back by one. It is AIMD, the scheme TCP uses, because it converges on
what the cluster tolerates without us knowing its limit.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

__all__ = ["AdaptiveLimiter", "HttpStats"]


class AdaptiveLimiter:
    """A semaphore whose size shrinks on throttling and grows back on success."""

    #: minimum seconds between two halvings
    SHRINK_INTERVAL = 0.25

    def __init__(self, maximum: int) -> None:
        self.maximum = max(1, int(maximum))
        self.limit = self.maximum
        self.lowest = self.maximum
        self.shrinks = 0
        self._inflight = 0
        self._successes = 0
        self._last_shrink = 0.0
        self._cond = threading.Condition()

    def __enter__(self) -> "AdaptiveLimiter":
        with self._cond:
            while self._inflight >= self.limit:
                self._cond.wait()
            self._inflight += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._inflight -= 1
            self._cond.notify()

    def throttled(self) -> None:
        """The cluster said 429: halve the limit (once per interval)."""
        with self._cond:
            now = time.monotonic()
            if now - self._last_shrink < self.SHRINK_INTERVAL:
                return
            self._last_shrink = now
            self.limit = max(1, self.limit // 2)
            self.lowest = min(self.lowest, self.limit)
            self.shrinks += 1
            self._successes = 0

    def succeeded(self) -> None:
        """A request went through: after ``2 × limit`` successes in a row, allow one more."""
        with self._cond:
            if self.limit >= self.maximum:
                return
            self._successes += 1
            if self._successes >= 2 * self.limit:
                self.limit += 1
                self._successes = 0
                self._cond.notify()


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
            out["concurrency"] = {
                "max": limiter.maximum,
                "lowest": limiter.lowest,
                "final": limiter.limit,
                "shrinks": limiter.shrinks,
            }
        return out
