"""Small projects that change between backups, and what a location holds, for the repository tests."""

from __future__ import annotations

import hashlib
from typing import Any

from scmigrate.api import RunOptions
from scmigrate.model import Annotation, Item, Label, Media, Project, Scene, ScoredLabel, Shape, Task
from scmigrate.testing import image_bytes, make_item


def project(name: str = "Dogs") -> Project:
    task = Task("Detection", "detection", [
        Label("dog", "#ff0000ff", "Detection labels"),
        Label("cat", "#00ff00ff", "Detection labels"),
        Label("No Object", "#fafafaff", "No object", is_empty=True),
    ])
    return Project.chain(name, task)


def item(i: int, x: float = 3.0, seed: int | None = None, label: str = "dog") -> Item:
    data = image_bytes(64, 48, fmt="PNG" if i % 2 else "JPEG", seed=i if seed is None else seed)
    ext = ".png" if i % 2 else ".jpg"
    media = Media(key=f"m{i}", kind="image", name=f"img{i}", filename=f"img{i}{ext}", width=64, height=48,
                  source_id=f"m{i}")
    scene = Scene([Annotation(Shape.rectangle(x, 4, 20, 10), [ScoredLabel(label)])])
    return make_item(media, data, [scene])


def held(registry: Any, location: str, project_name: str | None = None) -> dict[str, Any]:
    """Per media key: (filename, sha256 of the bytes, scenes as dicts); plus the label names."""
    src = registry.resolve_source(location)
    out: dict[str, Any] = {}
    with src.open(location, RunOptions(project=project_name)) as reader:
        p = reader.project()
        out["labels"] = sorted(lb.name for lb in p.labels())
        for it in reader.items():
            it.resolve()
            with it.open() as fh:
                sha = hashlib.sha256(fh.read()).hexdigest()
            out[it.key] = (it.media.filename, sha, [s.to_dict() for s in it.scenes or []])
    return out


def cli(capsys: Any, *args: str) -> tuple[int, str, str]:
    """``scmigrate ARGS`` in this process: (exit code, stdout, stderr)."""
    import pytest

    from scmigrate.cli import main

    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def counting_opens(items: list[Item]) -> tuple[list[Item], list[str]]:
    """The items, each noting its key in the returned list whenever its bytes are opened."""
    opened: list[str] = []

    def counted(it: Item) -> Item:
        plain = it.open

        def open_() -> Any:
            opened.append(it.key)
            return plain()

        it.open = open_
        return it

    return [counted(it) for it in items], opened


def entries_in(batches: list[bytes]) -> int:
    """Item entries in the pending batch files of an unfinished backup (a batch holds one or more)."""
    import json

    return sum(len(json.loads(b)) for b in batches)
