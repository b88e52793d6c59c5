"""datumaro:FORMAT:DIR as a sink: archive → format → datumaro: source → archive, for every writable format.

What the format holds comes back as it was (media byte for byte, names, subsets, labels, shapes;
a video's annotated frames as PNG images with their annotations); what it cannot hold is named in
``--dry-run`` and in the report's ``sink_facts``.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from scmigrate.api import RunOptions
from scmigrate.cli import main
from scmigrate.model import Annotation, Label, Media, Project, RangeLabel, Scene, ScoredLabel, Shape, Task
from scmigrate.model import Dataset as PDataset
from scmigrate.testing import image_bytes, make_item, put_memory, video_bytes

W, H = 64, 48
#: the test video's annotated frames: frame → the image whose annotations it carries (None: annotated as empty)
FRAMES = {2: 0, 5: None, 7: 1}


def _labels(names):
    colours = ["#ff0000ff", "#00ff00ff", "#0000ffff"]
    return [Label(n, color=colours[i % 3]) for i, n in enumerate(names)]


def _project(kind: str, video: bool = True, video_losses: bool = True) -> tuple[Project, list]:
    """A small project of ``kind`` (4 images in train/val, one of them not annotated) and its items.

    With ``video``, also a 10-frame video in train: frames 2 and 7 annotated as images 0 and 1 are,
    frame 5 annotated as empty, the others not annotated; and one range label over frames 0-4.
    Without ``video_losses``, neither frame 5's scene nor the range (what no format holds).
    """
    box = lambda x, y: Shape.rectangle(x, y, 20, 16)  # noqa: E731
    if kind == "detection":
        task = Task("Detection", "detection", _labels(["dog", "cat"]))
        scenes = [[("dog", box(2, 3)), ("cat", box(30, 20))], [("cat", box(10, 10))], [("dog", box(40, 30))]]
    elif kind == "segmentation":
        task = Task("Segmentation", "instance_segmentation", _labels(["dog", "cat"]))
        tri = lambda x: Shape.polygon([(x, 2), (x + 20, 4), (x + 8, 30)])  # noqa: E731
        scenes = [[("dog", tri(2)), ("cat", tri(30))], [("cat", tri(10))], [("dog", tri(20))]]
    elif kind == "classification":
        task = Task("Classification", "classification",
                    [Label(n, color=c, group="Classification")
                     for n, c in (("dog", "#ff0000ff"), ("cat", "#00ff00ff"))])
        full = Shape.rectangle(0, 0, W, H)
        scenes = [[("dog", full)], [("cat", full)], [("dog", full)]]
    else:  # keypoints
        task = Task("Keypoints", "keypoint_detection", _labels(["nose", "ear", "tail"]),
                    keypoint_structure={"edges": [{"nodes": ["nose", "ear"]}],
                                        "positions": [{"label": n, "x": 0.5, "y": 0.5}
                                                      for n in ("nose", "ear", "tail")]})
        kp = lambda x, y, v=True: Shape.keypoint(x, y, v)  # noqa: E731
        scenes = [[("nose", kp(5, 6)), ("ear", kp(20, 21)), ("tail", kp(30, 8, False))],
                  [("nose", kp(15, 16)), ("ear", kp(25, 11)), ("tail", kp(40, 30))],
                  [("nose", kp(3, 4)), ("ear", kp(5, 6)), ("tail", kp(7, 8))]]
    project = Project.chain("Dogs", task, datasets=[PDataset("train", True), PDataset("val")])
    items = []
    for i in range(4):
        media = Media(f"k{i}", "image", f"img{i}", f"img{i}.{'png' if i == 1 else 'jpg'}",
                      dataset="val" if i == 3 else "train", width=W, height=H)
        data = image_bytes(W, H, "PNG" if i == 1 else "JPEG", seed=i)
        sc = [Scene([Annotation(s, [ScoredLabel(n)]) for n, s in scenes[i]])] if i < 3 else None
        items.append(make_item(media, data, sc))
    if video:
        clip = Media("kv", "video", "clip", "clip.mp4", dataset="train", width=W, height=H, fps=5.0, frame_count=10)
        frames = [Scene([Annotation(s, [ScoredLabel(n)]) for n, s in scenes[i]] if i is not None else [], frame=f)
                  for f, i in FRAMES.items() if video_losses or i is not None]
        ranges = [RangeLabel(0, 4, [task.labels[0].name])] if video_losses else []
        items.append(make_item(clip, video_bytes(W, H, frames=10, fps=5), frames, ranges=ranges))
    return project, items


def _to_archive(make_registry, tmp_path, kind, video=True, video_losses=True):
    import scmigrate_archive
    from scmigrate.engine import TransferRequest, transfer

    project, items = _project(kind, video, video_losses)
    put_memory("p", project, items)
    scz = tmp_path / "dogs.scz"
    transfer(TransferRequest("memory:p", str(scz), RunOptions(), registry=make_registry(scmigrate_archive)))
    return scz, items


def _run(capsys, *args):
    with pytest.raises(SystemExit) as ex:
        main(["-q", "run", *args])
    out = capsys.readouterr()
    assert ex.value.code == 0, out.err
    return out.out


def _shape_key(ann):
    s = ann.shape
    return (s.type, ann.label_names[0], tuple(round(v, 1) for v in (s.x, s.y, s.width, s.height, s.angle)),
            tuple((round(x, 1), round(y, 1)) for x, y in s.points), s.is_visible)


def _read_archive(path):
    from scmigrate_archive import ArchiveSource

    with ArchiveSource().open(str(path), RunOptions()) as reader:
        project = reader.project()
        got = {}
        for it in reader.items():
            it.resolve()
            with it.open() as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            scene = it.image_scene()
            shapes = sorted(_shape_key(a) for a in scene.annotations) if scene else None
            got[(it.media.dataset, it.media.filename)] = (digest, shapes)
        return project, got


CASES = [
    ("coco", "detection"), ("coco", "segmentation"), ("coco", "keypoints"),
    ("yolo_ultralytics", "detection"),
    ("voc", "detection"), ("voc", "classification"),
    ("datumaro", "detection"), ("datumaro", "segmentation"), ("datumaro", "classification"),
    ("datumaro", "keypoints"),
    ("cvat", "detection"), ("cvat", "segmentation"), ("cvat", "classification"),
]


def _frame_pixels(scz, index):
    """Frame ``index`` of the archive's video, decoded by the emulator's own seek-and-decode (not the sink's code)."""
    from sc_emulator.mediainfo import video_frame
    from scmigrate_archive import ArchiveSource

    with ArchiveSource().open(str(scz), RunOptions()) as reader:
        (clip,) = [it for it in reader.items() if it.media.kind == "video"]
        path = scz.parent / "clip.mp4"
        with clip.open() as f:
            path.write_bytes(f.read())
    return video_frame(path, index, 5.0).tobytes()


def _pixels(scz, key):
    from PIL import Image

    from scmigrate_archive import ArchiveSource

    with ArchiveSource().open(str(scz), RunOptions()) as reader:
        (it,) = [it for it in reader.items() if (it.media.dataset, it.media.filename) == key]
        with it.open() as f, Image.open(f) as im:
            return im.convert("RGB").tobytes()


EMPTY_FRAME = "video frame annotated as empty (reviewed, no objects): written without annotations"


@pytest.mark.parametrize(("fmt", "kind"), CASES)
def test_roundtrip(make_registry, tmp_path, capsys, fmt, kind):
    from scmigrate_datumaro.export_shapes import RANGE_LOSS

    scz, items = _to_archive(make_registry, tmp_path, kind)
    out = tmp_path / "out"
    plan = _run(capsys, "--from", str(scz), "--to", f"datumaro:{fmt}:{out}", "--dry-run")
    assert not out.exists()  # the dry run writes nothing
    assert "lost in" in plan and "videos: each annotated frame written as an image" in plan
    assert ("video range labels: not held by the format" in plan) == (kind == "classification")
    assert ("no tracks (CVAT for video) are written" in plan) == (fmt == "cvat")
    report = tmp_path / "r.json"
    _run(capsys, "--from", str(scz), "--to", f"datumaro:{fmt}:{out}", "--report", str(report))
    facts = json.loads(report.read_text())["sink_facts"]
    assert (facts["images"], facts["videos"], facts["frames"], facts["format"]) == (4, 1, 3, fmt)
    # every case holds only what its format holds: nothing lost on the way but the video's range
    # and its frame marked "no objects" (read back as a frame without annotations)...
    assert facts["lost"] == {RANGE_LOSS: 1, EMPTY_FRAME: 1}
    colours = fmt not in ("voc", "datumaro")
    assert ("label colours: not held by the format" in facts["not_held"]) == colours  # ...but colours
    assert not (out / ".scmigrate-spool").exists()
    back = tmp_path / "back.scz"
    _run(capsys, "--from", f"datumaro:{fmt}:{out}", "--to", str(back))
    if fmt == "coco":  # the coco: source (which checks ids, boxes and files) reads it too
        for json_file in (out / "annotations").glob("*.json"):
            _run(capsys, "--from", f"coco:{json_file}", "--to", str(tmp_path / f"{json_file.stem}.scz"))
    project, got = _read_archive(back)
    _, want = _read_archive(scz)
    del want[("train", "clip.mp4")]
    frames = {("train", f"clip_frame_{f}.png"): f for f in FRAMES}
    assert sorted(got) == sorted([*want, *frames])  # same subsets and file names (extensions included)
    for key, (digest, shapes) in want.items():
        assert got[key][0] == digest, key  # the original bytes, not re-encoded
        assert got[key][1] == shapes, (key, got[key][1], shapes)
    for key, f in frames.items():
        image = FRAMES[f]
        assert got[key][1] == (want[("train", f"img{image}.{'png' if image == 1 else 'jpg'}")][1]
                               if image is not None else None), key  # empty: read back as not annotated
        assert _pixels(back, key) == _frame_pixels(scz, f), key  # the very frame, losslessly
    (task,) = project.trainable_tasks
    names = [lb.name for lb in task.labels if not lb.is_empty]
    original = _project(kind)[0].trainable_tasks[0].labels
    assert names == [lb.name for lb in original]
    if not colours:  # VOC's label map and Datumaro's colormap keep them
        assert [lb.color for lb in task.labels] == [lb.color for lb in original]


def test_strict_fails_a_video_with_ranges_only(make_registry, tmp_path, capsys):
    """A range is a loss as any other under --strict; frames written as images are not."""
    scz, _ = _to_archive(make_registry, tmp_path, "classification")
    plan = _run(capsys, "--from", str(scz), "--to", f"datumaro:datumaro:{tmp_path / 'o'}", "--dry-run", "--strict")
    assert "--strict fails a video that has any" in plan
    with pytest.raises(SystemExit) as ex:
        main(["-q", "run", "--from", str(scz), "--to", f"datumaro:datumaro:{tmp_path / 'o'}", "--strict"])
    err = capsys.readouterr().err.strip().splitlines()
    assert ex.value.code == 2 and len(err) == 1, err
    assert (f"error: kv: datumaro cannot hold 1× {EMPTY_FRAME}; 1× video range label: not held by the format "
            "(--strict)") in err[0], err
    (tmp_path / "clean").mkdir()
    scz, _ = _to_archive(make_registry, tmp_path / "clean", "classification", video_losses=False)
    report = tmp_path / "r.json"
    _run(capsys, "--from", str(scz), "--to", f"datumaro:datumaro:{tmp_path / 'o2'}", "--strict",
         "--report", str(report))
    facts = json.loads(report.read_text())["sink_facts"]
    assert (facts["images"], facts["videos"], facts["frames"], facts["lost"]) == (4, 1, 2, {})


def test_losses_named_in_dry_run_and_strict_refuses(make_registry, tmp_path, capsys):
    scz, _ = _to_archive(make_registry, tmp_path, "segmentation")
    out = tmp_path / "out"
    plan = _run(capsys, "--from", str(scz), "--to", f"datumaro:yolo_ultralytics:{out}", "--dry-run")
    assert "instance_segmentation shapes (POLYGON): written as bounding boxes" in plan
    assert "label colours: not held by the format" in plan
    for extra in (["--dry-run"], []):
        with pytest.raises(SystemExit) as ex:
            main(["-q", "run", "--from", str(scz), "--to", f"datumaro:yolo_ultralytics:{out}", "--strict", *extra])
        err = capsys.readouterr().err.strip().splitlines()
        assert ex.value.code == 2 and len(err) == 1, err
        assert "cannot hold label colours: not held by the format (--strict)" in err[0]
    report = tmp_path / "r.json"
    _run(capsys, "--from", str(scz), "--to", f"datumaro:yolo_ultralytics:{tmp_path / 'o2'}",
         "--report", str(report))
    facts = json.loads(report.read_text())["sink_facts"]
    # the video's frames lose what its images lose: 3 polygons on frames 2 and 7
    assert facts["lost"] == {"polygon: written as its bounding box": 4 + 3, EMPTY_FRAME: 1,
                             "video range label: not held by the format": 1}


def test_bad_sink_locations(tmp_path):
    from scmigrate.errors import InputError
    from scmigrate_datumaro import DatumaroSink

    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    one = Project.chain("P", Task("Detection", "detection", [Label("dog")]))
    for loc, what in ((f"datumaro:{tmp_path}/o", "name the format: datumaro:FORMAT:DIR"),
                      (f"datumaro:kitti:{tmp_path}/o", "not 'kitti'"),
                      (f"datumaro:coco:{tmp_path}/full", "not empty"),
                      (f"datumaro:coco:{tmp_path}/no/o", "does not exist"),
                      (f"datumaro:yolo_ultralytics:{tmp_path}/o", "needs a training and a validation subset")):
        with pytest.raises(InputError, match=what) as err:
            DatumaroSink().preflight(loc, one, RunOptions())
        assert "\n" not in str(err.value)


def test_a_video_without_annotated_frames_writes_nothing(make_registry, tmp_path, capsys):
    import scmigrate_datumaro
    from scmigrate.engine import TransferRequest, transfer

    project, items = _project("detection", video=False)
    clip = Media("kv", "video", "clip", "clip.mp4", dataset="train", width=W, height=H, fps=5.0, frame_count=10)
    put_memory("p", project, [*items, make_item(clip, video_bytes(W, H, frames=10, fps=5), None)])
    out = tmp_path / "out"
    report = transfer(TransferRequest("memory:p", f"datumaro:coco:{out}", RunOptions(),
                                      registry=make_registry(scmigrate_datumaro)))
    facts = report.sink_facts
    assert (facts["images"], facts["videos"], facts["frames"]) == (4, 0, 0)
    assert facts["write_notes"] == {"video without annotated frames: nothing written": 1}
    assert not [p for p in out.rglob("*clip*")]


@pytest.mark.parametrize("fmt", ["voc", "cvat", "coco"])
def test_one_name_in_two_subsets_keeps_both_images(make_registry, tmp_path, fmt):
    """VOC and CVAT keep every subset's images in one folder: a repeated name is renamed, not overwritten."""
    import scmigrate_datumaro
    from scmigrate.engine import TransferRequest, transfer

    project = Project.chain("P", Task("Detection", "detection", [Label("dog")]),
                            datasets=[PDataset("train", True), PDataset("val")])
    box = [Scene([Annotation(Shape.rectangle(1, 1, 10, 10), [ScoredLabel("dog")])])]
    data = {d: image_bytes(W, H, "JPEG", seed=i) for i, d in enumerate(("train", "val"))}
    put_memory("p", project, [make_item(Media(f"k{d}", "image", "a", "a.jpg", dataset=d, width=W, height=H),
                                        data[d], box) for d in data])
    out = tmp_path / "out"
    report = transfer(TransferRequest("memory:p", f"datumaro:{fmt}:{out}", RunOptions(),
                                      registry=make_registry(scmigrate_datumaro)))
    renamed = fmt != "coco"
    assert report.sink_facts.get("write_notes", {}) == ({
        "media name already taken (one images folder for every subset): written as <name>_<n>": 1} if renamed else {})
    with scmigrate_datumaro.DatumaroSource().open(f"datumaro:{fmt}:{out}", RunOptions()) as reader:
        got = {}
        for it in reader.items():
            with it.open() as f:
                got[(it.media.dataset, it.media.filename)] = f.read()
    assert sorted(got.values()) == sorted(data.values())  # both images, byte for byte
    assert len({name for _, name in got}) == (2 if renamed else 1)
