"""Geti 2.x → 3.x and back, and 3.x → archive → 3.x, against a 2.x and a 3.x emulator (real HTTPS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cluster_helpers import detection_items, detection_project, kind_project
from geti3_helpers import detection_with_alpha, g3_view, multiclass_project, two_servers, use_servers

from scmigrate.engine.compare import compare_locations
from scmigrate.engine.facade import transfer
from scmigrate.errors import InputError
from scmigrate.testing import put_memory


@pytest.fixture(scope="module")
def running_servers(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with two_servers(tmp_path_factory.mktemp("geti3-migration")) as running:
        yield running


@pytest.fixture
def servers(running_servers: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    return use_servers(running_servers, monkeypatch)


def _seed(registry: Any, project: Any, items: list[Any]) -> None:
    put_memory("seed", project, items)
    assert transfer("memory:seed", "classic", registry=registry, quiet=True, workers=2).complete


def test_detection_to_3x_and_back(servers: Any, registry: Any, tmp_path: Path) -> None:
    _seed(registry, detection_project("Dogs"), detection_items(4))
    report = transfer("classic", "g3", registry=registry, quiet=True, project="Dogs", workers=2)
    assert report.complete, report.to_dict()
    got = g3_view("g3", "Dogs")
    assert got["task"] == {"task_type": "detection", "exclusive_labels": False}
    # alpha dropped, hotkeys kept, no empty label created
    assert got["labels"] == {"dog": ("#ff0000", "ctrl+1"), "cat": ("#00ff00", "ctrl+2")}
    assert got["media"]["img0.jpg"] == [(None, [("RECTANGLE", (3, 4, 20, 10), ("dog",)),
                                                ("RECTANGLE", (30, 20, 12, 9), ("cat",))])]
    assert got["media"]["img2.jpg"] == [(None, [])]  # the 2.x empty label → reviewed, no annotations
    assert got["media"]["img3.png"] == []  # never annotated stays so
    facts = report.sink_facts
    (project,) = facts["projects"]
    assert set(project["label_ids"]) == {"dog", "cat"} and len(report.id_map) == 4

    back = transfer("g3", "classic", registry=registry, quiet=True, project="Dogs", to_project="Dogs again")
    assert back.complete, back.to_dict()
    result = compare_locations("g3", "classic", _opts("Dogs"), registry=registry,
                               dest_options=_opts("Dogs again"))
    assert _differences(result) == [] and result.count("=") == 4


def _opts(project: str) -> Any:
    from scmigrate.api import RunOptions

    return RunOptions(project=project)


def _differences(result: Any) -> list[Any]:
    """Every media line that is not ``=`` (an image annotated as empty is one form on both sides)."""
    return [line for line in result.lines if line[0] != "="]


@pytest.mark.parametrize("kind", ["instance_segmentation", "multilabel", "multiclass", "video_detection"])
def test_kinds_to_3x_and_back(kind: str, servers: Any, registry: Any) -> None:
    project, items = multiclass_project() if kind == "multiclass" else kind_project(kind)
    _seed(registry, project, items)
    report = transfer("classic", "g3", registry=registry, quiet=True, project=project.name, workers=2)
    assert report.complete, report.to_dict()
    got = g3_view("g3", project.name)
    expected = {"instance_segmentation": ("instance_segmentation", False), "multilabel": ("classification", False),
                "multiclass": ("classification", True), "video_detection": ("detection", False)}[kind]
    assert (got["task"]["task_type"], got["task"]["exclusive_labels"]) == expected
    annotated = {name: scenes for name, scenes in got["media"].items() if scenes}
    assert len(annotated) == sum(1 for it in items if it.scenes)
    if kind == "multilabel":
        assert annotated["a.jpg"] == [(None, [("RECTANGLE", (0, 0, 64, 48), ("red", "blue"))])]
    if kind == "instance_segmentation":
        ((_, [(shape, _, labels)]),) = annotated["a.jpg"]
        assert shape == "POLYGON" and labels == ("cell",)
    if kind == "video_detection":  # each annotated frame, at its index
        assert [frame for frame, _ in annotated["clip.mp4"]] == [0, 3, 9]
    back = transfer("g3", "classic", registry=registry, quiet=True, project=project.name,
                    to_project=f"{project.name} again")
    assert back.complete, back.to_dict()
    result = compare_locations("g3", "classic", _opts(project.name), registry=registry,
                               dest_options=_opts(f"{project.name} again"))
    assert _differences(result) == [] and result.count("=") == len(items), result.lines


def test_chain_splits_into_one_project_per_task(servers: Any, registry: Any) -> None:
    project, items = kind_project("detection_to_classification")
    _seed(registry, project, items)
    plan = transfer("classic", "g3", registry=registry, quiet=True, project=project.name, dry_run=True).plan
    text = "\n".join(plan)
    assert "one Geti 3.x project per task" in text
    assert "'Chain cls · Detection' [detection]" in text and "'Chain cls · Classification' [classification]" in text
    assert "loses: Classification: which box carried which class" in text
    assert "models cannot be imported" in text and "range annotations are not kept" in text
    with pytest.raises(InputError, match="--strict"):
        transfer("classic", "g3", registry=registry, quiet=True, project=project.name, dry_run=True, strict=True)

    report = transfer("classic", "g3", registry=registry, quiet=True, project=project.name)
    assert report.complete, report.to_dict()
    assert [p["name"] for p in report.sink_facts["projects"]] == ["Chain cls · Detection",
                                                                 "Chain cls · Classification"]
    det = g3_view("g3", "Chain cls · Detection")
    cls = g3_view("g3", "Chain cls · Classification")
    assert det["media"]["a.jpg"] == [(None, [("RECTANGLE", (10, 10, 30, 25), ("animal",)),
                                             ("RECTANGLE", (40, 5, 10, 10), ("animal",))])]
    assert cls["task"] == {"task_type": "classification", "exclusive_labels": False}
    assert cls["media"]["a.jpg"] == [(None, [("RECTANGLE", (0, 0, 64, 48), ("big", "small"))])]
    (ids,) = report.id_map.values()  # keyed by the 2.x media id
    assert set(ids) == {"Chain cls · Detection", "Chain cls · Classification"}  # one media id per project


def test_colours_with_alpha_and_datasets_as_views(servers: Any, registry: Any) -> None:
    project, items = detection_with_alpha()
    _seed(registry, project, items)
    plan = "\n".join(transfer("classic", "g3", registry=registry, quiet=True, project="Pets", dry_run=True).plan)
    assert "loses: label 'dog': the transparency of colour #ff000080" in plan
    assert "label 'cat'" not in plan.split("loses:", 1)[-1]  # an opaque alpha is no loss
    assert "each kept as a dataset view" in plan
    report = transfer("classic", "g3", registry=registry, quiet=True, project="Pets")
    assert report.complete, report.to_dict()
    got = g3_view("g3", "Pets")
    assert got["labels"] == {"dog": ("#ff0000", "1"), "cat": ("#00ff00", "2")}
    assert got["views"] == ["Extra", "Train"]
    # a second migration of the same project into the same server: its own ids, no clash
    again = transfer("classic", "g3", registry=registry, quiet=True, project="Pets", to_project="Pets 2")
    assert again.complete, again.to_dict()
    first, second = report.sink_facts["projects"][0], again.sink_facts["projects"][0]
    assert first["id"] != second["id"] and set(first["label_ids"].values()) & set(second["label_ids"].values()) == set()
    with pytest.raises(InputError, match="already exists"):
        transfer("classic", "g3", registry=registry, quiet=True, project="Pets")


def test_3x_backup_and_restore_are_identical(servers: Any, registry: Any, tmp_path: Path) -> None:
    _seed(registry, detection_project("Boxes"), detection_items(3))
    assert transfer("classic", "g3", registry=registry, quiet=True, project="Boxes").complete
    archive = str(tmp_path / "boxes.scz")
    assert transfer("g3", archive, registry=registry, quiet=True, project="Boxes").complete
    assert transfer(archive, "g3", registry=registry, quiet=True, to_project="Boxes restored").complete
    result = compare_locations("g3", "g3", _opts("Boxes"), registry=registry, dest_options=_opts("Boxes restored"))
    assert result.identical(), (result.lines, result.project_diffs)
    assert result.count("=") == 3
    # what the model has no field for travels in the archive and comes back: views and the task kind
    assert g3_view("g3", "Boxes restored")["task"] == g3_view("g3", "Boxes")["task"]


@pytest.mark.parametrize("kind, task, shape, labels", [
    ("segmentation", ("instance_segmentation", False), "POLYGON", {"blob"}),
    ("rotated_detection", ("instance_segmentation", False), "POLYGON", {"ship"}),
    ("hierarchical", ("classification", True), "RECTANGLE", {"dog", "bird"}),
    ("anomaly", ("classification", True), "RECTANGLE", {"Good", "Bad"}),
])
def test_lossy_kinds(kind: str, task: tuple[str, bool], shape: str, labels: set[str], servers: Any,
                     registry: Any) -> None:
    project, items = kind_project(kind)
    _seed(registry, project, items)
    plan = "\n".join(transfer("classic", "g3", registry=registry, quiet=True, project=project.name, dry_run=True).plan)
    said = {"segmentation": "semantic segmentation → instance segmentation",
            "rotated_detection": "each rotated box a 4-point polygon (default; --project-type detection",
            "hierarchical": "hierarchical → multi-class with the leaf labels (bird, dog, cat)",
            "anomaly": "anomaly → multi-class classification with the labels Good / Bad"}[kind]
    assert said in plan, plan
    report = transfer("classic", "g3", registry=registry, quiet=True, project=project.name)
    assert report.complete, report.to_dict()
    got = g3_view("g3", project.name)
    assert (got["task"]["task_type"], got["task"]["exclusive_labels"]) == task
    shapes = [a for scenes in got["media"].values() for _, anns in scenes for a in anns]
    assert {a[0] for a in shapes} == {shape} and {n for a in shapes for n in a[2]} == labels
    if kind == "rotated_detection":
        assert len(shapes) == 1  # the rotated box, as a polygon: its bounding box is the rotated box's
        rotated = items[0].scenes[0].annotations[0].shape
        assert all(abs(a - round(b)) <= 1 for a, b in zip(shapes[0][1], rotated.bbox(), strict=True))


def test_rotated_boxes_as_detection_and_keypoints_refused(servers: Any, registry: Any) -> None:
    project, items = kind_project("rotated_detection")
    project.name = "Rot as boxes"  # the servers are shared by this module's tests
    _seed(registry, project, items)
    report = transfer("classic", "g3", registry=registry, quiet=True, project=project.name,
                      to_project="Rot boxes", project_type="detection")
    assert report.complete, report.to_dict()
    got = g3_view("g3", "Rot boxes")
    assert got["task"]["task_type"] == "detection"
    assert [a[0] for scenes in got["media"].values() for _, anns in scenes for a in anns] == ["RECTANGLE"]

    project, items = kind_project("keypoint_detection")
    _seed(registry, project, items)
    with pytest.raises(InputError, match="keypoint detection cannot move to Geti 3.x"):
        transfer("classic", "g3", registry=registry, quiet=True, project=project.name)
    assert all(p.get("name") != project.name for p in _g3_projects(servers))  # nothing was created


def _g3_projects(servers: Any) -> list[dict[str, Any]]:
    import requests

    c = servers["g3"]
    s = requests.Session()
    s.trust_env = False
    return s.get(c.url + "/api/projects", verify=c.ca_bundle, timeout=30).json()


def test_an_interrupted_run_resumes_into_the_same_project(servers: Any, registry: Any) -> None:
    from scmigrate.errors import TransferIncomplete

    project, items = detection_project("Resumed"), detection_items(3)
    flaky = items[1]
    real_open, calls = flaky.open, []

    def open_once_broken() -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("source went away")
        return real_open()

    flaky.open = open_once_broken
    put_memory("seed", project, items)
    with pytest.raises(TransferIncomplete):
        transfer("memory:seed", "g3", registry=registry, quiet=True, retries=0, workers=1)
    report = transfer("memory:seed", "g3", registry=registry, quiet=True, resume=True, workers=1)
    assert report.complete, report.to_dict()
    got = g3_view("g3", "Resumed")
    assert sorted(got["media"]) == ["img0.jpg", "img1.png", "img2.jpg"]  # each once, in the one project
    assert len([p for p in _g3_projects(servers) if p["name"] == "Resumed"]) == 1


def test_an_item_loss_is_a_note_or_under_strict_an_error(servers: Any, registry: Any) -> None:
    from cluster_helpers import image_item

    from scmigrate.model import Scene

    project, items = multiclass_project()
    project.name = "Times strict"
    items.append(image_item("i3", "empty", [Scene([])], seed=3))  # annotated as empty: multi-class cannot say so
    put_memory("seed", project, items)
    with pytest.raises(InputError, match="empty.jpg: moving to Geti 3.x would lose: an image annotated as empty"):
        transfer("memory:seed", "g3", registry=registry, quiet=True, strict=True, retries=0)
    project.name = "Times notes"
    put_memory("seed", project, items)
    report = transfer("memory:seed", "g3", registry=registry, quiet=True)
    assert report.complete, report.to_dict()
    (note,) = report.sink_facts["item_notes"]
    assert "left unannotated" in note and report.sink_facts["item_notes"][note] == 1
    assert g3_view("g3", "Times notes")["media"]["empty.jpg"] == []
