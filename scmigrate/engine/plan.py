"""What happens before items flow: the converter's survey and the ``--dry-run`` plan."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from ..api import ConversionLog, Converter, Reader, RunOptions, Sink, Source
from ..model import Item, Project
from .conversion import convert_item, tally
from .journal import Journal, journal_path
from .selection import Selection

__all__ = ["plan", "survey"]


def survey(converter: Converter, reader: Reader, selection: Selection, selected: Project, remote: bool) -> None:
    """Show a converter that asks for it every selected scene once, before it builds the target.

    Not for remote sources (those that hold several projects, i.e. clusters) whose annotations
    load lazily: that would fetch every annotation twice, and a converter without a survey falls
    back to a choice that loses nothing.
    """
    items = iter(reader.items())
    first = next(items, None)
    if first is None or (remote and first.load is not None):
        return

    def scenes() -> Iterator[Any]:
        for item in itertools.chain([first], items):
            if remote and item.load is not None:
                continue
            chosen = selection.apply(item.resolve())
            if chosen is not None:
                yield from chosen.scenes or []

    converter.survey(selected, scenes())


def plan(
    source: str, sink: str, src: Source, snk: Sink, reader: Reader, project: Project, selected: Project,
    target: Project, selection: Selection, converter: Converter | None, options: RunOptions,
) -> list[str]:
    """What ``--dry-run`` prints: everything the run would do, nothing written."""
    lines = [f"from: {source} ({src.name})", f"to:   {sink} ({snk.name})"]
    lines.append(f"project: {project.name!r} ({project.project_type or 'no task'}) → {target.name!r}")
    lines.append("pipeline: " + " → ".join(f"{t.title} [{t.task_type}]" for t in target.tasks))
    for task in target.trainable_tasks:
        names = [lb.name + (" (empty)" if lb.is_empty else "") for lb in task.labels]
        lines.append(f"labels of {task.title}: {', '.join(names) or 'none'}")
    hint = reader.size_hint()
    lines.append(
        "source holds: "
        + ", ".join(
            f"{v if v is not None else '?'} {k}"
            for k, v in (("items", hint.items), ("images", hint.images), ("videos", hint.videos))
        )
        + (f", {hint.bytes / 1e6:.1f} MB" if hint.bytes is not None else "")
    )
    lines += selection.describe(project)
    lines += [f"note: {n}" for n in reader.notes()]
    if converter is not None:
        lines.append(f"conversion: {converter.name}")
        lines += [f"  {p}" for p in converter.plan(selected, target)]
        lines += _predict_losses(reader, selection, converter, selected, target, options, remote=src.selects_project)
    else:
        lines.append("conversion: none (the project is copied as it is)")
    if options.max_items:
        lines.append(f"at most {options.max_items} items")
    lines += _count_selection(reader, selection, options, remote=src.selects_project)
    if options.resume:
        jr = Journal(journal_path(sink, target.name))
        if not jr.load():
            lines.append("resume: no journal found; items the target already holds would be skipped")
        elif (jr.source, jr.project) != (source, target.name):
            lines.append(f"resume: refused: the journal {jr.path} is of a run from {jr.source!r} to project "
                         f"{jr.project!r}")
        else:
            lines.append(f"resume: {len(jr.keys)} items already done would be skipped ({jr.path})")
    lines.append("dry run: nothing was written")
    return lines


def _count_selection(reader: Reader, selection: Selection, options: RunOptions, remote: bool) -> list[str]:
    """Count what would move and what would be skipped (not for remote sources: too slow)."""
    if selection.keep is None and not options.max_items:
        return []
    kept = dropped = 0
    for item in _iter(reader.items()):
        if remote and item.load is not None:
            return ["(items counted at run time: this source loads annotations remotely)"]
        if selection.apply(item.resolve()) is None:
            dropped += 1
        else:
            kept += 1
            if options.max_items and kept >= options.max_items:
                break
    return [f"would move {kept} items; would skip {dropped} without a selected label"]


def _predict_losses(reader: Reader, selection: Selection, converter: Converter, selected: Project,
                    target: Project, options: RunOptions, remote: bool) -> list[str]:
    """Convert every item that would move, as the run will, and say what that drops and what ``--strict`` fails.

    Not for remote sources whose annotations load lazily (a cluster's): reading them all would be
    the run's work; the plan says so instead.
    """
    log = ConversionLog()
    moved = failing = 0
    for item in _iter(reader.items()):
        if remote and item.load is not None:
            return ["losses: counted as items are read (this source loads annotations remotely); "
                    "--strict fails each item whose conversion drops anything"]
        chosen = selection.apply(item.resolve())
        if chosen is None:
            continue
        moved += 1
        _, ilog = convert_item(converter, chosen, selected, target)
        failing += bool(ilog.drops)
        log.merge(ilog)
        if options.max_items and moved >= options.max_items:
            break
    if not log.drops:
        return ["conversion would drop nothing"]
    strict = f"--strict would fail {failing} of {moved} items"
    return [f"conversion would drop: {tally(dict(log.drops))}",
            strict + (" (it is given: the run would fail them)" if options.strict else "")]


def _iter(items: Iterable[Item]) -> Iterator[Item]:
    yield from items
