"""Geti 3.x emulator: resumable uploads (TUS 1.0.0) and their consumption as media (docs/rest-api.md §17.8)."""

from __future__ import annotations

import base64
import hashlib

from emulator_helpers import image_bytes

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {**TUS, "Content-Type": "application/offset+octet-stream"}


def _meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def test_options_advertises_the_protocol(g3):
    response = g3.request("OPTIONS", "/api/uploads")
    assert response.status_code == 204
    assert response.headers["tus-version"] == "1.0.0" and response.headers["tus-resumable"] == "1.0.0"
    assert "checksum" in response.headers["tus-extension"].split(",")


def test_chunked_upload_resume_and_consume(g3):
    project = g3.project()
    data = image_bytes(fmt="PNG")
    created = g3.request("POST", "/api/uploads", headers={**TUS, "Upload-Length": str(len(data)),
                                                          "Upload-Metadata": _meta(filename="dir/up.png")})
    assert created.status_code == 201 and created.content == b""
    location = created.headers["location"]
    assert location.startswith("/api/uploads/") and created.headers["upload-offset"] == "0"
    assert created.headers["upload-expires"].endswith("GMT") and created.headers["cache-control"] == "no-store"
    half = len(data) // 2
    first = g3.request("PATCH", location, data=data[:half], headers={**OCTETS, "Upload-Offset": "0"})
    assert (first.status_code, first.headers["upload-offset"]) == (204, str(half))
    stale = g3.request("PATCH", location, data=data[half:], headers={**OCTETS, "Upload-Offset": "0"})
    assert stale.status_code == 409 and stale.headers["tus-resumable"] == "1.0.0"
    assert g3.request("HEAD", location, headers=TUS).headers["upload-offset"] == str(half)
    early = g3.request("POST", f"/api/projects/{project['id']}/dataset/media:from-upload",
                       json={"upload_id": location.rsplit("/", 1)[1]})
    assert early.status_code == 409
    wrong_sum = base64.b64encode(hashlib.sha1(b"other").digest()).decode()
    bad = g3.request("PATCH", location, data=data[half:],
                     headers={**OCTETS, "Upload-Offset": str(half), "Upload-Checksum": f"sha1 {wrong_sum}"})
    assert bad.status_code == 460
    good_sum = base64.b64encode(hashlib.sha1(data[half:]).digest()).decode()
    rest = g3.request("PATCH", location, data=data[half:],
                      headers={**OCTETS, "Upload-Offset": str(half), "Upload-Checksum": f"sha1 {good_sum}"})
    assert rest.headers["upload-offset"] == str(len(data))
    view = g3.request("GET", location).json()
    assert (view["filename"], view["state"], view["size"]) == ("up.png", "completed", len(data))
    media = g3.request("POST", f"/api/projects/{project['id']}/dataset/media:from-upload",
                       json={"upload_id": view["id"]})
    assert media.status_code == 201 and media.json()["name"] == "up"
    raw = g3.request("GET", f"/api/projects/{project['id']}/dataset/media/{media.json()['id']}/binary",
                     params={"raw": "true"})
    assert raw.content == data
    assert g3.request("HEAD", location, headers=TUS).status_code == 410  # consumed once


def test_header_errors_defer_length_and_termination(g3):
    assert g3.request("POST", "/api/uploads", headers={"Upload-Length": "3"}).status_code == 412
    both = g3.request("POST", "/api/uploads", headers={**TUS, "Upload-Length": "3", "Upload-Defer-Length": "1"})
    assert both.status_code == 400 and both.json()["detail"]
    wrong_type = g3.request("POST", "/api/uploads", data=b"abc",
                            headers={**TUS, "Upload-Length": "3", "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    deferred = g3.request("POST", "/api/uploads", data=b"abc",
                          headers={**OCTETS, "Upload-Defer-Length": "1", "Upload-Metadata": _meta(filename="n.txt")})
    location = deferred.headers["location"]
    assert deferred.headers["upload-defer-length"] == "1" and deferred.headers["upload-offset"] == "3"
    over = g3.request("PATCH", location, data=b"defg", headers={**OCTETS, "Upload-Offset": "3", "Upload-Length": "5"})
    assert over.status_code == 413
    done = g3.request("PATCH", location, data=b"de", headers={**OCTETS, "Upload-Offset": "3", "Upload-Length": "5"})
    assert (done.headers["upload-length"], done.headers["upload-offset"]) == ("5", "5")
    project = g3.project()
    rejected = g3.request("POST", f"/api/projects/{project['id']}/dataset/media:from-upload",
                          json={"upload_id": location.rsplit("/", 1)[1]})
    assert (rejected.status_code, rejected.json()) == (422, {"detail": "Unsupported media extension: txt"})
    assert g3.request("GET", location).json()["state"] == "completed"  # may be retried or deleted
    assert g3.request("DELETE", location, headers=TUS).status_code == 204
    assert g3.request("HEAD", location, headers=TUS).status_code == 404
    assert g3.request("POST", f"/api/projects/{project['id']}/dataset/media:from-upload",
                      json={"upload_id": "nope"}).status_code == 422
