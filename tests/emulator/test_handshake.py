"""The official client's handshake of docs/rest-api.md §16.1, over HTTPS with the generated CA, request by request."""

from __future__ import annotations

import requests
from emulator_helpers import image_bytes


def test_official_client_handshake(cluster):
    s = requests.Session()
    # What the official client sends: JSON content type everywhere, the CSRF header, the token.
    s.headers.update({"Content-Type": "application/json", "x-api-key": cluster.token, "x-geti-csrf-protection": "1"})
    ca = cluster.ca_bundle
    assert cluster.url.startswith("https://")
    host = cluster.url
    info = s.get(f"{host}/api/v1/product_info", verify=ca).json()
    major, minor, patch = (int(x) for x in info["build-version"].split("-")[0].split("."))
    assert (major, minor) >= (1, 16)
    org = s.get(f"{host}/api/v1/personal_access_tokens/organization", verify=ca).json()["organizationId"]
    workspaces = s.get(f"{host}/api/v1/organizations/{org}/workspaces", verify=ca).json()["workspaces"]
    assert len(workspaces) == 1
    balance = s.get(f"{host}/api/v1/organizations/{org}/balance", verify=ca)
    assert balance.status_code == 200
    base = f"{host}/api/v1/organizations/{org}/workspaces/{workspaces[0]['id']}"
    body = {"name": "sdk project", "pipeline": {"tasks": [
        {"title": "Dataset", "task_type": "dataset"},
        {"title": "Detection", "task_type": "detection", "labels": [{"name": "box", "color": "#ff0000ff",
                                                                     "group": "boxes", "hotkey": ""}]}],
        "connections": [{"from": "Dataset", "to": "Detection"}]}}
    created = s.post(f"{base}/projects", json=body, verify=ca)
    assert created.status_code == 201
    project = created.json()
    p = f"{base}/projects/{project['id']}"
    assert s.get(f"{p}/status", verify=ca).status_code == 200
    conf = s.get(f"{p}/project_configuration", verify=ca).json()
    task_conf = conf["task_configs"][0]
    assert {c["key"] for c in task_conf["training"]["constraints"]} >= {"min_images_per_label"}
    for value in (False, True):
        patch_body = {"task_configs": [{"task_id": task_conf["task_id"],
                                        "auto_training": [{"key": "enable", "value": value}]}]}
        assert s.patch(f"{p}/project_configuration", json=patch_body, verify=ca).status_code == 204
    training = [d for d in project["datasets"] if d["use_for_training"]]
    assert len(training) == 1
    d = f"{p}/datasets/{training[0]['id']}"
    query = {"condition": "and", "rules": [{"field": "MEDIA_TYPE", "operator": "EQUAL", "value": "image"}]}
    listing = s.post(f"{d}/media:query?limit=100", json=query, verify=ca).json()
    assert listing["media"] == [] and listing["total_matched_images"] == 0 and "next_page" not in listing
    upload = requests.post(f"{d}/media/images", files={"file": ("photo.jpg", image_bytes(120, 90, "JPEG"))},
                           headers={"x-api-key": cluster.token, "x-geti-csrf-protection": "1"}, verify=ca)
    assert upload.status_code == 200
    image = upload.json()
    assert image["name"] == "photo"
    display = image["media_information"]["display_url"]
    assert display.endswith("/display/full")
    ann_url = host + display.replace("/display/full", "/annotations")
    label = project["pipeline"]["tasks"][1]["labels"][0]
    scene = {"annotations": [{"shape": {"type": "RECTANGLE", "x": 5, "y": 6, "width": 50, "height": 40},
                              "labels": [{"id": label["id"], "name": label["name"], "probability": 1.0,
                                          "color": label["color"]}]}],
             "media_identifier": {"type": "image", "image_id": image["id"]}}
    posted = s.post(ann_url, json=scene, verify=ca)
    assert posted.status_code == 200, posted.text
    listing = s.post(f"{d}/media:query?limit=100", json=query, verify=ca).json()
    assert listing["total_matched_images"] == 1 and listing["media"][0]["id"] == image["id"]
    full = s.get(host + display, verify=ca)
    assert full.status_code == 200 and full.content == image_bytes(120, 90, "JPEG")
