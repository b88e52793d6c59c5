"""The installed plugin through scmigrate's command line, in a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def scmigrate(*args: str) -> subprocess.CompletedProcess:
    # The engine journals runs to a scheme location (csvboxes:) under XDG_STATE_HOME: keep it out of $HOME.
    with tempfile.TemporaryDirectory() as state:
        env = dict(os.environ, XDG_STATE_HOME=state)
        return subprocess.run([sys.executable, "-m", "scmigrate", *args], capture_output=True, text=True,
                              timeout=120, env=env)


def test_csv_to_csv_through_the_cli(boxes_csv: Path, tmp_path: Path) -> None:
    out_csv = tmp_path / "copy.csv"
    run = scmigrate("run", "--quiet", "--from", f"csvboxes:{boxes_csv}", "--to", f"csvboxes:{out_csv}")
    assert run.returncode == 0, run.stderr
    assert out_csv.read_text().splitlines() == [
        "image,label,x,y,width,height",
        "copy_images/photos__a.jpg,dog,10,20,30,40",
        "copy_images/photos__a.jpg,cat,50,5,20,20",
        "copy_images/photos__b.png,,,,,",
        "copy_images/photos__c.jpg,dog,0,0,64,48",
    ]
    assert (tmp_path / "copy_images" / "photos__c.jpg").read_bytes() == (boxes_csv.parent / "photos/c.jpg").read_bytes()


def test_converter_plan_in_a_dry_run(boxes_csv: Path, tmp_path: Path) -> None:
    run = scmigrate("run", "--from", f"csvboxes:{boxes_csv}", "--to", f"csvboxes:{tmp_path / 'cls.csv'}",
                    "--project-type", "largest_box_classification", "--dry-run")
    assert run.returncode == 0, run.stderr
    assert "csvboxes: 3 images, 1 of them without objects" in run.stdout
    assert "each image: the label of its largest box" in run.stdout
    assert not (tmp_path / "cls.csv").exists()


def test_bad_row_is_one_line_and_exit_code_2(boxes_csv: Path, tmp_path: Path) -> None:
    boxes_csv.write_text("image,label,x,y,width,height\nphotos/a.jpg,dog,1,2,wide,4\n")
    run = scmigrate("run", "--from", f"csvboxes:{boxes_csv}", "--to", f"csvboxes:{tmp_path / 'o.csv'}")
    assert run.returncode == 2
    assert run.stderr.strip() == f"error: {boxes_csv}:2: x, y, width and height must be numbers"
