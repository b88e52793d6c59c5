"""Archives in object storage, against a real S3-compatible server on loopback (moto's, see conftest)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from archive_helpers import items, open_archive, project, write_archive

from scmigrate.api import RunOptions
from scmigrate.errors import InputError
from scmigrate.testing.coco import make_coco
from scmigrate_archive import ArchiveSink

SCMIGRATE = Path(sys.executable).with_name("scmigrate")
PROC = Path(__file__).with_name("archive_writer_proc.py")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCMIGRATE), "-q", *args], capture_output=True, text=True, timeout=120)


def _keys(client, prefix: str) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket="backups", Prefix=prefix).get("Contents", [])]


def _uploads(client, prefix: str) -> list[str]:
    return [u["Key"] for u in client.list_multipart_uploads(Bucket="backups", Prefix=prefix).get("Uploads", [])]


def test_backup_to_s3_verify_inspect_and_restore_identical(s3, tmp_path: Path) -> None:
    coco = make_coco(tmp_path / "coco", images=6, seed=5, image_size=(64, 48))
    prefix = f"geti-{uuid.uuid4().hex[:8]}"
    url = f"s3://backups/{prefix}/dogs.scz"
    first = _run("run", "--from", coco.location, "--images", str(coco.images_dir), "--project-type", "detection",
                 "--to", url)
    assert first.returncode == 0, first.stderr
    assert _keys(s3, prefix) == [f"{prefix}/dogs.scz"] and _uploads(s3, prefix) == []  # no pieces, no uploads left
    verify = _run("verify", url)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    inspect = _run("inspect", url)
    assert inspect.returncode == 0 and "6" in inspect.stdout, inspect.stdout + inspect.stderr
    local = tmp_path / "back.scz"
    back = _run("run", "--from", url, "--to", str(local))
    assert back.returncode == 0, back.stderr
    check = _run("check", "--from", url, "--to", str(local))
    assert check.returncode == 0, check.stdout + check.stderr


def test_kill_9_mid_upload_then_resume(s3, tmp_path: Path) -> None:
    """Pieces of 8 MiB are uploaded as they fill; a SIGKILL loses only the one being filled, the
    archive never appears half-written, and --resume continues from the last complete frame."""
    prefix = f"kill-{uuid.uuid4().hex[:8]}"
    url = f"s3://backups/{prefix}/big.scz"
    n, side = 28, 1024  # noise JPEGs of ~0.9 MiB, 21 distinct: ~19.5 MiB in all
    args = [sys.executable, str(PROC), url, str(n), "--side", str(side), "--workers", "2"]
    killed = subprocess.run([*args, "--kill-at", str(17 << 20)], capture_output=True, text=True, timeout=120,
                            env=os.environ)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    staged = _keys(s3, prefix)
    assert f"{prefix}/big.scz" not in staged  # never visible under its name before it is complete
    assert staged == [f"{prefix}/big.scz.partial/{0:015d}", f"{prefix}/big.scz.partial/{8 << 20:015d}"]
    refused = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--resume" in refused.stderr
    resumed = subprocess.run([*args, "--resume"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    started = json.loads(resumed.stdout.splitlines()[0])
    assert 0 < started["done_before"] < n  # what the two pieces held was kept, not written again
    assert _keys(s3, prefix) == [f"{prefix}/big.scz"] and _uploads(s3, prefix) == []
    with open_archive(url) as reader:
        assert reader.verify() == []
        got = {it.key: it.open().read() for it in reader.items()}
    assert got == {it.key: it.open().read() for it in items(n, dup_every=4, side=side)}


def _one_line_exit_2(result: subprocess.CompletedProcess, *words: str) -> None:
    err = result.stderr.strip()
    assert result.returncode == 2 and "\n" not in err and "Traceback" not in err, err
    for word in words:
        assert word in err, err


def test_refusals_are_one_line(s3, tmp_path: Path, monkeypatch) -> None:
    coco = make_coco(tmp_path / "coco", images=2, seed=6, image_size=(64, 48))
    src = ["run", "--from", coco.location, "--images", str(coco.images_dir), "--project-type", "detection"]
    _one_line_exit_2(_run(*src, "--to", "s3://no-such-bucket/x/dogs.scz"), "no-such-bucket", "does not exist")
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    wrong = _run(*src, "--to", "s3://backups/x/dogs.scz")
    _one_line_exit_2(wrong, "s3://backups/x/dogs.scz", "access denied", "credentials")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN0000000")
    _one_line_exit_2(_run("inspect", "s3://backups/x/dogs.scz"), "s3://backups/x/dogs.scz", "cannot read")
    assert secret not in wrong.stderr + wrong.stdout
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        _one_line_exit_2(_run(*src, "--to", "gs://bucket/dogs.scz"), "scmigrate[gcs]")


def test_resume_onto_a_finished_s3_archive_has_nothing_to_resume(s3) -> None:
    """A published archive is one snapshot: --resume does not add to it, and it stays as it was."""
    url = f"s3://backups/fin-{uuid.uuid4().hex[:8]}/a.scz"
    write_archive(url, items(3, side=24))
    w = ArchiveSink().open(url, RunOptions(resume=True))
    assert w.finished() == f"{url} is a finished archive (recurring backups go to a repo:PATH)"
    with pytest.raises(InputError, match="a finished archive; nothing to resume"):
        w.begin(project(), None)
    w.close()
    with open_archive(url) as reader:
        assert reader.verify() == []
        assert sorted(it.key for it in reader.items()) == sorted(it.key for it in items(3, side=24))


def test_stopped_write_keeps_its_piece_and_resume_leaves_none(s3) -> None:
    """A write that stops early (items failed, Ctrl-C) uploads what it holds as a short piece."""
    prefix = f"stop-{uuid.uuid4().hex[:8]}"
    url = f"s3://backups/{prefix}/a.scz"
    write_archive(url, items(2, side=24), complete=False)
    assert _keys(s3, prefix) == [f"{prefix}/a.scz.partial/{0:015d}"]
    write_archive(url, items(4, side=24), resume=True)
    assert _keys(s3, prefix) == [f"{prefix}/a.scz"]
    with open_archive(url) as reader:
        assert reader.verify() == [] and len(list(reader.items())) == 4


def test_a_run_to_an_s3_archive_locks_it_for_every_machine(s3, tmp_path: Path) -> None:
    """The lock of s3://b/x.scz is a lock object beside it (x.scz.lock/), seen from any machine: here
    one held by a running process (pid 1) refuses the run; once it is gone, the run goes ahead."""
    import socket
    import time

    coco = make_coco(tmp_path / "coco", images=2, seed=7, image_size=(64, 48))
    prefix = f"locked-{uuid.uuid4().hex[:8]}"
    url = f"s3://backups/{prefix}/dogs.scz"
    held = f"{prefix}/dogs.scz.lock/{uuid.uuid4().hex}.json"
    doc = {"pid": 1, "host": socket.gethostname(), "started": "2026-12-03T10:00:00Z", "target": url,
           "refreshed": time.time()}
    s3.put_object(Bucket="backups", Key=held, Body=json.dumps(doc).encode())
    src = ["run", "--from", coco.location, "--images", str(coco.images_dir), "--project-type", "detection"]
    _one_line_exit_2(_run(*src, "--to", url), url, "another scmigrate run is writing it (pid 1 on")
    assert _keys(s3, prefix) == [held]
    s3.delete_object(Bucket="backups", Key=held)
    assert _run(*src, "--to", url).returncode == 0
    assert _keys(s3, prefix) == [f"{prefix}/dogs.scz"]  # the run's own lock object is gone with it
