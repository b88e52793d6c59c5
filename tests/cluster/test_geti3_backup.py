"""A Geti 3.x project as the server holds it — a video, subsets, a dataset view, a changed training
parameter — backed up to an archive and restored: identical in ``check``, the rest carried in the archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from geti3_helpers import two_servers, use_servers

from scmigrate.api import RunOptions
from scmigrate.engine.compare import compare_locations
from scmigrate.engine.facade import transfer
from scmigrate.testing import image_bytes, video_bytes


@pytest.fixture(scope="module")
def running_servers(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with two_servers(tmp_path_factory.mktemp("geti3-backup")) as running:
        yield running


@pytest.fixture
def servers(running_servers: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    return use_servers(running_servers, monkeypatch)


class Api:
    def __init__(self, c: Any) -> None:
        self.c, self.s = c, requests.Session()
        self.s.trust_env = False

    def __call__(self, method: str, path: str, ok: int = 200, **kw: Any) -> Any:
        resp = self.s.request(method, self.c.url + path, verify=self.c.ca_bundle, timeout=30, **kw)
        assert resp.status_code == ok, (method, path, resp.status_code, resp.text)
        return resp.json() if resp.content else None


def _seed_pcb(api: Api) -> dict[str, Any]:
    p = api("POST", "/api/projects", 201, json={"name": "PCB", "task": {"task_type": "detection", "labels": [
        {"name": "short", "color": "#E24A33", "hotkey": "s"}, {"name": "open", "color": "#348ABD"}]}})
    lab = {lb["name"]: lb["id"] for lb in p["task"]["labels"]}
    m = f"/api/projects/{p['id']}/dataset/media"
    media = [api("POST", m, 201, files={"file": (f"board{i}.png", image_bytes(64, 48, fmt="PNG", seed=i))})
             for i in range(3)]
    rect = {"type": "rectangle", "x": 4, "y": 5, "width": 20, "height": 11}
    api("POST", f"{m}/{media[0]['id']}/annotations", 201,
        json={"annotations": [{"shape": rect, "labels": [{"id": lab["short"]}]}], "subset": "training"})
    api("POST", f"{m}/{media[1]['id']}/annotations", 201, json={"annotations": [], "subset": "validation"})
    video = api("POST", m, 201, files={"file": ("line.mp4", video_bytes(64, 48, 6, 3))})
    api("POST", f"{m}/{video['id']}/annotations", 201, params={"frame_index": 2},
        json={"annotations": [{"shape": rect, "labels": [{"id": lab["open"]}]}], "subset": "testing"})
    api("POST", f"/api/projects/{p['id']}/dataset/views", 201,
        json={"name": "night shift", "media_ids": [media[0]["id"], video["id"]]})
    api("PATCH", f"/api/projects/{p['id']}/training_configuration", params={"model_architecture_id": "yolox_s"},
        json={"training.max_epochs": 40})
    return p


def _raw(location: str, project: str) -> dict[str, Any]:
    from scmigrate_cluster import ClusterSource

    with ClusterSource().open(location, RunOptions(project=project)) as reader:
        raw = dict(reader.project().configuration.raw["geti3"])
        names = {item.media.key: item.media.filename for item in reader.items()}
    # ids differ between the copies: compare by file name
    raw["subsets"] = sorted((names[k.split("@")[0]] + ("@" + k.split("@")[1] if "@" in k else ""), v)
                            for k, v in raw["subsets"].items())
    raw["dataset_views"] = [(v["name"], sorted(names[k] for k in v["media"])) for v in raw["dataset_views"]]
    for key in ("project_id", "labels"):
        raw.pop(key)
    return raw


def test_backup_and_restore_keep_everything(servers: Any, registry: Any, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from scmigrate_cluster.geti3 import uploads

    _seed_pcb(Api(servers["g3"]))
    archive = str(tmp_path / "pcb.scz")
    report = transfer("g3", archive, registry=registry, quiet=True, project="PCB")
    assert report.complete and report.counts["videos"] == 1 and report.counts["frames"] == 1, report.to_dict()

    sent: list[int] = []
    real = uploads._tus
    monkeypatch.setattr(uploads, "TUS_ABOVE", 1000)  # the video (about 2 kB) goes through resumable uploads
    monkeypatch.setattr(uploads, "CHUNK", 512)
    monkeypatch.setattr(uploads, "_tus", lambda http, path, spool, *a: sent.append(spool.size) or real(
        http, path, spool, *a))
    restored = transfer(archive, "g3", registry=registry, quiet=True, to_project="PCB restored")
    assert restored.complete, restored.to_dict()
    assert sent and max(sent) > 3 * 512  # in several chunks

    result = compare_locations("g3", "g3", RunOptions(project="PCB"), registry=registry,
                               dest_options=RunOptions(project="PCB restored"))
    assert result.identical(), (result.lines, result.project_diffs)
    assert result.count("=") == 4
    want = _raw("g3", "PCB")
    assert want["subsets"] == [("board0.png", "training"), ("board1.png", "validation"), ("line.mp4@2", "testing")]
    assert want["dataset_views"] == [("night shift", ["board0.png", "line.mp4"])]
    assert want["training_configuration"] == {"yolox_s": {"training.max_epochs": 40}}
    assert _raw("g3", "PCB restored") == want


def test_3x_to_2x(servers: Any, registry: Any) -> None:
    api = Api(servers["g3"])
    p = api("POST", "/api/projects", 201, json={"name": "Kinds", "task": {
        "task_type": "classification", "exclusive_labels": True, "labels": [{"name": "ok"}, {"name": "bad"}]}})
    lab = {lb["name"]: lb["id"] for lb in p["task"]["labels"]}
    m = f"/api/projects/{p['id']}/dataset/media"
    for i, name in enumerate(("ok", "bad")):
        media = api("POST", m, 201, files={"file": (f"x{i}.jpg", image_bytes(64, 48, seed=i))})
        api("POST", f"{m}/{media['id']}/annotations", 201,
            json={"annotations": [{"shape": {"type": "full_image"}, "labels": [{"id": lab[name]}]}]})
    report = transfer("g3", "classic", registry=registry, quiet=True, project="Kinds")
    assert report.complete, report.to_dict()
    result = compare_locations("g3", "classic", RunOptions(project="Kinds"), registry=registry)
    assert result.count("=") == 2 and not result.count("*"), result.lines
