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


def test_an_upload_in_memory_is_one_body_with_the_bytes_the_stream_sends() -> None:
    import io

    from scmigrate.spool import Spool
    from scmigrate_cluster.streams import MultipartBody, multipart_body

    data = bytes(range(256)) * 700  # 179 KB: several blocks of a streamed body
    small = Spool(io.BytesIO(data))
    body = multipart_body(small, 'a "b".jpg', "image/jpeg", "bnd")
    assert isinstance(body, bytes)
    streamed = MultipartBody(small, 'a "b".jpg', "image/jpeg", boundary="bnd")
    assert body == streamed.read() and len(body) == len(streamed)
    assert body.startswith(b'--bnd\r\nContent-Disposition: form-data; name="file"; filename="a _b_.jpg"\r\n')
    big = Spool(io.BytesIO(data), max_memory=1 << 16)  # on disk: streamed, never held whole
    on_disk = multipart_body(big, "x.jpg", "image/jpeg", "bnd")
    assert isinstance(on_disk, MultipartBody) and on_disk.read() == multipart_body(
        Spool(io.BytesIO(data)), "x.jpg", "image/jpeg", "bnd")
    for s in (small, big):
        s.close()
