"""A snapshot repository in object storage (``repo:s3://...``), against the loopback S3 server of the
root conftest, driven by the ``scmigrate`` command as a user runs it (issue 14's examples)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from cluster.cluster_helpers import detection_items, detection_project, image_item
from repo_helpers import counting_opens, entries_in, held, item, project

from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory
from scmigrate.testing.coco import make_coco

HERE = Path(__file__).resolve().parent
SCMIGRATE = Path(sys.executable).with_name("scmigrate")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCMIGRATE), *args], capture_output=True, text=True, timeout=180)


def _keys(client: Any, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket="backups", Prefix=prefix + "/")
    return sorted(o["Key"][len(prefix) + 1:] for page in pages for o in page.get("Contents", []))


def _uploads(client: Any, prefix: str) -> list[str]:
    return [u["Key"] for u in client.list_multipart_uploads(Bucket="backups", Prefix=prefix + "/").get("Uploads", [])]


def _media(registry: Any, location: str, name: str) -> list[tuple[str, str]]:
    """(file name, sha256 of the bytes) of each image: the same on two clusters, whose ids differ."""
    return sorted((fn, sha) for key, (fn, sha, _) in held(registry, location, name).items() if key != "labels")


def _ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_every_project_to_s3_repo_incremental_restore_verify_forget(s3: Any, clusters: Any, registry: Any) -> None:
    a = clusters("a")
    for name in ("Dogs", "Cats"):
        put_memory(name, detection_project(name), detection_items(3))
        assert transfer(f"memory:{name}", "a", registry=registry, quiet=True).complete
    prefix = f"geti-repo-{uuid.uuid4().hex[:8]}"
    repo = f"repo:s3://backups/{prefix}"

    _ok(_run("-q", "run", "--from", "a", "--all-projects", "--to", repo))
    first = _keys(s3, prefix)
    assert "config.json" in first and sum(k.startswith("snapshots/") for k in first) == 2
    assert not [k for k in first if k.startswith(("pending/", ".scmigrate.lock"))]  # finished, lock released
    assert _uploads(s3, prefix) == []

    put_memory("more", detection_project("Dogs"), [image_item("new", "new", [], seed=91)])
    assert transfer("memory:more", "a", registry=registry, quiet=True, into_existing=True).complete
    a.admin.clear_counters()
    _ok(_run("-q", "run", "--from", "a", "--project", "Dogs", "--to", repo))
    assert a.admin.count("GET", "/display/full") == 1  # incremental: only the new image's bytes

    listed = _ok(_run("snapshots", repo, "--json"))
    snaps = json.loads(listed.stdout)  # stdout is the JSON alone
    dogs = [s for s in snaps if s["project"] == "Dogs"]
    assert [s["project"] for s in snaps].count("Cats") == 1 and len(dogs) == 2
    assert dogs[1]["parent"] == dogs[0]["id"] and (dogs[1]["new_media"], dogs[1]["items"]) == (1, 4)

    clusters("b")
    _ok(_run("-q", "run", "--from", f"{repo}@latest", "--project", "Dogs", "--to", "b"))
    check = _ok(_run("check", "--from", repo, "--project", "Dogs", "--to", "b", "--json"))
    assert json.loads(check.stdout)["identical"] is True
    assert _media(registry, repo, "Dogs") == _media(registry, "b", "Dogs")
    synced = _ok(_run("-vv", "sync", "--from", f"{repo}@latest", "--project", "Dogs", "--to", "b", "--json"))
    plan = json.loads(synced.stdout)  # the JSON alone on stdout, the debug lines on stderr
    assert (plan["added"], plan["updated"], plan["deleted"]) == ([], [], []) and synced.stderr.strip()

    verified = _ok(_run("verify", repo, "--read-data"))
    assert "intact" in verified.stdout

    # a blob whose backup was killed before any entry named it (the second Dogs snapshot holds
    # everything the first did, so forgetting the first frees nothing else)
    stray = b"stray media bytes"
    stray_key = f"blobs/{hashlib.sha256(stray).hexdigest()[:2]}/{hashlib.sha256(stray).hexdigest()}"
    s3.put_object(Bucket="backups", Key=f"{prefix}/{stray_key}", Body=stray)
    forgot = _ok(_run("forget", repo, "--keep-last", "1", "--prune"))
    assert "forgot 1 of 3" in forgot.stderr and "removed 1 unused blob(s)" in forgot.stderr
    after = _keys(s3, prefix)
    assert sum(k.startswith("snapshots/") for k in after) == 2 and f"snapshots/{dogs[0]['id']}.json" not in after
    assert stray_key not in after
    assert not [k for k in after if k.startswith(".scmigrate.lock")]
    _ok(_run("verify", repo, "--read-data"))  # what the kept snapshots name is all still there
    assert _media(registry, f"{repo}@latest", "Dogs") == _media(registry, "b", "Dogs")


def test_kill_9_backup_to_s3_repo_then_resume(s3: Any, registry: Any) -> None:
    """No snapshot appears before the backup ends; the killed run's lock object is taken over (its
    pid is gone); ``--resume`` reads only what was not stored; nothing is left behind."""
    prefix = f"kill-repo-{uuid.uuid4().hex[:8]}"
    repo = f"repo:s3://backups/{prefix}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(HERE.parent)]))
    proc = subprocess.Popen([sys.executable, str(HERE / "repo_backup_proc.py"), repo], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum("/items/" in k for k in _keys(s3, prefix)) < 4:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = _keys(s3, prefix)
    written = entries_in([s3.get_object(Bucket="backups", Key=f"{prefix}/{k}")["Body"].read()
                          for k in left if "/items/" in k])
    assert 4 <= written < 12, left
    assert not [k for k in left if k.startswith("snapshots/")]  # no half snapshot
    locks = [k for k in left if k.startswith(".scmigrate.lock/")]
    assert len(locks) == 1 and json.loads(s3.get_object(Bucket="backups", Key=f"{prefix}/{locks[0]}")["Body"]
                                           .read())["pid"] == proc.pid


    items, opened = counting_opens([item(i) for i in range(12)])
    put_memory("live", project(), items)
    report = transfer("memory:live", repo, registry=registry, quiet=True, resume=True)
    assert report.complete and report.sink_facts["items"] == 12
    assert len(opened) == 12 - written  # what the killed run had stored was not read again
    assert held(registry, repo) == held(registry, "memory:live")
    assert not [k for k in _keys(s3, prefix) if k.startswith(("pending/", ".scmigrate.lock"))]
    assert _uploads(s3, prefix) == []


def _lock_object(client: Any, prefix: str, host: str, pid: int, age: float, pid_space: str = "") -> str:
    key = f"{prefix}/.scmigrate.lock/{uuid.uuid4().hex}.json"
    doc = {"pid": pid, "host": host, "started": "2026-12-03T10:00:00Z", "target": "x", "refreshed": time.time() - age,
           "pid_space": pid_space}
    client.put_object(Bucket="backups", Key=key, Body=json.dumps(doc).encode())
    return key


def test_lock_objects_keep_a_second_writer_out_until_stale(s3: Any, registry: Any) -> None:
    from scmigrate.engine.lock_objects import STALE
    from scmigrate.errors import InputError

    prefix = f"lock-repo-{uuid.uuid4().hex[:8]}"
    repo = f"repo:s3://backups/{prefix}"
    put_memory("live", project(), [])
    assert transfer("memory:live", repo, registry=registry, quiet=True).complete

    here = _lock_object(s3, prefix, socket.gethostname(), 1, 0)  # a running process of this machine (init)
    refused = _run("prune", repo)
    assert refused.returncode == 2 and "another scmigrate run is writing it (pid 1 on" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    try:
        transfer("memory:live", repo, registry=registry, quiet=True)
    except InputError as e:
        assert "another scmigrate run is writing it" in str(e)
    else:
        raise AssertionError("a backup into a locked repository on S3 was not refused")
    s3.delete_object(Bucket="backups", Key=here)

    # this hostname and a pid not running here, but of another pid namespace (a container with the
    # host's name): that pid may be running there, so the lock holds
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    twin = _lock_object(s3, prefix, socket.gethostname(), int(gone.stdout), 0, pid_space="another-boot:4026531836")
    refused = _run("prune", repo)
    assert refused.returncode == 2 and "another scmigrate run is writing it" in refused.stderr
    s3.delete_object(Bucket="backups", Key=twin)

    elsewhere = _lock_object(s3, prefix, "build-7", 4242, STALE - 60)  # another machine, refreshed lately
    refused = _run("forget", repo, "--keep-last", "1")
    assert refused.returncode == 2 and "pid 4242 on build-7" in refused.stderr and "stale" in refused.stderr
    s3.delete_object(Bucket="backups", Key=elsewhere)

    _lock_object(s3, prefix, "build-7", 4242, STALE + 60)  # not refreshed for longer than STALE: its run died
    _ok(_run("prune", repo))
    assert not [k for k in _keys(s3, prefix) if k.startswith(".scmigrate.lock")]


def test_a_killed_uploads_leftover_is_aborted_by_the_next_backup(s3: Any, registry: Any) -> None:
    """What a backup killed mid-upload of a large blob leaves (a multipart upload with a part, not
    listed as an object) is aborted by the next writer, which holds the repository's lock."""
    prefix = f"orphan-repo-{uuid.uuid4().hex[:8]}"
    repo = f"repo:s3://backups/{prefix}"
    put_memory("live", project(), [])
    assert transfer("memory:live", repo, registry=registry, quiet=True).complete
    key = f"{prefix}/blobs/ab/{'ab' * 32}.zst"
    upload = s3.create_multipart_upload(Bucket="backups", Key=key)["UploadId"]
    s3.upload_part(Bucket="backups", Key=key, UploadId=upload, PartNumber=1, Body=b"x" * (5 << 20))
    assert _uploads(s3, prefix) == [key]
    assert transfer("memory:live", repo, registry=registry, quiet=True).complete
    assert _uploads(s3, prefix) == []


def test_kill_9_mid_upload_of_a_large_blob_leaves_no_upload_after_the_next_backup(s3: Any, registry: Any) -> None:
    """A real kill: the backup is killed while s3fs has a multipart upload of a 20 MiB blob open on
    the server; the next run (here the --resume) aborts it and finishes with the blob whole."""
    from repo_big_blob_proc import SIZE, big_item

    prefix = f"bigkill-{uuid.uuid4().hex[:8]}"
    repo = f"repo:s3://backups/{prefix}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(HERE.parent)]))
    proc = subprocess.Popen([sys.executable, str(HERE / "repo_big_blob_proc.py"), repo], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _uploads(s3, prefix) and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    [orphan] = _uploads(s3, prefix)
    assert orphan.startswith(f"{prefix}/blobs/")
    assert not [k for k in _keys(s3, prefix) if k.startswith(("snapshots/", "blobs/"))]  # nothing half-visible

    put_memory("big", project(), [big_item()])
    assert transfer("memory:big", repo, registry=registry, quiet=True, resume=True).complete
    assert _uploads(s3, prefix) == []
    blobs = [k for k in _keys(s3, prefix) if k.startswith("blobs/")]
    sizes = sorted(s3.head_object(Bucket="backups", Key=f"{prefix}/{k}")["ContentLength"] for k in blobs)
    assert sizes[-1] >= SIZE  # the media's blob, whole (zstd adds a few bytes to random data)
    assert held(registry, repo) == held(registry, "memory:big")


def test_dry_run_to_a_repo_in_a_missing_bucket_says_what_the_run_would(s3: Any, tmp_path: Path) -> None:
    """`-n` names the missing bucket in one line, exit 2, as the run itself refuses it; it used to
    answer "a new repository would be made", a promise the run could not keep."""
    coco = make_coco(tmp_path / "coco", images=1, seed=7, image_size=(32, 24))
    src = ["run", "--from", coco.location, "--images", str(coco.images_dir), "--project-type", "detection"]
    for extra in (["-n"], []):
        result = _run(*src, "--to", "repo:s3://no-such-bucket/r", *extra)
        err = result.stderr.strip()
        assert result.returncode == 2 and "\n" not in err and "Traceback" not in err, err
        assert "no-such-bucket" in err and "does not exist" in err, err
    assert "no-such-bucket" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    # an existing bucket with no repository yet is still a repository to be made
    fresh = _run(*src, "--to", f"repo:s3://backups/new-{uuid.uuid4().hex[:8]}", "-n")
    assert fresh.returncode == 0 and "a new repository would be made" in fresh.stdout + fresh.stderr, fresh.stderr
