"""Small rendering helpers shared by the commands."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["echo_json", "size", "table"]


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
