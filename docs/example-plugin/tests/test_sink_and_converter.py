"""The example's sink (a round trip through MemorySource) and its converter."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from scmigrate import (
    Annotation,
    ConversionLog,
    InputError,
    Label,
    Media,
    Project,
    RunOptions,
    Scene,
    ScoredLabel,
    Shape,
    Task,
)
from scmigrate.testing import image_bytes, make_item
from scmigrate_csvboxes import CsvBoxesSink, CsvBoxesSource, LargestBoxClassification


def pets() -> Project:
    labels = [Label("dog"), Label("cat"), Label("No object", is_empty=True)]
    return Project.chain("pets", Task("Detection", "detection", labels))


def items():
    def media(key: str, w: int, h: int) -> Media:
        return Media(key=key, kind="image", name=key.rsplit("/", 1)[-1][:-4], filename=key.rsplit("/", 1)[-1],
                     width=w, height=h)

    box = lambda x, y, w, h, label: Annotation(Shape.rectangle(x, y, w, h), [ScoredLabel(label)])  # noqa: E731
    return [
        make_item(media("a/one.jpg", 100, 80), image_bytes(100, 80, seed=1),
                  [Scene([box(10, 10, 20, 20, "dog"), box(30, 30, 50, 40, "cat")])]),
        make_item(media("b/two.jpg", 60, 60), image_bytes(60, 60, seed=2),
                  [Scene([box(0, 0, 60, 60, "No object")])]),  # annotated as empty
        make_item(media("three.jpg", 40, 30), image_bytes(40, 30, seed=3), []),  # not annotated
    ]


def write_all(location: str) -> dict:
    writer = CsvBoxesSink().open(location, RunOptions())
    writer.begin(pets(), None)
    threads = [threading.Thread(target=writer.write, args=(item,)) for item in items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return writer.finish(complete=True)


def test_sink_writes_a_csv_the_source_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert write_all(f"csvboxes:{out}") == {"csv": str(out), "images": 3}
    assert out.read_text().splitlines() == [
        "image,label,x,y,width,height",
        "out_images/a__one.jpg,dog,10,10,20,20",
        "out_images/a__one.jpg,cat,30,30,50,40",
        "out_images/b__two.jpg,,,,,",
        "out_images/three.jpg,,,,,",
    ]
    with CsvBoxesSource().open(f"csvboxes:{out}", RunOptions()) as reader:
        back = {item.key: item for item in reader.items()}
    assert back["out_images/a__one.jpg"].open().read() == items()[0].open().read()
    assert [a.label_names for a in back["out_images/a__one.jpg"].scenes[0].annotations] == [["dog"], ["cat"]]


def test_sink_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "out.csv").write_text("x")
    with pytest.raises(InputError, match="already exists"):
        CsvBoxesSink().open(f"csvboxes:{tmp_path / 'out.csv'}", RunOptions())


def test_incomplete_run_does_not_look_finished(tmp_path: Path) -> None:
    writer = CsvBoxesSink().open(f"csvboxes:{tmp_path / 'out.csv'}", RunOptions())
    writer.begin(pets(), None)
    writer.write(items()[0])
    writer.finish(complete=False)
    assert not (tmp_path / "out.csv").exists() and (tmp_path / "out.csv.partial").exists()


def test_converter_keeps_the_largest_box_label() -> None:
    conv = LargestBoxClassification()
    source = pets()
    target = conv.target_project(source, RunOptions(project="pets-cls"))
    assert target.project_type == "classification" and target.name == "pets-cls"
    assert [(lb.name, lb.group) for lb in target.labels()] == [("dog", "Classes"), ("cat", "Classes")]
    log = ConversionLog()
    one, two, _ = items()
    scene = conv.convert(one.scenes[0], one.media, source, target, log)
    assert [(a.shape.to_dict(), a.label_names) for a in scene.annotations] == [
        ({"type": "RECTANGLE", "x": 0, "y": 0, "width": 100, "height": 80}, ["cat"])]
    assert conv.convert(two.scenes[0], two.media, source, target, log) is None
    assert log.to_dict() == {"converted": {"largest RECTANGLE → image label": 1},
                             "dropped": {"smaller boxes": 1, "image without boxes: left unannotated": 1}}


def test_keys_without_an_extension_are_written_with_the_media_extension(tmp_path: Path) -> None:
    """A cluster's keys are media ids: the exported file takes the media's extension, so it reads back as an image."""
    png = image_bytes(40, 30, "PNG", seed=4)
    item = make_item(Media(key="6613e1b2c0ffee0000000001", kind="image", name="dog", filename="dog.PNG",
                           width=40, height=30), png,
                     [Scene([Annotation(Shape.rectangle(1, 2, 10, 12), [ScoredLabel("dog")])])])
    out = tmp_path / "out.csv"
    writer = CsvBoxesSink().open(f"csvboxes:{out}", RunOptions())
    writer.begin(pets(), None)
    writer.write(item)
    writer.finish(complete=True)
    with CsvBoxesSource().open(f"csvboxes:{out}", RunOptions()) as reader:
        (back,) = list(reader.items())
    assert back.media.filename == "6613e1b2c0ffee0000000001.png" and back.open().read() == png
    (ann,) = back.resolve().scenes[0].annotations
    assert ann.label_names == ["dog"] and ann.shape.bbox() == (1, 2, 10, 12)
