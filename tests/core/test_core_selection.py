"""Label selection and renaming rules (``--labels``, ``--label-map``, ``--keep-empty``, ``--max-items``)."""

from __future__ import annotations

import pytest

from scmigrate.api import RunOptions
from scmigrate.engine import Progress, Selection, TransferRequest, parse_label_map, transfer
from scmigrate.errors import InputError
from scmigrate.model import Annotation, Label, Media, Project, RangeLabel, Scene, ScoredLabel, Shape, Task
from scmigrate.testing import memory_target

QUIET = Progress("quiet")


def _project():
    return Project.chain("P", Task("Det", "detection", [
        Label("dog"), Label("puppy", parent="dog"), Label("cat"), Label("Empty", is_empty=True)]))


def _item(*labels, scenes=True):
    from scmigrate.model import Item

    media = Media("k", "image", "k", "k.jpg", width=10, height=10)
    sc = [Scene([Annotation(Shape.rectangle(0, 0, 1, 1), [ScoredLabel(n)]) for n in labels])] if scenes else []
    return Item(media, lambda: None, sc, [])


def test_unknown_label_names_it_and_lists_existing():
    with pytest.raises(InputError, match=r"^--labels: label 'horse' does not exist; existing labels: "
                                         r"dog, puppy, cat, Empty$"):
        Selection.build(_project(), RunOptions(labels=["dog", "horse"]))
    with pytest.raises(InputError, match="--label-map: label 'horse' does not exist"):
        Selection.build(_project(), RunOptions(label_map={"horse": "pony"}))


def test_labels_keep_only_those_and_empty_labels_stay():
    sel = Selection.build(_project(), RunOptions(labels=["dog"]))
    assert [lb.name for lb in sel.project(_project()).labels()] == ["dog", "Empty"]
    out = sel.apply(_item("dog", "cat"))
    assert [a.label_names for a in out.scenes[0].annotations] == [["dog"]]
    assert sel.apply(_item("cat")) is None  # nothing selected: dropped
    assert sel.apply(_item(scenes=False)) is None  # unannotated: dropped under --labels
    assert sel.apply(_item("Empty")) is None  # only the empty label: nothing the user chose


def test_keep_empty_turns_dropped_items_into_empty_scenes():
    sel = Selection.build(_project(), RunOptions(labels=["dog"], keep_empty=True))
    assert sel.apply(_item("cat")).scenes == [Scene([])]
    assert sel.apply(_item(scenes=False)).scenes == [Scene([])]


def test_without_labels_unannotated_stays_unannotated_unless_keep_empty():
    plain = Selection.build(_project(), RunOptions())
    assert plain.apply(_item(scenes=False)).scenes == []
    assert [a.label_names for a in plain.apply(_item("cat")).scenes[0].annotations] == [["cat"]]
    keep = Selection.build(_project(), RunOptions(keep_empty=True))
    assert keep.apply(_item(scenes=False)).scenes == [Scene([])]


def test_label_map_renames_and_merges():
    sel = Selection.build(_project(), RunOptions(label_map={"puppy": "dog", "cat": "kitty"}))
    labels = sel.project(_project()).labels()
    assert [lb.name for lb in labels] == ["dog", "kitty", "Empty"]
    out = sel.apply(_item("puppy", "dog", "cat"))
    assert [a.label_names for a in out.scenes[0].annotations] == [["dog"], ["dog"], ["kitty"]]
    # --labels may name the new name
    sel = Selection.build(_project(), RunOptions(labels=["kitty"], label_map={"cat": "kitty"}))
    assert [lb.name for lb in sel.project(_project()).labels()] == ["kitty", "Empty"]


def test_parents_follow_renames_and_drop_with_their_label():
    sel = Selection.build(_project(), RunOptions(labels=["puppy"]))
    assert sel.project(_project()).label("puppy").parent is None
    sel = Selection.build(_project(), RunOptions(label_map={"dog": "hound"}))
    assert sel.project(_project()).label("puppy").parent == "hound"


def test_ranges_are_filtered_and_renamed():
    from scmigrate.model import Item

    sel = Selection.build(_project(), RunOptions(labels=["dog"], label_map={"dog": "hound"}))
    media = Media("v", "video", "v", "v.mp4")
    item = Item(media, lambda: None, [], [RangeLabel(0, 5, ["dog", "cat"]), RangeLabel(6, 9, ["cat"])])
    assert sel.apply(item).ranges == [RangeLabel(0, 5, ["hound"])]


def test_parse_label_map():
    assert parse_label_map(["a=b", "c = d,e=f"]) == {"a": "b", "c": "d", "e": "f"}
    with pytest.raises(InputError, match="'oops' is not of the form OLD=NEW"):
        parse_label_map(["oops"])


def test_max_items_counts_after_selection(pets, make_registry):
    pets("src", n=16)  # dogs at 0, 2, 4, 6, 8, ...
    report = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(labels=["dog"], max_items=3, workers=2),
                                      registry=make_registry(), progress=QUIET))
    assert sorted(memory_target("dst").items) == ["img-0000", "img-0002", "img-0004"]
    assert report.moved == 3


def test_max_items_without_selection_takes_the_first(pets, make_registry):
    pets("src", n=10)
    transfer(TransferRequest("memory:src", "memory:dst", RunOptions(max_items=4), registry=make_registry(),
                             progress=QUIET))
    assert sorted(memory_target("dst").items) == [f"img-{i:04d}" for i in range(4)]


def test_unknown_label_fails_before_anything_is_written(pets, make_registry):
    pets("src", n=4)
    with pytest.raises(InputError):
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(labels=["zebra"]), registry=make_registry(),
                                 progress=QUIET))
    assert memory_target("dst").items == {} and memory_target("dst").project is None


def test_a_selection_that_keeps_everything_gives_what_the_full_one_does():
    """Without --labels, --label-map or --keep-empty the scenes pass as they are (no copy per label),
    except what any selection drops: an annotation or range without labels, a label named twice."""
    from scmigrate.model import Item

    plain = Selection.build(_project(), RunOptions())
    media = Media("k", "image", "k", "k.jpg", width=10, height=10)
    box = Shape.rectangle(0, 0, 1, 1)
    clean = Item(media, lambda: None, [Scene([Annotation(box, [ScoredLabel("dog"), ScoredLabel("cat")])])],
                 [RangeLabel(0, 3, ["dog"])], annotation_revision="r1")
    out = plain.apply(clean)
    assert out is not clean and out.scenes == clean.scenes and out.ranges == clean.ranges
    assert out.annotation_revision == "r1" and out.scenes is not clean.scenes  # a list of its own
    messy = Item(media, lambda: None, [Scene([Annotation(box, []), Annotation(box, [ScoredLabel("dog")] * 2)])],
                 [RangeLabel(0, 3, []), RangeLabel(4, 5, ["cat", "cat"])])
    out = plain.apply(messy)
    assert [a.label_names for a in out.scenes[0].annotations] == [["dog"]]
    assert out.ranges == [RangeLabel(4, 5, ["cat"])]
