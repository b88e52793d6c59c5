"""Project settings: carried from the source, --set / --auto-train, auto-training off during upload."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests
from cluster_helpers import detection_items, detection_project, snapshot

from scmigrate.engine.facade import transfer
from scmigrate.errors import InputError
from scmigrate.testing import put_memory


class Api:
    """Plain HTTP to one emulator, independent of the plugin, to look at what it holds."""

    def __init__(self, c: Any) -> None:
        self.base = c.base()
        self.s = requests.Session()
        self.s.headers["x-api-key"] = c.token

    def project(self, name: str) -> dict[str, Any] | None:
        for p in self.s.get(f"{self.base}/projects", params={"limit": 100}, timeout=10).json()["projects"]:
            if p["name"] == name:
                return self.s.get(f"{self.base}/projects/{p['id']}", timeout=10).json()
        return None

    def task_id(self, project: dict[str, Any]) -> str:
        return next(t["id"] for t in project["pipeline"]["tasks"] if t["task_type"] == "detection")

    def auto_training(self, project: dict[str, Any]) -> bool:
        doc = self.s.get(f"{self.base}/projects/{project['id']}/project_configuration", timeout=10).json()
        return next(a["value"] for a in doc["task_configs"][0]["auto_training"] if a["key"] == "enable")

    def training(self, project: dict[str, Any]) -> dict[str, Any]:
        doc = self.s.get(f"{self.base}/projects/{project['id']}/training_configuration",
                         params={"task_id": self.task_id(project)}, timeout=10).json()
        return {p["key"]: p["value"] for p in doc["training"]}

    def patch_training(self, project: dict[str, Any], **values: Any) -> None:
        body = {"training": [{"key": k, "value": v} for k, v in values.items()]}
        r = self.s.patch(f"{self.base}/projects/{project['id']}/training_configuration",
                         params={"task_id": self.task_id(project)}, json=body, timeout=10)
        assert r.status_code == 204, r.text


def test_settings_carried_and_set_and_auto_train(clusters: Any, registry: Any) -> None:
    a, b = clusters("a"), clusters("b")
    api_a, api_b = Api(a), Api(b)
    put_memory("seed", detection_project("Dogs"), detection_items(2))
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete
    src = api_a.project("Dogs")
    assert api_a.auto_training(src) is True  # restored after the upload
    api_a.patch_training(src, max_epochs=42, learning_rate=0.0123)

    report = transfer("a", "b", registry=registry, quiet=True, project="Dogs", set=["batch_size=5"],
                      **{"auto-train": "off"})
    assert report.complete
    dst = api_b.project("Dogs")
    values = api_b.training(dst)
    assert values["max_epochs"] == 42 and values["learning_rate"] == pytest.approx(0.0123)  # carried
    assert values["batch_size"] == 5  # --set
    assert api_b.auto_training(dst) is False  # --auto-train off
    assert report.sink_facts["refused_settings"] == []


def test_set_validated_before_any_upload(clusters: Any, registry: Any) -> None:
    b = clusters("b")
    api = Api(b)
    put_memory("seed", detection_project("Dogs"), detection_items(2))
    with pytest.raises(InputError, match="no such setting"):
        transfer("memory:seed", "b", registry=registry, quiet=True, set=["max_epochz=3"])
    with pytest.raises(InputError, match="above the maximum"):
        transfer("memory:seed", "b", registry=registry, quiet=True, set=["max_epochs=100000"])
    with pytest.raises(InputError, match="not a valid"):
        transfer("memory:seed", "b", registry=registry, quiet=True, set=["learning_rate=fast"])
    with pytest.raises(InputError, match="expected on or off"):
        transfer("memory:seed", "b", registry=registry, quiet=True, **{"auto-train": "maybe"})
    assert api.project("Dogs") is None  # nothing left behind, nothing uploaded
    assert b.admin.count("POST", "/media/images") == 0


def test_auto_training_off_while_uploading(clusters: Any, registry: Any) -> None:
    a = clusters("a")
    api = Api(a)
    items = detection_items(4)
    for it in items:  # slow the source so the run lasts a while
        opener = it.open
        it.open = lambda o=opener: (time.sleep(0.3), o())[1]  # type: ignore[method-assign]
    put_memory("seed", detection_project("Dogs"), items)
    seen: list[bool] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            p = api.project("Dogs")
            if p is not None:
                # counted around the read, so the read is surely inside the upload whatever the machine's
                # load: an upload before it (begin() had switched it off), and not all after it (finish()
                # had not switched it back)
                before = a.admin.count("POST", "/media/images")
                on = api.auto_training(p)
                if before > 0 and a.admin.count("POST", "/media/images") < len(items):
                    seen.append(on)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        assert transfer("memory:seed", "a", registry=registry, quiet=True, workers=1).complete
    finally:
        done.set()
        watcher.join()
    assert seen and not any(seen)  # off during the upload...
    assert api.auto_training(api.project("Dogs")) is True  # ...and back on afterwards


def test_into_existing_skips_what_is_there(clusters: Any, registry: Any) -> None:
    a = clusters("a")
    put_memory("seed", detection_project("Dogs"), detection_items(3))
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete
    more = detection_items(5)
    put_memory("seed", detection_project("Dogs"), more)
    report = transfer("memory:seed", "a", registry=registry, quiet=True, **{"into-existing": True})
    assert report.complete
    assert a.admin.count("POST", "/media/images") == 3 + 2  # only the two new ones were sent
    s = snapshot("a", "Dogs")
    assert sum(len(v) for v in s["media"].values()) == 5


def test_into_existing_with_other_labels_is_refused_before_upload(clusters: Any, registry: Any) -> None:
    from scmigrate.model import Label, Project, Task

    a = clusters("a")
    put_memory("seed", detection_project("Dogs"), detection_items(2))
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete
    other = Project.chain("Dogs", Task("Detection", "detection", [Label("dog"), Label("horse")]))
    put_memory("seed", other, detection_items(2))
    with pytest.raises(InputError, match="no label 'horse'"):
        transfer("memory:seed", "a", registry=registry, quiet=True, **{"into-existing": True})
    assert a.admin.count("POST", "/media/images") == 2


def test_unknown_workspace_lists_the_names(clusters: Any, registry: Any) -> None:
    clusters("a")
    put_memory("seed", detection_project("Dogs"), detection_items(1))
    with pytest.raises(InputError, match="no workspace named 'Elsewhere' \\(workspaces: '"):
        transfer("memory:seed", "a", registry=registry, quiet=True, workspace="Elsewhere")


def test_csrf_header_sent_to_a_strict_cluster(clusters: Any, registry: Any) -> None:
    clusters("a", csrf="strict")
    put_memory("seed", detection_project("Dogs"), detection_items(2))
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete
    assert sum(len(v) for v in snapshot("a", "Dogs")["media"].values()) == 2


def test_source_settings_the_target_refuses_are_reported(clusters: Any, registry: Any) -> None:
    a = clusters("a")
    project = detection_project("Dogs")
    project.configuration.auto_training = {"Detection": False}
    project.configuration.training_parameters = {"Detection": {
        "training.max_epochs": 42, "training.no_such_thing": 1, "training.batch_size": 99999}}
    put_memory("seed", project, detection_items(2))
    report = transfer("memory:seed", "a", registry=registry, quiet=True)
    assert report.complete
    refused = report.sink_facts["refused_settings"]
    assert len(refused) == 2
    assert any("no_such_thing" in r and "not a setting" in r for r in refused)
    assert any("batch_size" in r and "maximum" in r for r in refused)
    api = Api(a)
    dst = api.project("Dogs")
    assert api.training(dst)["max_epochs"] == 42
    assert api.auto_training(dst) is False  # the source's switch, restored after the upload


def test_settings_across_configuration_styles(clusters: Any, registry: Any) -> None:
    """2.13 (both styles) → 2.11 (legacy only) → 2.13: values travel, nothing is reported refused."""
    new, old, back = clusters("new"), clusters("old", version="2.11.0"), clusters("back")
    put_memory("seed", detection_project("Dogs"), detection_items(2))
    assert transfer("memory:seed", "new", registry=registry, quiet=True).complete
    api_new = Api(new)
    api_new.patch_training(api_new.project("Dogs"), max_epochs=42)

    report = transfer("new", "old", registry=registry, quiet=True, project="Dogs", set=["batch_size=6"])
    assert report.complete and report.sink_facts["refused_settings"] == []
    old_doc = Api(old).s.get(f"{old.base()}/projects/{Api(old).project('Dogs')['id']}/configuration").json()
    values = {p["name"]: p["value"] for t in old_doc["task_chain"] for c in t["components"]
              for p in c.get("parameters", [])}
    assert values["max_num_epochs"] == 42 and values["batch_size"] == 6  # through the legacy API

    report = transfer("old", "back", registry=registry, quiet=True, project="Dogs")
    assert report.complete and report.sink_facts["refused_settings"] == []
    api_back = Api(back)
    assert api_back.training(api_back.project("Dogs"))["max_epochs"] == 42
    assert api_back.training(api_back.project("Dogs"))["batch_size"] == 6


def test_a_set_the_target_refuses_leaves_no_project_behind(clusters: Any, registry: Any) -> None:
    """The cluster itself (not our range check) refuses the --set: exit 2, and the new project is removed."""
    b = clusters("b")
    b.admin.fail("PATCH", r"/training_configuration$", status=400)
    put_memory("seed", detection_project("Dogs"), detection_items(2))
    with pytest.raises(InputError, match="refused"):
        transfer("memory:seed", "b", registry=registry, quiet=True, set=["max_epochs=7"])
    assert Api(b).project("Dogs") is None
    assert b.admin.count("POST", "/media/images") == 0


def test_a_carried_setting_the_target_refuses_is_reported(clusters: Any, registry: Any) -> None:
    a = clusters("a")
    a.admin.fail("PATCH", r"/training_configuration$", status=400)
    project = detection_project("Dogs")
    project.configuration.training_parameters = {"Detection": {"training.max_epochs": 42}}
    put_memory("seed", project, detection_items(2))
    report = transfer("memory:seed", "a", registry=registry, quiet=True)
    assert report.complete
    (refused,) = report.sink_facts["refused_settings"]
    assert "training.max_epochs" in refused and "HTTP 400" in refused


def test_auto_training_restored_when_the_run_fails(clusters: Any, registry: Any) -> None:
    """Items that fail (exit 2 or 1) or a run that stops: the project does not stay without auto-training."""
    from scmigrate.model import Media
    from scmigrate.testing import make_item

    a = clusters("a")
    api = Api(a)
    bad = make_item(Media(key="bad", kind="image", name="notes", filename="notes.txt"), b"not an image", [])
    put_memory("seed", detection_project("Dogs"), detection_items(2) + [bad])
    with pytest.raises(InputError, match="notes.txt"):
        transfer("memory:seed", "a", registry=registry, quiet=True)
    assert api.auto_training(api.project("Dogs")) is True

    class Stop(BaseException):
        """What the engine treats as fatal (it aborts the writer), like Ctrl-C."""

    def stop() -> Any:
        raise Stop()

    stopper = make_item(Media(key="stop", kind="image", name="stop", filename="stop.jpg"), b"", [])
    stopper.open = stop  # type: ignore[method-assign]
    put_memory("seed", detection_project("Cats"), [stopper])
    with pytest.raises(Stop):
        transfer("memory:seed", "a", registry=registry, quiet=True, workers=1)
    assert api.auto_training(api.project("Cats")) is True


def test_a_restore_reads_each_configuration_document_once(clusters: Any, registry: Any) -> None:
    """The writer's begin asks for project_configuration once (auto_training() reuses what the settings
    read), and the one read after its own PATCH is not served from the stale copy."""
    a = clusters("a")
    put_memory("seed", detection_project("Once"), detection_items(2))
    a.admin.clear_counters()
    report = transfer("memory:seed", "a", registry=registry, quiet=True)
    assert report.complete
    assert a.admin.count("GET", "/project_configuration") == 1
    assert a.admin.count("GET", "/training_configuration") == 1
    assert a.admin.count("PATCH", "/project_configuration") == 2  # off for the upload, back on after
    assert Api(a).auto_training(Api(a).project("Once")) is True  # the source's switch, restored
