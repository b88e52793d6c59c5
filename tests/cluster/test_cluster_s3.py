"""Issue 14's object-storage examples between clusters, as a user types them: an archive and a
repository on the loopback S3 server (the root conftest), clusters named ``cluster-a``/``cluster-b``."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from cluster.cluster_helpers import detection_items, detection_project

from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory

SCMIGRATE = Path(sys.executable).with_name("scmigrate")


def scm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(SCMIGRATE), *args], capture_output=True, text=True, timeout=180, cwd=cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_the_object_storage_examples_between_two_clusters(s3: Any, clusters: Any, registry: Any,
                                                          tmp_path: Path) -> None:
    clusters("cluster-a")
    clusters("cluster-b")
    for name, n in (("Dogs", 4), ("Cats", 3)):
        put_memory(name, detection_project(name), detection_items(n))
        assert transfer(f"memory:{name}", "cluster-a", registry=registry, quiet=True).complete
    prefix = f"geti-{uuid.uuid4().hex[:8]}"
    archive, repo = f"s3://backups/{prefix}/dogs.scz", f"repo:s3://backups/{prefix}/geti-repo"

    scm("-q", "run", "--from", "cluster-a", "--project", "Dogs", "--to", archive)
    scm("-q", "run", "--from", archive, "--to", "cluster-b")
    scm("-q", "run", "--from", "cluster-a", "--all-projects", "--to", repo)
    assert json.loads(scm("verify", archive, "--json").stdout)["intact"] is True
    assert json.loads(scm("inspect", archive, "--json").stdout)["project"] == "Dogs"

    assert json.loads(scm("check", "--from", archive, "--to", "cluster-b", "--json").stdout)["identical"] is True
    # a project chosen by glob in a repository; every project of it checked against the cluster
    scm("-q", "run", "--from", repo, "--project", "Ca*", "--to", "cluster-b")
    both = scm("check", "--from", repo, "--all-projects", "--to", "cluster-b")
    assert both.stderr.splitlines()[-1] == "identical: 2 of 2 projects", both.stderr
    # two projects named at once, out of the repository into a folder of archives
    scm("-q", "run", "--from", repo, "--project", "Dogs", "--project", "Cats", "--to", str(tmp_path / "back"))
    assert sorted(p.name for p in (tmp_path / "back").iterdir()) == ["Cats.scz", "Dogs.scz"]


def test_a_folder_of_archives_in_object_storage(s3: Any, clusters: Any, registry: Any, tmp_path: Path) -> None:
    """``--all-projects --to s3://b/folder/`` writes one archive per project there (and no local folder
    named ``s3:``); ``--from s3://b/folder/ --all-projects`` reads them back, as for a local folder."""
    clusters("cluster-a")
    for name, n in (("Dogs", 2), ("Cats", 3)):
        put_memory(name, detection_project(name), detection_items(n))
        assert transfer(f"memory:{name}", "cluster-a", registry=registry, quiet=True).complete
    prefix = f"all-{uuid.uuid4().hex[:8]}"
    folder = f"s3://backups/{prefix}/"
    scm("-q", "run", "--from", "cluster-a", "--all-projects", "--to", folder, cwd=tmp_path)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="backups", Prefix=prefix).get("Contents", []))
    assert keys == [f"{prefix}/Cats.scz", f"{prefix}/Dogs.scz"]
    assert not (tmp_path / "s3:").exists()
    both = scm("check", "--from", folder, "--all-projects", "--to", "cluster-a", cwd=tmp_path)
    assert both.stderr.splitlines()[-1] == "identical: 2 of 2 projects", both.stderr
