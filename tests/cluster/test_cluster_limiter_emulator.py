"""The automatic concurrency against a real emulator with latency: a default run grows past 8."""

from __future__ import annotations

from typing import Any

from cluster_helpers import box, detection_project, image_item

from scmigrate.engine.facade import transfer
from scmigrate.model import Scene
from scmigrate.testing import put_memory


def test_a_default_run_grows_past_the_start_and_a_fixed_one_does_not(clusters: Any, registry: Any) -> None:
    c = clusters("a", latency_ms=20)
    items = [image_item(f"k{i}", f"img{i}", [Scene([box(2, 3, 20, 10, "dog")])], seed=i) for i in range(80)]
    put_memory("seed", detection_project(), items)
    report = transfer("memory:seed", "a", registry=registry, quiet=True)  # no workers: automatic
    auto = report.sink_facts["http"]["concurrency"]
    assert report.complete and report.counts["images"] == 80
    assert auto["mode"] == "auto" and auto["start"] == 8 and auto["max"] == 32
    assert auto["highest"] > 8, auto  # 20 ms a request and an idle server: more permits pay
    fixed = transfer("memory:seed", "a", registry=registry, quiet=True, workers=8, to_project="Fixed")
    assert fixed.complete and fixed.sink_facts["http"]["concurrency"] == {
        "mode": "fixed", "start": 8, "max": 8, "lowest": 8, "highest": 8, "final": 8, "shrinks": 0, "backoffs": 0}
    assert c.admin.count("POST", "/media/images") == 160  # every image once per run, none twice
