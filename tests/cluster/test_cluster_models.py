"""--with-models: model groups, details and the exported files are streamed into the backup."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

from cluster_helpers import detection_items, detection_project

from scmigrate.api import RunOptions
from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory
from scmigrate_cluster import ClusterSource


def a_zip(name: str, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, payload)
    return buf.getvalue()


def test_models_are_backed_up(clusters: Any, registry: Any, tmp_path: Path) -> None:
    c = clusters("a")
    put_memory("seed", detection_project("Dogs"), detection_items(2))
    report = transfer("memory:seed", "a", registry=registry, quiet=True)
    pid = report.sink_facts["project_id"]
    base = a_zip("weights.pth", b"\x01" * 5000)
    opt = a_zip("model.xml", b"<xml/>" * 100)
    c.admin.place_model(pid, base_zip=base, optimized=[{"zip": opt, "model_format": "OpenVINO",
                                                        "precision": ["FP16"], "name": "Dogs OpenVINO FP16"}])

    with ClusterSource().open("a", RunOptions(project="Dogs")) as reader:
        models = list(reader.models())
        assert len(models) == 1
        m = models[0]
        assert m.metadata["model"]["optimized_models"][0]["model_format"] == "OpenVINO"
        assert m.metadata["model_group"]["task_title"] == "Detection"
        got = {f.name: f.open().read() for f in m.files}
    assert sorted(hashlib.sha256(v).hexdigest() for v in got.values()) == sorted(
        hashlib.sha256(v).hexdigest() for v in (base, opt))

    archive = str(tmp_path / "dogs.scz")
    report = transfer("a", archive, registry=registry, quiet=True, project="Dogs", with_models=True)
    assert report.complete
    assert report.counts.get("models") == 1
    from scmigrate_archive import ArchiveSource  # the backup holds them, byte for byte

    with ArchiveSource().open(archive, RunOptions()) as reader:
        kept = list(reader.models())
        assert [hashlib.sha256(f.open().read()).hexdigest() for f in kept[0].files] == [
            hashlib.sha256(got[f.name]).hexdigest() for f in kept[0].files]
