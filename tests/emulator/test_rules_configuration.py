"""Both configuration styles of docs/rest-api.md §11 (sc_emulator.rules.configuration), kept consistent."""

from __future__ import annotations

import copy
import itertools

import pytest

from sc_emulator.rules import configuration as cfg
from sc_emulator.rules.errors import RuleError
from sc_emulator.rules.pipeline import build_project

WS, PID = "ws-uuid", "p" * 24


def ids():
    counter = itertools.count(1)
    return lambda: f"{next(counter):024x}"


def make(task_type="detection"):
    project = build_project({"name": "P", "pipeline": {
        "tasks": [{"title": "Dataset", "task_type": "dataset"},
                  {"title": "T", "task_type": task_type, "labels": [{"name": "a", "group": "g"},
                                                                    {"name": "b", "group": "g"}]}],
        "connections": [{"from": "Dataset", "to": "T"}]}}, ids())
    project["id"] = PID
    return project


def make_chain():
    project = build_project({"name": "C", "pipeline": {
        "tasks": [{"title": "Dataset", "task_type": "dataset"},
                  {"title": "Det", "task_type": "detection", "labels": [{"name": "a"}]},
                  {"title": "Crop", "task_type": "crop"},
                  {"title": "Cls", "task_type": "classification", "labels": [{"name": "x", "group": "c"},
                                                                              {"name": "y", "group": "c"}]}],
        "connections": [{"from": "Dataset", "to": "Det"}, {"from": "Det", "to": "Crop"},
                        {"from": "Crop", "to": "Cls"}]}}, ids())
    project["id"] = PID
    return project


def component(doc_part, name):
    for comp in doc_part:
        ent = comp["entity_identifier"]
        if ent.get("component") == name or ent.get("group_name") == name:
            return comp
    raise KeyError(name)


def param(comp, name, group=None):
    params = comp["parameters"] if group is None else next(g for g in comp["groups"] if g["name"] == group)[
        "parameters"]
    return next(p for p in params if p["name"] == name)


def new_param(items, key):
    return next(p for p in items if p["key"] == key)


def legacy_auto(project, state, task_index=0):
    entry = cfg.legacy_document(project, state, WS, PID)["task_chain"][task_index]
    return param(component(entry["components"], "TASK_NODE"), "auto_training")["value"]


def new_auto(project, state, task_index=0):
    return new_param(cfg.project_configuration_document(project, state)["task_configs"][task_index]
                     ["auto_training"], "enable")["value"]


def refused(fn, *args, match):
    with pytest.raises(RuleError) as info:
        fn(*args)
    assert (info.value.status, info.value.error_code) == (400, "bad_request")
    assert match in info.value.message, info.value.message


def test_legacy_document_shape():
    project = make()
    task = project["pipeline"]["tasks"][1]
    doc = cfg.legacy_document(project, cfg.default_state(project), WS, PID)
    assert set(doc) == {"global", "task_chain"}
    assert [c["entity_identifier"]["component"] for c in doc["global"]] == [
        "PIPELINE_DATASET_MANAGER", "PROJECT_ACTIVE_LEARNING"]
    assert doc["global"][0]["entity_identifier"] == {"type": "COMPONENT_PARAMETERS", "workspace_id": WS,
                                                     "project_id": PID, "component": "PIPELINE_DATASET_MANAGER"}
    (entry,) = doc["task_chain"]
    assert (entry["task_id"], entry["task_title"]) == (task["id"], "T")
    node = component(entry["components"], "TASK_NODE")
    assert node["type"] == "CONFIGURABLE_PARAMETERS"
    assert node["entity_identifier"] == {"type": "COMPONENT_PARAMETERS", "workspace_id": WS, "project_id": PID,
                                         "task_id": task["id"], "component": "TASK_NODE"}
    auto = param(node, "auto_training")
    assert auto == {"name": "auto_training", "header": "Auto-training", "description": auto["description"],
                    "data_type": "boolean", "template_type": "input", "value": True, "default_value": True,
                    "editable": True, "warning": None, "ui_rules": {}}
    counter = component(entry["components"], "DATASET_COUNTER")
    assert {p["name"] for p in counter["parameters"]} == {
        "required_images_auto_training", "use_dynamic_required_annotations", "label_constraint_first_training"}
    required = param(counter, "required_images_auto_training")
    assert (required["value"], required["min_value"], required["max_value"]) == (12, 3, 10000)
    subsets = component(entry["components"], "SUBSET_MANAGER")
    assert param(subsets, "train_proportion", "subset_parameters")["value"] == 0.7
    hyper = component(entry["components"], "learning_parameters")
    assert hyper["entity_identifier"] == {"type": "HYPER_PARAMETER_GROUP", "workspace_id": WS,
                                          "model_storage_id": hyper["entity_identifier"]["model_storage_id"],
                                          "group_name": "learning_parameters"}
    assert len(hyper["entity_identifier"]["model_storage_id"]) == 24
    assert {p["name"]: p["value"] for p in hyper["parameters"]} == {
        "batch_size": 8, "learning_rate": 0.004, "max_num_epochs": 200, "enable_lr_finder": False,
        "early_stop_patience": 10}
    reduce = param(component(doc["global"], "PROJECT_ACTIVE_LEARNING"), "inter_task_reduce_fn")
    assert (reduce["template_type"], reduce["options"]) == ("selectable", ["mean", "max", "min"])


def test_defaults_depend_on_task_type():
    state = cfg.default_state(make("classification"))
    (values,) = state["tasks"].values()
    assert (values["batch_size"], values["learning_rate"]) == (32, 0.0049)


def test_new_documents_have_the_keys_official_clients_need():
    project = make()
    doc = cfg.project_configuration_document(project, cfg.default_state(project))
    (entry,) = doc["task_configs"]
    assert entry["task_id"] == project["pipeline"]["tasks"][1]["id"]
    assert [p["key"] for p in entry["training"]["constraints"]] == ["min_images_per_label"]
    assert [p["key"] for p in entry["auto_training"]] == ["enable", "enable_dynamic_required_annotations",
                                                        "min_images_per_label"]
    enable = entry["auto_training"][0]
    assert enable == {"key": "enable", "name": "Auto-training", "type": "bool", "description": enable["description"],
                      "value": True, "default_value": True}
    constraint = entry["training"]["constraints"][0]
    assert (constraint["type"], constraint["min_value"], constraint["max_value"]) == ("int", 0, 10000)
    training = cfg.training_configuration_document(project, cfg.default_state(project), model_manifest_id="m1")
    assert training["task_id"] == entry["task_id"] and training["model_manifest_id"] == "m1"
    assert [p["key"] for p in training["dataset_preparation"]["subset_split"]] == [
        "auto_selection", "training", "validation", "test"]
    assert [p["key"] for p in training["training"]] == ["batch_size", "learning_rate", "max_epochs",
                                                        "early_stopping_patience"]


def test_auto_training_switch_is_shared_between_styles():
    project = make()
    task_id = project["pipeline"]["tasks"][1]["id"]
    state = cfg.default_state(project)
    # the official client: GET project_configuration, flip "enable", PATCH the whole document back
    doc = cfg.project_configuration_document(project, state)
    new_param(doc["task_configs"][0]["auto_training"], "enable")["value"] = False
    off = cfg.apply_project_configuration(project, state, doc)
    assert (legacy_auto(project, off), new_auto(project, off)) == (False, False)
    assert legacy_auto(project, state) is True  # the old state is not modified
    # back on through the legacy task_chain/{task} POST, values only
    body = {"components": [{"entity_identifier": {"type": "COMPONENT_PARAMETERS", "workspace_id": WS,
                                                  "project_id": PID, "task_id": task_id, "component": "TASK_NODE"},
                            "parameters": [{"name": "auto_training", "value": True}]}]}
    on = cfg.apply_legacy(project, off, body, ("task", task_id))
    assert (legacy_auto(project, on), new_auto(project, on)) == (True, True)


def test_other_shared_parameters_round_trip():
    project = make()
    task_id = project["pipeline"]["tasks"][1]["id"]
    state = cfg.apply_project_configuration(project, cfg.default_state(project), {"task_configs": [
        {"task_id": task_id, "auto_training": [{"key": "min_images_per_label", "value": 40},
                                               {"key": "enable_dynamic_required_annotations", "value": False}],
         "training": {"constraints": [{"key": "min_images_per_label", "value": 5}]}}]})
    counter = component(cfg.legacy_document(project, state, WS, PID)["task_chain"][0]["components"],
                        "DATASET_COUNTER")
    assert param(counter, "required_images_auto_training")["value"] == 40
    assert param(counter, "use_dynamic_required_annotations")["value"] is False
    assert state["tasks"][task_id]["min_images_per_label"] == 5
    state = cfg.apply_training_configuration(project, state, {
        "dataset_preparation": {"subset_split": [{"key": "training", "value": 0.6}, {"key": "validation", "value": 0.3},
                                                 {"key": "test", "value": 0.1}]},
        "training": [{"key": "max_epochs", "value": 50.0}, {"key": "learning_rate", "value": 0.01}]}, task_id)
    entry = cfg.legacy_document(project, state, WS, PID)["task_chain"][0]["components"]
    assert param(component(entry, "SUBSET_MANAGER"), "train_proportion", "subset_parameters")["value"] == 0.6
    hyper = component(entry, "learning_parameters")
    assert (param(hyper, "max_num_epochs")["value"], param(hyper, "learning_rate")["value"]) == (50, 0.01)
    assert isinstance(param(hyper, "max_num_epochs")["value"], int)
    # and the other way: legacy hyper-parameters show up in the training configuration
    legacy = {"task_chain": [{"task_id": task_id, "components": [
        {"entity_identifier": hyper["entity_identifier"], "parameters": [{"name": "batch_size", "value": 64}]}]}]}
    state = cfg.apply_legacy(project, state, legacy, "task_chain")
    assert new_param(cfg.training_configuration_document(project, state)["training"], "batch_size")["value"] == 64


def test_legacy_whole_document_post_and_global():
    project = make()
    state = cfg.default_state(project)
    doc = cfg.legacy_document(project, state, WS, PID)
    param(component(doc["global"], "PIPELINE_DATASET_MANAGER"), "use_ndr")["value"] = True
    param(component(doc["global"], "PROJECT_ACTIVE_LEARNING"), "inter_task_reduce_fn")["value"] = "max"
    param(component(doc["task_chain"][0]["components"], "TASK_NODE"), "auto_training")["value"] = False
    new = cfg.apply_legacy(project, state, doc, "all")  # the full GET document (extra keys) is accepted
    assert new["global"] == {"use_ndr": True, "inter_task_reduce_fn": "max", "project_max_unseen_media": 250}
    assert new_auto(project, new) is False
    only_global = cfg.apply_legacy(project, state, {"global": [
        {"id": component(doc["global"], "PIPELINE_DATASET_MANAGER")["id"],
         "parameters": [{"name": "use_ndr", "value": True}]}]}, "global")
    assert only_global["global"]["use_ndr"] is True
    refused(cfg.apply_legacy, project, state, {}, "global", match="'global' is a required property")
    refused(cfg.apply_legacy, project, state, {}, "task_chain", match="'task_chain' is a required property")


def _node_body(task_id, params, component_name="TASK_NODE", group=None):
    comp = {"entity_identifier": {"type": "COMPONENT_PARAMETERS", "task_id": task_id, "component": component_name}}
    if group:
        comp["groups"] = [{"name": group, "parameters": params}]
    else:
        comp["parameters"] = params
    return {"components": [comp]}


@pytest.mark.parametrize("params,component_name,group,match", [
    ([{"name": "auto_train", "value": True}], "TASK_NODE", None, "Unknown parameter 'auto_train' in component "
                                                                 "'TASK_NODE'"),
    ([{"name": "auto_training", "value": "yes"}], "TASK_NODE", None,
     "Invalid value 'yes' for parameter 'auto_training': expected a boolean"),
    ([{"name": "auto_training"}], "TASK_NODE", None, "Parameter 'auto_training' has no value"),
    ([{"name": "required_images_auto_training", "value": 2}], "DATASET_COUNTER", None,
     "Invalid value 2 for parameter 'required_images_auto_training': must be between 3 and 10000"),
    ([{"name": "required_images_auto_training", "value": 4.5}], "DATASET_COUNTER", None, "expected an integer"),
    ([{"name": "x", "value": 1}], "NO_SUCH_COMPONENT", None, "Unknown configurable component 'NO_SUCH_COMPONENT'"),
    ([{"name": "train_proportion", "value": 0.5}], "SUBSET_MANAGER", "subset_parameters",
     "The subset proportions of task 'T' must add up to 1, got 0.8"),
    ([{"name": "train_proportion", "value": 0.5}], "SUBSET_MANAGER", None,
     "Unknown parameter 'train_proportion' in component 'SUBSET_MANAGER'"),
])
def test_legacy_errors(params, component_name, group, match):
    project = make()
    task_id = project["pipeline"]["tasks"][1]["id"]
    refused(cfg.apply_legacy, project, cfg.default_state(project), _node_body(task_id, params, component_name, group),
            ("task", task_id), match=match)


def test_legacy_task_errors():
    project = make()
    state = cfg.default_state(project)
    task_id = project["pipeline"]["tasks"][1]["id"]
    body = _node_body("f" * 24, [{"name": "auto_training", "value": False}])
    refused(cfg.apply_legacy, project, state, body, ("task", task_id), match="does not match task")
    refused(cfg.apply_legacy, project, state, body, ("task", "f" * 24), match="is not a trainable task")
    global_value = {"global": [{"entity_identifier": {"component": "PROJECT_ACTIVE_LEARNING"},
                                "parameters": [{"name": "inter_task_reduce_fn", "value": "median"}]}]}
    refused(cfg.apply_legacy, project, state, global_value, "global", match="expected one of ['mean', 'max', 'min']")
    refused(cfg.apply_legacy, project, state, {"global": [{"parameters": []}]}, "global",
            match="needs an entity_identifier")
    refused(cfg.apply_legacy, project, state, {"global": [{"id": [{}], "parameters": []}]}, "global",
            match="needs an entity_identifier")  # an unhashable id is a bad request, not a TypeError


def test_refused_request_changes_nothing():
    project = make()
    state = cfg.default_state(project)
    before = copy.deepcopy(state)
    task_id = project["pipeline"]["tasks"][1]["id"]
    body = _node_body(task_id, [{"name": "auto_training", "value": False}, {"name": "bogus", "value": 1}])
    refused(cfg.apply_legacy, project, state, body, ("task", task_id), match="bogus")
    assert state == before


@pytest.mark.parametrize("body,match", [
    ({}, "'task_configs' is a required property"),
    ({"task_configs": [{"auto_training": [{"key": "enabled", "value": False}]}]},
     "Unknown parameter 'enabled' in 'auto_training'"),
    ({"task_configs": [{"auto_training": [{"key": "enable", "value": 1}]}]},
     "Invalid value 1 for parameter 'enable': expected a boolean"),
    ({"task_configs": [{"training": {"constraints": [{"key": "min_images_per_label", "value": -1}]}}]},
     "Invalid value -1 for parameter 'min_images_per_label': must be between 0 and 10000"),
    ({"task_configs": [{"training": {"constraints": [{"key": "min_images_per_label", "value": 10 ** 400}]}}]},
     "parameter 'min_images_per_label': expected an integer"),
    ({"task_configs": [{"inference": []}]}, "Unknown configuration section 'inference'"),
    ({"task_configs": [{"training": {"limits": []}}]}, "Unknown configuration section 'training.limits'"),
    ({"task_configs": [{"task_id": "f" * 24}]}, "is not a trainable task"),
    ({"task_configs": [{"auto_training": [{"value": True}]}]}, "'key' is a required property"),
])
def test_project_configuration_errors(body, match):
    project = make()
    refused(cfg.apply_project_configuration, project, cfg.default_state(project), body, match=match)


@pytest.mark.parametrize("body,match", [
    ({"training": [{"key": "max_epochs", "value": 0}]}, "Invalid value 0 for parameter 'max_epochs'"),
    ({"training": [{"key": "epochs", "value": 3}]}, "Unknown parameter 'epochs' in 'training'"),
    ({"dataset_preparation": {"subset_split": [{"key": "training", "value": 0.9}]}}, "must add up to 1"),
    ({"dataset_preparation": {"filtering": {"min_pixels": []}}},
     "Unknown configuration section 'dataset_preparation.filtering.min_pixels'"),
    ({"evaluation": [{"key": "metric", "value": "f1"}]}, "Unknown parameter 'metric' in 'evaluation'"),
    ({"training": {"key": "batch_size"}}, "is not of type 'array'"),
    ({"task_id": "e" * 24}, "is not a trainable task"),
])
def test_training_configuration_errors(body, match):
    project = make()
    refused(cfg.apply_training_configuration, project, cfg.default_state(project), body, match=match)


def test_chains_need_a_task_id_and_keep_tasks_apart():
    project = make_chain()
    det, cls = project["pipeline"]["tasks"][1]["id"], project["pipeline"]["tasks"][3]["id"]
    state = cfg.default_state(project)
    refused(cfg.training_configuration_document, project, state, match="a task_id is required")
    refused(cfg.apply_project_configuration, project, state, {"task_configs": [{"auto_training": []}]},
            match="a task_id is required")
    assert [c["task_id"] for c in cfg.project_configuration_document(project, state)["task_configs"]] == [det, cls]
    assert [c["task_id"] for c in cfg.project_configuration_document(project, state, cls)["task_configs"]] == [cls]
    off = cfg.apply_project_configuration(project, state, {"task_configs": [
        {"auto_training": [{"key": "enable", "value": False}]}]}, task_id=cls)
    assert (new_auto(project, off, 0), new_auto(project, off, 1)) == (True, False)
    assert (legacy_auto(project, off, 0), legacy_auto(project, off, 1)) == (True, False)
    refused(cfg.apply_project_configuration, project, state, {"task_configs": [{"task_id": det}]}, cls,
            match="does not match the task_id")
    refused(cfg.apply_training_configuration, project, state, {"task_id": det}, cls,
            match="task_id '" + det + "' in the body does not match")
    doc = cfg.legacy_document(project, state, WS, PID)
    assert [e["task_title"] for e in doc["task_chain"]] == ["Det", "Cls"]
    assert component(doc["task_chain"][1]["components"], "learning_parameters")["parameters"][0]["value"] == 32
