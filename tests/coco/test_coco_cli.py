"""scmigrate run with a coco: source: broken files give exit 2 and one line; a good one makes an archive."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scmigrate.cli import main
from scmigrate.testing.coco import BROKEN_CASES, make_coco


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ex:
        main(args)
    out, err = capsys.readouterr()
    return ex.value.code, out, err


@pytest.mark.parametrize("case", BROKEN_CASES)
def test_broken_coco_exits_2_with_one_line(tmp_path, capsys, case):
    fx = make_coco(tmp_path / "ds", 4, seed=3, broken=case)
    target = tmp_path / "x.scz"
    code, _, err = _run(["-q", "run", "--from", fx.location, "--to", str(target), "--project-type", "detection"],
                        capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {fx.annotations}: "), err
    assert "Traceback" not in err
    assert not target.exists()  # nothing written for a file that cannot be read


def test_real_process_exit_code(tmp_path):
    fx = make_coco(tmp_path / "ds", 3, seed=1, broken="unknown_category")
    proc = subprocess.run(
        [sys.executable, "-c", "from scmigrate.cli import main; main()", "run", "--from", fx.location,
         "--to", str(tmp_path / "x.scz"), "--project-type", "detection"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: {fx.annotations}: annotation {fx.detail['annotation_id']} on image 2 (north/000000.jpg): "
        "unknown category id 999"
    ]


def test_coco_dogs_to_archive(tmp_path, capsys):
    fx = make_coco(tmp_path / "ds", 30, seed=2)
    target = tmp_path / "dogs.scz"
    code, _, err = _run(["-q", "run", "--from", fx.location, "--images", str(fx.images_dir), "--to", str(target),
                         "--project-type", "detection", "--labels", "dog", "--project", "COCO dogs"], capsys)
    assert code == 0, err
    code, out, err = _run(["inspect", str(target), "--json"], capsys)
    assert code == 0, err
    info = json.loads(out)
    dogs = [im for im in fx.images if any(o.category == "dog" for o in im.objects)]
    # one box per dog, also around a crowd region in two parts (one COCO annotation, one object)
    boxes = sum(1 for im in dogs for o in im.objects if o.category == "dog")
    assert any(o.parts == 2 for im in dogs for o in im.objects if o.category == "dog")
    assert info["project"] == "COCO dogs" and info["project_type"] == "detection"
    assert info["media"]["images"] == len(dogs) and info["media"]["bytes"] == sum(im.path.stat().st_size for im in dogs)
    (dog,) = [lb for t in info["tasks"] for lb in t["labels"] if lb["name"] == "dog"]
    assert (dog["annotations"], dog["media"]) == (boxes, len(dogs))
    code, out, err = _run(["verify", str(target)], capsys)
    assert code == 0, out + err


def test_labels_with_keep_empty_keeps_every_image(tmp_path, capsys):
    fx = make_coco(tmp_path / "ds", 20, seed=4)
    target = tmp_path / "cats.scz"
    code, _, err = _run(["-q", "run", "--from", fx.location, "--to", str(target), "--project-type", "detection",
                         "--labels", "cat", "--keep-empty"], capsys)
    assert code == 0, err
    code, out, err = _run(["inspect", str(target), "--json"], capsys)
    info = json.loads(out)
    with_cat = [im for im in fx.images if any(o.category == "cat" for o in im.objects)]
    assert info["media"]["images"] == 20
    # images without a cat are kept, annotated as empty: scenes without annotations (a cluster would get
    # the detection task's empty label on the whole image)
    labels = {lb["name"]: lb for t in info["tasks"] for lb in t["labels"]}
    assert labels["No object"]["is_empty"] and labels["No object"]["media"] == 0
    assert info["media"]["annotated_empty"] == 20 - len(with_cat) > 0
    assert labels["cat"]["media"] == len(with_cat)


def test_run_and_inspect_agree_for_coco_and_archive_sources(tmp_path, capsys):
    from census_check import run_and_inspect  # tests/census_check.py

    fx = make_coco(tmp_path / "ds", 4, seed=2)
    counts = run_and_inspect(capsys, tmp_path, fx.location, "--images", str(fx.images_dir))
    assert counts["images"] == 4
    again = tmp_path / "again"
    again.mkdir()
    assert run_and_inspect(capsys, again, str(tmp_path / "census.scz")) == counts
