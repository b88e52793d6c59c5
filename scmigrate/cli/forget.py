"""``scmigrate forget repo:PATH --keep-...`` and ``scmigrate prune repo:PATH``: retention of a repository.

Both hold the repository's lock (the one every backup into it holds), so a prune never removes
a blob that a running backup has stored and will name in its snapshot. ``-n`` only shows what
would go, and takes no lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import click

from .render import size, table
from .snapshots import repository_source

__all__ = ["command", "prune_command"]

_PERIODS = ("last", "hourly", "daily", "weekly", "monthly", "yearly")


@contextlib.contextmanager
def _locked(location: str, dry_run: bool, no_lock: bool) -> Iterator[None]:
    from ..api import RunOptions
    from ..engine.locks import lock_at
    from .options import registry

    if dry_run or no_lock:
        yield
        return
    sink: Any = registry().resolve_sink(location)  # repository_source(location) said it is repo:
    with lock_at(sink.lock_file(location, RunOptions()), location):
        yield


def _prune(location: str, dry_run: bool, forgotten: frozenset[str] = frozenset()) -> None:
    result = repository_source(location).prune(location, dry_run, forgotten)
    verb = "would remove" if dry_run else "removed"
    for blob in result["unused"] if dry_run else []:
        click.echo(f"remove {blob}")
    click.echo(f"{verb} {len(result['unused'])} unused blob(s), {size(result['bytes'])}; "
               f"{result['referenced']} referenced blob(s) kept", err=True)


def _lock_option(f: Any) -> Any:
    return click.option("--no-lock", is_flag=True,
                        help="Do not take the repository's lock: only when no backup runs into it.")(f)


@click.command("forget")
@click.argument("location")
@click.option("--project", help="Only the snapshots of this project (default: every project, each on its own).")
@click.option("--keep-last", type=click.IntRange(min=0), default=0, help="Keep the N newest snapshots.")
@click.option("--keep-hourly", type=click.IntRange(min=0), default=0, help="The newest of each of the last N hours.")
@click.option("--keep-daily", type=click.IntRange(min=0), default=0, help="The newest of each of the last N days.")
@click.option("--keep-weekly", type=click.IntRange(min=0), default=0, help="The newest of each of the last N weeks.")
@click.option("--keep-monthly", type=click.IntRange(min=0), default=0, help="The newest of each of the last N months.")
@click.option("--keep-yearly", type=click.IntRange(min=0), default=0, help="The newest of each of the last N years.")
@click.option("--prune", "then_prune", is_flag=True, help="Then remove the blobs no snapshot refers to any more.")
@click.option("-n", "--dry-run", is_flag=True, help="Show what would be forgotten (and pruned); change nothing.")
@_lock_option
def command(location: str, project: str | None, then_prune: bool, dry_run: bool, no_lock: bool, **keeps: int) -> int:
    """Forget the snapshots of LOCATION (repo:PATH) that no --keep-* policy keeps (restic's rules, per project)."""
    keep = {name: keeps[f"keep_{name}"] for name in _PERIODS}
    src = repository_source(location)
    with _locked(location, dry_run, no_lock):
        decisions = src.forget(location, keep, project, dry_run)
        rows = [[d["id"][:8], d["time"].split(".")[0].replace("T", " "), d["project"],
                 "keep" if d["keep"] else ("would forget" if dry_run else "forgotten"), ", ".join(d["reasons"])]
                for d in decisions]
        click.echo(table(rows, ["ID", "TIME (UTC)", "PROJECT", "", "KEPT BY"]))
        gone = sum(not d["keep"] for d in decisions)
        click.echo(f"{'would forget' if dry_run else 'forgot'} {gone} of {len(decisions)} snapshot(s)", err=True)
        if then_prune:  # a dry run prunes as if the forgotten snapshots were gone
            _prune(location, dry_run, frozenset(d["id"] for d in decisions if not d["keep"]))
    return 0


@click.command("prune")
@click.argument("location")
@click.option("-n", "--dry-run", is_flag=True, help="List the blobs that would be removed; remove nothing.")
@_lock_option
def prune_command(location: str, dry_run: bool, no_lock: bool) -> int:
    """Remove the blobs of LOCATION (repo:PATH) that no snapshot (nor an unfinished backup) refers to."""
    repository_source(location)
    with _locked(location, dry_run, no_lock):
        _prune(location, dry_run)
    return 0
