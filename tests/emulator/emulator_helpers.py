"""Helpers of the emulator tests: a thin API client and real media files (Pillow images, PyAV videos).

They live here, not in ``conftest.py``: a test module that imports ``conftest`` gets whichever
``conftest`` module was loaded last, which depends on the order in which pytest is given directories
(``pytest tests/emulator tests/cli`` imported the CLI's).
"""

from __future__ import annotations

import io
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any

import requests
from PIL import Image, ImageDraw

import sc_emulator


class Api:
    """Thin requests wrapper bound to one running emulator (paths relative to the workspace)."""

    def __init__(self, cluster: sc_emulator.RunningEmulator) -> None:
        self.cluster = cluster
        self.session = requests.Session()
        self.session.headers.update({"x-api-key": cluster.token, "x-geti-csrf-protection": "1"})
        self.session.verify = cluster.ca_bundle or True

    def url(self, path: str) -> str:
        if path.startswith("/api") or path.startswith("/_emulator") or path.startswith("/deployment"):
            return self.cluster.url + path
        return self.cluster.base() + path

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        # Per request: a session-level `verify` loses against REQUESTS_CA_BUNDLE in the environment.
        kwargs.setdefault("verify", self.cluster.ca_bundle or True)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    # -- helpers ---------------------------------------------------------------------------------
    def create_project(self, name: str, task_type: str = "detection", labels: list | None = None,
                       chain: str | None = None) -> dict[str, Any]:
        if labels is None and task_type in ("detection", "segmentation", "rotated_detection"):
            labels = [{"name": "object"}]
        tasks = [{"title": "Dataset", "task_type": "dataset"}]
        if chain:
            tasks += [{"title": "Detection", "task_type": "detection", "labels": [{"name": "thing"}]},
                      {"title": "Crop", "task_type": "crop"},
                      {"title": "Second", "task_type": chain, "labels": labels or [{"name": "a"}, {"name": "b"}]}]
        else:
            task: dict[str, Any] = {"title": "Task", "task_type": task_type}
            if labels is not None:
                task["labels"] = labels
            tasks.append(task)
        connections = [{"from": a["title"], "to": b["title"]} for a, b in pairwise(tasks)]
        response = self.post("/projects", json={"name": name, "pipeline": {"tasks": tasks, "connections": connections}})
        assert response.status_code == 201, response.text
        return response.json()

    def dataset_path(self, project: dict[str, Any]) -> str:
        return f"/projects/{project['id']}/datasets/{project['datasets'][0]['id']}"

    def upload(self, project: dict[str, Any], name: str, data: bytes, kind: str = "images",
               upload_info: str | None = None) -> requests.Response:
        files: dict[str, Any] = {"file": (name, data, "application/octet-stream")}
        if upload_info is not None:
            files["upload_info"] = (None, upload_info)
        return self.post(f"{self.dataset_path(project)}/media/{kind}", files=files)


def image_bytes(width: int = 64, height: int = 48, fmt: str = "PNG", color: tuple = (200, 30, 30)) -> bytes:
    """A real image drawn with Pillow."""
    img = Image.new("RGB", (width, height), (20, 20, 20))
    ImageDraw.Draw(img).rectangle([width // 4, height // 4, width // 2, height // 2], fill=color)
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def video_bytes(path: Path, frames: int = 12, fps: int = 6, width: int = 64, height: int = 48) -> bytes:
    """A real MP4 written with PyAV: a square moving one step per frame."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=Fraction(fps, 1))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            img = Image.new("RGB", (width, height), (0, 0, 0))
            ImageDraw.Draw(img).rectangle([i * 2, 10, i * 2 + 10, 20], fill=(255, 255, 255))
            for packet in stream.encode(av.VideoFrame.from_image(img)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path.read_bytes()


class Geti3:
    """Thin requests wrapper for the Geti 3.x application (no auth; paths under the server root)."""

    def __init__(self, cluster: sc_emulator.RunningEmulator) -> None:
        self.cluster = cluster
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("verify", self.cluster.ca_bundle or True)
        return self.session.request(method, self.cluster.url + path, **kwargs)

    def project(self, task_type: str = "detection", labels: tuple[str, ...] = ("a", "b"),
                exclusive: bool = False, **fields: Any) -> dict[str, Any]:
        body = {"name": fields.pop("name", "p"), "task": {"task_type": task_type, "exclusive_labels": exclusive,
                                                          "labels": [{"name": n} for n in labels]}, **fields}
        response = self.request("POST", "/api/projects", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def upload(self, project: dict[str, Any], name: str, data: bytes) -> requests.Response:
        return self.request("POST", f"/api/projects/{project['id']}/dataset/media", files={"file": (name, data)})


def altered(secret: str) -> str:
    """``secret`` with its last character replaced by another: a wrong key that is never, by chance, the right one."""
    return secret[:-1] + ("x" if secret[-1] != "x" else "y")
