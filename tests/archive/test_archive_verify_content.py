"""verify checks what the documents say, not only their bytes: every archive a restore refuses
fails verify, naming the member and the problem; ``verify --quick`` keeps the hash-only pass."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from archive_helpers import (
    IMAGE,
    box_scene,
    content_archive,
    item_doc,
    open_archive,
    project,
)
from scmigrate_archive.layout import item_member, model_member

from scmigrate.errors import InputError

SCMIGRATE = Path(sys.executable).with_name("scmigrate")
OTHER = b"other bytes"
OTHER_BLOB = f"blobs/{hashlib.sha256(OTHER).hexdigest()}.jpg"
IMAGE_BLOB = f"blobs/{hashlib.sha256(IMAGE).hexdigest()}.jpg"


def _project(edit) -> dict:
    doc = project().to_dict()
    edit(doc)
    return doc


def _nested(depth: int) -> list:
    doc: list = []
    for _ in range(depth):
        doc = [doc]
    return doc


def _video(**media) -> dict:
    return item_doc("v", IMAGE, [{"kind": "annotation", "frame": 12, "annotations": []}], kind="video",
                    frame_count=10, fps=5, **media)


def _model_archive(blob: str) -> bytes:
    from archive_helpers import raw_archive

    model = {"key": "m", "metadata": {}, "files": [{"name": "w.bin", "blob": blob, "size": len(OTHER),
                                                     "sha256": hashlib.sha256(OTHER).hexdigest()}]}
    return raw_archive([("project.json", json.dumps(project().to_dict()).encode()),
                        (model_member("m"), json.dumps(model).encode())])


#: name → (archive bytes, member verify must name, what it must say)
CASES = {
    "item points at a blob the archive lacks": (
        content_archive([item_doc("a", OTHER)]), item_member("a"), f"refers to {OTHER_BLOB}, which the archive does not hold"),
    "item points at a blob of other bytes": (
        content_archive([dict(item_doc("a", IMAGE), blob=OTHER_BLOB)], blobs={IMAGE_BLOB: IMAGE, OTHER_BLOB: OTHER}),
        item_member("a"), "whose name does not carry the sha256 of its media"),
    "shape of type BANANA": (
        content_archive([item_doc("a", IMAGE, box_scene(type="BANANA"))]), item_member("a"), "'BANANA' is not one of"),
    "project name is a number": (
        content_archive([item_doc("a", IMAGE)], proj=_project(lambda d: d.update(name=42))), "project.json",
        "name: 42 is not of type 'string'"),
    "deeply nested JSON": (
        content_archive([("a", json.dumps(item_doc("a", IMAGE, box_scene(extra=_nested(80)))).encode())]),
        item_member("a"), "nested deeper than 64 levels"),
    "NaN coordinate": (
        content_archive([("a", json.dumps(item_doc("a", IMAGE, box_scene(x=math.nan))).encode())]), item_member("a"),
        "NaN is not a JSON number"),
    "a label the project lacks": (
        content_archive([item_doc("a", IMAGE, box_scene(label="cat"))]), item_member("a"),
        "label 'cat' is not a label of the project"),
    "a task the pipeline lacks": (
        content_archive([item_doc("a", IMAGE, [dict(box_scene()[0], state_per_task={"Counting": "annotated"})])]),
        item_member("a"), "state_per_task names task 'Counting'"),
    "a dataset the project lacks": (
        content_archive([item_doc("a", IMAGE, dataset="Elsewhere")]), item_member("a"), "dataset 'Elsewhere'"),
    "a frame on an image": (
        content_archive([item_doc("a", IMAGE, [dict(box_scene()[0], frame=3)])]), item_member("a"),
        "a scene of image media has frame 3"),
    "a frame past the end of the video": (
        content_archive([_video()]), item_member("v"), "a scene is on frame 12, past the video's 10 frames"),
    "two scenes for one image": (
        content_archive([item_doc("a", IMAGE, box_scene() * 2)]), item_member("a"), "occurs 2 times"),
    "a label twice in the project": (
        content_archive([item_doc("a", IMAGE)], proj=_project(
            lambda d: d["pipeline"]["tasks"][3]["labels"].append({"name": "dog"}))), "project.json",
        "label 'dog' occurs twice"),
    "a connection to a task the pipeline lacks": (
        content_archive([item_doc("a", IMAGE)], proj=_project(
            lambda d: d["pipeline"]["connections"].append({"from": "Detection", "to": "Nowhere"}))),
        "project.json", "a connection refers to task 'Nowhere'"),
    "a model file the archive lacks": (_model_archive(OTHER_BLOB), model_member("m"),
                                       f"file 'w.bin' refers to {OTHER_BLOB}, which the archive does not hold"),
}


def _restore_refuses(path: Path) -> str:
    """What reading everything (as `run --from` does) says, or '' if it reads."""
    try:
        with open_archive(path) as reader:
            reader.project()
            for it in reader.items():
                it.open().read()
            for model in reader.models():
                for f in model.files:
                    f.open().read()
    except InputError as e:
        return str(e)
    return ""


@pytest.mark.parametrize("case", CASES)
def test_verify_fails_what_a_restore_refuses(case: str, tmp_path: Path) -> None:
    data, member, why = CASES[case]
    path = tmp_path / "x.scz"
    path.write_bytes(data)
    refusal = _restore_refuses(path)
    assert refusal.startswith(f"{path}: {member}") and why in refusal, refusal
    with open_archive(path) as reader:
        lines = reader.verify()
        assert reader.verify(quick=True) == []  # every byte is as written: the hash pass finds nothing
    assert any(line.startswith(member) and why in line for line in lines), lines


def test_verify_of_a_consistent_hand_made_archive_is_clean(tmp_path: Path) -> None:
    path = tmp_path / "ok.scz"
    video = item_doc("v", IMAGE, [{"kind": "annotation", "frame": 9, "annotations": []},
                                  {"kind": "prediction", "frame": 9, "annotations": []}],
                     kind="video", frame_count=10, fps=5)
    path.write_bytes(content_archive([item_doc("a", IMAGE, box_scene()), video]))
    assert _restore_refuses(path) == ""
    with open_archive(path) as reader:
        assert reader.verify() == []


def test_verify_lists_every_problem_not_only_the_first(tmp_path: Path) -> None:
    path = tmp_path / "many.scz"
    path.write_bytes(content_archive([item_doc("a", IMAGE, box_scene(label="cat")), item_doc("b", IMAGE, box_scene(type="BANANA")),
                                      item_doc("c", IMAGE, box_scene(label="cow"), dataset="Nope")]))
    with open_archive(path) as reader:
        lines = reader.verify()
    assert len(lines) == 4, lines
    assert {line.split(" ", 1)[0].rstrip(":") for line in lines} == {item_member(k) for k in "abc"}


def test_verify_checks_content_while_walking_an_incomplete_archive(tmp_path: Path) -> None:
    """Without an index, verify walks the frames, and checks the documents it walks past too."""
    path = tmp_path / "cut.scz"
    data = content_archive([item_doc("a", IMAGE, box_scene(label="cat")), item_doc("b", IMAGE)])
    with open_archive(_write(tmp_path / "whole.scz", data)) as reader:
        end = reader.trailer.index_offset
    path.write_bytes(data[:end])
    with open_archive(path) as reader:
        lines = reader.verify()
        quick = reader.verify(quick=True)
    assert lines[0].startswith("trailer: missing")
    assert f"{item_member('a')}: label 'cat' is not a label of the project" in lines
    assert lines[-1].startswith("index.json: missing")
    assert not any("label 'cat'" in line for line in quick) and len(quick) == 2


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_cli_verify_quick_keeps_the_hash_only_pass(tmp_path: Path) -> None:
    data, member, why = CASES["shape of type BANANA"]
    path = _write(tmp_path / "banana.scz", data)
    deep = subprocess.run([str(SCMIGRATE), "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert deep.returncode == 1 and f"damaged: {member}" in deep.stdout and why in deep.stdout
    quick = subprocess.run([str(SCMIGRATE), "verify", "--quick", str(path)], capture_output=True, text=True, timeout=60)
    assert quick.returncode == 0 and quick.stdout.strip() == f"{path}: intact", quick.stdout + quick.stderr
