"""End to end through the real CLI: a generated COCO dataset → .scz → inspect, verify, check."""

from __future__ import annotations

import json

import pytest

from scmigrate.testing.coco import make_coco

BUILTINS = "archive,datumaro,convert"


@pytest.fixture
def coco(tmp_path):
    return make_coco(tmp_path / "ds", images=12, seed=3)


def test_coco_to_archive_inspect_verify_check(cli, coco, tmp_path):
    dogs = [im for im in coco.images if any(o.category == "dog" for o in im.objects)]
    assert dogs, "the generated dataset holds dogs"
    # one box per dog object, also for an RLE crowd mask of several parts (one box around them)
    n_dog_objects = sum(1 for im in dogs for o in im.objects if o.category == "dog")

    proc = cli("run", "--from", coco.location, "--to", "dogs.scz", "--project-type", "detection",
               "--labels", "dog", "--project", "COCO dogs", "--report", "r.json", plugins=BUILTINS)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["complete"] and report["counts"]["images"] == len(dogs)
    assert report["counts"]["annotations"] == n_dog_objects
    assert report["skipped"] == {"no selected label": len(coco.images) - len(dogs)}
    assert not (tmp_path / "dogs.scz.journal").exists()

    info = json.loads(cli("inspect", "dogs.scz", "--json", plugins=BUILTINS).stdout)
    assert info["project"] == "COCO dogs" and info["project_type"] == "detection"
    labels = {lb["name"]: lb for t in info["tasks"] for lb in t["labels"]}
    assert labels["dog"]["annotations"] == n_dog_objects and labels["dog"]["media"] == len(dogs)
    assert "cat" not in labels
    assert info["media"]["images"] == len(dogs)
    assert info["media"]["bytes"] == sum(im.path.stat().st_size for im in dogs)
    assert "format_version" in info["details"]
    text = cli("inspect", "dogs.scz", plugins=BUILTINS).stdout
    assert "project: COCO dogs  (detection)" in text and f"media: {len(dogs)} images" in text

    proc = cli("verify", "dogs.scz", plugins=BUILTINS)
    assert proc.returncode == 0 and proc.stdout.strip() == "dogs.scz: intact"

    # a copy of the archive checks identical; a different selection does not
    assert cli("run", "--from", "dogs.scz", "--to", "copy.scz", "-q", plugins=BUILTINS).returncode == 0
    proc = cli("check", "--from", "dogs.scz", "--to", "copy.scz", "--combined", "c.txt", plugins=BUILTINS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    combined = (tmp_path / "c.txt").read_text().splitlines()
    assert len(combined) == len(dogs) and all(line.startswith("= ") for line in combined)

    cli("run", "--from", coco.location, "--to", "all.scz", "-q", "--project-type", "detection",
        "--project", "COCO dogs", plugins=BUILTINS)
    proc = cli("check", "--from", "all.scz", "--to", "dogs.scz", "--missing-on-dst", "missing.txt",
               plugins=BUILTINS)
    assert proc.returncode == 1
    assert "* project: labels of detection differ" in proc.stdout
    missing = (tmp_path / "missing.txt").read_text().splitlines()
    assert len(missing) == len(coco.images) - len(dogs)
    proc = cli("check", "--from", "dogs.scz", "--to", "all.scz", "--one-way", plugins=BUILTINS)
    assert "+ " not in proc.stdout  # everything in dogs.scz is in all.scz ...
    assert "* " in proc.stdout  # ... but the images that also hold cats carry more annotations there


def test_damaged_archive_verify_exit_1_and_garbage_exit_2(cli, coco, tmp_path):
    from scmigrate_archive.reader import ArchiveReader

    assert cli("run", "--from", coco.location, "--to", "a.scz", "-q", plugins=BUILTINS).returncode == 0
    with ArchiveReader(tmp_path / "a.scz") as reader:  # one image's bytes, by the index
        blob = next(e for e in reader.entries.values() if e["name"].startswith("blobs/"))
    data = bytearray((tmp_path / "a.scz").read_bytes())
    data[blob["offset"] + blob["length"] // 2] ^= 0xFF
    (tmp_path / "b.scz").write_bytes(bytes(data))
    proc = cli("verify", "b.scz", plugins=BUILTINS)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    [line] = proc.stdout.splitlines()
    assert line.startswith(f"damaged: {blob['name']} (media of item "), line
    assert proc.stderr.strip() == "b.scz: 1 damaged member(s)"
    (tmp_path / "c.scz").write_bytes(b"this is not an archive at all")
    proc = cli("verify", "c.scz", plugins=BUILTINS)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1


def test_dry_run_writes_nothing(cli, coco, tmp_path):
    proc = cli("run", "--from", coco.location, "--to", "x.scz", "-n", "--project-type", "detection_to_segmentation",
               "--labels", "dog", plugins=BUILTINS)
    assert proc.returncode == 0, proc.stderr
    assert "pipeline: Dataset [dataset] → Detection [detection] → Crop [crop] → Segmentation [segmentation]" \
        in proc.stdout
    assert "labels kept: dog" in proc.stdout and "dry run: nothing was written" in proc.stdout
    dogs = sum(any(o.category == "dog" for o in im.objects) for im in coco.images)
    assert f"would move {dogs} items; would skip {len(coco.images) - dogs} without a selected label" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_bad_coco_is_one_line_exit_2(cli, tmp_path):
    broken = make_coco(tmp_path / "bad", images=4, seed=1, broken="not_json")
    proc = cli("run", "--from", broken.location, "--to", "x.scz", plugins=BUILTINS)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.scz").exists()
