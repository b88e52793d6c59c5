"""What the official geti-sdk 1.x reads from a server of its era (benchmarks/sdk_eras.py found each one), over
real HTTPS: the SDK's login walk, the absent deployment config, workspace names and list keys, the
organisation lookup of 1.14, and the shapes of projects, media, algorithms, configuration and annotations."""

from __future__ import annotations

import json

import pytest
from dialect_helpers import Browser
from emulator_helpers import image_bytes

import sc_emulator


@pytest.fixture(scope="module", params=["sc1", "geti1.0", "geti1.9", "geti1.14", "geti2"])
def era(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    login = request.param in ("sc1", "geti1.0", "geti1.9")
    version = "1.16.0" if request.param == "geti2" else None  # the era of geti-sdk 1.16
    with sc_emulator.running(tmp_path_factory.mktemp(request.param), tls=True, dialect=request.param,
                             user="operator" if login else None, version=version) as c:
        yield c


def _session(c: sc_emulator.RunningEmulator) -> Browser:
    """Logged in as geti-sdk 1.x does it: ``GET /``, every 302/303 followed by hand, the form posted to the URL
    where they end, the session cookie taken from the last redirect of that POST."""
    b = Browser(c)
    if c.user is None:
        b.session.headers["x-api-key"] = c.token
        return b
    hop = b.get("/", allow_redirects=False)
    while hop.status_code in (302, 303):
        hop = b.get(hop.headers["location"], allow_redirects=False)
    assert hop.status_code == 200 and 'name="password"' in hop.text, hop.text[:200]
    done = b.session.post(hop.url, data={"login": c.user, "password": c.password}, verify=c.ca_bundle, timeout=30)
    assert done.history and "_oauth2_proxy" in done.history[-1].cookies, [r.status_code for r in done.history]
    assert done.status_code == 200 and "sc_emulator" in done.text  # back on the page first asked for
    return b


def test_login_walk_and_deployment_config(era) -> None:
    session = _session(era)
    anonymous = Browser(era)
    config = anonymous.get("/deployment-config.json")
    if era.user is None:  # 1.14 on: JSON, which geti-sdk 1.15 reads as "x-api-key"
        assert config.status_code == 200 and config.json()["auth"]["type"] == "dex"
    else:  # before: no such file; oauth2-proxy sends the browser into the login (not JSON: "old Dex")
        assert config.history and config.history[0].status_code == 302 and "html" in config.headers["content-type"]
        assert anonymous.get("/", allow_redirects=False).headers["location"].startswith("/oauth2/start")
    workspaces = session.get(era.workspace_prefix.rsplit("/", 1)[0]).json()
    listed = workspaces if era.dialect == "sc1" else workspaces["workspaces"]
    names = {"sc1": "Default Workspace", "geti1.0": "Default Workspace", "geti1.9": "Default Workspace",
             "geti1.14": "default", "geti2": "Default workspace"}
    assert [(w["id"], w["name"]) for w in listed] == [(era.workspace_id, names[era.dialect])]


def test_organisation_of_a_token_in_the_path() -> None:
    """geti-sdk 1.15 asks ``personal_access_tokens/organization/<token>`` (1.16 moved the token to the header)."""
    from tempfile import TemporaryDirectory

    for dialect, found in (("geti1.14", 200), ("geti2", 404)):
        with TemporaryDirectory() as tmp, sc_emulator.running(tmp, tls=True, dialect=dialect) as c:
            keyed = _session(c)
            answer = keyed.get(f"/api/v1/personal_access_tokens/organization/{c.token}")
            assert answer.status_code == found
            if found == 200:
                assert answer.json() == {"organizationId": c.org_id}
                assert keyed.get("/api/v1/personal_access_tokens/organization/geti_pat_other").status_code == 404


def test_projects_media_and_annotations_in_the_era_shape(era, video_file: bytes) -> None:
    b = _session(era)
    project = b.create_project(f"shapes {era.dialect}", "detection", [{"name": "car"}])
    car = next(lab for lab in project["pipeline"]["tasks"][1]["labels"] if lab["name"] == "car")
    old = era.dialect != "geti2"
    if era.dialect != "sc1":
        perf = b.get(f"/projects/{project['id']}").json()["performance"]["task_performances"]
        assert list(perf[0]) == ["task_node_id" if old else "task_id", "score"]
        listed = b.get("/projects").json()["projects"]
        assert ("datasets" in listed[0]) is (era.dialect == "geti1.0")  # geti-sdk 1.8 reads list entries whole
    ds = b.dataset_path(project)
    image = b.post(f"{ds}/media/images", files={"file": ("a.png", image_bytes(64, 48, "PNG"))}).json()
    assert "preprocessing" not in image and "extension" not in image["media_information"]  # 2.10 and 2.5
    if era.dialect != "sc1":
        video = b.post(f"{ds}/media/videos", files={"file": ("clip.mp4", video_file)}).json()
        assert type(video["media_information"]["duration"]) is int  # every geti-sdk types it int
        state = video["annotation_state_per_task"][0]["state"]
        assert state == ("none" if era.dialect == "geti1.0" else None)  # geti-sdk 1.8: a string
    box = {"type": "RECTANGLE", "x": 0.1, "y": 0.1, "width": 0.5, "height": 0.5} if era.dialect == "sc1" else \
        {"type": "RECTANGLE", "x": 6, "y": 5, "width": 30, "height": 20}
    path = f"{ds}/media/images/{image['id']}/annotations"
    assert b.post(path, json={"annotations": [{"labels": [{"id": car["id"]}], "shape": box}]}).status_code == 200
    label = b.get(path + "/latest").json()["annotations"][0]["labels"][0]
    assert (label.get("name"), label.get("color")) == (("car", car["color"]) if old else (None, None))


def test_supported_algorithms_and_selectable_parameters(era) -> None:
    b = _session(era)
    project = b.create_project(f"algorithms {era.dialect}", "detection", [{"name": "car"}])
    per_project = b.get(f"/projects/{project['id']}/supported_algorithms")
    api = "/api/v1.0" if era.dialect == "sc1" else "/api/v1"
    global_list = b.get(f"{api}/supported_algorithms")
    one_list = global_list if era.dialect in ("sc1", "geti1.0") else per_project
    other = per_project if one_list is global_list else global_list
    assert one_list.status_code == 200 and other.status_code in (404, 302)
    algorithms = one_list.json()["supported_algorithms"]
    keys = {"algorithm_name", "model_size", "model_template_id", "gigaflops", "summary", "task_type",
            "supports_auto_hpo"}
    if era.dialect in ("geti1.9", "geti1.14", "geti2"):
        keys |= {"recommended_choice", "performance_category", "lifecycle_stage"}
    assert all(set(a) == keys for a in algorithms)  # geti-sdk 1.x builds each into an object of fixed fields
    types = {a["task_type"] for a in algorithms}
    assert "detection" in types and "anomaly_classification" in types and not types & {"anomaly",
                                                                                        "keypoint_detection"}
    config = b.get(f"/projects/{project['id']}/configuration").json()
    selectable = [p for c in json.loads(json.dumps(config)).get("global", []) for p in c.get("parameters", [])
                  if p.get("template_type") == "selectable"]
    assert selectable and all(p["enum_name"] and p["value"] in p["options"] for p in selectable)
