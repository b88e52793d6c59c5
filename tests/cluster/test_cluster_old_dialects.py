"""Old clusters (Geti 1.0 – 1.15, SC 1.x) through real emulators in each dialect: read, write, migrate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cluster_helpers import detection_items, detection_project, scenes_as_given, snapshot
from test_cluster_errors import one_line_error, scmigrate

from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory


def probe(location: str) -> dict[str, Any]:
    from scmigrate.api import RunOptions
    from scmigrate_cluster import ClusterSource

    return ClusterSource().probe(location, RunOptions())


def seed(registry: Any, to: str, project: Any, items: list[Any], **kw: Any) -> Any:
    put_memory("seed", project, items)
    return transfer("memory:seed", to, registry=registry, quiet=True, workers=4, **kw)


@pytest.mark.parametrize("dialect", ["geti1.14", "geti1.9", "geti1.0"])
def test_geti1_roundtrip_and_migration(dialect: str, clusters: Any, registry: Any) -> None:
    """Seeded into an old cluster, read back as given, then migrated to a current one unchanged."""
    clusters("old", dialect=dialect)
    clusters("new")
    assert probe("old")["dialect"] == dialect
    items = detection_items(3)
    report = seed(registry, "old", detection_project("Dogs"), items)
    assert report.complete, report.to_dict()
    old = snapshot("old", "Dogs")
    assert len(old["media"]) == 3
    assert scenes_as_given(items, old) == []

    report = transfer("old", "new", registry=registry, quiet=True, project="Dogs", workers=4)
    assert report.complete, report.to_dict()
    assert snapshot("new", "Dogs")["media"] == old["media"]


def sc1_cluster(clusters: Any, name: str, monkeypatch: Any, **kw: Any) -> Any:
    """An SC 1.1 emulator named ``name``, logged into with a user name and a password from the environment."""
    from scmigrate.config import ClusterConfig, save_cluster

    c = clusters(name, dialect="sc1", user="ann", **kw)
    env = f"PASSWORD_{name.upper().replace('-', '_')}"
    monkeypatch.setenv(env, c.password)
    save_cluster(ClusterConfig(name=name, url=c.url, ca_bundle=getattr(c, "ca_bundle", None), username=c.user,
                               password_env=env))
    return c


def test_sc1_commands_end_to_end(clusters: Any, registry: Any, tmp_path: Path) -> None:
    """What a user types against SC 1.1: add with a password on stdin, test, list, back up, migrate, check,
    and a downgrade's dry run; the password never shows, a wrong one is one line."""
    old = clusters("seeded", dialect="sc1", tls=True)
    clusters("new", tls=True)
    proc = scmigrate("clusters", "add", "old-sc", "--url", old.url, "--username", old.user, "--password-stdin",
                     "--ca-bundle", old.ca_bundle, stdin=old.password + "\n")
    assert proc.returncode == 0, proc.stderr
    assert "--password" not in " ".join(proc.args[proc.args.index("add"):]).replace("--password-stdin", "")
    proc = scmigrate("clusters", "test", "old-sc")
    assert proc.returncode == 0, proc.stderr
    assert "dialect: sc1" in proc.stdout and "login: ok" in proc.stdout and "1.1.0" in proc.stdout
    assert old.password not in proc.stdout + proc.stderr
    put_memory("seed", detection_project("Weeds"), detection_items(3))
    assert transfer("memory:seed", "old-sc", registry=registry, quiet=True).complete

    proc = scmigrate("projects", "old-sc")
    assert proc.returncode == 0 and "Weeds" in proc.stdout, proc.stderr
    archive = tmp_path / "weeds.scz"
    report = tmp_path / "report.json"
    proc = scmigrate("run", "--from", "old-sc", "--project", "Weeds", "--to", str(archive), "-q", "--report",
                     str(report))
    assert proc.returncode == 0, proc.stderr
    # the backup says whose bytes it holds
    assert "re-encoded as JPEG" in report.read_text() and old.password not in report.read_text()
    proc = scmigrate("run", "--from", "old-sc", "--project", "Weeds", "--to", "new", "-q")
    assert proc.returncode == 0, proc.stderr
    for other in ("new", str(archive)):
        proc = scmigrate("check", "--from", "old-sc", "--project", "Weeds", "--to", other)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "decoded pixels" in proc.stderr and "3 identical" in proc.stderr

    # a downgrade: what the old one cannot hold is listed; the source's own PNG/JPEG files vs SC's JPEG
    put_memory("dogs", detection_project("Dogs"), detection_items(2))
    assert transfer("memory:dogs", "new", registry=registry, quiet=True).complete
    proc = scmigrate("run", "--from", "new", "--project", "Dogs", "--to", "old-sc", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "cannot hold videos" in proc.stdout + proc.stderr
    proc = scmigrate("run", "--from", "new", "--project", "Dogs", "--to", "old-sc", "-q")
    assert proc.returncode == 0, proc.stderr
    proc = scmigrate("check", "--from", "new", "--project", "Dogs", "--to", "old-sc")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 identical" in proc.stderr

    # a wrong password: one line, exit 2, the password not echoed; `clusters add` tries the login and
    # keeps nothing, `--no-test` keeps it and `clusters test` then says the same
    proc = scmigrate("clusters", "add", "bad", "--url", old.url, "--username", old.user, "--password-stdin",
                     "--ca-bundle", old.ca_bundle, stdin="not-the-password-9f3\n")
    one_line_error(proc, "refused the login", old.user)
    assert "not-the-password-9f3" not in proc.stdout + proc.stderr
    proc = scmigrate("clusters", "add", "bad", "--url", old.url, "--username", old.user, "--password-stdin",
                     "--ca-bundle", old.ca_bundle, "--no-test", stdin="not-the-password-9f3\n")
    assert proc.returncode == 0, proc.stderr
    proc = scmigrate("clusters", "test", "bad")
    one_line_error(proc, "refused the login", old.user)
    assert "not-the-password-9f3" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(("dialect", "kind"), [
    ("sc1", "segmentation"), ("sc1", "hierarchical"), ("sc1", "anomaly"), ("sc1", "detection_to_segmentation"),
    ("sc1", "multilabel"), ("geti1.0", "anomaly"), ("geti1.0", "detection_to_segmentation"),
])
def test_kinds_into_old_and_on_to_current(dialect: str, kind: str, clusters: Any, registry: Any,
                                          monkeypatch: Any) -> None:
    """Each kind an old dialect can hold: written into it as given, then migrated on and checked identical."""
    from cluster_helpers import kind_project

    from scmigrate.api import RunOptions
    from scmigrate.engine.compare import compare_locations

    if dialect == "sc1":
        sc1_cluster(clusters, "old", monkeypatch)
    else:
        clusters("old", dialect=dialect)
    clusters("new")
    project, items = kind_project(kind)
    report = seed(registry, "old", project, items)
    assert report.complete, report.to_dict()
    old = snapshot("old", project.name)
    if dialect == "sc1":
        for item in items:
            item.media.filename = item.media.name + ".jpg"
    assert scenes_as_given(items, old) == []
    assert old["project"]["pipeline"]["tasks"][-1]["task_type"] == project.tasks[-1].task_type

    report = transfer("old", "new", registry=registry, quiet=True, project=project.name, workers=4)
    assert report.complete, report.to_dict()
    result = compare_locations("old", "new", RunOptions(project=project.name), registry=registry, workers=4)
    assert result.identical(), (result.project_diffs, result.lines)
    assert result.count("=") == len(items)


@pytest.mark.parametrize("dialect", ["sc1", "geti1.9"])
def test_session_expiry_mid_run_logs_in_again(dialect: str, clusters: Any, registry: Any, monkeypatch: Any) -> None:
    """Sessions (SC 1.x cookie, a swapped bearer token) ended while a run writes: it logs in again."""
    c = sc1_cluster(clusters, "old", monkeypatch) if dialect == "sc1" else clusters("old", dialect=dialect)
    items = detection_items(4)
    for item in items[1:3]:  # the server ends every session while these are read, after the run began
        def opened(original: Any = item.open) -> Any:
            c.admin.expire_sessions()
            return original()
        item.open = opened
    put_memory("seed", detection_project("Dogs"), items)
    report = transfer("memory:seed", "old", registry=registry, quiet=True, workers=1)
    assert report.complete, report.to_dict()
    assert report.to_dict()["sink_facts"]["http"]["retries"].get("login", 0) == 2
    if dialect == "sc1":
        for item in items:
            item.media.filename = item.media.name + ".jpg"
    assert scenes_as_given(items, snapshot("old", "Dogs")) == []
