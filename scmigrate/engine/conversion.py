"""One item through the converter, and what a run lost on the way (shown after every run).

The run (:mod:`.pipeline`) and the ``--dry-run`` plan (:mod:`.plan`) convert items with the same
:func:`convert_item`, so the plan's prediction of the losses (and of what ``--strict`` would
fail) is what the run then does.
"""

from __future__ import annotations

from typing import Any

from ..api import ConversionLog, Converter
from ..errors import InputError
from ..model import Item, Project

__all__ = ["convert_item", "loss_lines", "tally"]

#: at most this many kinds of loss on one line; the report lists them all
KINDS = 6


def convert_item(converter: Converter, item: Item, selected: Project, target: Project,
                 strict: bool = False) -> tuple[Item, ConversionLog]:
    """``item`` (selected, resolved) in the target project, with the log of what was converted and dropped.

    :raises InputError: with ``strict``, when the conversion drops anything from the item.
    """
    ilog = ConversionLog()
    scenes = []
    for scene in item.scenes or []:
        new = converter.convert(scene, item.media, selected, target, ilog)
        if new is not None:
            scenes.append(new)
    known = {lb.name for lb in target.labels()}
    ranges = []
    for rng in item.ranges or []:
        if all(n in known for n in rng.labels):
            ranges.append(rng)
        else:
            ilog.dropped("range annotation: label not in the target project")
    if strict and ilog.drops:
        what = "; ".join(f"{n}× {w}" for w, n in ilog.drops.items())
        raise InputError(f"{item.media.filename}: the conversion would drop {what} (--strict)")
    return Item(media=item.media, open=item.open, scenes=scenes, ranges=ranges), ilog


def tally(counts: dict[str, int]) -> str:
    """``{"KEYPOINT: not used": 12, ...}`` as ``12× KEYPOINT: not used; ...``, the most frequent first."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = "; ".join(f"{n}× {what}" for what, n in ranked[:KINDS])
    return text + (f"; and {len(ranked) - KINDS} more kind(s) (see --report)" if len(ranked) > KINDS else "")


def loss_lines(report: Any) -> list[str]:
    """What a finished run lost, in a few lines: the conversion's drops and the sink's own losses.

    The sink's are its ``Writer.finish`` facts ``lost`` (``{what: count}``) and ``not_held`` (lines),
    and the notes its ``write`` returned (``WriteResult.notes``, kept as ``write_notes``).
    """
    lines = []
    dropped = (report.conversions or {}).get("dropped") or {}
    if dropped:
        lines.append(f"conversion dropped: {tally(dropped)}")
    facts = report.sink_facts or {}
    if facts.get("lost"):
        lines.append(f"the target dropped: {tally(facts['lost'])}")
    not_held = list(facts.get("not_held") or [])
    if not_held:
        more = f"; and {len(not_held) - KINDS} more" if len(not_held) > KINDS else ""
        lines.append("the target does not hold: " + "; ".join(not_held[:KINDS]) + more)
    if facts.get("write_notes"):
        lines.append(f"the target noted: {tally(facts['write_notes'])}")
    return lines
