"""``--dialect geti1.0|geti1.9|geti1.14``: Geti 1.x paths, the PAT swap, x-api-key, media listed by GET, and the
command-line checks of ``--dialect``/``--version``."""

from __future__ import annotations

import subprocess
import sys

import pytest
from dialect_helpers import Browser
from emulator_helpers import altered, image_bytes

import sc_emulator

SWAP = "/api/v1/service_accounts/access_token"


GIVEN_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module", params=["geti1.0", "geti1.9"])
def swapping(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    data_dir = tmp_path_factory.mktemp(request.param)
    password_file = None
    if request.param == "geti1.0":  # one cluster with a password of its own, one with a generated one
        password_file = data_dir.parent / f"{request.param}-password.txt"
        password_file.write_text(GIVEN_PASSWORD + "\n")
    with sc_emulator.running(data_dir, tls=True, dialect=request.param, user="operator",
                             password_file=password_file) as c:
        yield c


@pytest.fixture(scope="module")
def geti114(tmp_path_factory: pytest.TempPathFactory):
    with sc_emulator.running(tmp_path_factory.mktemp("geti1.14"), tls=True, dialect="geti1.14") as c:
        yield c


def _bearer(cluster: sc_emulator.RunningEmulator) -> Browser:
    browser = Browser(cluster)
    swap = browser.post(SWAP, json={"service_id": cluster.token})
    assert swap.status_code == 200, swap.text
    browser.session.headers["Authorization"] = f"Bearer {swap.json()['access_token']}"
    return browser


def _keyed(cluster: sc_emulator.RunningEmulator) -> Browser:
    browser = Browser(cluster)
    browser.session.headers["x-api-key"] = cluster.token
    return browser


def _project(browser: Browser, name: str) -> tuple[dict, str]:
    project = browser.create_project(name, "detection", [{"name": "car"}])
    return project, f"/projects/{project['id']}/datasets/{project['datasets'][0]['id']}"


def _listing(browser: Browser, dataset: str, kind: str, top: int) -> tuple[list[list[str]], dict]:
    pages, url, page = [], f"{dataset}/media/{kind}?top={top}", {}
    while True:
        page = browser.get(url).json()
        pages.append([m["name"] for m in page["media"]])
        if not page["media"]:
            assert "next_page" not in page
            return pages, page["media_count"]
        url = page["next_page"]


def test_paths_and_product_info(swapping) -> None:
    anonymous = Browser(swapping)
    info = anonymous.get("/api/v1/product_info").json()
    major_minor = "1.8" if swapping.dialect == "geti1.0" else "1.13"
    assert info["product-version"] == f"{major_minor}.0"
    assert info["build-version"].startswith(f"{major_minor}.0-release-")
    assert anonymous.get("/api/v1.0/product_info").status_code == 404
    if swapping.dialect == "geti1.0":
        assert swapping.base().endswith(f"/api/v1/workspaces/{swapping.workspace_id}")
    else:
        assert swapping.org_id == "000000000000000000000001"
        assert swapping.base().endswith(f"/api/v1/organizations/000000000000000000000001/workspaces/"
                                        f"{swapping.workspace_id}")


def test_pat_swap_gives_a_bearer_token(swapping) -> None:
    anonymous = Browser(swapping)
    assert anonymous.post(SWAP, json={"service_id": altered(swapping.token)}).status_code == 401
    assert anonymous.post(SWAP, json={}).status_code == 401
    raw = anonymous.get("/projects", headers={"x-api-key": swapping.token})
    assert raw.status_code == 401  # before 1.14 the token itself is no credential
    browser = _bearer(swapping)
    listed = browser.get("/projects")
    assert listed.status_code == 200 and "projects" in listed.json()
    if swapping.dialect == "geti1.0":
        listed = browser.get("/api/v1/workspaces").json()["workspaces"]  # {"workspaces"}, as every Geti
        assert [(w["id"], w["name"]) for w in listed] == [(swapping.workspace_id, "Default Workspace")]
    else:
        workspaces = browser.get(f"/api/v1/organizations/{swapping.org_id}/workspaces").json()
        assert workspaces["workspaces"][0]["id"] == swapping.workspace_id
        assert browser.get("/api/v1/personal_access_tokens/organization").status_code == 404
    swapping.admin.expire_sessions()
    expired = browser.get("/projects", allow_redirects=False)
    assert expired.status_code == 401 and expired.headers["content-type"].startswith("text/plain")


def test_cookie_login_as_well(swapping) -> None:
    browser = Browser(swapping)
    form = browser.open_login_form()
    assert "/dex/auth/regular_users" in form.url
    if swapping.dialect == "geti1.0":
        assert swapping.password == GIVEN_PASSWORD and not (swapping.data_dir / "password.txt").exists()
    assert swapping.user == "operator" and GIVEN_PASSWORD not in (swapping.data_dir / "emulator.log").read_text()
    browser.login()
    assert browser.get("/projects").status_code == 200
    assert Browser(swapping).get("/projects", allow_redirects=False).status_code == 302


def test_media_listing_by_get_and_pixel_annotations(swapping, video_file: bytes) -> None:
    browser = _bearer(swapping)
    project, dataset = _project(browser, "media")
    car = next(lab for lab in project["pipeline"]["tasks"][1]["labels"] if lab["name"] == "car")
    original = image_bytes(64, 48, "PNG")
    ids = []
    for name in ("a.png", "b.png", "c.png"):
        answer = browser.post(f"{dataset}/media/images", files={"file": (name, original)})
        assert answer.status_code == 200, answer.text
        ids.append(answer.json()["id"])
    assert browser.post(f"{dataset}/media/videos", files={"file": ("clip.mp4", video_file)}).status_code == 200
    pages, counts = _listing(browser, dataset, "images", 2)
    assert pages == [["a", "b"], ["c"], []] and counts == {"images": 3, "videos": 1}
    assert _listing(browser, dataset, "videos", 10)[0] == [["clip"], []]
    assert browser.post(f"{dataset}/media:query", json={}).status_code == 404
    image = browser.get(f"{dataset}/media/images/{ids[0]}").json()
    assert image["media_information"]["display_url"].endswith("/display/full")
    assert browser.get(image["media_information"]["display_url"]).content == original
    box = {"type": "RECTANGLE", "x": 6, "y": 12, "width": 32, "height": 30}
    path = f"{dataset}/media/images/{ids[0]}/annotations"
    assert browser.post(path, json={"annotations": [{"labels": [{"id": car["id"]}], "shape": box}]}).status_code == 200
    assert browser.get(path + "/latest").json()["annotations"][0]["shape"] == box


def test_geti114_api_key_and_organisation_discovery(geti114) -> None:
    browser = _keyed(geti114)
    org = browser.get("/api/v1/personal_access_tokens/organization")
    assert org.status_code == 200 and org.json() == {"organizationId": geti114.org_id} and len(geti114.org_id) == 36
    assert Browser(geti114).get("/projects").status_code == 401
    assert browser.post(SWAP, json={"service_id": geti114.token}).status_code == 404
    assert browser.get("/user/login", allow_redirects=False).status_code == 404
    assert browser.get("/api/v1/product_info").json()["build-version"].startswith("1.15.0-")
    project, dataset = _project(browser, "keyed")
    answer = browser.post(f"{dataset}/media/images", files={"file": ("x.png", image_bytes())})
    assert answer.status_code == 200
    pages, counts = _listing(browser, dataset, "images", 5)
    assert pages == [["x"], []] and counts == {"images": 1, "videos": 0}
    assert browser.post(f"{dataset}/media:query", json={}).status_code == 404
    assert browser.get(f"/projects/{project['id']}/project_configuration").status_code == 404


@pytest.mark.parametrize("args, message", [
    (["--dialect", "geti1.0", "--version", "2.0.0"], "not a version of dialect geti1.0"),
    (["--dialect", "sc1", "--version", "one"], "--version"),
    (["--dialect", "geti1.0", "--session-ttl", "0"], "--session-ttl"),
    (["--dialect", "sc1", "--password-file", "EMPTY"], "empty.txt: the password file is empty"),
])
def test_bad_dialect_arguments_exit_2(tmp_path, args: list[str], message: str) -> None:
    if "EMPTY" in args:
        args[args.index("EMPTY")] = str(tmp_path / "empty.txt")
        (tmp_path / "empty.txt").write_text("\n")
    done = subprocess.run([sys.executable, "-m", "sc_emulator", "serve", "--data-dir", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_geti2_keeps_none_of_the_old_routes(api) -> None:
    assert api.cluster.dialect == "geti2" and api.cluster.admin.info()["api_prefix"] == "/api/v1"
    assert api.post(SWAP, json={"service_id": api.cluster.token}).status_code == 404
    assert api.get("/user/login", allow_redirects=False).status_code == 404
    project = api.create_project("no-old-routes")
    assert api.get(f"{api.dataset_path(project)}/media/images?top=5").status_code == 405
    assert api.get("/api/v1.0/product_info").status_code == 404
