"""Test knobs and fault plans (issue 3): latency, fail rate/codes, drops, rate limit, seed, counters."""

from __future__ import annotations

import time

import pytest
import requests
from emulator_helpers import Api, image_bytes

import sc_emulator

UPLOAD = r"/media/images$"


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    with sc_emulator.running(tmp_path_factory.mktemp("knobs")) as cluster:
        yield cluster


@pytest.fixture()
def k(plain) -> Api:
    plain.admin.reset()
    return Api(plain)


def _names(k: Api, project) -> list[str]:
    return [m["name"] for m in k.post(f"{k.dataset_path(project)}/media:query", json={}).json()["media"]]


def test_fail_the_third_upload_precisely(k, plain):
    project = k.create_project("faults")
    plain.admin.fail("POST", UPLOAD, nth=3, status=503)
    statuses = [k.upload(project, f"i{i}.png", image_bytes()).status_code for i in range(4)]
    assert statuses == [200, 200, 503, 200]
    assert _names(k, project) == ["i0", "i1", "i3"]
    assert plain.admin.count("POST", "/media/images") == 4
    plan = plain.admin.faults()[0]
    assert (plan["seen"], plan["fired"]) == (4, 1)
    plain.admin.clear_faults()
    plain.admin.fail("POST", UPLOAD, nth=1, status=429)
    limited = k.upload(project, "j.png", image_bytes())
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert limited.json()["error_code"] == "too_many_requests"
    plain.admin.fail("GET", r"/projects$", nth=1, status=500)
    broken = k.get("/projects")
    assert broken.status_code == 500 and "internal_server_error" in broken.json()
    assert k.get("/projects").status_code == 200


def test_fail_after_processing_stores_but_answers_the_error(k, plain):
    project = k.create_project("fail after")
    plan = plain.admin.fail("POST", UPLOAD, nth=1, status=500, when="after")
    assert plan["when"] == "after"
    assert plain.admin.fail("POST", "/never$", status=502)["when"] == "before"  # the default for fails
    answered = k.upload(project, "stored anyway.png", image_bytes())
    assert answered.status_code == 500 and "internal_server_error" in answered.json()
    assert _names(k, project) == ["stored anyway"]  # a client that retries now makes a duplicate
    with pytest.raises(RuntimeError, match="not a regular expression"):
        plain.admin.fail("GET", "(unclosed")


def test_drop_after_processing_and_before(k, plain):
    project = k.create_project("drops")
    plain.admin.drop("POST", UPLOAD, nth=1, when="after")
    with pytest.raises(requests.exceptions.RequestException):
        k.upload(project, "stored.png", image_bytes())
    assert _names(k, project) == ["stored"]  # processed, but the client never heard back
    plain.admin.drop("POST", UPLOAD, nth=2, when="before")  # the 2nd upload seen by this new plan
    assert k.upload(project, "a.png", image_bytes()).status_code == 200
    with pytest.raises(requests.exceptions.RequestException):
        k.upload(project, "lost.png", image_bytes())
    assert _names(k, project) == ["a", "stored"]
    plain.admin.drop("PATCH", r"/project_configuration$", nth=1)  # a 204 answer, cut
    conf = k.get(f"/projects/{project['id']}/project_configuration").json()["task_configs"][0]
    with pytest.raises(requests.exceptions.RequestException):
        k.patch(f"/projects/{project['id']}/project_configuration",
                json={"task_configs": [{"task_id": conf["task_id"], "auto_training": [{"key": "enable",
                                                                                       "value": False}]}]})
    counts = plain.admin.counters()
    key = next(key for key in counts["requests"] if key.startswith("POST ") and key.endswith("/media/images"))
    assert counts["requests"][key] == 3 and counts["statuses"][key] == {"0": 2, "200": 1}


def test_latency_and_runtime_knobs(k, plain):
    # The lower bound is exact; the upper one leaves a wide margin for a loaded machine (pytest -n 2).
    plain.admin.knobs(latency_ms=1500)
    start = time.monotonic()
    assert k.get("/api/v1/product_info").ok
    assert time.monotonic() - start >= 1.5
    plain.admin.knobs(latency_ms=0)
    start = time.monotonic()
    assert k.get("/api/v1/product_info").ok
    assert time.monotonic() - start < 1.5
    with pytest.raises(RuntimeError):
        plain.admin.knobs(latency_ms=500, fail_rate=2)
    assert plain.admin.knobs()["latency_ms"] == 0  # all or nothing
    with pytest.raises(RuntimeError):
        plain.admin.fail("GET", "x", status=200)


def test_fail_rate_is_seeded_and_repeatable(k, plain):
    def run() -> list[int]:
        plain.admin.knobs(fail_rate=0.5, fail_codes=[500, 503], seed=11)
        return [k.get("/api/v1/product_info").status_code for _ in range(24)]

    first, second = run(), run()
    assert first == second
    assert {200, 500, 503} <= set(first)
    plain.admin.knobs(seed=12)
    assert [k.get("/api/v1/product_info").status_code for _ in range(24)] != first
    plain.admin.knobs(fail_rate=0, drop_rate=1.0)
    with pytest.raises(requests.exceptions.RequestException):
        k.get("/api/v1/product_info")


def test_drops_and_failures_together_are_seeded(k, plain):
    def outcome() -> int:
        try:
            return k.get("/api/v1/product_info").status_code
        except requests.exceptions.RequestException:
            return 0  # dropped

    def run() -> list[int]:
        plain.admin.knobs(fail_rate=0.3, drop_rate=0.3, fail_codes=[502], seed=5)
        return [outcome() for _ in range(30)]

    first = run()
    assert first == run()
    assert {0, 200, 502} <= set(first)


def test_rate_limit_per_connection(k, plain):
    plain.admin.knobs(rate_limit=3)
    # 30 quick requests on one connection: only a machine slower than 4 requests/s could avoid the limit.
    statuses = [k.get("/api/v1/product_info").status_code for _ in range(30)]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses
    fresh = requests.get(k.url("/api/v1/product_info"), timeout=10)  # a new connection has its own budget
    assert fresh.status_code == 200


def test_knobs_from_python_and_cli(tmp_path):
    with sc_emulator.running(tmp_path / "c", fail_rate=1.0, fail_codes=(503,), latency_ms=50, seed=3) as cluster:
        r = requests.get(f"{cluster.url}/api/v1/product_info", timeout=10)
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        knobs = cluster.admin.knobs()
        assert (knobs["fail_rate"], knobs["fail_codes"], knobs["latency_ms"], knobs["seed"]) == (1.0, [503], 50.0, 3)


def test_payload_too_large(k, plain):
    project = k.create_project("limits")
    plain.admin.knobs(max_upload_bytes=2000)
    data = image_bytes(200, 200, "BMP")
    assert len(data) > 2000
    r = k.upload(project, "big.bmp", data)
    assert r.status_code == 413 and r.json()["error_code"] == "payload_too_large"

    def chunks():  # no Content-Length: the limit is enforced while streaming
        boundary = b"xyzBOUNDARY"
        yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="big.bmp"\r\n\r\n'
        yield data
        yield b"\r\n--" + boundary + b"--\r\n"

    r = k.post(f"{k.dataset_path(project)}/media/images", data=chunks(),
               headers={"Content-Type": "multipart/form-data; boundary=xyzBOUNDARY"})
    assert r.status_code == 413
    assert _names(k, project) == []
    assert not list((plain.data_dir / "tmp").iterdir())  # the partial upload was removed


def test_cli_rate_limit_spellings():
    from sc_emulator.cli import build_parser

    def rate(text):
        return build_parser().parse_args(["serve", "--data-dir", "d", "--rate-limit", text]).rate_limit

    assert rate("50/s") == 50.0 and rate("2.5") == 2.5  # "N/s" as the docs write it, or a bare number
    assert rate("0") == 0.0  # no limit, as before
    for bad in ("fast", "x/s", "-1"):
        with pytest.raises(SystemExit):
            rate(bad)


def test_cli_unusable_data_dir_names_the_path_not_the_address(tmp_path, capsys):
    from sc_emulator.cli import main

    (tmp_path / "file").write_text("not a folder")
    assert main(["serve", "--data-dir", str(tmp_path / "file" / "data"), "--port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"sc-emulator: {tmp_path / 'file'}") and "cannot serve on" not in err, err
