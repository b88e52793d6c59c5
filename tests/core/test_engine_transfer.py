"""The transfer engine against the in-memory source and sink: counts, failures, retries, resume."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scmigrate.api import RunOptions
from scmigrate.engine import Progress, TransferRequest, transfer
from scmigrate.errors import InputError, TransferIncomplete
from scmigrate.testing import memory_target

QUIET = Progress("quiet")


def test_everything_moves_with_counts_bytes_and_id_map(pets, make_registry, tmp_path):
    src = pets("src", n=12)
    report = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=3), registry=make_registry(),
                                      progress=QUIET, report_path=str(tmp_path / "r.json")))
    dst = memory_target("dst")
    assert set(dst.items) == set(src.items)
    for key, item in src.items.items():
        assert dst.payloads[key] == item.open().read()
        assert [s.to_dict() for s in dst.items[key].scenes] == [s.to_dict() for s in item.scenes or []]
    assert dst.finished is True
    assert report.complete and report.moved == 12
    assert report.counts["images"] == 12
    assert report.counts["annotations"] == 3 * 4 + 0  # 3 cycles × (1 + 1 + 2) annotations
    assert report.bytes == sum(len(p) for p in dst.payloads.values())
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["complete"] is True and data["failures"] == []
    assert sorted(data["id_map"]) == sorted(f"src-{i}" for i in range(12))
    assert len(set(data["id_map"].values())) == 12
    # a complete run leaves no journal behind
    assert not list(Path(os.environ["XDG_STATE_HOME"]).glob("**/*.journal"))


def test_back_pressure_bounds_items_in_flight(pets, make_registry):
    workers = 2
    src = pets("src", n=60)
    memory_target("dst", delay=0.005)  # a slow sink: the reader must wait for it
    transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=workers), registry=make_registry(),
                             progress=QUIET))
    # queue (2×workers) + one item per worker + the one the reader holds
    assert src.in_flight_peak <= 2 * workers + workers + 1
    assert src.in_flight_peak >= workers  # the test measured something
    assert len(memory_target("dst").items) == 60


def test_failures_are_retried_in_passes(pets, make_registry, capsys):
    pets("src", n=8)
    memory_target("dst", fail={"img-0001": 2, "img-0005": 1})
    prog = Progress("log", interval=999)
    report = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=2), registry=make_registry(),
                                      progress=prog, retries=3))
    assert report.complete and report.moved == 8 and report.retry_passes == 2
    err = capsys.readouterr().err
    assert "retry pass 1 of 3: 2 item(s) failed" in err
    assert "retry pass 2 of 3: 1 item(s) failed" in err
    assert "failed: img1.png: ConnectionError: injected failure writing img-0001" in err


def test_a_dead_sink_does_not_flood_the_log_and_names_no_report_it_did_not_write(pets, make_registry, capsys):
    pets("src", n=25)
    memory_target("dst", fail={f"img-{i:04d}": 99 for i in range(25)})  # every item fails, every pass
    with pytest.raises(TransferIncomplete) as info:
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=2), registry=make_registry(),
                                 progress=Progress("log", interval=999), retries=1))
    # 25 failures, 20 shown: "listed above" would be untrue
    assert str(info.value) == "25 of 25 items did not move (--report FILE lists them all); run again with --resume"
    err = capsys.readouterr().err.splitlines()
    assert sum(line.startswith("failed: img") for line in err) == 40  # 20 per pass, not 25
    assert err.count("failed: ... and 5 more item(s) (--report FILE lists them all)") == 2
    memory_target("dst", fail={f"img-{i:04d}": 99 for i in range(3)})
    with pytest.raises(TransferIncomplete) as info:
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=2, resume=True),
                                 registry=make_registry(), progress=QUIET, retries=0))
    assert str(info.value) == "3 of 25 items did not move (listed above); run again with --resume"


def test_remaining_failures_exit_incomplete_with_report_and_journal(pets, make_registry, tmp_path):
    pets("src", n=6)
    memory_target("dst", fail={"img-0002": 99})
    with pytest.raises(TransferIncomplete) as info:
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=2), registry=make_registry(),
                                 progress=QUIET, retries=1, report_path=str(tmp_path / "r.json")))
    assert str(info.value) == "1 of 6 items did not move (see report); run again with --resume"
    assert info.value.exit_code == 1
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["complete"] is False
    assert data["failures"] == [{"key": "img-0002", "name": "img2.jpg",
                                 "error": "ConnectionError: injected failure writing img-0002"}]
    assert memory_target("dst").finished is False
    journals = list(Path(os.environ["XDG_STATE_HOME"]).glob("scmigrate/journals/*.journal"))
    assert len(journals) == 1
    recs = [json.loads(line) for line in journals[0].read_text().splitlines()]
    assert {r["key"] for r in recs if r["type"] == "item"} == {f"img-{i:04d}" for i in range(6)} - {"img-0002"}


def test_resume_skips_journal_keys_and_passes_state_back(pets, make_registry):
    pets("src", n=6)
    dst = memory_target("dst", fail={"img-0003": 99})
    reg = make_registry()
    with pytest.raises(TransferIncomplete):
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=1), registry=reg, progress=QUIET,
                                 retries=0))
    # a new sink object that holds nothing: only the journal can tell what moved
    moved = dict(dst.items)
    dst.items.clear()
    dst.fail.clear()
    report = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=1, resume=True), registry=reg,
                                      progress=QUIET))
    assert list(dst.items) == ["img-0003"]
    assert report.skipped["already in the target"] == 5
    assert dst.state == {"project": "Pets", "resumed": False}  # what begin() returned on the first run
    assert len(moved) == 5


def test_done_keys_of_the_writer_are_skipped(pets, make_registry):
    pets("src", n=4)
    reg = make_registry()
    transfer(TransferRequest("memory:src", "memory:dst", RunOptions(), registry=reg, progress=QUIET))
    # a new run, not --resume: resuming the run that finished has nothing to do (it reads nothing)
    report = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(), registry=reg, progress=QUIET))
    assert report.moved == 0 and report.skipped["already in the target"] == 4
    report = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(resume=True), registry=reg,
                                      progress=QUIET))
    assert report.complete and report.moved == 0 and not report.skipped


def test_dry_run_writes_nothing_and_plans(pets, make_registry):
    pets("src", n=8)
    report = transfer(TransferRequest("memory:src", "memory:dst",
                                      RunOptions(dry_run=True, labels=["dog"], project_type="boxes", project="Dogs"),
                                      registry=make_registry(__import__("fixture_plugins.boxes").boxes),
                                      progress=QUIET))
    assert "dst" not in __import__("scmigrate.testing").testing._store
    plan = "\n".join(report.plan)
    assert "project: 'Pets' (detection) → 'Dogs'" in plan
    assert "labels kept: dog" in plan and "labels dropped: cat, bird" in plan
    assert "KEYPOINT → dropped" in plan
    assert "would move 4 items; would skip 4 without a selected label" in plan
    assert "source holds: 8 items, 8 images, 0 videos" in plan


def test_bad_input_in_an_item_is_exit_2_not_retried(pets, make_registry):
    from fixture_plugins import boxes

    from scmigrate.model import Annotation, Scene, ScoredLabel, Shape

    src = pets("src", n=3)
    src.items["img-0000"].scenes = [Scene([Annotation(Shape.keypoint(3, 3), [ScoredLabel("dog")])])]
    with pytest.raises(InputError, match=r"^img0.jpg: the conversion would drop 1× KEYPOINT: not used by boxes"):
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(project_type="boxes", strict=True),
                                 registry=make_registry(boxes), progress=QUIET))
    assert set(memory_target("dst").items) == {"img-0001", "img-0002"}


def test_conversions_are_counted(pets, make_registry):
    from fixture_plugins import boxes

    pets("src", n=4)
    report = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(project_type="boxes"),
                                      registry=make_registry(boxes), progress=QUIET))
    assert report.conversions == {"converted": {"POLYGON → RECTANGLE": 1}, "dropped": {}}
    dst = memory_target("dst")
    assert dst.project.tasks[-1].task_type == "detection"
    assert all(a.shape.type == "RECTANGLE" for it in dst.items.values() for s in it.scenes for a in s.annotations)


def test_lazy_items_are_resolved_in_workers(pets, make_registry):
    pets("src", n=8, lazy=True)
    report = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(labels=["cat"], workers=2, max_items=1),
                                      registry=make_registry(), progress=QUIET))
    dst = memory_target("dst")
    assert list(dst.items) in (["img-0001"], ["img-0005"])
    assert report.moved == 1


def test_python_api_is_short(pets, make_registry):
    import scmigrate

    pets("src", n=4)
    report = scmigrate.transfer(from_="memory:src", to="memory:dst", labels="dog,cat", keep_empty=True,
                                label_map="cat=kitty", registry=make_registry(), quiet=True)
    assert report.moved == 4
    dst = memory_target("dst")
    assert [lb.name for lb in dst.project.labels()] == ["dog", "kitty", "No object"]
    assert dst.items["img-0003"].scenes[0].annotations == []  # unannotated → annotated as empty


def test_python_api_refuses_a_keyword_nobody_reads(pets, make_registry):
    import scmigrate

    pets("src", n=2)
    with pytest.raises(InputError) as info:  # a typo must not silently move every label
        scmigrate.transfer(from_="memory:src", to="memory:dst", lables="dog", registry=make_registry(), quiet=True)
    assert str(info.value).startswith("transfer(): unknown option(s) lables for memory:src (memory) → memory:dst")
    assert memory_target("dst").items == {}
    report = scmigrate.transfer(from_="memory:src", to="memory:dst", ca_bundle=None, registry=make_registry(),
                                quiet=True)  # None = not given: scripts pass their optional arguments through
    assert report.moved == 2


def test_models_move_only_with_models(pets, make_registry):
    import io

    from scmigrate.model import ModelArtifact, ModelFile

    src = pets("src", n=2)
    src.models = [ModelArtifact("m1", {"name": "yolo"}, [ModelFile("w.bin", lambda: io.BytesIO(b"w"), 1)])]
    reg = make_registry()
    report = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(), registry=reg, progress=QUIET))
    assert memory_target("dst").models == [] and "models" not in report.counts
    report = transfer(TransferRequest("memory:src", "memory:dst2", RunOptions(), registry=reg, progress=QUIET,
                                      with_models=True))
    assert [m.key for m in memory_target("dst2").models] == ["m1"] and report.counts["models"] == 1


def test_interrupt_aborts_the_writer_and_keeps_the_journal(pets, make_registry, sigint_raises):
    import _thread
    import threading

    pets("src", n=200)
    dst = memory_target("dst", delay=0.02)
    def interrupt_after_three_writes():
        for _ in range(1000):
            if dst.writes >= 3:
                _thread.interrupt_main()
                return
            time.sleep(0.01)

    import time

    threading.Thread(target=interrupt_after_three_writes, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=2), registry=make_registry(),
                                 progress=QUIET))
    assert dst.aborted is True and dst.finished is None
    journals = list(Path(os.environ["XDG_STATE_HOME"]).glob("scmigrate/journals/*.journal"))
    assert len(journals) == 1
    keys = {json.loads(x)["key"] for x in journals[0].read_text().splitlines() if '"item"' in x}
    # the workers finished the items in hand before the journal closed: it knows every landed item
    assert keys == set(dst.items) and 0 < len(dst.items) < 200


def test_progress_bar_on_a_terminal_and_lines_otherwise(pets, make_registry):
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True

    from scmigrate.engine import make_progress

    pets("src", n=5)
    tty = Tty()
    transfer(TransferRequest("memory:src", "memory:dst", RunOptions(), registry=make_registry(),
                             progress=make_progress(stream=tty)))
    text = tty.getvalue()
    assert "\r[" in text and "100% 5/5 items" in text and "ETA" in text and "items/s" in text
    log = io.StringIO()
    transfer(TransferRequest("memory:src", "memory:dst2", RunOptions(), registry=make_registry(),
                             progress=make_progress(stream=log)))
    assert "\r" not in log.getvalue() and log.getvalue().startswith("progress: 100% 5/5 items")
    quiet = io.StringIO()
    transfer(TransferRequest("memory:src", "memory:dst3", RunOptions(), registry=make_registry(),
                             progress=make_progress(quiet=True, stream=quiet)))
    assert quiet.getvalue() == ""


def test_an_error_outside_any_item_stops_the_run_instead_of_hanging(pets, make_registry, monkeypatch):
    import errno
    import io

    from scmigrate.engine import journal as journal_mod
    from scmigrate.engine import make_progress

    def full(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal_mod.Journal, "item", full)
    pets("src", n=50)

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    with pytest.raises(OSError, match="No space left"):
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=2), registry=make_registry(),
                                 progress=make_progress(stream=tty)))
    assert memory_target("dst").aborted is True
    assert tty.getvalue().endswith("\n")  # the bar's line is ended: the error that follows gets its own line


def test_items_the_target_already_holds_are_not_counted_as_moved(pets, make_registry):
    from scmigrate.api import WriteResult
    from scmigrate.testing import _MemoryWriter

    pets("src", n=3)
    reg = make_registry()
    orig = _MemoryWriter.write

    def write(self, item):
        if item.key == "img-0001":
            return WriteResult(ids={"media": "existing-1"}, skipped=True)
        return orig(self, item)

    _MemoryWriter.write = write
    try:
        report = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(), registry=reg, progress=QUIET))
    finally:
        _MemoryWriter.write = orig
    assert report.moved == 2 and report.skipped["already in the target"] == 1
    assert report.id_map["src-1"] == "existing-1" and report.complete


def test_to_project_names_the_result_whatever_the_source(pets, make_registry):
    pets("src", n=2)
    report = transfer(TransferRequest("memory:src", "memory:dst",
                                      RunOptions(project="ignored-for-naming", to_project="Pets copy"),
                                      registry=make_registry(), progress=QUIET))
    assert report.target_project == "Pets copy"
    assert memory_target("dst").project.name == "Pets copy"
