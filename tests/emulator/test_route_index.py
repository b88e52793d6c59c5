"""RouteIndex (sc_emulator.web) finds the route Starlette's own in-order scan would find."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.routing import Match

from sc_emulator.app import Settings, create_app
from sc_emulator.web import RouteIndex


def _scan(routes: list[Any], scope: dict[str, Any]) -> tuple[Match, Any]:
    """What Starlette's router does: the first full match, else the first partial one."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return match, route
        if match == Match.PARTIAL and partial is None:
            partial = route
    return (Match.PARTIAL, partial) if partial is not None else (Match.NONE, None)


def _index(tmp_path, dialect: str) -> RouteIndex:
    if dialect == "geti3":
        from sc_emulator.geti3.app import Geti3Settings, build_app

        app: Any = build_app(Geti3Settings(data_dir=tmp_path))
    else:
        app = create_app(Settings(data_dir=tmp_path, dialect=dialect))
    while not hasattr(app, "router"):
        app = app.app
    [index] = app.router.routes
    assert isinstance(index, RouteIndex)
    return index


def _paths(routes: list[Any]) -> list[str]:
    out = []
    for route in routes:
        for value in ("0123456789abcdef01234567", "12", "names", "a/b"):
            out.append(re.sub(r"\{[^}]+\}", value, route.path))
        out += [route.path.rstrip("/") + "/", route.path + "/extra"]
    return out + ["/", "/nothing/here", "/api/v1/unknown"]


@pytest.mark.parametrize("dialect", ["geti2", "sc1", "geti1.14", "geti3"])
def test_the_index_finds_the_route_an_in_order_scan_finds(tmp_path, dialect):
    index = _index(tmp_path, dialect)
    checked = 0
    for path in _paths(index.routes):
        for method in ("GET", "POST", "PUT", "DELETE"):
            scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
            match, route, _ = index.lookup(scope)
            assert (match, route) == _scan(index.routes, scope), (method, path)
            checked += match != Match.NONE
    assert checked > len(index.routes)  # most of the made-up paths reach a route
