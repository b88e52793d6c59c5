"""Tests of the example plugin, using the helpers scmigrate ships for plugin authors."""

from __future__ import annotations

from pathlib import Path

import pytest

from scmigrate import InputError, RunOptions
from scmigrate.testing import check_source_conformance, make_registry, memory_plugin
from scmigrate_csvboxes import CsvBoxesSource


def test_reads_project_and_boxes(boxes_csv: Path) -> None:
    with CsvBoxesSource().open(f"csvboxes:{boxes_csv}", RunOptions()) as reader:
        project = reader.project()
        items = {item.key: item.resolve() for item in reader.items()}
    assert project.name == "boxes" and project.project_type == "detection"
    assert [label.name for label in project.labels()] == ["dog", "cat"]
    assert list(items) == ["photos/a.jpg", "photos/b.png", "photos/c.jpg"]
    a = items["photos/a.jpg"].scenes[0].annotations
    assert [(x.shape.bbox(), x.label_names) for x in a] == [((10, 20, 30, 40), ["dog"]), ((50, 5, 20, 20), ["cat"])]
    assert items["photos/b.png"].scenes[0].annotations == []  # present and annotated as empty
    assert (items["photos/c.jpg"].media.width, items["photos/c.jpg"].media.height) == (64, 48)


def test_conformance(boxes_csv: Path) -> None:
    # The same check scmigrate runs on its built-in sources: keys, streams, labels, shapes in bounds.
    with CsvBoxesSource().open(f"csvboxes:{boxes_csv}", RunOptions()) as reader:
        assert check_source_conformance(reader) == {"items": 3, "scenes": 3, "annotations": 3}


@pytest.mark.parametrize("row, message", [
    ("photos/a.jpg,dog,1,2,three,4", r"boxes\.csv:3: x, y, width and height must be numbers"),
    ("photos/zzz.jpg,dog,1,2,3,4", r"boxes\.csv:3: image photos/zzz\.jpg not found"),
    ("photos/a.jpg,dog,1,2,0,4", r"boxes\.csv:3: width and height must be positive"),
])
def test_bad_rows_name_file_and_line(boxes_csv: Path, row: str, message: str) -> None:
    boxes_csv.write_text("image,label,x,y,width,height\nphotos/a.jpg,dog,1,1,2,2\n" + row + "\n")
    with pytest.raises(InputError, match=message):
        CsvBoxesSource().open(f"csvboxes:{boxes_csv}", RunOptions())


def test_missing_columns_and_missing_file(boxes_csv: Path) -> None:
    boxes_csv.write_text("image,label,x,y\n")
    with pytest.raises(InputError, match="missing columns width, height"):
        CsvBoxesSource().open(f"csvboxes:{boxes_csv}", RunOptions())
    with pytest.raises(InputError, match="no such file"):
        CsvBoxesSource().open(f"csvboxes:{boxes_csv}.missing", RunOptions())


def test_registered_on_a_fresh_plugin_manager() -> None:
    # Tests build their own manager: only the plugins they name, nothing from the environment.
    import scmigrate_csvboxes

    registry = make_registry(scmigrate_csvboxes, memory_plugin)
    assert sorted(registry.sources) == ["csvboxes", "memory"]
    assert sorted(registry.sinks) == ["csvboxes", "memory"]
    assert type(registry.resolve_sink("memory:out")).__name__ == "MemorySink"


def test_installed_plugin_is_found_through_its_entry_point() -> None:
    # Fails if the package is not installed (pip install -e docs/example-plugin).
    registry = make_registry(load_installed=True)
    assert registry.sources["csvboxes"].plugin == "csvboxes"
    assert type(registry.resolve_source("csvboxes:x.csv")) is CsvBoxesSource
    assert registry.sinks["csvboxes"].plugin == "csvboxes"
    assert registry.converters["largest_box_classification"].plugin == "csvboxes"
