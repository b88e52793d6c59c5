"""The folder sources through the real CLI, in a separate process: dry runs, transfers, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from folders_gen import make_class_tree, make_sdk_folder, make_vitens, write_image

from scmigrate.api import RunOptions
from scmigrate.plugins import make_plugin_manager
from scmigrate.registry import Registry


def scmigrate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scmigrate", *args], capture_output=True, text=True, timeout=120)


def read_archive(path):
    registry = Registry(make_plugin_manager(load=True))
    location = str(path)
    with registry.resolve_source(location).open(location, RunOptions()) as reader:
        return reader.project(), {item.key: item.resolve() for item in reader.items()}


def test_vitens_dry_run_shows_the_notes(tmp_path):
    make_vitens(tmp_path / "v")
    out = scmigrate("run", "--from", f"vitens:{tmp_path / 'v'}", "--to", str(tmp_path / "x.scz"),
                    "--project-type", "detection", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "1 of 4 annotation files have coordinates normalised to [0, 1]" in out.stdout
    assert "plate_1_b_x.json" in out.stdout
    assert "unknown shape type 'line'" in out.stdout and "blank.jpg" in out.stdout
    assert not (tmp_path / "x.scz").exists()


def test_vitens_to_detection_archive_turns_circles_into_squares(tmp_path):
    make_vitens(tmp_path / "v")
    out = scmigrate("run", "--quiet", "--from", f"vitens:{tmp_path / 'v'}", "--to", str(tmp_path / "x.scz"),
                    "--project-type", "detection", "--report", str(tmp_path / "r.json"))
    assert out.returncode == 0, out.stderr
    notes = json.loads((tmp_path / "r.json").read_text())["source_notes"]  # what was skipped is in the report
    assert any("skipped 1 shape(s): unknown shape type 'line'" in n for n in notes), notes
    project, items = read_archive(tmp_path / "x.scz")
    assert project.project_type == "detection"
    boxes = sorted(a.shape.bbox() for a in items["images/plate_1.jpg"].scenes[0].annotations)
    assert boxes == [(10, 10, 20, 20), (45, 35, 10, 10), (98, 48, 4, 4), (140, 50, 20, 20)]
    normalised = sorted(a.shape.bbox() for a in items["images/plate_1_b.png"].scenes[0].annotations)
    assert normalised == [(10, 10, 80, 30), (40, 15, 20, 20)]  # a circle stays round
    assert items["images/blank.jpg"].scenes == []


def test_malformed_vitens_file_is_one_line_and_exit_2(tmp_path):
    write_image(tmp_path / "v" / "images" / "a.jpg", 20, 20)
    (tmp_path / "v" / "annotations").mkdir()
    (tmp_path / "v" / "annotations" / "a_1.json").write_text('{"data": [}')
    out = scmigrate("run", "--from", f"vitens:{tmp_path / 'v'}", "--to", str(tmp_path / "x.scz"), "--dry-run")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"error: {tmp_path / 'v' / 'annotations' / 'a_1.json'}: not valid "
                                               f"JSON (Expecting value at line 1 column 11)"]
    assert "Traceback" not in out.stderr


def test_class_folders_and_sc1_backup_to_archives(tmp_path):
    make_class_tree(tmp_path / "c")
    expected = make_sdk_folder(tmp_path / "s", normalised=True)
    for location, target in ((f"folders:{tmp_path / 'c'}", "c.scz"), (f"sdk-folder:{tmp_path / 's'}", "s.scz")):
        out = scmigrate("run", "--quiet", "--from", location, "--to", str(tmp_path / target))
        assert out.returncode == 0, out.stderr
    project, items = read_archive(tmp_path / "c.scz")
    assert project.label("cat").parent == "animal"
    assert items["animal/cat/c1.jpg"].scenes[0].annotations[0].shape.bbox() == (0, 0, 60, 40)
    project, items = read_archive(tmp_path / "s.scz")
    assert project.project_type == "detection_to_classification"
    for key, want in expected["boxes"].items():
        got = [(a.shape.bbox(), a.label_names) for s in items[key].scenes for a in s.annotations]
        assert got == [(tuple(float(v) for v in box), labels) for box, labels in want or []], key
    assert [s.frame for s in items["videos/Dataset/clip.mp4"].scenes] == [0, 5]


def test_sdk_coordinates_flag_reaches_the_source(tmp_path):
    make_sdk_folder(tmp_path / "s", normalised=True)
    args = ("run", "--from", f"sdk-folder:{tmp_path / 's'}", "--to", str(tmp_path / "s.scz"), "--dry-run")
    detected = scmigrate(*args)
    assert detected.returncode == 0, detected.stderr
    assert "normalised to [0, 1] (SC 1.x backup; detected" in detected.stdout
    forced = scmigrate(*args, "--sdk-coordinates", "pixels")
    assert forced.returncode == 0, forced.stderr
    assert "normalised" not in forced.stdout and "models/ not read" in forced.stdout


@pytest.mark.parametrize("kind", ["folders", "vitens", "sdk-folder"])
def test_run_and_inspect_agree(kind, tmp_path, capsys):
    from census_check import run_and_inspect  # tests/census_check.py

    make = {"folders": make_class_tree, "vitens": make_vitens, "sdk-folder": make_sdk_folder}[kind]
    make(tmp_path / "src")
    counts = run_and_inspect(capsys, tmp_path, f"{kind}:{tmp_path / 'src'}")
    if kind != "vitens":
        assert counts["unannotated"] >= 1  # the loose image / the image without a file
    if kind == "sdk-folder":
        assert counts["annotated_empty"] == 1  # its empty label on the full image, read as "annotated empty"
