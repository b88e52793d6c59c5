"""Resume and the report: a journal resumes only its own run, the id map survives a resume,
model failures and a failing source make a run incomplete, a bad ``--report`` path is bad input."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from scmigrate.api import RunOptions
from scmigrate.engine import Progress, TransferRequest, transfer
from scmigrate.errors import InputError, TransferIncomplete
from scmigrate.model import ModelArtifact, ModelFile
from scmigrate.testing import memory_target

QUIET = Progress("quiet")


def _journals() -> list[Path]:
    return list(Path(os.environ["XDG_STATE_HOME"]).glob("scmigrate/journals/*.journal"))


def test_a_journal_never_resumes_a_run_from_another_source(pets, make_registry):
    pets("src", n=6)
    pets("other", n=6)  # same project name, same item keys, other bytes would be skipped silently
    dst = memory_target("dst", fail={"img-0004": 99})
    reg = make_registry()
    with pytest.raises(TransferIncomplete):
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=1), registry=reg, progress=QUIET,
                                 retries=0))
    dst.items.clear()
    dst.fail.clear()
    with pytest.raises(InputError, match=r"this journal is of a run from 'memory:src' to project 'Pets', "
                                         r"not from 'memory:other' to 'Pets'; resume that run, or remove"):
        transfer(TransferRequest("memory:other", "memory:dst", RunOptions(resume=True), registry=reg, progress=QUIET))
    assert dst.items == {}  # refused before anything was written
    assert len(_journals()) == 1  # and the interrupted run can still be resumed
    report = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(resume=True), registry=reg,
                                      progress=QUIET))
    assert list(dst.items) == ["img-0004"] and report.complete


def test_resume_without_a_journal_says_so_and_relies_on_the_target(pets, make_registry):
    pets("src", n=3)
    log = io.StringIO()
    report = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(resume=True), registry=make_registry(),
                                      progress=Progress("log", log, interval=999)))
    assert "resume: no journal at " in log.getvalue()
    assert report.complete and report.moved == 3


def test_the_report_of_a_resumed_run_maps_every_source_id(pets, make_registry, tmp_path):
    pets("src", n=6)
    dst = memory_target("dst", fail={"img-0001": 99})
    reg = make_registry()
    with pytest.raises(TransferIncomplete):
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=1), registry=reg, progress=QUIET,
                                 retries=0))
    dst.fail.clear()
    transfer(TransferRequest("memory:src", "memory:dst", RunOptions(resume=True), registry=reg, progress=QUIET,
                             report_path=str(tmp_path / "r.json")))
    data = json.loads((tmp_path / "r.json").read_text())
    # the 5 from the first run and the 1 from this one
    assert sorted(data["id_map"]) == sorted(f"src-{i}" for i in range(6))
    assert data["counts"]["items"] == 1 and data["skipped"] == {"already in the target": 5}
    assert len(set(data["id_map"].values())) == 6


def test_a_model_that_fails_makes_the_run_incomplete(pets, make_registry, tmp_path, monkeypatch):
    from scmigrate.testing import _MemoryWriter

    src = pets("src", n=2)
    src.models = [ModelArtifact(k, {}, [ModelFile("w.bin", lambda: io.BytesIO(b"w"), 1)]) for k in ("m1", "m2")]
    orig = _MemoryWriter.write_model

    def write_model(self, model):
        if model.key == "m1":
            raise OSError("model file unreadable")
        return orig(self, model)

    monkeypatch.setattr(_MemoryWriter, "write_model", write_model)
    with pytest.raises(TransferIncomplete, match=r"^1 model\(s\) did not move \(see report\)"):
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(), registry=make_registry(), progress=QUIET,
                                 with_models=True, report_path=str(tmp_path / "r.json")))
    assert [m.key for m in memory_target("dst").models] == ["m2"]
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["complete"] is False
    assert data["failures"] == [{"key": "model:m1", "name": "m1", "error": "OSError: model file unreadable"}]
    assert memory_target("dst").finished is False and len(_journals()) == 1


def test_a_source_that_fails_midway_is_named_as_the_cause(pets, make_registry, monkeypatch):
    from scmigrate.testing import _MemoryReader

    pets("src", n=6)
    orig = _MemoryReader.items

    def items(self):
        for n, item in enumerate(orig(self)):
            if n == 3:
                raise ConnectionError("cluster went away")
            yield item

    monkeypatch.setattr(_MemoryReader, "items", items)
    with pytest.raises(TransferIncomplete) as info:
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=1), registry=make_registry(),
                                 progress=QUIET, retries=0))
    assert str(info.value) == ("reading the source failed after 3 item(s) moved: ConnectionError: cluster went "
                               "away; run again with --resume")


def test_an_unwritable_report_path_is_bad_input_before_anything_moves(pets, make_registry, tmp_path):
    pets("src", n=2)
    with pytest.raises(InputError, match=r"r.json: cannot write the report \(folder .*nowhere does not exist\)"):
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(), registry=make_registry(), progress=QUIET,
                                 report_path=str(tmp_path / "nowhere" / "r.json")))
    assert memory_target("dst").items == {}
    with pytest.raises(InputError, match="it is a folder"):
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(), registry=make_registry(), progress=QUIET,
                                 report_path=str(tmp_path)))
    (tmp_path / "plain").write_text("a file")
    with pytest.raises(InputError, match=r"plain/r.json: cannot write the report \(folder .*plain is not a folder\)"):
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(), registry=make_registry(), progress=QUIET,
                                 report_path=str(tmp_path / "plain" / "r.json")))


def test_dry_run_writes_its_plan_to_the_report(pets, make_registry, tmp_path):
    pets("src", n=2)
    transfer(TransferRequest("memory:src", "memory:dst", RunOptions(dry_run=True), registry=make_registry(),
                             progress=QUIET, report_path=str(tmp_path / "plan.json")))
    data = json.loads((tmp_path / "plan.json").read_text())
    assert data["dry_run"] is True and "dry run: nothing was written" in data["plan"]


def test_dry_run_tells_whether_resume_would_use_the_journal(pets, make_registry):
    pets("src", n=4)
    pets("other", n=4)
    memory_target("dst", fail={"img-0001": 99})
    reg = make_registry()
    with pytest.raises(TransferIncomplete):
        transfer(TransferRequest("memory:src", "memory:dst", RunOptions(workers=1), registry=reg, progress=QUIET,
                                 retries=0))
    plan = transfer(TransferRequest("memory:src", "memory:dst", RunOptions(resume=True, dry_run=True), registry=reg,
                                    progress=QUIET)).plan
    assert any(line.startswith("resume: 3 items already done would be skipped") for line in plan), plan
    plan = transfer(TransferRequest("memory:other", "memory:dst", RunOptions(resume=True, dry_run=True), registry=reg,
                                    progress=QUIET)).plan
    assert any(line.startswith("resume: refused: the journal ") and "'memory:src'" in line for line in plan), plan
