"""Exactly once under "stored, then answered with an error": every kind of POST, no duplicate, same project.

A gateway (or the service itself) can store a request and still answer 5xx or 429; the client cannot tell
that answer from one given before the work. Each test here makes the emulator process a POST and then fail
it, and checks that nothing arrived twice and that ``check`` finds the copy identical to the source.
"""

from __future__ import annotations

from typing import Any

from cluster_helpers import detection_items, detection_project, kind_project, snapshot
from test_cluster_faults import media_count

from scmigrate.api import RunOptions
from scmigrate.engine.compare import compare_locations
from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory


def _identical(registry: Any, project: str = "Dogs") -> None:
    result = compare_locations("memory:seed", "a", RunOptions(project=project), registry=registry, workers=2)
    assert result.identical(), (result.project_diffs, [ln for ln in result.lines if ln[0] != "="])


def _rest(c: Any) -> Any:
    import requests

    s = requests.Session()
    s.headers["x-api-key"] = c.token
    return s


def test_media_stored_then_5xx_or_429_is_not_uploaded_twice(clusters: Any, registry: Any) -> None:
    c = clusters("a")
    c.admin.knobs(retry_after=0)
    c.admin.fail("POST", r"/media/images$", nth=3, status=503, times=3, when="after")
    c.admin.fail("POST", r"/media/images$", nth=7, status=429, when="after")
    c.admin.fail("POST", r"/media/images$", nth=9, status=507, when="after")  # a 5xx that is not retried
    put_memory("seed", detection_project("Dogs"), detection_items(12))
    report = transfer("memory:seed", "a", registry=registry, quiet=True, workers=2)
    assert report.complete, report.to_dict()
    assert media_count(c) == 12
    assert c.admin.count("POST", "/media/images") == 12  # each stored upload was found, not sent again
    assert report.sink_facts["http"]["posts_found_on_cluster"] == 5
    _identical(registry)


def test_annotations_stored_then_5xx_or_429_are_not_posted_twice(clusters: Any, registry: Any) -> None:
    c = clusters("a")
    c.admin.knobs(retry_after=0)
    c.admin.fail("POST", r"/annotations$", nth=2, status=503, when="after")
    c.admin.fail("POST", r"/annotations$", nth=4, status=429, when="after")
    c.admin.fail("POST", r"/annotations$", nth=6, status=500, when="after")
    put_memory("seed", detection_project("Dogs"), detection_items(10))
    report = transfer("memory:seed", "a", registry=registry, quiet=True, workers=2)
    assert report.complete, report.to_dict()
    assert c.admin.count("POST", "/annotations") == 9  # one per annotated image (the last one has none)
    assert report.sink_facts["http"]["posts_found_on_cluster"] == 3
    _identical(registry)


def test_video_ranges_stored_then_503_are_not_posted_twice(clusters: Any, registry: Any) -> None:
    # ranges make the cluster annotate frames itself, so the copy is compared with one made without faults
    c, calm = clusters("a"), clusters("calm")
    c.admin.knobs(retry_after=0)
    c.admin.fail("POST", r"/range_annotation$", nth=1, status=503, when="after")
    project, items = kind_project("video_classification")
    put_memory("seed", project, items)
    report = transfer("memory:seed", "a", registry=registry, quiet=True, workers=2)
    assert report.complete, report.to_dict()
    assert c.admin.count("POST", "/range_annotation") == 1
    assert report.sink_facts["http"]["posts_found_on_cluster"] == 1
    assert transfer("memory:seed", "calm", registry=registry, quiet=True, workers=2).complete
    assert calm.admin.count("POST", "/range_annotation") == 1
    assert snapshot("a", project.name) == snapshot("calm", project.name)


def test_project_and_dataset_stored_then_503_are_created_once(clusters: Any, registry: Any) -> None:
    c = clusters("a")
    c.admin.knobs(retry_after=0)
    c.admin.fail("POST", r"/projects$", nth=1, status=503, when="after")
    c.admin.fail("POST", r"/datasets$", nth=1, status=429, when="after")
    datasets = ("Dataset", "Testing set")
    put_memory("seed", detection_project("Dogs", datasets), detection_items(3, datasets))
    report = transfer("memory:seed", "a", registry=registry, quiet=True, workers=2)
    assert report.complete, report.to_dict()
    s = _rest(c)
    projects = s.get(f"{c.base()}/projects", params={"limit": 100}, timeout=10).json()["projects"]
    assert [p["name"] for p in projects] == ["Dogs"]
    assert c.admin.count("POST", "/projects") == 1 and c.admin.count("POST", "/datasets") == 1
    _identical(registry)


def test_upload_stored_after_the_look_up_is_found_and_removed_at_the_end(
        clusters: Any, registry: Any, monkeypatch: Any) -> None:
    """The race no look-up closes: a gateway that stores the upload only after the client looked (the
    emulator stores before it answers, so the look-up is made to miss once). The run finds the duplicate
    it made when it checks its own result, removes it and says so."""
    from scmigrate_cluster.uploads import MediaUploads

    real = MediaUploads._lookup
    missed: list[str] = []

    def late_gateway(self: Any, dpath: str, kind: str, stem: str, size: int) -> Any:  # the first look-up misses
        if not missed:
            missed.append(stem)
            return None
        return real(self, dpath, kind, stem, size)

    monkeypatch.setattr(MediaUploads, "_lookup", late_gateway)
    c = clusters("a")
    c.admin.knobs(retry_after=0)
    c.admin.fail("POST", r"/media/images$", nth=2, status=504, when="after")
    put_memory("seed", detection_project("Dogs"), detection_items(6))
    report = transfer("memory:seed", "a", registry=registry, quiet=True, workers=2)
    assert report.complete, report.to_dict()
    assert missed and c.admin.count("POST", "/media/images") == 7  # sent twice, stored twice
    assert media_count(c) == 6  # the duplicate is gone again
    (line,) = report.sink_facts["duplicates_removed"]
    assert missed[0] in line
    _identical(registry)


def test_project_created_after_the_look_up_is_removed_at_the_end(
        clusters: Any, registry: Any, monkeypatch: Any) -> None:
    """The same race for a project: its create is stored after the look-up missed; the empty copy goes."""
    import scmigrate_cluster.writer as writer

    real, calls = writer.find_project, []

    def late_gateway(conn: Any, name: str) -> Any:
        calls.append(name)
        return None if len(calls) == 2 else real(conn, name)  # the 2nd call is the look-up after the 503

    monkeypatch.setattr(writer, "find_project", late_gateway)
    c = clusters("a")
    c.admin.knobs(retry_after=0)
    c.admin.fail("POST", r"/projects$", nth=1, status=503, when="after")
    put_memory("seed", detection_project("Dogs"), detection_items(3))
    report = transfer("memory:seed", "a", registry=registry, quiet=True, workers=2)
    assert report.complete, report.to_dict()
    assert c.admin.count("POST", "/projects") == 2
    projects = _rest(c).get(f"{c.base()}/projects", params={"limit": 100}, timeout=10).json()["projects"]
    assert [p["name"] for p in projects] == ["Dogs"]
    assert [p["id"] for p in projects] == [report.sink_facts["project_id"]]
    (line,) = report.sink_facts["duplicates_removed"]
    assert "second copy" in line
    _identical(registry)
