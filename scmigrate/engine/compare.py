"""``scmigrate check``: compare two locations, both read as sources (read-only, like ``rclone check``).

Media are matched by (dataset, file name with its extension in lower case, kind) and compared by
sha256 (hashed from the stream when the source does not know it). Scenes are compared after rounding
coordinates to whole pixels, and then allowing one pixel either way: clusters store coordinates
normalised and answer them rounded. The projects' pipelines and labels are compared by name, except
empty labels, which are matched by their flag (each cluster names its own). An image annotated as
empty is a scene without annotations on both sides (every source reads a cluster's empty mark so),
so it needs no special case here; an empty label left in a scene is a chain's second-task label on
its parent's box, matched by flag like the project's. Each media gets one line: ``=`` same, ``+``
only in the source, ``-`` only in the destination, ``*`` differs, ``!`` could not be read.

A reader whose bytes are not the uploaded ones (SC 1.x serves every image re-encoded as JPEG) says
so with ``describe()["reencodes_images"]``; images are then matched by name without extension and
compared by their decoded pixels (:data:`PIXEL_TOLERANCE`), and the result says it did.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import itertools
import os
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..api import Reader, RunOptions
from ..model import Item, Label, Project, Scene
from ..registry import Registry, get_registry
from .factspill import FactSpill
from .progress import Progress

__all__ = ["EMPTY", "TOLERANCE", "CheckResult", "compare_locations", "compare_projects", "describe_difference",
           "same_scenes"]


@dataclass
class _Entry:
    name: str
    sha256: str | None = None
    key: str = ""
    scenes: Any = None
    ranges: Any = None
    error: str | None = None
    pixels: Any = None  # (width, height, downsampled RGB bytes) when compared by decoded pixels


@dataclass
class CheckResult:
    """Per-media lines ``(symbol, name, reason)`` and project-level differences."""

    lines: list[tuple[str, str, str]] = field(default_factory=list)
    project_diffs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, symbol: str) -> int:
        return sum(1 for s, _, _ in self.lines if s == symbol)

    def identical(self, one_way: bool = False) -> bool:
        bad = {"*", "+", "!"} if one_way else {"*", "+", "-", "!"}
        return not self.project_diffs and not any(s in bad for s, _, _ in self.lines)

    def totals(self) -> dict[str, int]:
        """The counts of :meth:`summary`, by name (``check --json``)."""
        return {"identical": self.count("="), "differ": self.count("*"), "only_in_source": self.count("+"),
                "only_in_destination": self.count("-"), "errors": self.count("!"),
                "project_differences": len(self.project_diffs)}

    def summary(self) -> str:
        return (f"{self.count('=')} identical, {self.count('*')} differ, {self.count('+')} only in source, "
                f"{self.count('-')} only in destination, {self.count('!')} errors"
                + (f"; {len(self.project_diffs)} project difference(s)" if self.project_diffs else ""))


#: what an empty label is called in comparisons: clusters name their empty label themselves
#: ("No object", "No Object", "Empty"), so empty labels (of a project; in scenes, those of a
#: chain's second task on their parent's box) are matched by flag, never by name
EMPTY = "(empty label)"


def _empty_names(project: Project) -> frozenset[str]:
    return frozenset(lb.name for lb in project.labels() if lb.is_empty)


def _norm_scene(scene: Scene, empty: frozenset[str] = frozenset()) -> tuple[Any, ...]:
    anns = []
    for ann in scene.annotations:
        d = ann.shape.to_dict()
        shape = tuple(
            (k, tuple((round(p["x"]), round(p["y"])) for p in v) if k == "points"
             else round(v) if isinstance(v, float) else v)
            for k, v in sorted(d.items())
        )
        anns.append((shape, tuple(sorted(EMPTY if n in empty else n for n in ann.label_names))))
    return (scene.frame, tuple(sorted(anns, key=repr)))


#: pixels (and degrees) two coordinates may differ by and still be equal: a cluster stores
#: coordinates normalised and answers them rounded, so 10.5 can come back as 10 or 11
TOLERANCE = 1


def _close(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Two normalised shapes alike within :data:`TOLERANCE` (same type, same fields)."""
    if len(a) != len(b):
        return False
    for (ka, va), (kb, vb) in zip(a, b, strict=True):
        if ka != kb:
            return False
        if ka == "points":
            if len(va) != len(vb) or any(abs(xa - xb) > TOLERANCE or abs(ya - yb) > TOLERANCE
                                         for (xa, ya), (xb, yb) in zip(va, vb, strict=True)):
                return False
        elif isinstance(va, (int, float)) and not isinstance(va, bool) and isinstance(vb, (int, float)):
            if abs(va - vb) > TOLERANCE:
                return False
        elif va != vb:
            return False
    return True


def _same_annotations(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """The shapes of two scenes match one to one: equal first, then within the tolerance."""
    if len(a) != len(b):
        return False
    left, right = list(a), list(b)
    for ann in list(left):
        if ann in right:
            left.remove(ann)
            right.remove(ann)
    for shape, labels in left:
        match = next((r for r in right if r[1] == labels and _close(shape, r[0])), None)
        if match is None:
            return False
        right.remove(match)
    return True


def same_scenes(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Normalised scene lists (see :func:`_norm_scene`) equal up to the clusters' rounding."""
    if a == b:
        return True
    if len(a) != len(b):
        return False
    frame = lambda s: -1 if s[0] is None else s[0]  # noqa: E731 - a sort key
    return all(frame(sa) == frame(sb) and _same_annotations(sa[1], sb[1])
               for sa, sb in zip(sorted(a, key=frame), sorted(b, key=frame), strict=True))


def _shapes(scenes: tuple[Any, ...]) -> str:
    """``"3 shapes (cat 1, dog 2) in 1 scene"``: what a side holds, for a difference line."""
    labels: Counter[str] = Counter()
    shapes = 0
    for _frame, anns in scenes:
        shapes += len(anns)
        for _shape, names in anns:
            labels.update(names)
    what = ", ".join(f"{n} {c}" for n, c in sorted(labels.items()))
    return f"{shapes} shape(s)" + (f" ({what})" if what else "") + f" in {len(scenes)} scene(s)"


def describe_difference(a: tuple[Any, ...], b: tuple[Any, ...]) -> str:
    """Why two normalised scene lists differ, in words a user can act on."""
    if not a or not b:
        return "annotations differ: " + ("not annotated in source" if not a else f"source has {_shapes(a)}") + \
            ", " + ("not annotated in destination" if not b else f"destination has {_shapes(b)}")
    sa, sb = _shapes(a), _shapes(b)
    if sa != sb:
        return f"annotations differ: source has {sa}, destination has {sb}"
    frames_a, frames_b = [f for f, _ in a], [f for f, _ in b]
    if frames_a != frames_b:
        return "annotations differ: the same shapes on other video frames"
    return f"annotations differ: {sa} on both sides, but their geometry differs by more than {TOLERANCE} px"


#: decoded images match when, shrunk to :data:`_SIGNATURE` px, no channel differs by more than this on
#: average (JPEG at quality 85 stays near 1; a different picture is far above)
PIXEL_TOLERANCE = 4.0
_SIGNATURE = (32, 32)


def _pixels(data: bytes) -> tuple[int, int, bytes]:
    """Size and a small averaged RGB rendering of an image: re-encoding noise averages out of it."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        size = img.size
        small = img.convert("RGB").resize(_SIGNATURE, Image.Resampling.BOX)
        return size[0], size[1], small.tobytes()


def _same_pixels(a: Any, b: Any) -> bool:
    if a is None or b is None or a[:2] != b[:2]:
        return False
    return sum(abs(x - y) for x, y in zip(a[2], b[2], strict=True)) / max(1, len(a[2])) <= PIXEL_TOLERANCE


def _entry(item: Item, empty: frozenset[str] = frozenset(), pixels: bool = False) -> _Entry:
    m = item.media
    name = f"{m.dataset}/{m.filename or m.name}"
    try:
        item.resolve()
        sha = m.sha256
        decoded = None
        if pixels and m.kind == "image":
            with item.open() as stream:
                data = stream.read()
            sha, decoded = hashlib.sha256(data).hexdigest(), _pixels(data)
        elif not sha:
            h = hashlib.sha256()
            with item.open() as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    h.update(chunk)
            sha = h.hexdigest()
        scenes = tuple(sorted((_norm_scene(s, empty) for s in item.scenes or [] if s.kind == "annotation"),
                              key=repr))
        ranges = tuple(sorted((r.start_frame, r.end_frame, tuple(sorted(EMPTY if n in empty else n for n in r.labels)))
                              for r in item.ranges or []))
        return _Entry(name, sha256=sha, scenes=scenes, ranges=ranges, pixels=decoded)
    except Exception as exc:  # noqa: BLE001 - an unreadable item is a '!' line, not the end of the check
        return _Entry(name, error=f"{type(exc).__name__}: {exc}".splitlines()[0])


def _same_name(filename: str) -> str:
    """The name media are matched by: ``x.PNG`` and ``x.png`` are one file (a sink may lower an extension's
    case, and the bytes decide whether they are the same); the rest of the name keeps its case."""
    stem, dot, ext = filename.rpartition(".")
    return f"{stem}.{ext.lower()}" if dot and stem else filename


def _snapshot(reader: Reader, workers: int, empty: frozenset[str], spill: FactSpill, side: int,
              progress: Progress | None = None, pixels: bool = False) -> None:
    """Every item's comparable facts into ``spill`` by (dataset, file name, kind), in bounded batches;
    by pixels, an image is grouped by its name without extension (a re-encoding changes it)."""
    items: Iterator[Item] = iter(reader.items())
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while True:
            batch = list(itertools.islice(items, 4 * max(1, workers)))
            if not batch:
                break
            for item, entry in zip(batch, pool.map(lambda it: _entry(it, empty, pixels), batch), strict=True):
                m = item.media
                entry.key = m.key
                if progress is not None:
                    progress.advance(1, m.size or 0)
                name = _same_name(m.filename or m.name)
                if pixels and m.kind == "image":
                    name = os.path.splitext(name)[0]
                spill.add((m.dataset, name, m.kind), side, entry)


def _same_media(x: _Entry, y: _Entry) -> bool:
    return x.sha256 == y.sha256 or _same_pixels(x.pixels, y.pixels)


def _pair(a: list[_Entry], b: list[_Entry]) -> Iterator[tuple[_Entry | None, _Entry | None]]:
    """Pair entries that share a name: equal content first, then equal bytes, then in order."""
    a, b = list(a), list(b)
    for same in (lambda x, y: _same_media(x, y) and x.ranges == y.ranges and same_scenes(x.scenes, y.scenes),
                 _same_media):
        for x in list(a):
            y = next((y for y in b if not x.error and not y.error and same(x, y)), None)
            if y is not None:
                a.remove(x)
                b.remove(y)
                yield x, y
    for x, y in itertools.zip_longest(a, b):
        yield x, y


def _colour(value: str | None) -> str | None:
    """``#RRGGBB`` and ``#rrggbbff`` are the same colour."""
    if not value:
        return None
    v = value.lower()
    return v + "ff" if len(v) == 7 else v


def _looks(a: Label, b: Label) -> list[tuple[str, str | None, str | None]]:
    """How a label's colour, group and hotkey differ, where the source (``a``) sets them.

    Sources on disk often set none of them (the cluster then picks its own): that is no
    difference; a value the source has and the destination lost or changed is one.
    """
    pairs = [("colour", _colour(a.color), _colour(b.color)), ("group", a.group, b.group),
             ("hotkey", a.hotkey or None, b.hotkey or None)]
    return [(what, x, y) for what, x, y in pairs if x is not None and x != y]


def compare_projects(a: Project, b: Project) -> list[str]:
    """Differences in pipeline and labels, by name."""
    diffs = []
    ta = [t.task_type for t in a.trainable_tasks]
    tb = [t.task_type for t in b.trainable_tasks]
    if ta != tb:
        diffs.append(f"pipeline differs: {' → '.join(ta) or 'none'} vs {' → '.join(tb) or 'none'}")
    for task_a, task_b in zip(a.trainable_tasks, b.trainable_tasks, strict=False):  # other lengths: reported above
        la = {EMPTY if lb.is_empty else lb.name: (lb.parent, lb.is_anomalous) for lb in task_a.labels}
        lb_ = {EMPTY if lb.is_empty else lb.name: (lb.parent, lb.is_anomalous) for lb in task_b.labels}
        # an empty label only the destination has is its server's own (SC 1.x adds none to classification,
        # Geti adds "No class"): no difference; one the source had and the destination lost is one
        only_a, only_b = sorted(set(la) - set(lb_)), sorted(set(lb_) - set(la) - {EMPTY})
        if only_a or only_b:
            diffs.append(f"labels of {task_a.task_type} differ: only in source: {', '.join(only_a) or '-'}; "
                         f"only in destination: {', '.join(only_b) or '-'}")
        for name in sorted(set(la) & set(lb_)):
            if la[name] != lb_[name]:
                diffs.append(f"label {name!r} differs (parent, anomalous): {la[name]} vs {lb_[name]}")
        looks_b = {EMPTY if lb.is_empty else lb.name: lb for lb in task_b.labels}
        for label in task_a.labels:
            other = looks_b.get(EMPTY if label.is_empty else label.name)
            if other is not None and not label.is_empty:
                diffs += [f"label {label.name!r}: {what} {mine!r} vs {theirs!r}"
                          for what, mine, theirs in _looks(label, other)]
    da = sorted(d.name for d in a.datasets)
    db = sorted(d.name for d in b.datasets)
    if da != db:
        diffs.append(f"datasets differ: {', '.join(da)} vs {', '.join(db)}")
    return diffs


def compare_locations(source: str, dest: str, options: RunOptions, *, registry: Registry | None = None,
                      workers: int = 8, dest_options: RunOptions | None = None,
                      progress: Progress | None = None) -> CheckResult:
    """Read both locations as sources and compare them (``dest_options``: for ``dest``, default ``options``).

    ``progress`` counts the items of both sides as they are read (``check`` shows it).
    """
    reg = registry or get_registry()
    src_a, src_b = reg.resolve_source(source), reg.resolve_source(dest)
    result = CheckResult()
    opts_b = dest_options or options
    with src_a.open(source, options) as ra:
        pa = ra.project()
        if src_b.selects_project and not opts_b.project:
            # as a restore names the copy: compare with the project of the same name at --to
            opts_b = dataclasses.replace(opts_b, project=pa.name)
        with src_b.open(dest, opts_b) as rb:
            pb = rb.project()
            result.project_diffs = compare_projects(pa, pb)
            lossy = [loc for loc, r in ((source, ra), (dest, rb)) if r.describe().get("reencodes_images")]
            if lossy:
                result.notes.append(f"{' and '.join(lossy)} re-encode(s) images: images compared by decoded "
                                    "pixels, matched by name without extension")
            if progress is not None:
                ha, hb = ra.size_hint(), rb.size_hint()
                both = (ha.items + hb.items) if ha.items is not None and hb.items is not None else None
                progress.start(both, None)
            # both sides on disk, merged group by group: memory stays flat whatever the projects' size
            with FactSpill() as spill:
                _snapshot(ra, workers, _empty_names(pa), spill, 0, progress, bool(lossy))
                _snapshot(rb, workers, _empty_names(pb), spill, 1, progress, bool(lossy))
                if progress is not None:  # the summary line follows: no last plain line (a bar ends as a bar)
                    progress.close(render=progress.mode == "bar")
                _compare_groups(spill, result)
    return result


def _compare_groups(spill: FactSpill, result: CheckResult) -> None:
    """One line per media of each group, both sides read back from ``spill`` in group order."""
    for _group, ga, gb in spill.groups():
        several = max(len(ga), len(gb)) > 1
        for ea, eb in _pair(ga, gb):
            ref = ea or eb
            assert ref is not None
            name = ref.name + (f" [{ref.key}]" if several else "")
            if ea is None:
                result.lines.append(("-", name, "only in destination"))
            elif eb is None:
                result.lines.append(("+", name, "only in source"))
            elif ea.error or eb.error:
                result.lines.append(("!", name, ea.error or eb.error or ""))
            elif not _same_media(ea, eb):
                why = "decoded pixels differ" if ea.pixels is not None else "media bytes differ (sha256)"
                result.lines.append(("*", name, why))
            elif not same_scenes(ea.scenes, eb.scenes):
                result.lines.append(("*", name, describe_difference(ea.scenes, eb.scenes)))
            elif ea.ranges != eb.ranges:
                result.lines.append(("*", name, "range annotations differ"))
            else:
                result.lines.append(("=", name, ""))
