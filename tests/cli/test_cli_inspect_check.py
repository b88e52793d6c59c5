"""``inspect`` counts (annotated, annotated as empty, not annotated) and ``check``'s output files."""

from __future__ import annotations

import json

from scmigrate.api import RunOptions
from scmigrate.model import Annotation, Label, Media, Project, Scene, ScoredLabel, Shape, Task
from scmigrate.testing import image_bytes, make_item, put_memory


def _item(i: int, scenes):
    media = Media(f"k{i}", "image", f"i{i}", f"i{i}.png", width=40, height=30)
    return make_item(media, image_bytes(40, 30, "PNG", seed=i), scenes)


def test_inspect_counts_objects_empty_and_unannotated_images(make_registry):
    from scmigrate.engine.census import census_of

    project = Project.chain("P", Task("Det", "detection", [Label("dog"), Label("cat"),
                                                           Label("No object", is_empty=True)]),
                            Task("Kind", "classification", [Label("brown"), Label("No class", is_empty=True)]))
    box = Shape.rectangle(1, 1, 5, 5)
    put_memory("p", project, [
        _item(0, [Scene([Annotation(box, [ScoredLabel("dog"), ScoredLabel("brown")]),
                         Annotation(box, [ScoredLabel("dog")]), Annotation(box, [ScoredLabel("cat")])])]),
        # a chain's second-task empty label on its parent box: one annotation, counted under both labels
        _item(1, [Scene([Annotation(box, [ScoredLabel("dog"), ScoredLabel("No class")])])]),
        _item(2, [Scene([])]),  # annotated as empty: the model's one form
        _item(3, None),  # not annotated
    ])
    info = census_of("memory:p", RunOptions(), make_registry())
    assert info["media"] == {"images": 4, "videos": 0, "bytes": info["media"]["bytes"], "bytes_unknown_for": 0,
                             "frames_annotated": 0, "annotated": 2, "annotated_empty": 1, "unannotated": 1,
                             "annotations": 4}
    labels = {lb["name"]: (lb["annotations"], lb["media"]) for t in info["tasks"] for lb in t["labels"]}
    assert labels == {"dog": (3, 2), "cat": (1, 1), "No object": (0, 0), "brown": (1, 1), "No class": (1, 1)}


def test_check_refuses_an_unwritable_list_before_reading(cli):
    proc = cli("check", "--from", "memory:src", "--to", "memory:src", "--combined", "no/such/dir/c.txt")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == ("error: no/such/dir/c.txt: cannot write the --combined list "
                                   "(folder no/such/dir does not exist)")


def test_check_writes_combined_and_missing_lists(cli, tmp_path):
    proc = cli("check", "--from", "memory:src", "--to", "memory:src", "--combined", "c.txt",
               "--missing-on-dst", "m.txt")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "c.txt").read_text().splitlines() == [f"= Dataset/img{i}.jpg" for i in range(6)]
    assert (tmp_path / "m.txt").read_text() == ""
    # a check shorter than --stats (10 s) shows no progress line, only its summary
    assert proc.stderr.strip() == "identical: 6 identical, 0 differ, 0 only in source, 0 only in destination, 0 errors"


def test_run_refuses_an_unwritable_report_before_moving_anything(cli, tmp_path):
    proc = cli("run", "--from", "memory:src", "--to", "x.scz", "--report", "gone/r.json", plugins="memfixture,archive")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == "error: gone/r.json: cannot write the report (folder gone does not exist)"
    assert not (tmp_path / "x.scz").exists()
    proc = cli("run", "--from", "memory:src", "--to", "x.scz", "--dry-run", "--report", "plan.json",
               plugins="memfixture,archive")
    assert proc.returncode == 0 and not (tmp_path / "x.scz").exists()
    assert json.loads((tmp_path / "plan.json").read_text())["plan"][-1] == "dry run: nothing was written"


def test_read_only_commands_offer_only_the_sources_options(cli):
    for cmd in ("check", "inspect", "verify", "projects"):
        proc = cli(cmd, "--help", plugins="cluster")
        assert proc.returncode == 0, proc.stderr
        assert "--ca-bundle" in proc.stdout  # reading a cluster needs it
        assert "--into-existing" not in proc.stdout and "--auto-train" not in proc.stdout, cmd
    proc = cli("run", "--help", plugins="cluster")
    assert "--ca-bundle" in proc.stdout and "--into-existing" in proc.stdout and "--auto-train" in proc.stdout


def test_progress_is_plain_lines_off_a_terminal_and_silent_with_q(cli):
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst")
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "\x1b" not in proc.stderr  # stderr is a pipe here: no bar
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("progress: 100% 6/6 items") and lines[-1].startswith("moved 6 images, 0 videos")
    for args in (["-q", "run"], ["run", "-q"]):
        proc = cli(*args, "--from", "memory:src", "--to", "memory:dst")
        assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == "", proc.stderr


def test_check_a_restored_copy_under_another_name(cli, tmp_path):
    """cluster → archive → the same cluster under a new name; ``--to-project`` names the copy."""
    from sc_emulator import running

    with running(tmp_path / "emu") as emu:
        env = {"SCMIGRATE_TOKEN": emu.token}
        plugins = "memfixture,cluster,archive"
        assert cli("-q", "run", "--from", "memory:src", "--to", emu.url, "--to-project", "Pets",
                   env=env, plugins=plugins).returncode == 0
        assert cli("-q", "run", "--from", emu.url, "--project", "Pets", "--to", "pets.scz",
                   env=env, plugins=plugins).returncode == 0
        assert cli("-q", "run", "--from", "pets.scz", "--to", emu.url, "--to-project", "Pets copy",
                   env=env, plugins=plugins).returncode == 0
        proc = cli("check", "--from", emu.url, "--project", "Pets", "--to", emu.url, "--to-project", "Pets copy",
                   env=env, plugins=plugins)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stderr.strip().splitlines()[-1].startswith("identical: 6 identical, 0 differ")
        # archive → cluster, as a restore names the copy: the project of the archive's name
        proc = cli("check", "--from", "pets.scz", "--to", emu.url, env=env, plugins=plugins)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stderr.strip().splitlines()[-1].startswith("identical: 6 identical, 0 differ")
