"""The plugin end to end through scmigrate's engine (its Python API), into the in-memory sink."""

from __future__ import annotations

from pathlib import Path

import pytest

import scmigrate
import scmigrate_csvboxes
from scmigrate.testing import clear_memory, make_registry, memory_plugin, memory_target


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # the engine's journals go there
    clear_memory()
    yield make_registry(scmigrate_csvboxes, memory_plugin)
    clear_memory()


def test_transfer_with_the_converter_into_memory(boxes_csv: Path, registry: object) -> None:
    report = scmigrate.transfer(from_=f"csvboxes:{boxes_csv}", to="memory:pets", registry=registry, quiet=True,
                                project_type="largest_box_classification", project="pets")
    assert report.complete and not report.failures
    held = memory_target("pets")
    assert held.finished is True and held.project.project_type == "classification"
    labels = {key: [a.label_names for s in item.scenes for a in s.annotations] for key, item in held.items.items()}
    assert labels == {"photos/a.jpg": [["dog"]], "photos/b.png": [], "photos/c.jpg": [["dog"]]}
    assert held.payloads["photos/c.jpg"] == (boxes_csv.parent / "photos" / "c.jpg").read_bytes()
    assert report.conversions["dropped"] == {"smaller boxes": 1, "image without boxes: left unannotated": 1}
