"""``scmigrate sync``: make an existing project on a cluster equal to a source project (the source wins).

Media are matched by (dataset, file name, kind), as ``check`` matches them. For each media:

- only in the source: uploaded with its scenes (``Writer.write``);
- on both sides with other scenes or ranges: the target's are replaced by the source's
  (``replace_scenes`` of the target's writer); with other bytes (their sizes differ, where both
  sides know them): deleted and uploaded again;
- only in the target: deleted with ``delete``, else reported.

Labels: a source label the target lacks is added to it (``edit_labels`` of the target's writer,
before anything else); a target label the source lacks is reported, and deleted with ``delete``.
A second sync finds nothing to do. ``dry_run`` returns the plan and changes nothing. The target
writer must offer ``replace_scenes``, ``delete_media`` and, to align labels, ``edit_labels`` (the
cluster's does; its ``add_media`` uploads without first looking for the media, which the plan
did). Changes go out on ``workers`` threads (automatic by default, as ``run``'s), deletions first.
Pairs the last sync left equal and that neither side changed since are not read (:mod:`.syncrecord`).
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from ..api import RunOptions
from ..errors import InputError
from ..model import Item, Project
from ..registry import Registry, get_registry
from .compare import _empty_names, _norm_scene, same_scenes
from .locks import hold as hold_lock
from .syncrecord import Key, SyncRecord, label_signature

__all__ = ["SyncPlan", "sync"]


@dataclass
class SyncPlan:
    """What a sync does: each list names media as ``dataset/file``, with the target's id where there is one."""

    add: list[Item] = field(default_factory=list)
    update: list[tuple[Item, str]] = field(default_factory=list)  # (source item, target media id)
    delete: list[tuple[Item, str]] = field(default_factory=list)  # (target item, reason)
    kept_extra: list[Item] = field(default_factory=list)  # only on the target, kept without --delete
    labels_missing_on_source: list[str] = field(default_factory=list)  # kept: only on the target
    labels_added: list[str] = field(default_factory=list)
    labels_deleted: list[str] = field(default_factory=list)  # only on the target, deleted with --delete
    added: dict[str, str] = field(default_factory=dict)  # name -> new target id, once applied

    @property
    def changes(self) -> bool:
        return bool(self.add or self.update or self.delete or self.labels_added or self.labels_deleted)

    def lines(self) -> list[str]:
        out = [f"add label {n!r}" for n in self.labels_added]
        out += [f"delete label {n!r}: not in the source" for n in self.labels_deleted]
        out += [f"add {_name(it)}" for it in self.add]
        out += [f"update {_name(it)} (target id {mid}): annotations replaced" for it, mid in self.update]
        out += [f"delete {_name(it)} (target id {it.media.source_id}): {why}" for it, why in self.delete]
        out += [f"keep {_name(it)} (target id {it.media.source_id}): only on the target; --delete removes it"
                for it in self.kept_extra]
        out += [f"keep label {n!r}: only on the target; --delete removes it" for n in self.labels_missing_on_source]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"added": [{"name": _name(it), "id": self.added.get(_name(it))} for it in self.add],
                "updated": [{"name": _name(it), "id": mid} for it, mid in self.update],
                "deleted": [{"name": _name(it), "id": it.media.source_id, "reason": why} for it, why in self.delete],
                "kept_only_on_target": [{"name": _name(it), "id": it.media.source_id} for it in self.kept_extra],
                "labels_added": self.labels_added, "labels_deleted": self.labels_deleted,
                "labels_only_on_target": self.labels_missing_on_source}


def _name(item: Item) -> str:
    return f"{item.media.dataset}/{item.media.filename}"


def _list(reader: Any) -> dict[Key, Item]:
    """The reader's items by (dataset, file name, kind), as listed: their annotations not read yet."""
    out: dict[Key, Item] = {}
    for it in reader.items():
        key = (it.media.dataset, it.media.filename, it.media.kind)
        if key in out:
            raise InputError(f"{_name(it)}: two media of that name in one dataset; sync cannot tell them apart")
        out[key] = it
    return out


def _differs(a: Item, b: Item, empty_a: frozenset[str], empty_b: frozenset[str]) -> bool:
    sa = tuple(sorted((_norm_scene(s, empty_a) for s in a.scenes or [] if s.kind == "annotation"), key=repr))
    sb = tuple(sorted((_norm_scene(s, empty_b) for s in b.scenes or [] if s.kind == "annotation"), key=repr))
    ra = sorted((r.start_frame, r.end_frame, tuple(sorted(r.labels))) for r in a.ranges or [])
    rb = sorted((r.start_frame, r.end_frame, tuple(sorted(r.labels))) for r in b.ranges or [])
    return not same_scenes(sa, sb) or ra != rb


def sync(source: str, target: str, options: RunOptions, *, delete: bool = False, registry: Registry | None = None,
         workers: int | None = None) -> SyncPlan:
    """Plan (and unless ``options.dry_run``, apply) the sync of ``source`` onto ``target``; see the module's text.

    ``workers`` (or ``options.workers``) fixes the concurrency; None lets it find its level, as ``run``
    does (the threads are the locations' ``auto_workers``, a cluster's requests go through its limiter)."""
    reg = registry or get_registry()
    src, snk, dst = reg.resolve_source(source), reg.resolve_sink(target), reg.resolve_source(target)
    options = dataclasses.replace(options, workers=workers or options.workers)
    threads = options.workers or max(src.auto_workers, dst.auto_workers, snk.auto_workers)
    with ExitStack() as stack:
        ra, project, rb, there = _open_both(stack, src, source, dst, target, options)
        name = options.to_project or project.name
        # the target's lock and writer are taken while both sides are listed (a handshake off the critical
        # path), and before the plan is made: no other run changes the target between the plan and the changes
        opening = None if options.dry_run else stack.enter_context(ThreadPoolExecutor(1))
        writer = None if opening is None else opening.submit(_writer, stack, snk, target, name, options)
        extra = [lb.name for lb in there.labels() if not lb.is_empty and project.label(lb.name) is None]
        plan = SyncPlan(labels_added=[lb.name for lb in project.labels()
                                      if not lb.is_empty and there.label(lb.name) is None],
                        labels_deleted=extra if delete else [], labels_missing_on_source=[] if delete else extra)
        record = SyncRecord(source, options.project, target, name, label_signature(project, there))
        with ThreadPoolExecutor(2) as pool:  # two listings, one per cluster: at once
            la, lb = pool.submit(_list, ra), pool.submit(_list, rb)
            a, b = la.result(), lb.result()
        pairs = {k: (a[k], b[k]) for k in sorted(a.keys() & b.keys())}
        same_bytes = {k for k, (x, y) in pairs.items()
                      if None in (x.media.size, y.media.size) or x.media.size == y.media.size}
        known = {k for k in same_bytes if record.unchanged(k, *pairs[k])}  # equal when the last sync ended
        todo = [a[k] for k in sorted((a.keys() - b.keys()) | (pairs.keys() - same_bytes))]
        todo += [it for k in sorted(same_bytes - known) for it in pairs[k]]
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda it: it.resolve(), todo))
        ea, eb = _empty_names(project), _empty_names(there)
        for key in sorted(set(a) | set(b)):
            x, y = a.get(key), b.get(key)
            if y is None and x is not None:
                plan.add.append(x)
            elif x is None and y is not None:
                (plan.delete.append((y, "not in the source")) if delete else plan.kept_extra.append(y))
            elif x is not None and y is not None:
                if key not in same_bytes:
                    plan.delete.append((y, "its bytes differ from the source's: uploaded again"))
                    plan.add.append(x)
                elif key not in known and _differs(x, y, ea, eb):
                    plan.update.append((x, str(y.media.source_id)))
        if writer is None:
            return plan
        # waited for even when nothing changes: a target another run holds is refused, and its record not kept
        target_writer = writer.result()
        if plan.changes:
            _apply(plan, target_writer, target, dataclasses.replace(project, name=name), threads)
        _remember(record, plan, pairs)
    return plan


def _open_both(stack: ExitStack, src: Any, source: str, dst: Any, target: str,
               options: RunOptions) -> tuple[Any, Project, Any, Project]:
    """Open the source and the target project and read both (each is a handshake and a project read: a
    few round trips one after another), at once when the target's name is known before the source is
    read: given with ``to_project``, or the source's own name as given with ``project``."""

    def opened(source_: Any, location: str, opts: RunOptions) -> tuple[Any, Project]:
        reader = stack.enter_context(source_.open(location, opts))
        return reader, reader.project()

    guess = options.to_project or options.project
    # should the source fail, the pool waits for the target's open, and the stack closes it
    with ThreadPoolExecutor(2) as pool:
        fb = pool.submit(opened, dst, target, dataclasses.replace(options, project=guess)) if guess else None
        ra, project = opened(src, source, options)
        name = options.to_project or project.name
        if fb is not None and name == guess:
            rb, there = fb.result()
            return ra, project, rb, there
    # the source was given by id, or under another name: the target is opened under the source's name
    rb, there = opened(dst, target, dataclasses.replace(options, project=name))
    return ra, project, rb, there


def _remember(record: SyncRecord, plan: SyncPlan, pairs: dict[Key, tuple[Item, Item]]) -> None:
    """Keep the pairs this sync found equal. What it changed on the target has a revision it has not
    seen: the next sync reads and compares those once more (rather than trusting a listing taken
    after the changes, which could hide an edit made on the target meanwhile)."""
    if plan.labels_added or plan.labels_deleted:
        record.save({}, labels="")  # the label sets change: the next sync compares everything
        return
    changed = {_name(x) for x in plan.add} | {_name(x) for x, _ in plan.update}
    record.save({k: xy for k, xy in pairs.items() if _name(xy[0]) not in changed})


def _writer(stack: ExitStack, snk: Any, target: str, name: str, options: RunOptions) -> Any:
    """The target's writer, under the target's lock, both held until ``stack`` closes."""
    opts = dataclasses.replace(options, project=name, extra={**options.extra, "into-existing": True})
    stack.enter_context(hold_lock(snk, target, name, opts))
    writer = stack.enter_context(snk.open(target, opts))
    if not (callable(getattr(writer, "replace_scenes", None)) and callable(getattr(writer, "delete_media", None))):
        raise InputError(f"{target}: {snk.name} targets cannot be synced (they cannot replace or delete media)")
    return writer


def _apply(plan: SyncPlan, writer: Any, target: str, project: Any, threads: int) -> None:
    if plan.labels_added or plan.labels_deleted:
        if not callable(getattr(writer, "edit_labels", None)):
            raise InputError(f"{target}: project {project.name!r} has no label "
                             f"{', '.join(map(repr, plan.labels_added))}; the target cannot add labels: "
                             "add them on the target, then sync again")
        writer.edit_labels(project, plan.labels_added, plan.labels_deleted)  # begin() then maps them
    writer.begin(project, None)
    with ThreadPoolExecutor(threads) as pool:
        # deletions first: a media uploaded again must not meet its old self
        list(pool.map(lambda d: writer.delete_media(d[0].media.dataset, d[0].media.kind,
                                                    str(d[0].media.source_id)), plan.delete))
        add = getattr(writer, "add_media", writer.write)  # the plan listed the target: no look for it
        # then replaced annotations and new media together: they touch different media
        updates = [pool.submit(writer.replace_scenes, item, mid) for item, mid in plan.update]
        adds = [pool.submit(add, it) for it in plan.add]
        for f in updates:
            f.result()
        ids = [f.result().ids.get("media", "") for f in adds]
    plan.added.update({_name(it): mid for it, mid in zip(plan.add, ids, strict=True)})
    writer.finish(True)
