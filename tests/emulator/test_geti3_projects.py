"""Geti 3.x emulator: discovery, transport and projects with their labels (docs/rest-api.md §17.1–§17.5)."""

from __future__ import annotations

import uuid

import pytest
import requests

import sc_emulator


def test_health_openapi_and_ui_catch_all_over_https(g3, geti3_cluster):
    assert geti3_cluster.url.startswith("https://") and geti3_cluster.ca_bundle
    health = g3.request("GET", "/health")
    assert health.json() == {"status": "ok"}
    assert health.headers["cross-origin-opener-policy"] == "same-origin"
    doc = g3.request("GET", "/api/openapi.json").json()
    assert doc["info"] == {"title": "Geti", "version": "3.2.0"}
    assert {"get", "post"} <= set(doc["paths"]["/api/projects"])
    assert "/api/uploads" in doc["paths"] and "/api/projects/{project_id}/dataset/views" in doc["paths"]
    assert not any(p.startswith("/_emulator") for p in doc["paths"])
    probe = g3.request("GET", "/api/v1/product_info")  # the 2.x probe meets the UI page
    assert probe.status_code == 200 and probe.headers["content-type"].startswith("text/html")
    wrong = g3.request("POST", "/api/v1/product_info")
    assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed"})
    with pytest.raises(requests.exceptions.SSLError):  # its own certificate, not a public one
        requests.get(geti3_cluster.url + "/health", timeout=10)


def test_bare_backend_version_and_no_tus(tmp_path):
    with sc_emulator.running(tmp_path, dialect="geti3", version="3.1.0", spa=False, tus=False, tls=False) as c:
        assert c.url.startswith("http://")
        doc = requests.get(c.url + "/api/openapi.json", timeout=10).json()
        assert doc["info"]["version"] == "3.1.0"
        assert not any(p.startswith("/api/uploads") or p.endswith(":from-upload") for p in doc["paths"])
        missing = requests.get(c.url + "/api/v1/product_info", timeout=10)
        assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
        assert requests.post(c.url + "/api/uploads", timeout=10).status_code == 404


def test_project_create_get_list_patch_delete(g3):
    chosen = str(uuid.uuid4())
    label_id = str(uuid.uuid4())
    created = g3.project("classification", labels=(), exclusive=True, id=chosen, name="cls")
    assert created["id"] == chosen and created["task"] == {"task_type": "classification",
                                                           "exclusive_labels": True, "labels": []}
    assert created["active_pipeline"] is False and created["created_at"]
    again = g3.request("POST", "/api/projects", json={"id": chosen, "name": "x", "task": {"task_type": "detection"}})
    assert again.status_code == 409
    other = g3.project("detection", labels=())
    reuse = g3.request("PATCH", f"/api/projects/{other['id']}/labels",
                       json={"labels_to_add": [{"id": label_id, "name": "l1", "color": "#abc"}]})
    assert reuse.status_code == 200 and reuse.json()[0] == {"id": label_id, "name": "l1", "color": "#abc",
                                                             "hotkey": None}
    clash = g3.request("POST", "/api/projects", json={"name": "y", "task": {
        "task_type": "detection", "labels": [{"id": label_id, "name": "z"}]}})
    assert clash.status_code == 409 and label_id in clash.json()["detail"]
    listed = g3.request("GET", "/api/projects").json()
    assert isinstance(listed, list) and chosen in [p["id"] for p in listed]
    renamed = g3.request("PATCH", f"/api/projects/{chosen}", json={"name": "renamed"})
    assert renamed.json()["name"] == "renamed"
    assert g3.request("DELETE", f"/api/projects/{chosen}").status_code == 204
    gone = g3.request("GET", f"/api/projects/{chosen}")
    assert gone.status_code == 404 and gone.json() == {"detail": f"Project with ID {chosen} not found."}
    bad = g3.request("GET", "/api/projects/not-a-uuid")
    assert bad.status_code == 400 and bad.json()["detail"].startswith("Invalid project_id: 'not-a-uuid'")


def test_project_body_validation_is_fastapi_shaped(g3):
    response = g3.request("POST", "/api/projects", json={"name": 7, "task": {"task_type": "segmentation",
                                                                            "labels": [{"name": "a", "color": "red"}]}})
    assert response.status_code == 422
    errors = {tuple(e["loc"]): e for e in response.json()["detail"]}
    assert set(errors) == {("body", "name"), ("body", "task", "task_type"), ("body", "task", "labels", 0, "color")}
    assert errors[("body", "task", "task_type")]["type"] == "enum"
    assert errors[("body", "name")]["type"] == "string_type"
    assert all({"type", "loc", "msg", "input"} <= set(e) for e in errors.values())
    missing = g3.request("POST", "/api/projects", json={"name": "n"}).json()["detail"]
    assert missing == [{"type": "missing", "loc": ["body", "task"], "msg": "Field required", "input": None}]
    dup = g3.request("POST", "/api/projects", json={"name": "n", "task": {"task_type": "detection", "labels": [
        {"name": "a", "hotkey": "1"}, {"name": "b", "hotkey": "1"}]}})
    assert (dup.status_code, dup.json()) == (409, {"detail": "Either label names or hotkeys have duplicates"})


def test_label_patch_rules(g3):
    project = g3.project("classification", labels=("cat", "dog"), exclusive=True)
    path = f"/api/projects/{project['id']}/labels"
    cat, dog = (lab["id"] for lab in project["task"]["labels"])
    too_few = g3.request("PATCH", path, json={"labels_to_remove": [{"id": dog}]})
    assert too_few.status_code == 409 and "at least 2" in too_few.json()["detail"]
    unknown = g3.request("PATCH", path, json={"labels_to_edit": [{"id": str(uuid.uuid4()), "new_name": "x"}]})
    assert unknown.status_code == 404
    same_name = g3.request("PATCH", path, json={"labels_to_add": [{"name": "cat"}]})
    assert same_name.status_code == 409
    alpha = g3.request("PATCH", path, json={"labels_to_edit": [{"id": cat, "new_color": "#112233FF"}]})
    assert alpha.status_code == 422 and alpha.json()["detail"][0]["loc"] == ["body", "labels_to_edit", 0, "new_color"]
    changed = g3.request("PATCH", path, json={"labels_to_edit": [{"id": cat, "new_name": "kitten", "new_hotkey": "k"}],
                                              "labels_to_add": [{"name": "bird", "color": "#00FF00"}],
                                              "labels_to_remove": [{"id": dog}]})
    assert changed.status_code == 200
    assert [(lab["name"], lab["hotkey"]) for lab in changed.json()] == [("kitten", "k"), ("bird", None)]
