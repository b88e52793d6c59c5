"""Many projects, many archives: a folder of archives back to a cluster; projects chosen by name, glob, id."""

from __future__ import annotations

import json

import pytest

PLUGINS = "memfixture,cluster,archive"


def test_folder_of_archives_restores_to_a_cluster_and_projects_are_chosen_by_glob_and_id(cli, tmp_path):
    from sc_emulator import running

    with running(tmp_path / "emu") as emu:
        env = {"SCMIGRATE_TOKEN": emu.token}
        for name in ("Dogs", "Dolphins", "Cats"):
            assert cli("-q", "run", "--from", "memory:src", "--to", emu.url, "--to-project", name, env=env,
                       plugins=PLUGINS).returncode == 0
        listed = {p["name"]: p["id"] for p in json.loads(cli("projects", emu.url, "--json", env=env,
                                                             plugins=PLUGINS).stdout)}
        # a glob and an id: three projects chosen, each into its archive in the folder
        proc = cli("run", "--from", emu.url, "--project", "Do*", "--project-id", listed["Cats"], "--to", "backups",
                   "--report", "r.json", env=env, plugins=PLUGINS)
        assert proc.returncode == 0, proc.stderr
        assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == ["Cats.scz", "Dogs.scz", "Dolphins.scz"]
        assert proc.stderr.splitlines()[-1] == "3 of 3 projects moved completely"
        # one project chosen by id into one archive: a run of that project alone
        proc = cli("-q", "run", "--from", emu.url, "--project-id", listed["Dolphins"], "--to", "one.scz",
                   "--json", env=env, plugins=PLUGINS)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["project"] == "Dolphins"
        # the counterpart of --all-projects --to backups/: the folder back, one command, one report
        with running(tmp_path / "emu-b") as b:
            env_b = {"SCMIGRATE_TOKEN": b.token}
            proc = cli("run", "--from", "backups", "--all-projects", "--to", b.url, "--report", "restore.json",
                       env=env_b, plugins=PLUGINS)
            assert proc.returncode == 0, proc.stderr
            assert "project 'Cats' → " + b.url in proc.stderr
            assert proc.stderr.splitlines()[-1] == "3 of 3 projects moved completely"
            report = json.loads((tmp_path / "restore.json").read_text())
            assert [(p["source"], p["target_project"], p["counts"]["items"]) for p in report["projects"]] == [
                ("backups/Cats.scz", "Cats", 6), ("backups/Dogs.scz", "Dogs", 6),
                ("backups/Dolphins.scz", "Dolphins", 6)]
            names = {p["name"] for p in json.loads(cli("projects", b.url, "--json", env=env_b,
                                                       plugins=PLUGINS).stdout)}
            assert names == {"Cats", "Dogs", "Dolphins"}
            proc = cli("check", "--from", "backups", "--all-projects", "--to", b.url, env=env_b, plugins=PLUGINS)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert proc.stderr.splitlines()[-1] == "identical: 3 of 3 projects"


def test_a_folder_without_archives_is_one_line(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    proc = cli("run", "--from", "empty", "--all-projects", "--to", "out", plugins="memfixture,archive")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("error: --from empty: a folder holding no project (sources that read folders "
                                   "of projects: archive)")


def test_a_choice_that_picks_nothing_or_cannot_tell_twins_apart_is_refused():
    from scmigrate.engine.projectset import choose
    from scmigrate.errors import InputError

    entries = [{"name": "Dogs", "id": "1"}, {"name": "Dolphins", "id": "2"}, {"name": "Cats", "id": "3"},
               {"name": "Cats", "id": "4"}]
    assert [e["id"] for e in choose(entries, ("Do*",), ("2",), "lab")] == ["1", "2"]  # the source's order, once
    with pytest.raises(InputError, match=r"^lab: no project matches 'Zeb\*' \(projects: 'Dogs' \(id 1\), "):
        choose(entries, ("Zeb*",), (), "lab")
    with pytest.raises(InputError, match=r"^lab: no project with id '9'"):
        choose(entries, (), ("9",), "lab")
    with pytest.raises(InputError, match=r"^lab: 2 projects are named 'Cats' \(ids 3, 4\); rename one"):
        choose(entries, (), ("3",), "lab")
