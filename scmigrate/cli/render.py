"""Small rendering helpers shared by the commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["echo_json", "make_cli_progress", "progress_options", "size", "table"]

F = TypeVar("F", bound=Callable[..., Any])


def progress_options(fn: F) -> F:
    """``-P/--progress`` and ``--stats N``, as rclone has them, for the commands that show progress."""
    fn = click.option("--stats", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
                      help="Seconds between the progress lines when there is no terminal (default 10).")(fn)
    return click.option("-P", "--progress", is_flag=True,
                        help="Show the live progress bar even when standard error is not a terminal.")(fn)


def make_cli_progress(quiet: bool, bar: bool, stats: float | None) -> Any:
    """The progress display the flags ask for (``-q`` wins over ``-P``)."""
    from ..engine import make_progress

    return make_progress(quiet=quiet, bar=True if bar else None, interval=stats)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def size(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"


def table(rows: list[list[str]], header: list[str] | None = None) -> str:
    """Left-aligned columns separated by two spaces."""
    allrows = ([header] if header else []) + rows
    if not allrows:
        return ""
    widths = [max(len(r[i]) for r in allrows) for i in range(len(allrows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in allrows)
