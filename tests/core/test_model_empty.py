"""The model's one form of "annotated as empty", and reading the cluster's form into it."""

from __future__ import annotations

from scmigrate.model import (
    Annotation,
    Label,
    Project,
    Scene,
    ScoredLabel,
    Shape,
    Task,
    read_empty_mark,
)

W, H = 64, 48


def chain() -> Project:
    return Project.chain("P", Task("Find", "detection", [Label("dog"), Label("No object", is_empty=True)]),
                         Task("Kind", "classification", [Label("brown"), Label("No class", is_empty=True)]))


def ann(shape: Shape, *names: str) -> Annotation:
    return Annotation(shape, [ScoredLabel(n) for n in names])


def test_the_first_task_empty_label_on_the_image_is_annotated_empty():
    mark = Scene([ann(Shape.rectangle(0.4, 0, 63.8, 48.5), "No object")], frame=3, state_per_task={"Find": "annotated"})
    got = read_empty_mark(mark, chain(), W, H)
    assert got == Scene([], frame=3, state_per_task={"Find": "annotated"}) and got.is_empty


def test_a_second_task_empty_label_is_an_ordinary_label():
    on_parent = Scene([ann(Shape.rectangle(5, 5, 20, 20), "dog", "No class")])
    assert read_empty_mark(on_parent, chain(), W, H) is on_parent
    # even alone on a box covering the image: only the first task's empty label marks a scene
    alone = Scene([ann(Shape.full_image(W, H), "No class")])
    assert read_empty_mark(alone, chain(), W, H) is alone


def test_what_is_not_the_mark_is_left_as_it_is():
    project = chain()
    for scene in (Scene([ann(Shape.rectangle(0, 0, 30, 48), "No object")]),  # not the whole image
                  Scene([ann(Shape.full_image(W, H), "No object", "dog")]),  # next to a real label
                  Scene([ann(Shape.full_image(W, H), "No object"), ann(Shape.rectangle(1, 1, 5, 5), "dog")])):
        assert read_empty_mark(scene, project, W, H) is scene
    # the size unknown: a box at the origin counts; the project is asked for only when it may be a mark
    asked = []
    read_empty_mark(Scene([ann(Shape.rectangle(3, 3, 5, 5), "No object")]), lambda: asked.append(1) or project,
                    None, None)
    assert asked == []
    assert read_empty_mark(Scene([ann(Shape.rectangle(0, 0, 64, 48), "No object")]), lambda: project,
                           None, None).is_empty


def test_full_image_box():
    box = Shape.full_image(W, H)
    assert box.to_dict() == {"type": "RECTANGLE", "x": 0.0, "y": 0.0, "width": 64.0, "height": 48.0}
    assert box.is_full_image(W, H) and not box.is_full_image(W + 2, H)
