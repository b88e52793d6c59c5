"""Test data and snapshots for the Geti 3.x tests: a 2.x and a 3.x emulator named in one config.

``servers`` (module scope, see the test modules) runs ``sc_emulator`` twice as real HTTPS servers:
``classic`` speaks Geti 2.x (its token in an environment variable, as a user sets it up) and
``g3`` speaks Geti 3.x (configured without a token: it has no authentication).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cluster_helpers import box, full, image_item

from scmigrate.model import Label, Project, Scene, Task


@contextlib.contextmanager
def two_servers(tmp: Path) -> Iterator[dict[str, Any]]:
    """The ``classic`` (2.x) and ``g3`` (3.x) emulators and the config file that names them."""
    from sc_emulator import running

    with running(tmp / "classic", tls=True) as classic, running(tmp / "g3", dialect="geti3") as g3:
        yield {"classic": classic, "g3": g3, "config": tmp / "config.json", "state": tmp / "state"}


def use_servers(servers: dict[str, Any], monkeypatch: Any) -> dict[str, Any]:
    """Point this test's environment at the servers' config (the token of ``classic`` in its variable)."""
    from scmigrate.config import ClusterConfig, save_cluster

    monkeypatch.setenv("SCMIGRATE_CONFIG", str(servers["config"]))
    monkeypatch.setenv("XDG_STATE_HOME", str(servers["state"]))
    monkeypatch.setenv("TOKEN_CLASSIC", servers["classic"].token)
    classic, g3 = servers["classic"], servers["g3"]
    save_cluster(ClusterConfig(name="classic", url=classic.url, ca_bundle=classic.ca_bundle, token_env="TOKEN_CLASSIC"))
    save_cluster(ClusterConfig(name="g3", url=g3.url, ca_bundle=g3.ca_bundle))
    return servers


def g3_view(location: str, project: str) -> dict[str, Any]:
    """What a 3.x server holds for a project: its task, labels, and per file name the scenes."""
    from scmigrate.api import RunOptions
    from scmigrate_cluster import ClusterSource

    out: dict[str, Any] = {"media": {}}
    with ClusterSource().open(location, RunOptions(project=project)) as reader:
        p = reader.project()
        raw = p.configuration.raw["geti3"]
        out["task"] = dict(raw["task"])
        out["labels"] = {lb.name: (lb.color, lb.hotkey) for lb in p.labels()}
        out["views"] = sorted(v["name"] for v in raw["dataset_views"])
        for item in reader.items():
            item.resolve()
            out["media"][item.media.filename] = [
                (s.frame, sorted((a.shape.type, tuple(round(v) for v in a.shape.bbox()), tuple(a.label_names))
                                 for a in s.annotations)) for s in item.scenes or []]
    return out


def multiclass_project() -> tuple[Project, list[Any]]:
    W, H = 64, 48
    cls = Task("Classification", "classification", [Label("day", "#ffff00ff", "tod", hotkey="d"),
                                                    Label("night", "#000080ff", "tod", hotkey="n")])
    items = [image_item("i0", "a", [Scene([full(W, H, "day")])]),
             image_item("i1", "b", [Scene([full(W, H, "night")])], seed=1),
             image_item("i2", "c", [], seed=2)]
    return Project.chain("Times", cls), items


def detection_with_alpha() -> tuple[Project, list[Any]]:
    """A detection project whose label colours carry alpha (one translucent), two datasets."""
    from scmigrate.model import Dataset

    task = Task("Detection", "detection", [Label("dog", "#ff000080", "det", hotkey="1"),
                                           Label("cat", "#00ff00ff", "det", hotkey="2"),
                                           Label("No object", "#000000ff", "No object", is_empty=True)])
    items = [image_item("a0", "img0", [Scene([box(3, 4, 20, 10, "dog")])], dataset="Train"),
             image_item("b0", "img1", [Scene([box(30, 20, 12, 9, "cat")])], dataset="Extra", seed=1)]
    return Project.chain("Pets", task, datasets=[Dataset("Train", True), Dataset("Extra")]), items
