"""[issue 9] ``--resume`` of a run that finished: nothing to do, exit 0, one line — to a cluster and to an archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cluster_helpers import detection_items, detection_project
from test_cluster_errors import scmigrate

from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory


def test_resume_after_a_finished_run_says_nothing_to_resume(clusters: Any, registry: Any, tmp_path: Path) -> None:
    c = clusters("a")
    seed = tmp_path / "seed.scz"
    put_memory("seed", detection_project("Dogs"), detection_items(3))
    assert transfer("memory:seed", str(seed), registry=registry, quiet=True).complete
    for target in ("a", str(tmp_path / "copy.scz")):
        assert transfer(str(seed), target, registry=registry, quiet=True).complete
        c.admin.clear_counters()
        again = scmigrate("run", "--from", str(seed), "--to", target, "--resume")
        assert again.returncode == 0, again.stderr
        lines = [ln for ln in again.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("nothing to resume: "), again.stderr
        assert c.admin.count("POST", "/media/images") == 0


def test_all_projects_with_a_name_clash_advises_what_works(clusters: Any, registry: Any) -> None:
    from cluster_helpers import kind_project

    from scmigrate.errors import TransferIncomplete

    clusters("a"), clusters("b")
    put_memory("dogs", detection_project("Dogs"), detection_items(2))
    project, items = kind_project("multilabel")
    put_memory("multi", project, items)
    for seed, to in (("dogs", "a"), ("multi", "a"), ("dogs", "b")):  # b already holds a project named Dogs
        assert transfer(f"memory:{seed}", to, registry=registry, quiet=True).complete
    try:
        transfer("a", "b", registry=registry, quiet=True, all_projects=True)
        raise AssertionError("the clash was not reported")
    except TransferIncomplete as exc:
        text = str(exc)
    assert "(Dogs)" in text and "--resume" not in text, text
    assert "--into-existing" in text and "--to-project" in text and "--project NAME" in text


def test_bad_input_that_stops_a_restore_says_what_it_left(clusters: Any, registry: Any) -> None:
    from cluster_helpers import box, image_item

    from scmigrate.errors import InputError
    from scmigrate.model import Scene

    clusters("a")
    items = detection_items(3) + [image_item("ghost", "ghost", [Scene([box(1, 1, 5, 5, "ghost")])], seed=9)]
    put_memory("seed", detection_project("Dogs"), items)
    try:
        transfer("memory:seed", "a", registry=registry, quiet=True, workers=1)
        raise AssertionError("the bad item was not reported")
    except InputError as exc:
        text = str(exc)
    assert "'ghost'" in text and "project 'Dogs' at a was left with the 3 item(s) that moved" in text, text
    assert "--resume" in text and "remove it" in text
