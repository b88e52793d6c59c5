"""A video with more annotated frames than one whole-video GET returns (500): every frame comes back."""

from __future__ import annotations

from typing import Any

from cluster_helpers import box, snapshot, video_item

from scmigrate.engine.facade import transfer
from scmigrate.model import Label, Project, Scene, Task
from scmigrate.testing import put_memory


def test_more_than_500_annotated_frames(clusters: Any, registry: Any) -> None:
    clusters("a")
    clusters("b")
    frames = 520
    det = Task("Detection", "detection", [Label("square", "#ffffffff", "det")])
    scenes = [Scene([box(1 + i % 40, 10, 13, 13, "square")], frame=i) for i in range(frames)]
    put_memory("seed", Project.chain("Long", det), [video_item("v0", "long", scenes, frames=frames, fps=25)])
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete
    src = snapshot("a", "Long")
    (entry,) = src["media"][("Dataset", "long.mp4")]
    assert [s["frame"] for s in entry["scenes"]] == list(range(frames))
    assert transfer("a", "b", registry=registry, quiet=True, project="Long", workers=8).complete
    assert snapshot("b", "Long") == src
