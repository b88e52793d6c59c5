"""``sc-emulator serve --dialect sc1``: SC 1.1 paths, browser login, list shapes, media and normalised annotations."""

from __future__ import annotations

import io
import os
import stat
import time

import pytest
from dialect_helpers import Browser, labels_of
from emulator_helpers import image_bytes
from PIL import Image

import sc_emulator


@pytest.fixture(scope="module")
def sc1(tmp_path_factory: pytest.TempPathFactory):
    with sc_emulator.running(tmp_path_factory.mktemp("sc1"), tls=True, dialect="sc1", user="ann@example.com") as c:
        yield c


@pytest.fixture()
def browser(sc1) -> Browser:
    b = Browser(sc1)
    b.login()
    return b


def _upload(browser: Browser, project: dict, name: str, data: bytes) -> dict:
    response = browser.upload(project, name, data)
    assert response.status_code == 200, response.text
    return response.json()


def test_product_info_prefix_and_doubled_slash(sc1) -> None:
    anonymous = Browser(sc1)
    info = anonymous.get("/api/v1.0/product_info")
    assert info.status_code == 200
    body = info.json()
    assert list(body) == ["product-version"] and body["product-version"].startswith("1.1.0-latest-")
    assert anonymous.get("/api/v1/product_info").status_code == 404
    doubled = anonymous.get("/api/v1.0//product_info", allow_redirects=False)
    assert doubled.status_code == 308 and doubled.headers["location"] == "/api/v1.0/product_info"


def test_login_walks_oauth2_proxy_and_dex(sc1) -> None:
    browser = Browser(sc1)
    form = browser.open_login_form()
    hops = [(r.status_code, r.url.split("?")[0].removeprefix(sc1.url)) for r in form.history]
    assert hops == [(302, "/user/login"), (302, "/oauth2/start"), (302, "/dex/auth"), (302, "/dex/auth/ldap")]
    assert form.url.split("?")[0].endswith("/dex/auth/ldap/login") and 'name="login"' in form.text
    done = browser.submit(form, sc1.user, sc1.password)
    hops = [(r.status_code, r.url.split("?")[0].removeprefix(sc1.url)) for r in done.history]
    assert hops == [(303, "/dex/auth/ldap/login"), (302, "/dex/approval"), (302, "/oauth2/callback")]
    assert {"_oauth2_proxy", "_oauth2_proxy_csrf"} <= set(browser.session.cookies.keys())
    workspaces = browser.get("/api/v1.0/workspaces")
    assert workspaces.status_code == 200 and workspaces.headers["content-type"] == "application/json"
    assert [w["id"] for w in workspaces.json()] == [sc1.workspace_id]  # a bare list, ObjectIds
    assert len(sc1.workspace_id) == 24 and set(workspaces.json()[0]) >= {"name", "creation_date", "creator_name"}


def test_wrong_password_shows_the_form_again_without_a_session(sc1) -> None:
    browser = Browser(sc1)
    answer = browser.submit(browser.open_login_form(), sc1.user, sc1.password + "x")
    assert answer.status_code == 200 and 'name="password"' in answer.text and "Invalid" in answer.text
    assert "_oauth2_proxy" not in browser.session.cookies
    assert browser.get("/api/v1.0/workspaces", allow_redirects=False).status_code == 302
    other_user = browser.submit(browser.open_login_form(), "someone-else", sc1.password)
    assert "Invalid" in other_user.text and "_oauth2_proxy" not in browser.session.cookies


def test_password_file_is_private_and_never_logged(sc1) -> None:
    path = sc1.data_dir / "password.txt"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().strip() == sc1.password and len(sc1.password) >= 16
    assert sc1.password not in (sc1.data_dir / "emulator.log").read_text()


def test_api_without_session_redirects_to_the_login(sc1) -> None:
    anonymous = Browser(sc1)
    bare = anonymous.get("/api/v1.0/workspaces", allow_redirects=False)
    assert bare.status_code == 302 and bare.headers["location"].startswith("/oauth2/start?rd=%2Fapi%2Fv1.0%2F")
    followed = anonymous.get("/api/v1.0/workspaces")
    assert followed.headers["content-type"].startswith("text/html") and 'name="password"' in followed.text
    with_token = anonymous.get("/api/v1.0/workspaces", headers={"x-api-key": sc1.token})
    assert with_token.status_code == 401  # SC 1.x has no tokens


def test_sessions_expire_by_ttl_and_on_demand(sc1, browser: Browser) -> None:
    assert browser.get("/api/v1.0/workspaces").status_code == 200
    assert sc1.admin.expire_sessions() >= 1
    gone = browser.get("/api/v1.0/workspaces", allow_redirects=False)
    assert gone.status_code == 302 and gone.headers["location"].startswith("/oauth2/start")
    sc1.admin.knobs(session_ttl=0.5)
    try:
        browser.login()
        assert browser.get("/api/v1.0/workspaces").status_code == 200
        time.sleep(0.7)
        assert browser.get("/api/v1.0/workspaces", allow_redirects=False).status_code == 302
    finally:
        sc1.admin.knobs(session_ttl=3600)


def test_projects_list_is_items_without_paging(browser: Browser) -> None:
    made = browser.create_project("listed", "detection", [{"name": "car"}])
    assert made["score"] == 0.0 and made["datasets"] == [{"id": made["datasets"][0]["id"], "name": "Dataset"}]
    listing = browser.get("/projects/")
    assert listing.status_code == 200
    body = listing.json()
    assert set(body) == {"items"}
    entry = next(p for p in body["items"] if p["id"] == made["id"])
    assert "score" not in entry and entry["datasets"] == made["datasets"] and "thumbnail" in entry
    assert browser.get("/projects").json() == body


def test_server_added_labels_and_groups(browser: Browser) -> None:
    det = labels_of(browser.create_project("det", "detection", [{"name": "car"}]))
    assert det["No Object"]["is_empty"] and det["car"]["group"] == "default - Task"
    assert "is_anomalous" not in det["car"]
    seg = labels_of(browser.create_project("seg", "segmentation", [{"name": "road"}]))
    assert seg["Empty"]["is_empty"]
    inst = labels_of(browser.create_project("inst", "instance_segmentation", [{"name": "cell"}]))
    assert inst["Empty"]["is_empty"]
    cls = labels_of(browser.create_project("cls", "classification", [
        {"name": "animal"}, {"name": "plant"}, {"name": "cat", "group": "kind", "parent_id": "animal"}]))
    assert not any(lab["is_empty"] for lab in cls.values())  # SC 1.1 added no "No class"
    assert cls["cat"]["parent_id"] == cls["animal"]["id"] and cls["animal"]["group"] == "default - Task"
    chain = browser.create_project("chain", labels=[{"name": "a"}, {"name": "b"}], chain="classification")
    assert [t["task_type"] for t in chain["pipeline"]["tasks"]] == ["dataset", "detection", "crop", "classification"]
    assert labels_of(chain, 3)["a"]["group"] == "default - Second"


@pytest.mark.parametrize("task_type", ["anomaly_classification", "anomaly_detection", "anomaly_segmentation"])
def test_old_anomaly_task_types_stay(browser: Browser, task_type: str) -> None:
    made = browser.create_project(task_type, task_type)
    task = made["pipeline"]["tasks"][1]
    assert task["task_type"] == task_type and task["title"] == "Task"
    assert {lab["name"] for lab in task["labels"]} == {"Normal", "Anomalous"}
    fetched = browser.get(f"/projects/{made['id']}").json()
    assert fetched["pipeline"]["tasks"][1]["task_type"] == task_type


def test_merged_anomaly_type_did_not_exist(browser: Browser) -> None:
    tasks = [{"title": "Dataset", "task_type": "dataset"}, {"title": "Task", "task_type": "anomaly"}]
    refused = browser.post("/projects", json={"name": "new-anomaly", "pipeline": {
        "tasks": tasks, "connections": [{"from": "Dataset", "to": "Task"}]}})
    assert refused.status_code == 400 and "anomaly_classification" in refused.json()["message"]


def test_media_shapes_reencoded_display_and_listing(browser: Browser) -> None:
    project = browser.create_project("media", "detection", [{"name": "car"}])
    original = image_bytes(64, 48, "PNG")
    image = _upload(browser, project, "street.scene.png", original)
    assert image["name"] == "street.scene"
    display = image["media_information"]["display_url"]
    assert display.endswith("/display/full ") and image["media_information"]["width"] == 64
    assert [s["state"] for s in image["annotation_state_per_task"]] == ["NONE"]
    full = browser.get(display.strip())
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
    assert full.content != original and Image.open(io.BytesIO(full.content)).size == (64, 48)
    for i in range(2):
        _upload(browser, project, f"more{i}.png", image_bytes(64, 48, "PNG", (10 * i, 200, 30)))
    pages, url = [], f"{browser.dataset_path(project)}/media/images?top=2"
    while True:
        page = browser.get(url).json()
        assert page["media_count"] == {"images": 3}
        pages.append([m["name"] for m in page["media"]])
        if not page["media"]:
            assert "next_page" not in page
            break
        url = page["next_page"]
    assert pages == [["street.scene", "more0"], ["more1"], []]
    assert browser.post(f"{browser.dataset_path(project)}/media:query", json={}).status_code == 404


def test_video_upload_is_refused(browser: Browser, video_file: bytes) -> None:
    project = browser.create_project("vid", "detection", [{"name": "car"}])
    answer = browser.post(f"{browser.dataset_path(project)}/media/videos", files={"file": ("clip.mp4", video_file)})
    assert answer.status_code == 415 and answer.json()["error_code"] == "invalid_media"
    listing = browser.get(f"{browser.dataset_path(project)}/media/videos?top=5").json()
    assert listing["media"] == [] and "next_page" not in listing


def test_annotations_are_normalised_both_ways(browser: Browser) -> None:
    project = browser.create_project("ann", "detection", [{"name": "car"}])
    labels = labels_of(project)
    image = _upload(browser, project, "a.png", image_bytes(64, 48))
    path = f"{browser.dataset_path(project)}/media/images/{image['id']}/annotations"
    box = {"type": "RECTANGLE", "x": 0.1, "y": 0.25, "width": 0.5, "height": 0.7083333333333334}
    car = {"id": labels["car"]["id"], "probability": 1.0}
    posted = browser.post(path, json={"annotations": [{"labels": [car, car], "shape": box}],
                                      "media_identifier": {"type": "image", "image_id": image["id"]}})
    assert posted.status_code == 200, posted.text
    scene = browser.get(path + "/latest").json()
    assert scene["kind"] == "annotation" and scene["annotations"][0]["shape"] == box
    shown = scene["annotations"][0]["labels"]
    assert len(shown) == 1 and shown[0]["name"] == "car" and shown[0]["color"] == labels["car"]["color"]
    assert shown[0]["source"] == {"id": "N/A", "type": "N/A"}
    media = browser.get(f"{browser.dataset_path(project)}/media/images/{image['id']}").json()
    assert [s["state"] for s in media["annotation_state_per_task"]] == ["annotated"]
    in_pixels = {"type": "RECTANGLE", "x": 6, "y": 12, "width": 32, "height": 34}
    assert browser.post(path, json={"annotations": [{"labels": [car], "shape": in_pixels}]}).status_code == 400
    empty = {"labels": [{"id": labels["No Object"]["id"]}],
             "shape": {"type": "RECTANGLE", "x": 0, "y": 0, "width": 1, "height": 1}}
    assert browser.post(path, json={"annotations": [empty]}).status_code == 200
    assert browser.get(path + "/latest").json()["annotations"][0]["shape"]["width"] == 1.0


def test_polygons_and_full_media_class_labels(browser: Browser) -> None:
    seg = browser.create_project("poly", "segmentation", [{"name": "road"}])
    image = _upload(browser, seg, "p.png", image_bytes(64, 48))
    path = f"{browser.dataset_path(seg)}/media/images/{image['id']}/annotations"
    polygon = {"type": "POLYGON", "points": [{"x": 0.125, "y": 0.1}, {"x": 0.9, "y": 0.1}, {"x": 0.5, "y": 0.95}]}
    road = labels_of(seg)["road"]["id"]
    assert browser.post(path, json={"annotations": [{"labels": [{"id": road}], "shape": polygon}]}).status_code == 200
    assert browser.get(path + "/latest").json()["annotations"][0]["shape"] == polygon
    rot = browser.create_project("rot", "rotated_detection", [{"name": "ship"}])
    image = _upload(browser, rot, "r.png", image_bytes(64, 48))
    path = f"{browser.dataset_path(rot)}/media/images/{image['id']}/annotations"
    turned = {"type": "ROTATED_RECTANGLE", "x": 0.5, "y": 0.5, "width": 0.25, "height": 0.125, "angle": 30.0}
    ship = labels_of(rot)["ship"]["id"]
    assert browser.post(path, json={"annotations": [{"labels": [{"id": ship}], "shape": turned}]}).status_code == 200
    assert browser.get(path + "/latest").json()["annotations"][0]["shape"] == turned
    cls = browser.create_project("full", "classification", [{"name": "day"}, {"name": "night"}])
    image = _upload(browser, cls, "c.png", image_bytes(64, 48))
    path = f"{browser.dataset_path(cls)}/media/images/{image['id']}/annotations"
    day = {"id": labels_of(cls)["day"]["id"]}
    partial = {"type": "RECTANGLE", "x": 0, "y": 0, "width": 0.5, "height": 1}
    assert browser.post(path, json={"annotations": [{"labels": [day], "shape": partial}]}).status_code == 400
    full = {"type": "RECTANGLE", "x": 0, "y": 0, "width": 1, "height": 1}
    assert browser.post(path, json={"annotations": [{"labels": [day], "shape": full}]}).status_code == 200


def test_configuration_components_and_status(browser: Browser) -> None:
    project = browser.create_project("conf", "detection", [{"name": "car"}])
    task_id = project["pipeline"]["tasks"][1]["id"]
    base = f"/projects/{project['id']}"
    config = browser.get(base + "/configuration").json()
    assert set(config) == {"global", "task_chain"} and config["task_chain"][0]["task_id"] == task_id

    def auto_training() -> bool:
        entry = browser.get(f"{base}/configuration/task_chain/{task_id}").json()
        node = next(c for c in entry["components"] if c["entity_identifier"].get("component") == "TASK_NODE")
        return next(p["value"] for p in node["parameters"] if p["name"] == "auto_training")

    assert auto_training() is True
    switch = {"components": [{"entity_identifier": {"type": "COMPONENT_PARAMETERS", "component": "TASK_NODE",
                                                    "workspace_id": browser.cluster.workspace_id,
                                                    "project_id": project["id"], "task_id": task_id},
                              "parameters": [{"name": "auto_training", "value": False}]}]}
    assert browser.post(f"{base}/configuration/task_chain/{task_id}", json=switch).status_code == 200
    assert auto_training() is False
    assert browser.get(base + "/project_configuration").status_code == 404
    status = browser.get(base + "/status").json()
    assert {"is_training", "n_required_annotations", "n_running_jobs", "project_score", "status",
            "tasks"} <= set(status)
    assert set(status["status"]) == {"message", "progress", "time_remaining"}
