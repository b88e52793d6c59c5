"""The journal's intent record: what ``--resume`` gets after a kill inside ``begin``, and a refused
fresh run leaving the interrupted run's journal as it was."""

from __future__ import annotations

from pathlib import Path

from scmigrate.engine.journal import UNCONFIRMED, Journal


def _interrupted(path: Path) -> bytes:
    j = Journal(path)
    j.open(fresh=True)
    j.intend("P", "src.scz", "https://c")
    j.begin({"project_id": "42"}, "P", "src.scz")
    j.item("k1", "s1", {"media": "m1"})
    j.close(remove=False)
    return path.read_bytes()


def test_a_kill_inside_begin_resumes_as_unconfirmed(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j")
    j.open(fresh=True)
    j.intend("P", "src.scz", "https://c")
    j.close(remove=False)  # killed here: after the intent, before the begin record
    back = Journal(tmp_path / "j")
    assert back.load()
    assert (back.source, back.project) == ("src.scz", "P")  # only that run resumes it
    assert back.resume_state() == {UNCONFIRMED: True}


def test_a_resumed_run_killed_inside_begin_keeps_the_first_state(tmp_path: Path) -> None:
    path = tmp_path / "j"
    _interrupted(path)
    j = Journal(path)
    j.open(fresh=False)
    j.intend("P", "src.scz", "https://c")  # the --resume, killed before its begin record
    j.close(remove=False)
    back = Journal(path)
    back.load()
    assert back.resume_state() == {"project_id": "42"} and back.keys == {"k1"}


def test_a_fresh_run_starts_over_in_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "j"
    _interrupted(path)
    j = Journal(path)
    j.open(fresh=True)
    j.intend("P", "src.scz", "https://c")
    j.begin({"project_id": "43"}, "P", "src.scz")
    j.close(remove=False)
    back = Journal(path)
    back.load()
    assert back.resume_state() == {"project_id": "43"} and back.keys == set() and back.ids == {}


def test_a_refused_run_leaves_the_journal_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "j"
    before = _interrupted(path)
    j = Journal(path)
    j.open(fresh=True)  # a plain run on the interrupted run's target, refused by the target
    j.intend("P", "src.scz", "https://c")
    j.retract()
    assert path.read_bytes() == before
    new = Journal(tmp_path / "new")
    new.open(fresh=True)
    new.intend("P", "src.scz", "https://c")
    new.retract()
    assert not new.path.exists()  # it had none before: none after
