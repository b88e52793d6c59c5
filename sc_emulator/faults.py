"""Test knobs as ASGI middleware: latency, random failures and drops, a rate limit, precise fault plans
and request counters.

All randomness comes from one ``random.Random(seed)``; while a fail or drop rate is set, every counted
request makes the same three draws (fail?, drop?, which status), so a given request sequence always
meets the same faults. Admin
routes (``/_emulator/...``) are never delayed, failed, limited or counted: tests steer through them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ADMIN_PREFIX = "/_emulator"
_ERROR_CODES = {429: "too_many_requests", 500: "internal_server_error", 502: "bad_gateway",
                503: "service_unavailable", 504: "gateway_timeout"}


@dataclass
class Knobs:
    """Run-time adjustable behaviour (CLI flags, ``running()`` arguments, ``PATCH /_emulator/knobs``)."""

    latency_ms: float = 0.0
    fail_rate: float = 0.0
    fail_codes: tuple[int, ...] = (500, 502, 503, 429)
    drop_rate: float = 0.0
    rate_limit: float | None = None  # requests per second per connection
    seed: int = 0
    retry_after: int = 1
    max_upload_bytes: int = int(4.7 * 1024 ** 3)
    session_ttl: float = 8 * 3600.0  # seconds a login session / swapped bearer token lives (login dialects)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fail_codes"] = list(self.fail_codes)
        return data

    def update(self, changes: dict[str, Any]) -> None:
        """Apply changes all or nothing; ValueError names the offending knob."""
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in self.__dataclass_fields__:
                raise ValueError(f"unknown knob {key!r}")
            if key == "fail_codes":
                value = tuple(int(v) for v in value)
                if not value or any(not 400 <= v <= 599 for v in value):
                    raise ValueError("fail_codes must be HTTP error statuses")
            elif key == "rate_limit":
                value = None if value in (None, 0) else float(value)
            elif key in ("fail_rate", "drop_rate"):
                value = float(value)
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{key} must be between 0 and 1")
            elif key in ("seed", "retry_after", "max_upload_bytes"):
                value = int(value)
            else:
                value = float(value)
                if value < 0:
                    raise ValueError(f"{key} cannot be negative")
            checked[key] = value
        for key, value in checked.items():
            setattr(self, key, value)


@dataclass
class FaultPlan:
    """Fail (or drop) the ``nth`` .. ``nth + times - 1`` requests matching ``method`` and ``path`` (regex).

    ``when`` says whether the request is processed first: a fail ``before`` (the default for fails) never
    reaches the service; a fail ``after`` is processed and then answered with the error (the "HTTP 500 but it
    was stored" case); a drop ``after`` (the default for drops) cuts the answer of a processed request."""

    id: int
    method: str
    path: str
    nth: int = 1
    times: int = 1
    action: str = "fail"  # "fail" | "drop"
    status: int = 500
    when: str = "before"
    seen: int = 0
    fired: int = 0
    _regex: Any = field(default=None, repr=False)

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}


class FaultBook:
    """Knobs, plans, counters and the seeded random source shared by the middleware and admin routes."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.initial = Knobs(**asdict(knobs))
        self.rng = random.Random(knobs.seed)
        self.plans: list[FaultPlan] = []
        self._ids = itertools.count(1)
        self.requests: Counter[str] = Counter()
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.windows: dict[Any, tuple[int, int]] = {}
        self.lock = threading.Lock()

    def set_knobs(self, changes: dict[str, Any]) -> None:
        with self.lock:
            self.knobs.update(changes)
            if "seed" in changes:
                self.rng = random.Random(self.knobs.seed)

    def add_plan(self, spec: dict[str, Any]) -> FaultPlan:
        allowed = {"method", "path", "nth", "times", "action", "status", "when"}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown fault plan keys: {sorted(unknown)}")
        plan = FaultPlan(id=next(self._ids), method=str(spec.get("method", "*")).upper(),
                         path=str(spec.get("path", ".*")), nth=int(spec.get("nth", 1)),
                         times=int(spec.get("times", 1)), action=str(spec.get("action", "fail")),
                         status=int(spec.get("status", 500)),
                         when=str(spec.get("when", "after" if spec.get("action") == "drop" else "before")))
        if plan.action not in ("fail", "drop") or plan.when not in ("before", "after"):
            raise ValueError("action must be 'fail' or 'drop' and when 'before' or 'after'")
        if plan.action == "fail" and not 400 <= plan.status <= 599:
            raise ValueError("a failing plan needs an HTTP error status (400-599)")
        if plan.nth < 1 or plan.times < 1:
            raise ValueError("nth and times must be at least 1")
        try:
            plan._regex = re.compile(plan.path)
        except re.error as exc:
            raise ValueError(f"path {plan.path!r} is not a regular expression: {exc}") from None
        with self.lock:
            self.plans.append(plan)
        return plan

    def clear_plans(self) -> None:
        with self.lock:
            self.plans.clear()

    def reset(self) -> None:
        """Back to the start-up knobs, no plans, zero counters, a fresh random sequence."""
        with self.lock:
            self.knobs.__dict__.update(asdict(self.initial))
            self.rng = random.Random(self.knobs.seed)
            self.plans.clear()
            self.requests.clear()
            self.statuses.clear()
            self.windows.clear()

    def counters(self) -> dict[str, Any]:
        with self.lock:
            return {"requests": dict(self.requests),
                    "statuses": {k: {str(s): n for s, n in v.items()} for k, v in self.statuses.items()}}

    def clear_counters(self) -> None:
        with self.lock:
            self.requests.clear()
            self.statuses.clear()

    def decide(self, key: str, method: str, path: str, conn: Any) -> tuple[str, int, str]:
        """The fate of one request: ("pass"|"fail"|"drop"|"limit", status, when)."""
        with self.lock:
            self.requests[key] += 1
            knobs = self.knobs
            if knobs.rate_limit:
                second = int(time.monotonic())
                start, count = self.windows.get(conn, (second, 0))
                if start != second:
                    start, count = second, 0
                count += 1
                if len(self.windows) > 10000:  # forget connections idle for a while
                    self.windows = {k: v for k, v in self.windows.items() if v[0] >= second - 2}
                self.windows[conn] = (start, count)
                if count > knobs.rate_limit:
                    return "limit", 429, "before"
            verdict: tuple[str, int, str] | None = None
            for plan in self.plans:
                if plan.method not in ("*", method) or not plan._regex.search(path):
                    continue
                plan.seen += 1
                if verdict is None and plan.nth <= plan.seen < plan.nth + plan.times:
                    plan.fired += 1
                    verdict = (plan.action, plan.status, plan.when)
            if knobs.fail_rate or knobs.drop_rate:
                fail_draw, drop_draw = self.rng.random(), self.rng.random()
                code = self.rng.choice(knobs.fail_codes)
                if verdict is None and fail_draw < knobs.fail_rate:
                    verdict = ("fail", code, "before")
                elif verdict is None and drop_draw < knobs.drop_rate:
                    verdict = ("drop", 0, "after")
            return verdict or ("pass", 0, "")

    def record_status(self, key: str, status: int) -> None:
        with self.lock:
            self.statuses[key][status] += 1


def route_template(app: Any, scope: Scope) -> str:
    """``"METHOD /path/{template}"`` of the route that will serve this request (or the raw path)."""
    for route in getattr(app, "routes", []):
        if hasattr(route, "lookup"):  # a RouteIndex (sc_emulator.web): the template is its route's
            match, route, _ = route.lookup(scope)
        else:
            match, _ = route.matches(scope)
        if match == Match.FULL:
            return f"{scope['method']} {route.path}"
    return f"{scope['method']} {scope['path']}"


class FaultMiddleware:
    """Applies the :class:`FaultBook` to every non-admin HTTP request."""

    def __init__(self, app: ASGIApp, book: FaultBook, router: Any,
                 error_body: Callable[[int], dict[str, Any]] | None = None) -> None:
        # error_body: the body of an injected error in the served dialect (default: the 2.x services')
        self.app, self.book, self.router = app, book, router
        self.error_body = error_body or _services_error_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        key = route_template(self.router, scope)
        # scope["client"] is the peer (host, port): one TCP connection, hence "per connection".
        action, status, when = self.book.decide(key, scope["method"], scope["path"], tuple(scope.get("client") or ()))
        if self.book.knobs.latency_ms:
            await asyncio.sleep(self.book.knobs.latency_ms / 1000)
        if action in ("fail", "limit") and when == "before":
            await self._fail(send, status)
            self.book.record_status(key, status)
            return
        if action == "drop" and when == "before":
            await _cut(send, None)
            self.book.record_status(key, 0)
            return
        if action == "fail":  # after: the service does the work, the client only hears the error
            async def discard(message: Message) -> None:
                return None

            await self.app(scope, receive, discard)
            await self._fail(send, status)
            self.book.record_status(key, status)
            return
        state = {"status": 0, "cut": False}

        async def watching_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            if action == "drop":
                if state["cut"]:
                    return
                if message["type"] == "http.response.start":
                    state["start"] = message
                    return
                if message["type"] == "http.response.body":
                    state["cut"] = True
                    await _cut(send, state.get("start"), message.get("body", b""))
                    return
            await send(message)

        await self.app(scope, receive, watching_send)
        self.book.record_status(key, 0 if action == "drop" else state["status"])

    async def _fail(self, send: Send, status: int) -> None:
        payload = json.dumps(self.error_body(status)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                   (b"cache-control", b"no-cache")]
        if status in (429, 503):
            headers.append((b"retry-after", str(self.book.knobs.retry_after).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def _services_error_body(status: int) -> dict[str, Any]:
    """An injected error as the SC / Geti 2.x services answer."""
    if status == 500:
        return {"internal_server_error": "Injected fault (sc_emulator fail plan or fail rate)."}
    return {"http_status": status, "message": f"Injected HTTP {status} (sc_emulator test knob).",
            "error_code": _ERROR_CODES.get(status, "injected_fault")}


async def _cut(send: Send, start: Message | None, body: bytes = b"") -> None:
    """Send the headers and at most half the body, then stop: the server closes the connection because
    the announced length was never delivered (uvicorn closes a connection whose response is incomplete)."""
    if start is None:
        start = {"type": "http.response.start", "status": 200,
                 "headers": [(b"content-type", b"application/json")]}
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(max(len(body), 1) + 64).encode()))
    # A 204/304 has no body by definition: clients would take the headers as a complete answer. Announce a
    # body instead, so that the cut is visible as the broken connection it stands for.
    status = 200 if start["status"] in (204, 304) else start["status"]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
