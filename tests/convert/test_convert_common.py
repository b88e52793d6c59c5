"""What every converter shares: registration, pass-through fidelity, label renaming, dry-run plans."""

from __future__ import annotations

import concurrent.futures as cf

import pytest
from convert_helpers import ann, coco_like, converter, media, poly, rect, run, single, task_summary

import scmigrate_convert
from scmigrate.api import ConversionLog, RunOptions
from scmigrate.engine.selection import Selection
from scmigrate.errors import InputError
from scmigrate.model import Item, Label, Scene, Shape

ALL = ["detection", "rotated_detection", "segmentation", "instance_segmentation", "classification", "anomaly",
       "keypoint_detection", "detection_to_segmentation", "detection_to_classification"]


def test_registered_through_the_hook(make_registry):
    reg = make_registry(scmigrate_convert, memory=False)
    assert sorted(reg.converters) == sorted(ALL)
    assert reg.converter("detection_to_segmentation").name == "detection_to_segmentation"
    with pytest.raises(InputError, match="unknown project type 'dots'"):
        reg.converter("dots")


def test_registered_through_the_entry_point(monkeypatch):
    from scmigrate import plugins
    from scmigrate.registry import get_registry

    monkeypatch.setenv("SCMIGRATE_LOAD_PLUGINS", "convert")
    plugins.reset()
    reg = get_registry()
    assert sorted(reg.converters) == sorted(ALL)
    assert {r.plugin for r in reg.converters.values()} == {"convert"}


def _valid_scene(kind: str) -> Scene:
    """A valid scene of a project of this type (pass-through input)."""
    box = lambda *n: ann(rect(10, 10, 40, 30), *n, ann_id="a")  # noqa: E731
    return {
        "detection": Scene([box("dog")]),
        "instance_segmentation": Scene([ann(poly((10, 10), (50, 10), (30, 40)), "dog", ann_id="a"),
                                        ann(Shape.ellipse(60, 60, 10, 10), "dog", ann_id="b")]),
        "keypoint_detection": Scene([ann(Shape.keypoint(3, 4, False), "dog", ann_id="a")]),
    }[kind]


@pytest.mark.parametrize("kind", ["detection", "instance_segmentation", "keypoint_detection"])
def test_pass_through_keeps_valid_scenes(kind):
    lbs = [Label("dog", "#ff00ffff", "animals", None, "ctrl+1")]
    kw = {"keypoint_structure": {"edges": [], "positions": [{"label": "dog", "x": 0.5, "y": 0.5}]}} \
        if kind == "keypoint_detection" else {}
    src = single(kind, lbs, empty=None if kind == "keypoint_detection" else "Nothing", title="Mine", **kw)
    scene = _valid_scene(kind)
    scene.frame, scene.kind = 7, "prediction"
    target, (out,), log = run(kind, src, scene)
    assert out == scene
    assert [t.to_dict() for t in target.trainable_tasks] == [t.to_dict() for t in src.trainable_tasks]
    assert log.to_dict() == {"converted": {}, "dropped": {}}
    assert "scenes pass through: shapes are only clipped to the image where needed" in converter(kind).plan(src, target)


def test_label_map_and_labels_selection_by_name():
    """Core renames labels (project and scenes) before the converter: names are all it needs."""
    src = coco_like("dog", "cat", "car")
    opts = RunOptions(labels=["hound", "cat"], label_map={"dog": "hound"})
    sel = Selection.build(src, opts)
    chosen = sel.project(src)
    item = Item(media(), open=lambda: None, scenes=[Scene([ann(rect(1, 1, 9, 9), "dog"), ann(rect(20, 1, 9, 9),
                                                                                             "car")])])
    scene = sel.apply(item).scenes[0]
    target, (out,), log = run("detection_to_segmentation", chosen, scene, options=opts)
    assert task_summary(target) == [("detection", ["hound", "cat", "No object"]),
                                    ("segmentation", ["hound shape", "cat shape", "Empty"])]
    assert [a.label_names for a in out.annotations] == [["hound"], ["hound shape"]]


def test_labels_in_scenes_that_the_project_does_not_declare_are_dropped():
    _, (out,), log = run("segmentation", coco_like("dog"), Scene([ann(rect(1, 1, 9, 9), "dog", "ghost")]))
    assert [a.label_names for a in out.annotations] == [["dog"]]
    assert log.drops == {"label ghost: not in the target task": 1}


def test_an_empty_label_name_taken_by_a_real_label_is_an_input_error():
    with pytest.raises(InputError, match="label 'Empty' would be in both"):
        # two tasks would hold "Empty": the detection label and the segmentation empty label
        converter("detection_to_segmentation").target_project(coco_like("Empty"), RunOptions())


def test_plan_lists_pipeline_conversions_and_drops():
    src = coco_like("dog")
    conv = converter("detection_to_segmentation")
    lines = conv.plan(src, conv.target_project(src, RunOptions()))
    assert lines[0] == "project type: instance_segmentation → detection_to_segmentation"
    assert "task 'Detection' (detection): dog, No object (empty)" in lines
    assert "task 'Segmentation' (segmentation): dog shape, Empty (empty)" in lines
    assert any("KEYPOINT dropped" in line for line in lines)
    for name in ALL:
        if name == "keypoint_detection":
            continue
        c = converter(name)
        source = coco_like("dog", "cat")
        assert len(c.plan(source, c.target_project(source, RunOptions()))) >= 5


def test_video_frames_keep_frame_kind_and_known_states():
    src = single("detection", ["dog"], empty="No object", title="Detection")
    scene = Scene([ann(poly((1, 1), (9, 1), (5, 8)), "dog")], frame=12, kind="prediction",
                  state_per_task={"Detection": "annotated", "Gone": "none"}, modified="t")
    _, (out,), _ = run("detection", src, scene)
    assert (out.frame, out.kind, out.state_per_task, out.modified) == (12, "prediction", {"Detection": "annotated"},
                                                                       "t")


def test_converting_from_many_threads_counts_every_conversion():
    src = coco_like("dog")
    conv = converter("detection")
    target = conv.target_project(src, RunOptions())
    log = ConversionLog()
    scene = Scene([ann(poly((1, 1), (9, 1), (5, 8)), "dog"), ann(Shape.keypoint(1, 1), "dog")])
    with cf.ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda i: conv.convert(scene, media(key=f"k{i}"), src, target, log), range(200)))
    assert all(len(o.annotations) == 1 for o in outs)
    assert log.to_dict() == {"converted": {"POLYGON → RECTANGLE": 200},
                             "dropped": {"KEYPOINT: not used by detection": 200}}


def test_scenes_survive_their_json_form():
    """The converted scene is an interchange record: it round-trips through its JSON form."""
    _, outs, _ = run("detection_to_classification", coco_like("dog", "cat"),
                     Scene([ann(Shape.ellipse(1, 1, 9, 9), "dog")]), Scene())
    for out in outs:
        assert Scene.from_dict(out.to_dict()) == out


def test_the_engine_surveys_scenes_before_building_a_classification(make_registry):
    """Through the engine: no image holds 2 labels → multi-class; one that does → multi-label."""
    from scmigrate.engine.facade import transfer
    from scmigrate.testing import image_bytes, make_item, memory_target, put_memory

    def items(pairs):
        out = []
        for i, names in enumerate(pairs):
            m = media(key=f"i{i}.jpg")
            scene = Scene([ann(rect(10 + 30 * j, 10, 20, 20), n) for j, n in enumerate(names)])
            out.append(make_item(m, image_bytes(m.width, m.height, seed=i), [scene]))
        return out

    reg = make_registry(scmigrate_convert)
    for name, pairs, groups in (("single", [["dog"], ["cat"], ["dog"]], {"dog": "Classification labels",
                                                                          "cat": "Classification labels"}),
                                ("multi", [["dog"], ["dog", "cat"]], {"dog": "dog", "cat": "cat",
                                                                       "No class": "No class"})):
        put_memory(name, coco_like("dog", "cat"), items(pairs))
        report = transfer(f"memory:{name}", f"memory:{name}-out", project_type="classification", registry=reg,
                          quiet=True, workers=2)
        assert report.complete
        target = memory_target(f"{name}-out").project
        assert {lb.name: lb.group for lb in target.labels()} == groups
