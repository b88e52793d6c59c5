"""Geti 3.x emulator: dataset views, training configuration, model architectures and models, and the
test knobs and admin routes shared with the 2.x app (docs/rest-api.md §17.11–§17.13)."""

from __future__ import annotations

import uuid

import pytest
from emulator_helpers import Geti3, image_bytes

import sc_emulator


def test_views_create_assign_filter_and_delete(g3):
    project = g3.project()
    base = f"/api/projects/{project['id']}/dataset"
    a, b, c = (g3.upload(project, f"{n}.png", image_bytes()).json()["id"] for n in "abc")
    view = g3.request("POST", base + "/views", json={"name": "old-ds", "media_ids": [a]})
    assert view.status_code == 201, view.text
    vid = view.json()["id"]
    assert set(view.json()) == {"id", "project_id", "name", "created_at"}
    assert g3.request("POST", base + "/views", json={"name": "old-ds"}).status_code == 409
    assert g3.request("POST", f"{base}/views/{vid}/media", json={"media_ids": [b, c]}).status_code == 204
    assert g3.request("DELETE", f"{base}/views/{vid}/media", json={"media_ids": [c]}).status_code == 204
    unknown = g3.request("POST", f"{base}/views/{vid}/media", json={"media_ids": [str(uuid.uuid4())]})
    assert unknown.status_code == 404
    members = g3.request("GET", base + "/media", params={"dataset_view_id": vid}).json()
    assert sorted(m["id"] for m in members["items"]) == sorted([a, b]) and members["pagination"]["total"] == 2
    assert [v["name"] for v in g3.request("GET", base + "/views").json()] == ["old-ds"]
    assert g3.request("PATCH", f"{base}/views/{vid}", json={"name": "renamed"}).json()["name"] == "renamed"
    assert g3.request("DELETE", f"{base}/views/{vid}").status_code == 204
    assert g3.request("GET", f"{base}/views/{vid}").status_code == 404
    assert g3.request("GET", base + "/media").json()["pagination"]["total"] == 3  # media untouched


def test_training_configuration_architectures_and_models(g3):
    project = g3.project("detection")
    archs = g3.request("GET", "/api/model_architectures", params={"task": "detection"}).json()
    arch = archs["model_architectures"][0]["id"]
    assert all(a["task"] == "detection" for a in archs["model_architectures"])
    assert g3.request("GET", "/api/model_architectures", params={"task": "keypoints"}).status_code == 422
    path = f"/api/projects/{project['id']}/training_configuration"
    assert g3.request("GET", path).json()["detail"][0]["loc"] == ["query", "model_architecture_id"]
    assert g3.request("GET", path, params={"model_architecture_id": "nope"}).status_code == 404
    patched = g3.request("PATCH", path, params={"model_architecture_id": arch},
                         json={"training.max_epochs": 40, "training.early_stopping.patience": 5})
    assert patched.status_code == 200, patched.text
    again = g3.request("GET", path, params={"model_architecture_id": arch}).json()
    training = next(g for g in again["parameters"] if g["key"] == "training")
    epochs = next(p for p in training["parameters"] if p["key"] == "max_epochs")
    assert (epochs["value"], epochs["default_value"]) == (40, 200)
    assert g3.request("PATCH", path, params={"model_architecture_id": arch},
                      json={"training.max_epochs": "many"}).status_code == 400
    assert g3.request("PATCH", path, params={"model_architecture_id": arch},
                      json={"training.nothing": 1}).status_code == 400
    assert g3.request("GET", f"/api/projects/{project['id']}/models").json() == []


@pytest.fixture(scope="module")
def knobbed(tmp_path_factory):
    with sc_emulator.running(tmp_path_factory.mktemp("g3knobs"), dialect="geti3") as cluster:
        yield cluster


def test_fault_plans_counters_and_reset(knobbed):
    g3 = Geti3(knobbed)
    assert knobbed.admin.info()["dialect"] == "geti3"
    knobbed.admin.fail("POST", r"^/api/projects$", nth=2, status=503)
    statuses = [g3.request("POST", "/api/projects", json={"name": f"p{i}", "task": {"task_type": "detection"}})
                for i in range(3)]
    assert [r.status_code for r in statuses] == [201, 503, 201]
    assert "detail" in statuses[1].json() and statuses[1].headers["retry-after"] == "1"
    assert knobbed.admin.count("POST", "/api/projects") == 3
    assert knobbed.admin.counters()["statuses"]["POST /api/projects"] == {"201": 2, "503": 1}
    knobbed.admin.fail("POST", r"^/api/projects$", status=500, when="after")
    stored = g3.request("POST", "/api/projects", json={"name": "after", "task": {"task_type": "detection"}})
    assert stored.status_code == 500
    assert "after" in [p["name"] for p in g3.request("GET", "/api/projects").json()]
    knobbed.admin.knobs(fail_rate=1.0, fail_codes=[502])
    assert g3.request("GET", "/api/projects").status_code == 502
    knobbed.admin.reset()
    assert g3.request("GET", "/api/projects").json() == []
    assert knobbed.admin.knobs()["fail_rate"] == 0.0
