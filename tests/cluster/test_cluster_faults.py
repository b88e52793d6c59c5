"""A cluster that fails, drops connections, rate-limits or goes away: nothing lost, nothing twice."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from cluster_helpers import detection_items, detection_project, snapshot

from scmigrate.engine.facade import transfer
from scmigrate.errors import TransferIncomplete
from scmigrate.testing import put_memory


def media_count(cluster: Any, project: str = "Dogs") -> int:
    """Images the emulator holds in the project, by plain REST (``total_images`` of each dataset), not
    through the plugin: a duplicate the plugin's reader might fold away still counts here."""
    import requests

    s = requests.Session()
    s.headers["x-api-key"] = cluster.token
    base = cluster.base()
    projects = s.get(f"{base}/projects", params={"limit": 100}, timeout=10).json()["projects"]
    (pid,) = [p["id"] for p in projects if p["name"] == project]
    total = 0
    for d in s.get(f"{base}/projects/{pid}/datasets", timeout=10).json()["datasets"]:
        page = s.post(f"{base}/projects/{pid}/datasets/{d['id']}/media:query", params={"limit": 1},
                      json={"condition": "and", "rules": []}, timeout=10).json()
        total += page["total_images"]
    return total


def test_upload_dropped_after_processing_is_not_sent_twice(clusters: Any, registry: Any) -> None:
    c = clusters("a")
    # the 2nd image upload is stored, then its connection is cut before the answer; the 3rd is stored and
    # answered by a gateway error (502), which does not say whether it was stored either
    c.admin.drop("POST", r"/media/images$", nth=2, when="after")
    c.admin.fail("POST", r"/media/images$", nth=3, status=502, when="after")
    put_memory("seed", detection_project("Dogs"), detection_items(4))
    report = transfer("memory:seed", "a", registry=registry, quiet=True, workers=1)
    assert report.complete
    http = report.sink_facts["http"]
    assert http["posts_with_unknown_outcome"] == 2
    assert http["posts_found_on_cluster"] == 2
    assert media_count(c) == 4
    assert c.admin.count("POST", "/media/images") == 4  # the dropped one was not re-sent


def test_upload_dropped_before_processing_is_sent_again(clusters: Any, registry: Any) -> None:
    c = clusters("a")
    c.admin.drop("POST", r"/media/images$", nth=1, when="before")
    put_memory("seed", detection_project("Dogs"), detection_items(3))
    report = transfer("memory:seed", "a", registry=registry, quiet=True, workers=1)
    assert report.complete
    assert report.sink_facts["http"]["posts_found_on_cluster"] == 0
    assert media_count(c) == 3


def test_noisy_cluster_completes_without_loss_or_duplicates(clusters: Any, registry: Any) -> None:
    """5 % server errors, 1 % dropped connections and a rate limit, on both sides of a migration."""
    noisy = dict(fail_rate=0.05, fail_codes=(500, 502, 503, 429), drop_rate=0.01, rate_limit=40, seed=7)
    a = clusters("a")
    b = clusters("b", **noisy)
    datasets = ("Dataset", "Testing set")
    put_memory("seed", detection_project("Dogs", datasets), detection_items(5, datasets))
    assert transfer("memory:seed", "a", registry=registry, quiet=True, workers=4).complete
    a.admin.knobs(**{k: list(v) if isinstance(v, tuple) else v for k, v in noisy.items()})
    report = transfer("a", "b", registry=registry, quiet=True, project="Dogs", workers=8)
    assert report.complete, report.to_dict()
    b.admin.knobs(fail_rate=0.0, drop_rate=0.0, rate_limit=None)
    a.admin.knobs(fail_rate=0.0, drop_rate=0.0, rate_limit=None)
    assert snapshot("b", "Dogs") == snapshot("a", "Dogs")
    assert media_count(b) == 10
    retries = report.sink_facts["http"]["retries_total"]
    assert retries > 0  # the faults really happened and were absorbed
    # the reading side's retries are in the report too
    assert any("retried request(s) while reading" in n for n in report.source_notes), report.source_notes


def test_cluster_gone_mid_run_then_resume(clusters: Any, registry: Any) -> None:
    c = clusters("a", latency_ms=30)
    items = detection_items(12)
    put_memory("seed", detection_project("Dogs"), items)

    def kill_soon() -> None:
        deadline = time.monotonic() + 20
        while c.admin.count("POST", "/media/images") < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        c.kill()

    killer = threading.Thread(target=kill_soon)
    killer.start()
    with pytest.raises(TransferIncomplete) as info:
        transfer("memory:seed", "a", registry=registry, quiet=True, workers=2, retries=0,
                 **{"low-level-retries": 2, "timeout": 5})
    killer.join()
    report = info.value.report
    assert report is not None and report.failures  # says what did not move
    moved_before = len(report.id_map)
    assert moved_before < 12
    # the cluster is gone, so auto-training could not be switched back on: the report says so
    assert any("auto-training" in r for r in report.sink_facts["refused_settings"]), report.sink_facts

    c.restart()
    c.admin.clear_counters()
    report = transfer("memory:seed", "a", registry=registry, quiet=True, workers=2, resume=True)
    assert report.complete, report.to_dict()
    assert media_count(c) == 12  # everything, once
    assert c.admin.count("POST", "/media/images") <= 12 - moved_before  # what had arrived was not sent again
    assert report.sink_facts["auto_training"] == {"Detection": True}  # the resumed run switched it back on


def test_project_and_dataset_creation_dropped_after_processing(clusters: Any, registry: Any) -> None:
    """Creation requests whose answer is lost are looked up by name, not repeated: one project, one dataset."""
    import requests

    c = clusters("a")
    c.admin.drop("POST", r"/projects$", nth=1, when="after")
    c.admin.drop("POST", r"/datasets$", nth=1, when="after")
    c.admin.drop("POST", r"/annotations$", nth=2, when="after")
    datasets = ("Dataset", "Testing set")
    put_memory("seed", detection_project("Dogs", datasets), detection_items(3, datasets))
    report = transfer("memory:seed", "a", registry=registry, quiet=True, workers=2)
    assert report.complete, report.to_dict()
    http = report.sink_facts["http"]
    assert http["posts_found_on_cluster"] == 3  # the project and the dataset by name, the scene by content
    assert c.admin.count("POST", "/annotations") == 4  # one per annotated image: the dropped one was not re-sent
    s = requests.Session()
    s.headers["x-api-key"] = c.token
    projects = s.get(f"{c.base()}/projects", params={"limit": 100}, timeout=10).json()["projects"]
    assert [p["name"] for p in projects] == ["Dogs"]
    ds = s.get(f"{c.base()}/projects/{projects[0]['id']}/datasets", timeout=10).json()["datasets"]
    assert sorted(d["name"] for d in ds) == ["Dataset", "Testing set"]
    assert c.admin.count("POST", "/projects") == 1 and c.admin.count("POST", "/datasets") == 1
    snap = snapshot("a", "Dogs")
    assert sum(len(v) for v in snap["media"].values()) == 6


def test_video_cut_between_its_frames_is_completed_by_resume(clusters: Any, registry: Any) -> None:
    """A run that stops after some of a video's frame scenes: --resume posts the missing frames, not none."""
    from cluster_helpers import box, video_item

    from scmigrate.model import Label, Project, Scene, Task

    c = clusters("a")
    det = Task("Detection", "detection", [Label("square", "#ffffffff", "det")])
    frames = [Scene([box(i * 3, 10, 13, 13, "square")], frame=i) for i in range(5)]
    put_memory("seed", Project.chain("Clip", det), [video_item("v0", "clip", frames)])
    c.admin.fail("POST", r"/frames/\d+/annotations$", nth=3, status=503)  # the 3rd frame's scene
    with pytest.raises(TransferIncomplete):
        transfer("memory:seed", "a", registry=registry, quiet=True, retries=0, **{"low-level-retries": 0})
    c.admin.clear_counters()
    report = transfer("memory:seed", "a", registry=registry, quiet=True, resume=True)
    assert report.complete, report.to_dict()
    (entry,) = snapshot("a", "Clip")["media"][("Dataset", "clip.mp4")]
    assert [s["frame"] for s in entry["scenes"]] == [0, 1, 2, 3, 4]
    assert c.admin.count("POST", "/media/videos") == 0  # the video itself was not sent again
    assert c.admin.count("POST", "/annotations") == 3  # only the frames that had not arrived
