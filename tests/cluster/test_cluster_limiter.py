"""The automatic concurrency limit, driven deterministically: a fake clock and a simulated server.

The server model is the usual one for a service with a fixed capacity: up to ``capacity``
requests at once each take ``base`` seconds; beyond that they queue, so the throughput stays at
``capacity / base`` and the latency grows in proportion to the excess. Each round takes every
permit the limiter grants, lets the clock run for one latency and answers them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scmigrate_cluster.limiter import AUTO_MAXIMUM, AUTO_START, AdaptiveLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Server:
    capacity: int = 1000
    base: float = 0.02
    status: int = 200

    def latency(self, n: int) -> float:
        return self.base * max(1.0, n / self.capacity)


def drive(lim: AdaptiveLimiter, clock: Clock, server: Server, rounds: int, demand: int | None = None) -> list[int]:
    """Run ``rounds`` rounds; the limit after each."""
    seen = []
    for _ in range(rounds):
        n = lim.limit if demand is None else min(demand, lim.limit)
        started = [lim.acquire() for _ in range(n)]
        clock.now += server.latency(n)
        for t in started:
            lim.release(t, server.status)
        seen.append(lim.limit)
    return seen


def auto(clock: Clock) -> AdaptiveLimiter:
    return AdaptiveLimiter(AUTO_MAXIMUM, start=AUTO_START, clock=clock)


def test_grows_from_the_start_to_the_ceiling_while_the_latency_holds() -> None:
    clock = Clock()
    lim = auto(clock)
    assert lim.limit == 8 and lim.adaptive
    seen = drive(lim, clock, Server(), 200)
    assert max(seen) == 32 and seen[-1] == 32  # the ceiling, never above
    assert seen == sorted(seen)  # only upwards: nothing ever said "too much"
    assert lim.to_dict() == {"mode": "auto", "start": 8, "max": 32, "lowest": 8, "highest": 32, "final": 32,
                             "shrinks": 0, "backoffs": 0}


def test_stops_where_more_concurrency_no_longer_raises_the_throughput() -> None:
    clock = Clock()
    lim = auto(clock)
    seen = drive(lim, clock, Server(capacity=16), 600)
    assert max(seen) > 16  # it probed past the capacity ...
    assert max(seen) < AUTO_MAXIMUM  # ... but did not run to the ceiling, where only the queue grows
    late = seen[300:]
    assert min(late) >= 16 and sum(late) / len(late) <= 20  # and it spends its time near the capacity


def test_growing_latency_backs_off_to_the_start_and_no_lower() -> None:
    clock = Clock()
    lim = auto(clock)
    server = Server()
    drive(lim, clock, server, 200)
    assert lim.limit == 32
    server.base = 0.08  # the cluster became four times slower (another tenant, a busy database)
    seen = drive(lim, clock, server, 100)
    assert min(seen) == AUTO_START and lim.lowest == AUTO_START
    assert lim.backoffs >= 3 and lim.shrinks == 0


def test_server_errors_back_off_and_a_429_halves_below_the_start() -> None:
    clock = Clock()
    lim = auto(clock)
    server = Server()
    drive(lim, clock, server, 200)
    server.status = 503
    drive(lim, clock, server, 100)
    assert lim.limit == AUTO_START and lim.backoffs >= 3
    server.status = 429
    drive(lim, clock, server, 1)
    assert lim.limit == AUTO_START // 2 and lim.shrinks == 1  # the cluster asked: below the start too
    server.status = 200
    seen = drive(lim, clock, server, 300)
    assert seen[-1] == AUTO_MAXIMUM  # and it finds its way up again once the cluster answers


def test_no_growth_without_demand() -> None:
    clock = Clock()
    lim = auto(clock)
    seen = drive(lim, clock, Server(), 200, demand=5)  # only 5 requests at a time to make
    assert set(seen) == {AUTO_START}


def test_a_fixed_limit_never_grows_and_ignores_latency() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(16, clock=clock)
    server = Server()
    assert not lim.adaptive and drive(lim, clock, server, 100) == [16] * 100
    server.base = 0.2
    assert drive(lim, clock, server, 50) == [16] * 50
    server.status = 503
    assert drive(lim, clock, server, 20) == [16] * 20  # only a 429 lowers a fixed limit
    assert lim.to_dict()["mode"] == "fixed" and lim.backoffs == 0


def levels(seen: list[int]) -> list[int]:
    """The limits in the order they were first taken (a climb without its repeats)."""
    out: list[int] = []
    for n in seen:
        if not out or out[-1] != n:
            out.append(n)
    return out


def test_the_slow_start_grows_by_half_then_probes_by_a_quarter() -> None:
    clock = Clock()
    lim = auto(clock)
    assert levels(drive(lim, clock, Server(), 100)) == [8, 12, 18, 27, 32]
    # where the slow start ended on a growth that did not pay, later probes are by a quarter
    clock = Clock()
    lim = auto(clock)
    seen = levels(drive(lim, clock, Server(capacity=12), 400))
    assert seen[:4] == [8, 12, 18, 12]  # 18 carried no more than 12 did: undone
    assert set(seen[4:]) == {12, 15}  # probed again after each hold, by a quarter: 12 + 12 // 4, undone


def test_one_window_of_a_stalled_client_is_not_a_trend() -> None:
    clock = Clock()
    lim = auto(clock)
    server = Server()
    drive(lim, clock, server, 100)
    assert lim.limit == 32
    server.base = 0.4  # the client's machine was busy elsewhere: twenty times the latency, for one window
    drive(lim, clock, server, 2)
    server.base = 0.02
    assert set(drive(lim, clock, server, 100)) == {32} and lim.backoffs == 0


def test_the_level_a_back_off_left_is_regained_at_the_slow_start_pace() -> None:
    clock = Clock()
    lim = auto(clock)
    server = Server()
    drive(lim, clock, server, 100)
    server.base = 0.08
    drive(lim, clock, server, 100)
    assert lim.limit == AUTO_START and lim.backoffs >= 3
    server.base = 0.02  # the cluster is fast again: back to 32 by halves, not by quarters
    climb = levels(drive(lim, clock, server, 300))
    assert climb[:5] == [8, 12, 18, 27, 32] and climb[-1] == 32


@dataclass
class Diminishing(Server):
    """A server whose throughput still rises past 12 at once, by 15 % for every half more: a busy
    client machine (ours, two cores shared with the emulator) looks like this."""

    def latency(self, n: int) -> float:
        if n <= 12:
            return self.base
        throughput = 12 / self.base * 1.15 ** math.log(n / 12, 1.5)
        return n / throughput


def test_the_slow_start_keeps_a_step_that_gained_clearly_if_less_than_a_quarter() -> None:
    clock = Clock()
    lim = auto(clock)
    climb = levels(drive(lim, clock, Diminishing(), 200))
    # +15 % for +50 % (less than that in a window, which holds some of the climb): kept, where a
    # quarter of the step's size (the rule after the slow start) would have undone it
    assert climb[:5] == [8, 12, 18, 27, 32]
    assert lim.backoffs == 0
