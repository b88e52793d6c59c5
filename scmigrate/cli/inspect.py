"""``scmigrate inspect LOCATION``: what a source holds (project, tasks, labels with counts, media)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import click

from .options import SourceOptionsCommand, plugin_extra, registry, state
from .render import echo_json, size, table

__all__ = ["command", "inspect_location"]


def inspect_location(location: str, options: Any) -> dict[str, Any]:
    """Open ``location`` as a source and count what it holds (reads every item's annotations)."""
    src = registry().resolve_source(location)
    with src.open(location, options) as reader:
        project = reader.project()
        # an image "annotated as empty" carries no shape (files) or only the empty label (clusters)
        empty = {lb.name for lb in project.labels() if lb.is_empty}
        per_label: Counter[str] = Counter()
        media_per_label: Counter[str] = Counter()
        media: Counter[str] = Counter()
        total_bytes = 0
        unknown_size = 0
        for item in reader.items():
            item.resolve()
            media[item.media.kind + "s"] += 1
            if item.media.size is None:
                unknown_size += 1
            else:
                total_bytes += item.media.size
            scenes = item.scenes or []
            if not scenes and not item.ranges:
                media["unannotated"] += 1
            elif not item.ranges and all(set(a.label_names) <= empty for s in scenes for a in s.annotations):
                media["annotated_empty"] += 1
            else:
                media["annotated"] += 1
            media["frames"] += sum(s.frame is not None for s in scenes)
            seen: set[str] = set()
            for scene in scenes:
                for ann in scene.annotations:
                    if not set(ann.label_names) <= empty:  # objects; empty-label marks are counted per label
                        media["annotations"] += 1
                    for name in ann.label_names:
                        per_label[name] += 1
                        seen.add(name)
            for rng in item.ranges or []:
                seen.update(rng.labels)
            media_per_label.update(seen)
        described = reader.describe()
    tasks = []
    for task in project.tasks:
        tasks.append({
            "title": task.title,
            "task_type": task.task_type,
            "labels": [
                {**lb.to_dict(), "annotations": per_label.get(lb.name, 0), "media": media_per_label.get(lb.name, 0)}
                for lb in task.labels
            ],
        })
    return {
        "location": location,
        "source": src.name,
        "project": project.name,
        "project_type": project.project_type,
        "tasks": tasks,
        "datasets": [d.to_dict() for d in project.datasets],
        "media": {
            "images": media["images"], "videos": media["videos"], "bytes": total_bytes,
            "bytes_unknown_for": unknown_size, "frames_annotated": media["frames"],
            "annotated": media["annotated"], "annotated_empty": media["annotated_empty"],
            "unannotated": media["unannotated"], "annotations": media["annotations"],
        },
        "details": described,
    }


@click.command("inspect", cls=SourceOptionsCommand)
@click.argument("location")
@click.option("--project", help="The project to inspect (sources that hold several).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def command(ctx: click.Context, location: str, project: str | None, as_json: bool, **kw: Any) -> int:
    """Show the project, tasks, labels (with counts) and media a source holds."""
    from ..api import RunOptions

    options = RunOptions(project=project, debug=state(ctx)["debug"], extra=plugin_extra(ctx, kw))
    info = inspect_location(location, options)
    if as_json:
        echo_json(info)
        return 0
    m = info["media"]
    click.echo(f"project: {info['project']}  ({info['project_type'] or 'no trainable task'})")
    click.echo(f"source:  {info['source']} ({location})")
    for key, value in info["details"].items():
        click.echo(f"{key}: {value}")
    click.echo("pipeline: " + " → ".join(f"{t['title']} [{t['task_type']}]" for t in info["tasks"]))
    for task in info["tasks"]:
        if not task["labels"]:
            continue
        click.echo(f"task {task['title']} ({task['task_type']}):")
        rows = []
        for lb in task["labels"]:
            flags = ", ".join(f for f in ("empty" if lb["is_empty"] else "", "anomalous" if lb["is_anomalous"] else "",
                                          f"parent {lb['parent']}" if lb["parent"] else "") if f)
            rows.append([f"  {lb['name']}", f"{lb['annotations']} annotations", f"on {lb['media']} media",
                         lb["color"] or "", flags])
        click.echo(table(rows))
    click.echo(f"datasets: {', '.join(d['name'] for d in info['datasets'])}")
    click.echo(
        f"media: {m['images']} images, {m['videos']} videos, {size(m['bytes'])}"
        + (f" (+{m['bytes_unknown_for']} of unknown size)" if m["bytes_unknown_for"] else "")
    )
    click.echo(
        f"annotations: {m['annotations']} on {m['annotated']} media; {m['annotated_empty']} annotated as empty; "
        f"{m['unannotated']} not annotated" + (f"; {m['frames_annotated']} annotated video frames"
                                               if m["frames_annotated"] else "")
    )
    return 0
