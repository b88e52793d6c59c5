"""sdk-folder:DIR as a sink: the SDK's download layout with real extensions, read back identical."""

from __future__ import annotations

import hashlib
import json

import pytest

from scmigrate.api import RunOptions
from scmigrate.cli import main
from scmigrate.errors import InputError
from scmigrate.model import Annotation, Label, Media, Project, RangeLabel, Scene, ScoredLabel, Shape, Task
from scmigrate.model import Dataset as PDataset
from scmigrate.testing import image_bytes, make_item, put_memory, video_bytes
from scmigrate_folders import SdkFolderSink, SdkFolderSource


def _project_and_items():
    task = Task("Detection", "detection", [Label("dog", color="#ff0000ff", hotkey="ctrl+1"),
                                           Label("cat", color="#00ff00ff", parent=None),
                                           Label("No object", color="#000000ff", group="No object", is_empty=True)])
    project = Project.chain("Dogs", task, datasets=[PDataset("Dataset", True), PDataset("Night")])
    box = Annotation(Shape.rectangle(2, 3, 20, 16), [ScoredLabel("dog")])
    poly = Annotation(Shape.polygon([(1, 1), (30, 2), (10, 40)]), [ScoredLabel("cat", 0.75)])
    items = [
        # the same name in two datasets: the SDK's "_<id>" suffix tells them apart, and is read back off
        make_item(Media("a/dog", "image", "dog", "dog.png", width=64, height=48),
                  image_bytes(64, 48, "PNG", seed=1), [Scene([box, poly])]),
        make_item(Media("b/dog", "image", "dog", "dog.jpg", dataset="Night", width=64, height=48),
                  image_bytes(64, 48, "JPEG", seed=2), [Scene([box])]),
        make_item(Media("c", "image", "empty", "empty.jpg", width=64, height=48),
                  image_bytes(64, 48, "JPEG", seed=3), [Scene([])]),  # reviewed: no objects
        make_item(Media("d", "image", "todo", "todo.jpg", width=64, height=48),
                  image_bytes(64, 48, "JPEG", seed=4), None),  # not annotated
        make_item(Media("v", "video", "clip", "clip.mp4"), video_bytes(),
                  [Scene([box], frame=0), Scene([poly], frame=4)], ranges=[RangeLabel(0, 3, ["dog"])]),
    ]
    return project, items


def _facts(reader):
    out = {}
    for it in reader.items():
        it.resolve()
        with it.open() as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        scenes = [(s.frame, [a.to_dict() for a in s.annotations]) for s in it.scenes]
        out[(it.media.dataset, it.media.kind, it.media.name, it.media.filename)] = (digest, scenes)
    return out


def test_sdk_folder_round_trip(make_registry, tmp_path):
    import scmigrate_folders
    from scmigrate.engine import TransferRequest, transfer

    project, items = _project_and_items()
    put_memory("p", project, items)
    out = tmp_path / "sdk"
    report = transfer(TransferRequest("memory:p", f"sdk-folder:{out}", RunOptions(),
                                      registry=make_registry(scmigrate_folders)))
    assert report.sink_facts["lost"] == {"video range label: not held": 1}
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "images/Dataset/dog.png" in files and "images/Dataset/empty.jpg" in files  # real extensions
    assert any(f.startswith("images/Night/dog_") and f.endswith(".jpg") for f in files)
    assert "annotations/todo.json" not in files and "annotations/empty.json" in files
    assert "annotations/clip_frame_4.json" in files and "project.json" in files
    with SdkFolderSource().open(f"sdk-folder:{out}", RunOptions()) as reader:
        back = reader.project()
        got = _facts(reader)
    assert [t.to_dict() for t in back.tasks] == [t.to_dict() for t in project.tasks]
    assert [d.to_dict() for d in back.datasets] == [d.to_dict() for d in project.datasets]
    want = {}
    for it in items:
        it.resolve()
        want[(it.media.dataset, it.media.kind, it.media.name, it.media.filename)] = (
            hashlib.sha256(it.open().read()).hexdigest(),
            [(s.frame, [a.to_dict() for a in s.annotations]) for s in it.scenes])
    assert got == want


def test_strict_fails_a_video_with_range_labels(make_registry, tmp_path):
    """A range is lost in the SDK folder as in every dataset sink: --strict fails that video, in one line."""
    import scmigrate_folders
    from scmigrate.engine import TransferRequest, transfer

    project, items = _project_and_items()
    put_memory("p", project, items)
    with pytest.raises(InputError) as err:
        transfer(TransferRequest("memory:p", f"sdk-folder:{tmp_path / 'sdk'}", RunOptions(strict=True),
                                 registry=make_registry(scmigrate_folders)))
    assert "v: the SDK folder cannot hold 1× video range label (--strict)" in str(err.value)
    assert not (tmp_path / "sdk" / "videos").exists()  # refused before its file was written


def test_sdk_folder_sink_refuses_a_folder_in_use(tmp_path, capsys):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(InputError, match="already exists and is not empty"):
        SdkFolderSink().preflight(f"sdk-folder:{tmp_path / 'used'}", Project.chain("P"), RunOptions())
    with pytest.raises(InputError, match="does not exist"):
        SdkFolderSink().open(f"sdk-folder:{tmp_path / 'no' / 'x'}", RunOptions())


def test_archive_to_sdk_folder_and_back_through_the_cli(make_registry, tmp_path, capsys):
    import scmigrate_archive
    from scmigrate.engine import TransferRequest, transfer

    project, items = _project_and_items()
    put_memory("p", project, items)
    scz = tmp_path / "dogs.scz"
    transfer(TransferRequest("memory:p", str(scz), RunOptions(), registry=make_registry(scmigrate_archive)))
    for args in (["--to", f"sdk-folder:{tmp_path / 'sdk'}", "--dry-run"],
                 ["--to", f"sdk-folder:{tmp_path / 'sdk'}"]):
        with pytest.raises(SystemExit) as ex:
            main(["-q", "run", "--from", str(scz), *args])
        assert ex.value.code == 0, capsys.readouterr().err
    plan = capsys.readouterr().out
    assert "SDK download folder" in plan and "video range labels: not held" not in plan  # detection: no ranges
    with pytest.raises(SystemExit) as ex:
        main(["-q", "run", "--from", f"sdk-folder:{tmp_path / 'sdk'}", "--to", str(tmp_path / "back.scz")])
    assert ex.value.code == 0, capsys.readouterr().err
    capsys.readouterr()
    infos = []
    for path in (scz, tmp_path / "back.scz"):
        with pytest.raises(SystemExit):
            main(["inspect", str(path), "--json"])
        infos.append(json.loads(capsys.readouterr().out))
    assert infos[0]["media"] == infos[1]["media"] and infos[0]["media"]["annotated_empty"] == 1
    assert infos[0]["tasks"] == infos[1]["tasks"]
