"""Media bytes stream through the plugin: a large video never sits whole in memory."""

from __future__ import annotations

import hashlib
import tracemalloc
from typing import Any

from cluster_helpers import snapshot, video_item

from scmigrate.engine.facade import transfer
from scmigrate.model import Label, Project, Task
from scmigrate.testing import make_item, put_memory

PADDING = 24 << 20  # bytes of zeros after a real MP4: still a valid video, and 24 MB to carry


def test_large_video_streams_cluster_to_cluster(clusters: Any, registry: Any) -> None:
    clusters("a")
    clusters("b")
    small = video_item("v0", "big", [])
    payload = small.open().read() + b"\0" * PADDING
    big = make_item(small.media, payload, [])
    big.media.size, big.media.sha256 = len(payload), hashlib.sha256(payload).hexdigest()
    det = Task("Detection", "detection", [Label("thing", "#ff0000ff", "det")])
    put_memory("seed", Project.chain("Big", det), [big])
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete
    del payload, big, small
    put_memory("seed", Project.chain("Other", det), [])  # drop the seed's copy of the bytes

    tracemalloc.start()
    try:
        assert transfer("a", "b", registry=registry, quiet=True, project="Big").complete
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12 << 20, f"peak Python allocations {peak / 1e6:.1f} MB for a {PADDING >> 20} MB video"
    (entry,) = snapshot("b", "Big")["media"][("Dataset", "big.mp4")]
    assert entry["size"] > PADDING
    assert entry == snapshot("a", "Big")["media"][("Dataset", "big.mp4")][0]
