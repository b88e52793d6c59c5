"""``check``'s comparison: media by (dataset, file name, kind) and sha256, scenes after rounding."""

from __future__ import annotations

import dataclasses
import io

from scmigrate.api import RunOptions
from scmigrate.engine.compare import compare_locations
from scmigrate.model import Annotation, Label, Media, Project, Scene, ScoredLabel, Shape, Task
from scmigrate.testing import image_bytes, make_item, put_memory


def _project(*labels):
    return Project.chain("P", Task("Det", "detection", [Label(n) for n in labels]))


def _item(key, filename, seed, x=2.0, label="dog", dataset="Dataset"):
    media = Media(key, "image", filename.rsplit(".", 1)[0], filename, dataset=dataset, width=32, height=32)
    scene = Scene([Annotation(Shape.rectangle(x, 2.0, 10.0, 10.0), [ScoredLabel(label)])])
    return make_item(media, image_bytes(32, 32, seed=seed), [scene])


def test_identical_after_rounding_and_by_name_not_key(make_registry):
    put_memory("a", _project("dog"), [_item("k1", "a.jpg", 1, x=2.2), _item("k2", "b.jpg", 2)])
    put_memory("b", _project("dog"), [_item("other-key", "a.jpg", 1, x=1.8), _item("x", "b.jpg", 2)])
    result = compare_locations("memory:a", "memory:b", RunOptions(), registry=make_registry())
    assert result.lines == [("=", "Dataset/a.jpg", ""), ("=", "Dataset/b.jpg", "")]
    assert result.identical() and result.summary().startswith("2 identical, 0 differ")


def test_every_kind_of_difference(make_registry):
    put_memory("a", _project("dog", "cat"), [
        _item("1", "same.jpg", 1), _item("2", "bytes.jpg", 2), _item("3", "ann.jpg", 3),
        _item("4", "only-src.jpg", 4)])
    changed = _item("3", "ann.jpg", 3, label="dog")
    changed.scenes[0].annotations[0].shape.x = 9.0
    put_memory("b", _project("dog"), [
        _item("1", "same.jpg", 1), _item("2", "bytes.jpg", 99), changed, _item("5", "only-dst.jpg", 5)])
    result = compare_locations("memory:a", "memory:b", RunOptions(), registry=make_registry())
    assert sorted(result.lines) == sorted([
        ("=", "Dataset/same.jpg", ""),
        ("*", "Dataset/bytes.jpg", "media bytes differ (sha256)"),
        ("*", "Dataset/ann.jpg", "annotations differ: 1 shape(s) (dog 1) in 1 scene(s) on both sides, but their "
                                 "geometry differs by more than 1 px"),
        ("+", "Dataset/only-src.jpg", "only in source"),
        ("-", "Dataset/only-dst.jpg", "only in destination"),
    ])
    assert result.project_diffs == ["labels of detection differ: only in source: cat; only in destination: -"]
    assert not result.identical() and not result.identical(one_way=True)


def test_one_way_ignores_extra_media_in_the_destination(make_registry):
    put_memory("a", _project("dog"), [_item("1", "a.jpg", 1)])
    put_memory("b", _project("dog"), [_item("1", "a.jpg", 1), _item("2", "extra.jpg", 2)])
    result = compare_locations("memory:a", "memory:b", RunOptions(), registry=make_registry())
    assert not result.identical() and result.identical(one_way=True)


def test_same_name_in_different_folders_pairs_by_content(make_registry):
    # two images called 0.jpg in one dataset, listed in opposite orders on each side
    a = [_item("north/0.jpg", "0.jpg", 1), _item("south/0.jpg", "0.jpg", 2)]
    b = [_item("s", "0.jpg", 2), _item("n", "0.jpg", 1)]
    put_memory("a", _project("dog"), a)
    put_memory("b", _project("dog"), b)
    result = compare_locations("memory:a", "memory:b", RunOptions(), registry=make_registry())
    assert [s for s, _, _ in result.lines] == ["=", "="]


def test_missing_sha_is_hashed_from_the_stream_and_errors_are_bang_lines(make_registry):
    a = _item("1", "a.jpg", 1)
    b = _item("1", "a.jpg", 1)
    payload = b.open().read()
    b = dataclasses.replace(b, media=dataclasses.replace(b.media, sha256=None), open=lambda: io.BytesIO(payload))
    broken = _item("2", "broken.jpg", 2)

    def fail():
        raise OSError("disk read error")

    broken.open = fail
    broken.media.sha256 = None
    put_memory("a", _project("dog"), [a, _item("2", "broken.jpg", 2)])
    put_memory("b", _project("dog"), [b, broken])
    result = compare_locations("memory:a", "memory:b", RunOptions(), registry=make_registry())
    assert ("=", "Dataset/a.jpg", "") in result.lines
    assert ("!", "Dataset/broken.jpg", "OSError: disk read error") in result.lines


def test_differences_say_what_differs(make_registry):
    two = _item("1", "two.jpg", 1)
    two.scenes[0].annotations.append(Annotation(Shape.rectangle(5, 5, 3, 3), [ScoredLabel("cat")]))
    unannotated = _item("2", "none.jpg", 2)
    unannotated.scenes = []
    put_memory("a", _project("dog", "cat"), [two, _item("2", "none.jpg", 2)])
    put_memory("b", _project("dog", "cat"), [_item("1", "two.jpg", 1), unannotated])
    result = compare_locations("memory:a", "memory:b", RunOptions(), registry=make_registry())
    assert sorted(result.lines) == [
        ("*", "Dataset/none.jpg", "annotations differ: source has 1 shape(s) (dog 1) in 1 scene(s), "
                                  "not annotated in destination"),
        ("*", "Dataset/two.jpg", "annotations differ: source has 2 shape(s) (cat 1, dog 1) in 1 scene(s), "
                                 "destination has 1 shape(s) (dog 1) in 1 scene(s)"),
    ]


def test_empty_labels_match_by_flag_not_by_name(make_registry):
    def project(empty_name):
        return Project.chain("P", Task("Det", "detection", [Label("dog"), Label(empty_name, is_empty=True)]))

    def empty_item(name):
        it = _item("e", "e.jpg", 7)
        it.scenes[0].annotations[0].labels = [ScoredLabel(name)]
        return it

    # one cluster calls its empty label "No Object", the other "No object": the same project
    put_memory("a", project("No Object"), [empty_item("No Object"), _item("1", "a.jpg", 1)])
    put_memory("b", project("No object"), [empty_item("No object"), _item("1", "a.jpg", 1)])
    result = compare_locations("memory:a", "memory:b", RunOptions(), registry=make_registry())
    assert result.project_diffs == [] and result.identical(), (result.project_diffs, result.lines)
    # but an empty label where the other side has an object is a difference
    put_memory("b", project("No object"), [_item("e", "e.jpg", 7), _item("1", "a.jpg", 1)])
    result = compare_locations("memory:a", "memory:b", RunOptions(), registry=make_registry())
    assert ("*", "Dataset/e.jpg", "annotations differ: source has 1 shape(s) ((empty label) 1) in 1 scene(s), "
            "destination has 1 shape(s) (dog 1) in 1 scene(s)") in result.lines


def test_a_pixel_of_cluster_rounding_is_no_difference_but_two_are(make_registry):
    # 10.5 rounds to 10 here (Python rounds half to even) but a cluster may answer 11
    def poly(dx):
        it = _item("1", "p.jpg", 1)
        it.scenes[0].annotations = [
            Annotation(Shape.polygon([(10.5 + dx, 2), (20, 2), (15, 12.5)]), [ScoredLabel("dog")]),
            Annotation(Shape.rectangle(3, 3, 4, 4), [ScoredLabel("dog")]),
        ]
        return it

    put_memory("a", _project("dog"), [poly(0)])
    put_memory("b", _project("dog"), [poly(0.5)])  # 11.0: one pixel off after rounding
    assert compare_locations("memory:a", "memory:b", RunOptions(), registry=make_registry()).identical()
    put_memory("b", _project("dog"), [poly(2)])
    result = compare_locations("memory:a", "memory:b", RunOptions(), registry=make_registry())
    assert [s for s, _, _ in result.lines] == ["*"]


def test_label_colour_group_and_hotkey_lost_at_the_destination_are_differences():
    from scmigrate.engine.compare import compare_projects

    def project(**looks):
        return Project.chain("P", Task("Detection", "detection", [Label("dog", **looks), Label("cat")]))

    source = project(color="#FF0000", group="animals", hotkey="ctrl+1")
    assert compare_projects(source, project(color="#ff0000ff", group="animals", hotkey="ctrl+1")) == []
    diffs = compare_projects(source, project(color="#00ff00ff", group="pets", hotkey=""))
    assert diffs == ["label 'dog': colour '#ff0000ff' vs '#00ff00ff'", "label 'dog': group 'animals' vs 'pets'",
                     "label 'dog': hotkey 'ctrl+1' vs None"]
    # a source that leaves the looks to the cluster (a dataset on disk) differs in nothing
    assert compare_projects(project(), project(color="#123456ff", group="g", hotkey="x")) == []
