"""Project create and edit rules (docs/rest-api.md §7, §7.6) of sc_emulator.rules.pipeline."""

from __future__ import annotations

import copy
import itertools

import pytest

from sc_emulator.rules.errors import RuleError
from sc_emulator.rules.pipeline import apply_project_edit, build_project, label_index, strip_deleted_labels


def ids():
    counter = itertools.count(1)
    return lambda: f"{next(counter):024x}"


def single(task_type, labels=None, title="Task", **extra):
    task = {"title": title, "task_type": task_type, **extra}
    if labels is not None:
        task["labels"] = labels
    return {"name": "P", "pipeline": {"tasks": [{"title": "Dataset", "task_type": "dataset"}, task],
                                      "connections": [{"from": "Dataset", "to": title}]}}


def chain(second_type, det_labels, second_labels):
    return {"name": "Chain", "pipeline": {
        "tasks": [{"title": "Dataset", "task_type": "dataset"},
                  {"title": "Det", "task_type": "detection", "labels": det_labels},
                  {"title": "Crop", "task_type": "crop"},
                  {"title": "Second", "task_type": second_type, "labels": second_labels}],
        "connections": [{"from": "Dataset", "to": "Det"}, {"from": "Det", "to": "Crop"},
                        {"from": "Crop", "to": "Second"}]}}


def fails(body, message_part, code="bad_request", status=400):
    with pytest.raises(RuleError) as info:
        build_project(body, ids())
    err = info.value
    assert (err.status, err.error_code) == (status, code)
    assert message_part in err.message, err.message
    assert err.body() == {"http_status": status, "message": err.message, "error_code": code}
    return err


def labels_of(project, title):
    return next(t for t in project["pipeline"]["tasks"] if t["title"] == title)["labels"]


def test_detection_project_gets_no_object_and_ids():
    project = build_project(single("detection", [{"name": "cat", "color": "#FF0000", "hotkey": "ctrl+1",
                                                  "group": "animals"}]), ids())
    assert project["name"] == "P"
    dataset, task = project["pipeline"]["tasks"]
    assert dataset == {"id": f"{1:024x}", "title": "Dataset", "task_type": "dataset"}
    assert project["pipeline"]["connections"] == [{"from": dataset["id"], "to": task["id"]}]
    cat, empty = task["labels"]
    assert cat == {"id": cat["id"], "name": "cat", "color": "#ff0000ff", "group": "animals", "parent_id": None,
                   "hotkey": "ctrl+1", "is_empty": False, "is_anomalous": False}
    assert empty | {"id": None} == {"id": None, "name": "No object", "color": "#000000ff", "group": "No object",
                                    "parent_id": None, "hotkey": "", "is_empty": True, "is_anomalous": False}
    assert len({dataset["id"], task["id"], cat["id"], empty["id"], task["label_schema_id"]}) == 5


def test_missing_colour_is_deterministic_and_valid():
    a = labels_of(build_project(single("detection", [{"name": "dog"}]), ids()), "Task")[0]["color"]
    b = labels_of(build_project(single("detection", [{"name": "dog"}]), ids()), "Task")[0]["color"]
    c = labels_of(build_project(single("detection", [{"name": "cow"}]), ids()), "Task")[0]["color"]
    assert a == b != c and len(a) == 9 and a.startswith("#") and a.endswith("ff")


@pytest.mark.parametrize("task_type,empty_name", [("rotated_detection", "No object"), ("segmentation", "Empty"),
                                                  ("instance_segmentation", "Empty")])
def test_empty_labels_per_task_type(task_type, empty_name):
    labels = labels_of(build_project(single(task_type, [{"name": "x"}]), ids()), "Task")
    assert [(lab["name"], lab["is_empty"], lab["group"]) for lab in labels] == [
        ("x", False, "default - " + task_type), (empty_name, True, empty_name)]


def test_multiclass_classification_has_no_no_class():
    labels = labels_of(build_project(single("classification", [{"name": "a", "group": "g"},
                                                               {"name": "b", "group": "g"}]), ids()), "Task")
    assert [lab["name"] for lab in labels] == ["a", "b"]


def test_multilabel_classification_gets_no_class():
    labels = labels_of(build_project(single("classification", [{"name": "a", "group": "ga"},
                                                               {"name": "b", "group": "gb"}]), ids()), "Task")
    assert [(lab["name"], lab["is_empty"], lab["color"]) for lab in labels][-1] == ("No class", True, "#000000ff")


def test_classification_needs_two_top_level_labels():
    fails(single("classification", [{"name": "a"}]), "at least two top-level labels, got 1")
    fails(single("classification", [{"name": "a", "group": "g1"}, {"name": "b", "group": "g2", "parent_id": "a"}]),
          "at least two top-level labels, got 1")


def test_hierarchy_parent_by_name_becomes_id_and_rules():
    body = single("classification", [{"name": "animal", "group": "top"}, {"name": "plant", "group": "top"},
                                     {"name": "dog", "group": "animals", "parent_id": "animal"},
                                     {"name": "cat", "group": "animals", "parent_id": "animal"}])
    labels = {lab["name"]: lab for lab in labels_of(build_project(body, ids()), "Task")}
    assert labels["dog"]["parent_id"] == labels["cat"]["parent_id"] == labels["animal"]["id"]
    assert "No class" not in labels
    bad = copy.deepcopy(body)
    bad["pipeline"]["tasks"][1]["labels"][2]["parent_id"] = "fish"
    fails(bad, "Invalid value received for field 'pipeline.tasks[1].labels[2].parent_id': no label named 'fish'")
    same = copy.deepcopy(body)
    same["pipeline"]["tasks"][1]["labels"][2]["group"] = "top"
    fails(same, "are in the same group 'top'")
    cyc = single("classification", [{"name": "a", "group": "g1", "parent_id": "b"},
                                    {"name": "b", "group": "g2", "parent_id": "a"}, {"name": "c", "group": "g1"}])
    fails(cyc, "form a cycle")


@pytest.mark.parametrize("old", ["anomaly_classification", "anomaly_detection", "anomaly_segmentation"])
def test_old_anomaly_types_become_anomaly(old):
    task = build_project(single(old, title="Find defects"), ids())["pipeline"]["tasks"][1]
    assert (task["task_type"], task["title"]) == ("anomaly", "Anomaly")
    assert [(lab["name"], lab["is_anomalous"], lab["group"]) for lab in task["labels"]] == [
        ("Normal", False, "default - anomaly"), ("Anomalous", True, "default - anomaly")]


def test_anomaly_with_two_given_labels():
    labels = labels_of(build_project(single("anomaly", [{"name": "good"}, {"name": "bad", "is_anomalous": True}],
                                            title="Anomaly"), ids()), "Anomaly")
    assert [(lab["name"], lab["is_anomalous"]) for lab in labels] == [("good", False), ("bad", True)]
    fails(single("anomaly", [{"name": "good"}, {"name": "bad"}]), "exactly two labels, one of them anomalous")
    fails(single("anomaly", [{"name": "good"}]), "exactly two labels")
    fails(single("detection", [{"name": "bad", "is_anomalous": True}]), "Only anomaly tasks")


def test_keypoint_structure_names_to_ids():
    body = single("keypoint_detection", [{"name": "head"}, {"name": "tail"}], keypoint_structure={
        "edges": [{"nodes": ["head", "tail"]}],
        "positions": [{"label": "head", "x": 0.2, "y": 0.5}, {"label": "tail", "x": 0.8, "y": 0.5}]})
    task = build_project(body, ids())["pipeline"]["tasks"][1]
    head, tail = task["labels"]
    assert task["keypoint_structure"] == {"edges": [{"nodes": [head["id"], tail["id"]]}], "positions": [
        {"label": head["id"], "x": 0.2, "y": 0.5}, {"label": tail["id"], "x": 0.8, "y": 0.5}]}
    missing = copy.deepcopy(body)
    missing["pipeline"]["tasks"][1]["keypoint_structure"]["positions"].pop()
    fails(missing, "no position for keypoint(s) tail")
    outside = copy.deepcopy(body)
    outside["pipeline"]["tasks"][1]["keypoint_structure"]["positions"][0]["x"] = 1.5
    fails(outside, "1.5 is greater than the maximum of 1")
    unknown = copy.deepcopy(body)
    unknown["pipeline"]["tasks"][1]["keypoint_structure"]["edges"][0]["nodes"][1] = "paw"
    fails(unknown, "'paw' is not a keypoint label")
    del body["pipeline"]["tasks"][1]["keypoint_structure"]
    fails(body, "'keypoint_structure' is a required property")
    fails(single("detection", [{"name": "a"}], keypoint_structure={"edges": [], "positions": []}),
          "only keypoint_detection tasks have one")


def test_chain_detection_segmentation_example():
    project = build_project(chain("segmentation", [{"name": "parcel", "color": "#1f77b4ff", "group": "pd"}],
                                  [{"name": "address label", "group": "ss"}, {"name": "barcode", "group": "ss"}]),
                            ids())
    tasks = project["pipeline"]["tasks"]
    assert [t["task_type"] for t in tasks] == ["dataset", "detection", "crop", "segmentation"]
    assert [c["from"] for c in project["pipeline"]["connections"]] == [t["id"] for t in tasks[:3]]
    assert [lab["name"] for lab in tasks[1]["labels"]] == ["parcel", "No object"]
    assert [lab["name"] for lab in tasks[3]["labels"]] == ["address label", "barcode", "Empty"]
    assert "labels" not in tasks[2]


def test_chain_classification_may_name_detection_parent():
    project = build_project(chain("classification", [{"name": "car"}],
                                  [{"name": "red", "group": "c", "parent_id": "car"},
                                   {"name": "blue", "group": "c", "parent_id": "car"}]), ids())
    car = labels_of(project, "Det")[0]
    assert [lab["parent_id"] for lab in labels_of(project, "Second")] == [car["id"], car["id"]]


def test_tasks_listed_out_of_order_are_stored_in_pipeline_order():
    body = single("detection", [{"name": "a"}])
    body["pipeline"]["tasks"].reverse()
    assert [t["task_type"] for t in build_project(body, ids())["pipeline"]["tasks"]] == ["dataset", "detection"]


@pytest.mark.parametrize("mutate,message", [
    (lambda b: b.pop("name"), "'name' is a required property"),
    (lambda b: b.update(name=""), "Invalid value received for field 'name': '' is too short"),
    (lambda b: b.update(name=3), "Invalid value received for field 'name': 3 is not of type 'string'"),
    (lambda b: b.pop("pipeline"), "'pipeline' is a required property"),
    (lambda b: b["pipeline"].pop("connections"), "'connections' is a required property"),
    (lambda b: b["pipeline"]["tasks"][1].update(title="Dataset"), "Task titles must be unique"),
    (lambda b: b["pipeline"].update(connections=[]), "One or more tasks are not connected in the pipeline"),
    (lambda b: b["pipeline"]["tasks"][1].update(task_type="tracking"),
     "Invalid value received for field 'pipeline.tasks[1].task_type': 'tracking' is not one of"),
    (lambda b: b["pipeline"]["tasks"][1].update(extra=1),
     "Invalid value received for field 'pipeline.tasks[1]': Additional properties are not allowed "
     "('extra' was unexpected)"),
    (lambda b: b["pipeline"]["tasks"][1]["labels"][0].update(shade=1), "('shade' was unexpected)"),
    (lambda b: b["pipeline"]["connections"][0].update(via="x"), "('via' was unexpected)"),
    (lambda b: b["pipeline"]["connections"][0].update(to="Nope"), "there is no task titled 'Nope'"),
    (lambda b: b["pipeline"]["tasks"][1]["labels"][0].update(color="red"),
     "'pipeline.tasks[1].labels[0].color': 'red' does not match"),
    (lambda b: b["pipeline"]["tasks"][1]["labels"][0].update(color="#12345"), "does not match"),
    (lambda b: b["pipeline"]["tasks"][1]["labels"][0].pop("name"), "'name' is a required property"),
    (lambda b: b["pipeline"]["tasks"][1]["labels"].append({"name": "cat"}), "Label names must be unique"),
    (lambda b: b["pipeline"]["tasks"][1]["labels"].append({"name": "No object"}), "reserved for the empty label"),
    (lambda b: b["pipeline"]["tasks"][1].update(labels=[]), "needs at least one label"),
    (lambda b: b["pipeline"]["tasks"][1]["labels"][0].update(hotkey=5), "5 is not of type 'string'"),
    (lambda b: b["pipeline"]["tasks"][0].update(labels=[{"name": "x"}]), "a dataset task has no labels"),
])
def test_create_errors(mutate, message):
    body = single("detection", [{"name": "cat"}])
    mutate(body)
    fails(body, message)


@pytest.mark.parametrize("types", [["dataset", "detection", "crop", "detection"], ["dataset", "classification",
                                   "crop", "segmentation"], ["dataset", "detection", "segmentation"],
                                   ["crop", "detection"], ["detection", "dataset"]])
def test_unsupported_shapes(types):
    tasks = [{"title": f"T{i}", "task_type": t} for i, t in enumerate(types)]
    for task in tasks:
        if task["task_type"] not in ("dataset", "crop"):
            task["labels"] = [{"name": f"l{task['title']}", "group": task["title"]},
                              {"name": f"m{task['title']}", "group": task["title"]}]
    conns = [{"from": a["title"], "to": b["title"]} for a, b in itertools.pairwise(tasks)]
    fails({"name": "x", "pipeline": {"tasks": tasks, "connections": conns}}, "Unsupported pipeline")


def test_branching_and_partial_connections():
    body = chain("segmentation", [{"name": "a"}], [{"name": "b"}])
    body["pipeline"]["connections"] = body["pipeline"]["connections"][:2]
    fails(body, "One or more tasks are not connected in the pipeline")
    body["pipeline"]["connections"].append({"from": "Det", "to": "Second"})
    fails(body, "single chain")


def test_empty_label_given_by_client_is_kept():
    labels = labels_of(build_project(single("detection", [{"name": "a"}, {"name": "No Object", "is_empty": True}]),
                                     ids()), "Task")
    assert [(lab["name"], lab["is_empty"], lab["group"]) for lab in labels] == [
        ("a", False, "default - detection"), ("No Object", True, "No Object")]
    fails(single("keypoint_detection", [{"name": "a", "is_empty": True}]), "have no empty label")


# ---------------------------------------------------------------- PUT


def put_body(project):
    """What a client sends back: the GET document with ids."""
    body = copy.deepcopy(project)
    body["id"] = "0" * 24
    return body


@pytest.fixture
def det_project():
    return build_project(single("detection", [{"name": "cat", "group": "g"}, {"name": "dog", "group": "g"}]), ids())


def test_put_rename_edit_add_delete(det_project):
    new_id = ids()
    body = put_body(det_project)
    body["name"] = "Renamed"
    cat, dog, empty = body["pipeline"]["tasks"][1]["labels"]
    cat.update(name="kitten", color="#00FF00", hotkey="k")
    dog["is_deleted"] = True
    body["pipeline"]["tasks"][1]["labels"].append({"name": "bird", "color": "#0000ff", "group": "g"})
    out = apply_project_edit(det_project, body, lambda: "f" * 24)
    labels = out["pipeline"]["tasks"][1]["labels"]
    assert out["name"] == "Renamed"
    assert [(lab["name"], lab["color"], lab["hotkey"], lab.get("is_deleted", False)) for lab in labels] == [
        ("kitten", "#00ff00ff", "k", False), ("dog", labels[1]["color"], "", True),
        ("No object", "#000000ff", "", False), ("bird", "#0000ffff", "", False)]
    assert labels[3]["id"] == "f" * 24 and out["pipeline"]["tasks"][1]["label_schema_id"] == "f" * 24
    assert det_project["pipeline"]["tasks"][1]["labels"][0]["name"] == "cat"  # the input is not modified
    assert "dog" not in [lab["name"] for _, lab in label_index(out).values()]
    assert "dog" in [lab["name"] for _, lab in label_index(out, include_deleted=True).values()]
    visible = strip_deleted_labels(out)
    assert [lab["name"] for lab in visible["pipeline"]["tasks"][1]["labels"]] == ["kitten", "No object", "bird"]
    del new_id


def test_put_unchanged_body_keeps_schema_id(det_project):
    out = apply_project_edit(det_project, put_body(det_project), ids())
    assert out["pipeline"] == det_project["pipeline"]


@pytest.mark.parametrize("mutate,code,message", [
    (lambda t: t["labels"][0].update(group="other"), "cannot_change_label_group",
     "The group of label 'cat' cannot be changed"),
    (lambda t: t["labels"][0].pop("color"), "bad_request", "'color' is a required property"),
    (lambda t: t["labels"].append({"name": "new", "group": "g"}), "bad_request", "'color' is a required property"),
    (lambda t: t["labels"][0].update(id="a" * 24), "label_not_found", "does not exist in task"),
    (lambda t: t["labels"][2].update(is_deleted=True), "bad_request", "cannot be deleted"),
    (lambda t: t["labels"][0].update(name="dog"), "bad_request", "Label names must be unique"),
    (lambda t: t["labels"][0].update(color="blue"), "bad_request", "does not match"),
    (lambda t: t["labels"][0].update(is_deleted=True) or t["labels"][1].update(is_deleted=True), "bad_request",
     "needs at least one label"),
    (lambda t: t.update(task_type="segmentation"), "bad_request", "the type of a task cannot be changed"),
    (lambda t: t.update(id="b" * 24), "bad_request", "is not a task of this project"),
])
def test_put_errors(det_project, mutate, code, message):
    body = put_body(det_project)
    mutate(body["pipeline"]["tasks"][1])
    with pytest.raises(RuleError) as info:
        apply_project_edit(det_project, body, ids())
    assert (info.value.status, info.value.error_code) == (400, code)
    assert message in info.value.message


def test_put_removing_a_task_and_missing_name(det_project):
    body = put_body(det_project)
    body["pipeline"]["tasks"].pop(0)
    with pytest.raises(RuleError, match="Tasks cannot be added to or removed"):
        apply_project_edit(det_project, body, ids())
    body = put_body(det_project)
    del body["name"]
    with pytest.raises(RuleError, match="'name' is a required property"):
        apply_project_edit(det_project, body, ids())


def test_put_no_class_follows_groups():
    project = build_project(single("classification", [{"name": "a", "group": "g1"}, {"name": "b", "group": "g2"}]),
                            ids())
    assert labels_of(project, "Task")[-1]["name"] == "No class"
    body = put_body(project)
    body["pipeline"]["tasks"][1]["labels"].append({"name": "c", "group": "g1", "color": "#123456"})
    out = apply_project_edit(project, body, ids())
    assert [(lab["name"], bool(lab.get("is_deleted"))) for lab in labels_of(out, "Task")] == [
        ("a", False), ("b", False), ("No class", True), ("c", False)]


def test_put_parent_rules_and_deleted_parent():
    project = build_project(single("classification", [{"name": "animal", "group": "top"},
                                                      {"name": "plant", "group": "top"},
                                                      {"name": "dog", "group": "sub", "parent_id": "animal"},
                                                      {"name": "rock", "group": "top"}]),
                            ids())
    body = put_body(project)
    labels = body["pipeline"]["tasks"][1]["labels"]
    labels.append({"name": "cat", "group": "sub", "color": "#010203", "parent_id": "animal"})
    out = apply_project_edit(project, body, ids())
    by_name = {lab["name"]: lab for lab in labels_of(out, "Task")}
    assert by_name["cat"]["parent_id"] == by_name["animal"]["id"]
    body = put_body(project)
    body["pipeline"]["tasks"][1]["labels"][2]["parent_id"] = "plant"
    with pytest.raises(RuleError, match="cannot be changed"):
        apply_project_edit(project, body, ids())
    body = put_body(project)
    body["pipeline"]["tasks"][1]["labels"][0]["is_deleted"] = True
    with pytest.raises(RuleError, match="cannot stay while its parent label is deleted"):
        apply_project_edit(project, body, ids())


def test_put_keypoint_delete_drops_graph_entries():
    project = build_project(single("keypoint_detection", [{"name": "h"}, {"name": "t"}, {"name": "p"}],
                                   keypoint_structure={"edges": [{"nodes": ["h", "t"]}, {"nodes": ["t", "p"]}],
                                                       "positions": [{"label": n, "x": 0.5, "y": 0.5}
                                                                     for n in "htp"]}), ids())
    body = put_body(project)
    del body["pipeline"]["tasks"][1]["keypoint_structure"]
    body["pipeline"]["tasks"][1]["labels"][2]["is_deleted"] = True
    out = apply_project_edit(project, body, ids())
    h, t, _ = labels_of(out, "Task")
    graph = out["pipeline"]["tasks"][1]["keypoint_structure"]
    assert graph["edges"] == [{"nodes": [h["id"], t["id"]]}]
    assert [p["label"] for p in graph["positions"]] == [h["id"], t["id"]]


def test_put_cannot_add_anomaly_labels():
    project = build_project(single("anomaly"), ids())
    body = put_body(project)
    body["pipeline"]["tasks"][1]["labels"].append({"name": "x", "color": "#000000"})
    with pytest.raises(RuleError, match="cannot be added to anomaly task"):
        apply_project_edit(project, body, ids())
