"""What a run prints, line by line: one line for bad input, nothing but errors with ``-q``, readable details."""

from __future__ import annotations

import re

from scmigrate.testing.coco import make_coco

BUILTINS = "archive,datumaro,convert"


def test_a_damaged_archive_is_one_error_line(cli, tmp_path):
    from scmigrate_archive.reader import ArchiveReader

    coco = make_coco(tmp_path / "ds", images=4, seed=2)
    assert cli("run", "--from", coco.location, "--to", "a.scz", "-q", plugins=BUILTINS).returncode == 0
    with ArchiveReader(tmp_path / "a.scz") as reader:
        blob = next(e for e in reader.entries.values() if e["name"].startswith("blobs/"))
    data = bytearray((tmp_path / "a.scz").read_bytes())
    data[blob["offset"] + blob["length"] // 2] ^= 0xFF
    (tmp_path / "b.scz").write_bytes(bytes(data))
    proc = cli("run", "--from", "b.scz", "--to", "c.scz", plugins=BUILTINS)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    [line] = proc.stderr.strip().splitlines()  # not "failed: X", a progress line and "error: X" again
    assert line.startswith("error: b.scz: " + blob["name"]) and "damaged" in line, line


def test_quiet_all_projects_prints_nothing(cli, tmp_path):
    proc = cli("-q", "run", "--from", "memory:src", "--all-projects", "--to", "backups", plugins="memfixture,archive")
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == "", proc.stderr
    proc = cli("run", "--from", "memory:src", "--all-projects", "--to", "backups2", plugins="memfixture,archive")
    assert "project 'Pets' → backups2/Pets.scz" in proc.stderr  # without -q it says where each one goes


def test_inspect_of_a_cluster_shows_its_http_statistics_readably(cli, tmp_path):
    from sc_emulator import running

    with running(tmp_path / "emu") as emu:
        env = {"SCMIGRATE_TOKEN": emu.token}
        assert cli("-q", "run", "--from", "memory:src", "--to", emu.url, env=env,
                   plugins="memfixture,cluster").returncode == 0
        proc = cli("inspect", emu.url, "--project", "Pets", env=env, plugins="memfixture,cluster")
    assert proc.returncode == 0, proc.stderr
    [http] = [ln for ln in proc.stdout.splitlines() if ln.startswith("http: ")]
    assert "{" not in http and "'" not in http, http  # not a Python dict
    assert re.search(r"requests \d+", http) and "concurrency (mode " in http, http
