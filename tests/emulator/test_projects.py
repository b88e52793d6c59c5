"""Projects and datasets over HTTP (docs/rest-api.md §7, §8, §6.1)."""

from __future__ import annotations

import io

from emulator_helpers import image_bytes
from PIL import Image


def test_create_get_edit_delete(api):
    project = api.create_project("edit me", "classification", labels=[{"name": "a"}, {"name": "b"}])
    assert len(project["datasets"]) == 1 and project["datasets"][0]["use_for_training"] is True
    path = f"/projects/{project['id']}"
    fetched = api.get(path).json()
    assert fetched["pipeline"] == project["pipeline"] and fetched["thumbnail"].endswith(f"{project['id']}/thumbnail")
    task = fetched["pipeline"]["tasks"][1]
    task["labels"].append({"name": "c", "color": "#00ff00ff", "group": task["labels"][0]["group"], "hotkey": ""})
    fetched["name"] = "edited"
    r = api.put(path, json=fetched)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "edited" and "c" in [lab["name"] for lab in r.json()["pipeline"]["tasks"][1]["labels"]]
    changed = r.json()
    changed["pipeline"]["tasks"][1]["labels"][0]["group"] = "other group"
    bad = api.put(path, json=changed)
    assert bad.status_code == 400 and bad.json()["error_code"] == "cannot_change_label_group"
    assert api.get(path + "/status").json()["is_training"] is False
    assert api.get(path + "/thumbnail").status_code == 204
    api.upload(project, "pic.png", image_bytes(300, 200))
    thumb = api.get(path + "/thumbnail")
    assert thumb.headers["content-type"] == "image/jpeg" and Image.open(io.BytesIO(thumb.content)).size == (256, 171)
    assert api.delete(path).json() == {"result": "success"}
    gone = api.get(path)
    assert gone.status_code == 404 and gone.json() == {"http_status": 404, "error_code": "project_not_found",
                                                       "message": gone.json()["message"]}
    assert gone.headers["cache-control"] == "no-cache"


def test_create_validation_errors(api):
    r = api.post("/projects", json={"name": "x", "pipeline": {"tasks": [{"title": "D", "task_type": "dataset"}]}})
    assert r.status_code == 400 and "connections" in r.json()["message"]
    r = api.post("/projects", data="{broken", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error_code"] == "bad_request"


def test_list_paging_rules(api):
    prefix = "paging-"
    for i in range(3):
        api.create_project(f"{prefix}{i}")
    page = api.get(f"/projects?name={prefix}&limit=2&sort_by=name&sort_direction=asc").json()
    assert [p["name"] for p in page["projects"]] == [f"{prefix}0", f"{prefix}1"]
    assert page["project_page_count"] == 2 and "datasets" not in page["projects"][0]
    assert page["next_page"].startswith("/api/v1/organizations/") and "skip=2" in page["next_page"]
    last = api.get(page["next_page"]).json()
    assert [p["name"] for p in last["projects"]] == [f"{prefix}2"]
    assert "skip=4" in last["next_page"]  # set on the last non-empty page too (docs/rest-api.md §15.1)
    empty = api.get(last["next_page"]).json()
    assert empty["projects"] == [] and empty["next_page"] == ""
    names = api.get("/projects_names").json()["projects"]
    assert {f"{prefix}{i}" for i in range(3)} <= {p["name"] for p in names}
    too_many = api.get("/projects?limit=101")
    assert too_many.status_code == 400 and too_many.json()["message"] == {"limit": ["Must be between 1 and 100."]}
    beyond_sqlite = api.get("/projects?skip=" + "9" * 25)  # an error body, not an internal error
    assert beyond_sqlite.status_code == 400 and "skip" in beyond_sqlite.json()["message"]


def test_datasets(api):
    project = api.create_project("datasets")
    base = f"/projects/{project['id']}/datasets"
    created = api.post(base, json={"name": "Testing"})
    assert created.status_code == 201 and created.json()["use_for_training"] is False
    dup = api.post(base, json={"name": "Testing"})
    assert dup.status_code == 409 and dup.json()["error_code"] == "dataset_already_exists"
    did = created.json()["id"]
    assert api.put(f"{base}/{did}", json={"name": "Renamed"}).json()["name"] == "Renamed"
    assert api.get(f"{base}/{did}").json()["name"] == "Renamed"
    listed = api.get(base).json()["datasets"]
    assert [d["name"] for d in listed] == ["Dataset", "Renamed"]
    image = api.post(f"{base}/{did}/media/images", files={"file": ("a.png", image_bytes())}).json()
    assert api.delete(f"{base}/{did}").json() == {"result": "success"}
    assert api.get(f"{base}/{did}").json()["error_code"] == "dataset_not_found"
    assert api.get(f"{base}/{did}/media/images/{image['id']}").status_code == 404
