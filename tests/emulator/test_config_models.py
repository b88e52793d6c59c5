"""Configuration (legacy and new, kept consistent), models, training and jobs (docs/rest-api.md §11–§13)."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

from emulator_helpers import image_bytes


def _zip(name: str, payload: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), payload)  # same bytes every call
    return out.getvalue()


def _auto_training(doc):
    return next(p for p in doc["task_configs"][0]["auto_training"] if p["key"] == "enable")


def _task_node(legacy):
    for comp in legacy["task_chain"][0]["components"]:
        for param in comp.get("parameters", []):
            if param["name"] == "auto_training":
                return comp, param
    raise AssertionError("no auto_training parameter")


def test_new_and_legacy_configuration_stay_consistent(api):
    project = api.create_project("config")
    path = f"/projects/{project['id']}"
    doc = api.get(path + "/project_configuration").json()
    keys = {p["key"] for p in doc["task_configs"][0]["auto_training"]}
    assert {"enable", "enable_dynamic_required_annotations", "min_images_per_label"} <= keys
    assert any(p["key"] == "min_images_per_label" for p in doc["task_configs"][0]["training"]["constraints"])
    assert _auto_training(doc)["value"] is True
    task_id = doc["task_configs"][0]["task_id"]
    r = api.patch(path + "/project_configuration",
                  json={"task_configs": [{"task_id": task_id, "auto_training": [{"key": "enable", "value": False}]}]})
    assert r.status_code == 204 and r.content == b""
    assert _auto_training(api.get(path + "/project_configuration").json())["value"] is False
    comp, param = _task_node(api.get(path + "/configuration").json())
    assert param["value"] is False
    body = {"components": [{"entity_identifier": comp["entity_identifier"],
                            "parameters": [{"name": "auto_training", "value": True}]}]}
    assert api.post(path + f"/configuration/task_chain/{task_id}", json=body).status_code == 200
    assert _auto_training(api.get(path + "/project_configuration").json())["value"] is True
    assert api.get(path + "/configuration/global").json()["global"]
    training = api.get(path + f"/training_configuration?task_id={task_id}")
    assert training.status_code == 200 and training.json()["task_id"] == task_id
    bad = api.patch(path + "/project_configuration", json={"task_configs": [{"task_id": task_id, "auto_training": [
        {"key": "enable", "value": "maybe"}]}]})
    assert bad.status_code == 400


def test_models_placed_by_admin_and_exports(api, cluster):
    project = api.create_project("models")
    base_zip, opt_zip = _zip("weights.pth", b"\x00weights"), _zip("model.xml", b"<xml/>")
    placed = cluster.admin.place_model(project["id"], base_zip=base_zip, architecture="YOLOX",
                                       optimized=[{"zip": opt_zip, "model_format": "OpenVINO", "precision": ["FP16"]}])
    groups = api.get(f"/projects/{project['id']}/model_groups").json()["model_groups"]
    assert [g["id"] for g in groups] == [placed["model_group_id"]]
    assert groups[0]["models"][0]["id"] == placed["model_id"] and groups[0]["models"][0]["active_model"] is True
    mg = f"/projects/{project['id']}/model_groups/{placed['model_group_id']}"
    detail = api.get(f"{mg}/models/{placed['model_id']}").json()
    assert detail["architecture"] == "YOLOX" and detail["optimized_models"][0]["model_format"] == "OpenVINO"
    export = api.get(f"{mg}/models/{placed['model_id']}/export")
    assert export.content == base_zip and export.headers["content-type"] == "application/zip"
    assert "attachment" in export.headers["content-disposition"]
    opt = api.get(f"{mg}/models/{placed['model_id']}/optimized_models/{placed['optimized_model_ids'][0]}/export")
    assert opt.content == opt_zip
    missing = api.get(f"/projects/{project['id']}/model_groups/{'0' * 24}")
    assert missing.json()["error_code"] == "model_storage_not_found"
    assert api.get(f"{mg}/models/{'0' * 24}").json()["error_code"] == "model_not_found"
    malformed = api.get("/projects/not-an-id/model_groups")
    assert malformed.status_code == 400 and malformed.json()["error_code"] == "bad_request"


def test_train_fails_clearly_and_jobs_api(api):
    project = api.create_project("train")
    r = api.post(f"/projects/{project['id']}:train", json={})
    assert r.status_code == 200
    job = api.get(f"/jobs/{r.json()['job_id']}").json()
    assert job["state"] == "failed" and "no training capacity" in job["steps"][0]["message"]
    listed = api.get(f"/jobs?project_id={project['id']}").json()
    assert [j["id"] for j in listed["jobs"]] == [job["id"]] and listed["jobs_count"]["n_failed_jobs"] == 1
    cancel = api.post(f"/jobs/{job['id']}:cancel")
    assert cancel.status_code == 412 and cancel.json()["error_code"] == "job_cannot_be_cancelled"
    assert api.get(f"/jobs/{'0' * 24}").json()["error_code"] == "job_not_found"


def test_non_object_bodies_are_bad_requests_not_internal_errors(api, cluster):
    project = api.create_project("bodies")
    for body in ("[]", '"text"', "5", "null"):
        headers = {"Content-Type": "application/json"}
        r = api.post(f"/projects/{project['id']}:train", data=body, headers=headers)
        assert r.status_code == 400 and r.json()["error_code"] == "bad_request", body
        placed = api.post(f"/_emulator/projects/{project['id']}/models", data=body, headers=headers)
        assert placed.status_code == 400 and placed.json()["error_code"] == "bad_request", body
    blobs_before = sorted(p.name for p in (cluster.data_dir / "blobs").rglob("*") if p.is_file())
    unique = _zip("w.bin", b"weights seen nowhere else 7")
    for optimized in ("x", [None], [{"zip_b64": "not base64!"}]):
        r = api.post(f"/_emulator/projects/{project['id']}/models",
                     json={"base_zip_b64": base64.b64encode(unique).decode(), "optimized": optimized})
        assert r.status_code == 400 and r.json()["error_code"] == "bad_request", optimized
    # a refused placement stores nothing: no orphan blob of the base model
    assert sorted(p.name for p in (cluster.data_dir / "blobs").rglob("*") if p.is_file()) == blobs_before
    assert api.get(f"/projects/{project['id']}/model_groups").json()["model_groups"] == []


def test_deleting_a_project_removes_its_blobs(api, cluster):
    project = api.create_project("blob owner")
    image = image_bytes(77, 55)
    api.upload(project, "only.png", image)
    placed = cluster.admin.place_model(project["id"], base_zip=_zip("w.bin", b"unique weights 42"))
    blobs = [p for p in (cluster.data_dir / "blobs").rglob("*") if p.is_file()]
    digests = {hashlib.sha256(image).hexdigest(), hashlib.sha256(_zip("w.bin", b"unique weights 42")).hexdigest()}
    assert digests <= {p.name for p in blobs} and placed["model_id"]
    assert api.delete(f"/projects/{project['id']}").status_code == 200
    left = {p.name for p in (cluster.data_dir / "blobs").rglob("*") if p.is_file()}
    assert not digests & left
