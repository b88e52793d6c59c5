"""The one way into the engine: the CLI and the Python API reach it alike; ``--all-projects`` and its report."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

import scmigrate
import scmigrate_archive
from scmigrate import cli
from scmigrate.cli import options as cli_options
from scmigrate.engine import ProjectsReport, Report, TransferRequest, transfer
from scmigrate.engine import entry as entry_mod
from scmigrate.engine import report as report_mod
from scmigrate.errors import InputError, TransferIncomplete
from scmigrate.model import Label, Project, Task
from scmigrate.testing import MemorySink, memory_target, put_memory


def _birds() -> None:
    """A second project in memory, "Birds" (``memory:src`` serves its own items under any project name)."""
    put_memory("birds", Project.chain("Birds", Task("Detection", "detection", [Label("bird")])), [])


def _archive_items(path: str, make_registry: Any, name: str) -> int:
    """Read an archive back into memory: the number of items it holds."""
    transfer(TransferRequest(path, f"memory:{name}", registry=make_registry(scmigrate_archive), quiet=True))
    return len(memory_target(name).items)


def test_all_projects_through_the_python_api(pets: Any, make_registry: Any, tmp_path: Any) -> None:
    pets("src", n=4)
    pets("more", n=3)  # a second project of the same name: its archive is told apart, not overwritten
    # (memory:src serves its own project whichever name is asked: both archives hold its 4 items)
    report_path = tmp_path / "r.json"
    result = scmigrate.transfer(from_="memory:src", to=str(tmp_path / "backups"), all_projects=True,
                                registry=make_registry(scmigrate_archive), quiet=True, report=str(report_path))
    assert isinstance(result, ProjectsReport) and result.complete and not result.failed
    assert sorted(os.listdir(tmp_path / "backups")) == ["Pets-2.scz", "Pets.scz"]
    assert [r.moved for r in result.reports] == [4, 4]
    data = json.loads(report_path.read_text())
    assert [(p["sink"], p["counts"]["items"]) for p in data["projects"]] == [
        (str(tmp_path / "backups" / "Pets.scz"), 4), (str(tmp_path / "backups" / "Pets-2.scz"), 4)]
    assert [_archive_items(str(tmp_path / "backups" / f), make_registry, f"back{n}")
            for n, f in enumerate(("Pets.scz", "Pets-2.scz"))] == [4, 4]


def test_all_projects_refusals_are_the_same_through_the_api(pets: Any, make_registry: Any, tmp_path: Any) -> None:
    pets("src", n=2)
    reg = make_registry(scmigrate_archive)
    with pytest.raises(InputError, match="--to must be a directory"):
        scmigrate.transfer(from_="memory:src", to=str(tmp_path / "x.scz"), all_projects=True, registry=reg)
    with pytest.raises(InputError, match="leave out --project"):
        scmigrate.transfer(from_="memory:src", to=str(tmp_path / "d"), all_projects=True, project="P", registry=reg)
    # the plugin-option check looks at the sink each project goes to (an archive in the folder)
    with pytest.raises(InputError, match=r"unknown option\(s\) auto_train for memory:src \(memory\) → .*d \(archive\)"):
        scmigrate.transfer(from_="memory:src", to=str(tmp_path / "d"), all_projects=True, auto_train="off",
                           registry=reg)
    # without a sink that writes projects into a folder, a folder is no target
    with pytest.raises(InputError, match="no installed sink write"):
        scmigrate.transfer(from_="memory:src", to=str(tmp_path / "d"), all_projects=True, registry=make_registry())
    assert not (tmp_path / "d").exists() and not (tmp_path / "x.scz").exists()


class _FolderMemorySink(MemorySink):
    """A sink of another plugin that writes projects into folders: ``memfolder:FOLDER/STEM``."""

    name = "memfolder"
    scheme = "memfolder"

    @classmethod
    def location_in_folder(cls, folder: str, stem: str) -> str | None:
        return f"memfolder:{folder}/{stem}"


class _FolderPlugin:
    __name__ = "memfolder"

    @scmigrate.hookimpl
    def register_sinks(self, register: Any) -> None:
        register(_FolderMemorySink)


def test_the_folder_layout_is_the_sinks_not_the_engines(pets: Any, make_registry: Any, tmp_path: Any,
                                                        monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    pets("src", n=2)
    result = scmigrate.transfer(from_="memory:src", to="out", all_projects=True,
                                registry=make_registry(_FolderPlugin()), quiet=True)
    assert [r.sink for r in result.reports] == ["memfolder:out/Pets"]
    assert len(memory_target("out/Pets").items) == 2


def test_the_combined_report_holds_the_old_content_or_all_of_the_new(pets: Any, make_registry: Any, tmp_path: Any,
                                                                      monkeypatch: Any) -> None:
    pets("src", n=2)
    report_path = tmp_path / "r.json"
    report_path.write_text('{"old": true}\n')
    seen: list[Any] = []
    real_replace = os.replace

    def interrupted_replace(src: Any, dst: Any) -> None:  # Ctrl-C between writing and renaming
        seen.append(json.loads(open(src, encoding="utf-8").read()))  # what was written is all of it
        raise KeyboardInterrupt

    monkeypatch.setattr(report_mod.os, "replace", interrupted_replace)
    reg = make_registry(scmigrate_archive)
    with pytest.raises(KeyboardInterrupt):
        scmigrate.transfer(from_="memory:src", to=str(tmp_path / "b"), all_projects=True, registry=reg, quiet=True,
                           report=str(report_path))
    assert report_path.read_text() == '{"old": true}\n'  # never half a report
    assert seen and seen[0]["projects"][0]["counts"]["items"] == 2
    assert sorted(os.listdir(tmp_path)) == ["b", "r.json"]  # and no temporary file left behind
    monkeypatch.setattr(report_mod.os, "replace", real_replace)
    scmigrate.transfer(from_="memory:src", to=str(tmp_path / "c"), all_projects=True, registry=reg, quiet=True,
                       report=str(report_path))
    assert json.loads(report_path.read_text())["projects"][0]["counts"]["items"] == 2


def test_an_interrupted_all_projects_run_leaves_a_whole_report_of_what_moved(pets: Any, make_registry: Any,
                                                                             tmp_path: Any, monkeypatch: Any) -> None:
    pets("src", n=2)
    _birds()
    real = entry_mod.move_project

    def ctrl_c_on_birds(request: TransferRequest) -> Report:
        if request.options.project == "Birds":
            raise KeyboardInterrupt
        return real(request)

    monkeypatch.setattr(entry_mod, "move_project", ctrl_c_on_birds)
    report_path = tmp_path / "r.json"
    with pytest.raises(KeyboardInterrupt):
        scmigrate.transfer(from_="memory:src", to=str(tmp_path / "b"), all_projects=True,
                           registry=make_registry(scmigrate_archive), quiet=True, report=str(report_path))
    data = json.loads(report_path.read_text())
    assert [p["project"] for p in data["projects"]] == ["Pets", "Birds"]
    assert data["projects"][0]["complete"] and data["projects"][1] == {"project": "Birds", "error": "interrupted"}


def test_one_failing_project_does_not_stop_the_others(pets: Any, make_registry: Any, tmp_path: Any,
                                                      monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.chdir(tmp_path)
    pets("src", n=4)
    _birds()
    memory_target("out/Birds", fail={"img-0001": 99})  # every write of that item fails
    report_path = tmp_path / "r.json"
    with pytest.raises(TransferIncomplete, match=r"1 of 2 projects did not move completely \(Birds\)") as info:
        scmigrate.transfer(from_="memory:src", to="out", all_projects=True, retries=0,
                           registry=make_registry(_FolderPlugin()), quiet=True, report=str(report_path))
    combined = info.value.report
    assert isinstance(combined, ProjectsReport) and combined.failed == ["Birds"]
    moved = [(r.target_project, r.moved, r.complete) for r in combined.reports]
    assert moved == [("Pets", 4, True), ("Birds", 3, False)]
    err = capsys.readouterr().err  # quiet: no announcement of each project, but its error is shown
    assert "project 'Pets' →" not in err and "project 'Birds' →" not in err
    assert "error: Birds: 1 of 4 items did not move" in err
    data = json.loads(report_path.read_text())["projects"]
    assert [(p["target_project"], p["complete"]) for p in data] == [("Pets", True), ("Birds", False)]


@pytest.fixture
def calls(monkeypatch: Any) -> list[tuple[str, Any]]:
    """Every request that reached the engine's one entry, by the path it took there (the real run goes on)."""
    seen: list[tuple[str, Any]] = []
    for name in ("move_project", "move_all_projects"):
        real = getattr(entry_mod, name)

        def spy(request: Any, _real: Any = real, _name: str = name) -> Any:
            seen.append((_name, request))
            return _real(request)

        monkeypatch.setattr(entry_mod, name, spy)
    return seen


def _run_cli(*args: str) -> int:
    with pytest.raises(SystemExit) as info:
        cli.main(list(args))
    return int(info.value.code or 0)


def test_the_cli_and_the_api_reach_the_same_function(pets: Any, make_registry: Any, tmp_path: Any,
                                                     monkeypatch: Any, calls: list[tuple[str, Any]],
                                                     capsys: Any) -> None:
    reg = make_registry(scmigrate_archive)
    monkeypatch.setattr(cli_options, "registry", lambda: reg)  # the in-process CLI: these plugins only
    monkeypatch.setattr("scmigrate.cli.run.registry", lambda: reg)
    pets("src", n=3)
    assert _run_cli("run", "--from", "memory:src", "--to", str(tmp_path / "one.scz"), "--labels", "dog") == 0
    assert _run_cli("run", "--from", "memory:src", "--all-projects", "--to", str(tmp_path / "all"),
                    "--report", str(tmp_path / "r.json")) == 0
    scmigrate.transfer(from_="memory:src", to=str(tmp_path / "api.scz"), registry=reg, quiet=True)
    scmigrate.transfer(from_="memory:src", to=str(tmp_path / "api"), all_projects=True, registry=reg, quiet=True)
    # each project of --all-projects is then one move_project of its own
    assert [name for name, _ in calls] == ["move_project", "move_all_projects", "move_project"] * 2
    one, every, _, api_one, _, _ = (r for _, r in calls)
    assert one.options.labels == ["dog"] and one.summaries and one.given == frozenset()
    assert every.all_projects and every.report_path == str(tmp_path / "r.json")
    assert api_one.given is None and not api_one.summaries  # the API names keywords, not flags, in its errors
    assert json.loads((tmp_path / "r.json").read_text())["projects"][0]["counts"]["items"] == 3
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == sorted(p.name for p in (tmp_path / "api").iterdir())
    err = capsys.readouterr().err
    assert err.count("moved 3 images") == 1 and "moved 2 images" in err  # the CLI shows each project's summary
