"""End to end through the CLI: COCO → .scz → .scz, a disk that fills up mid-write, --resume, verify."""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from archive_helpers import open_archive

from scmigrate.testing.coco import make_coco

SCMIGRATE = Path(sys.executable).with_name("scmigrate")


@pytest.fixture(scope="module")
def coco(tmp_path_factory):
    return make_coco(tmp_path_factory.mktemp("coco"), images=40, seed=3, image_size=(320, 240))


@pytest.fixture(scope="module")
def ref(coco, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ref") / "ref.scz"
    assert _run(*_args(coco), "--to", str(path)).returncode == 0
    return path


def _args(coco) -> list[str]:
    return ["run", "--from", coco.location, "--images", str(coco.images_dir), "--project-type", "detection"]


def _run(*args: str, limit: int | None = None) -> subprocess.CompletedProcess:
    def cap(limit=limit):  # Python ignores SIGXFSZ, so writes past `limit` fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([str(SCMIGRATE), "-q", *args], capture_output=True, text=True, timeout=180,
                          preexec_fn=cap if limit else None)


def _content(path: Path) -> dict[str, tuple]:
    with open_archive(path) as reader:
        assert reader.verify() == []
        return {it.key: (it.open().read(), [s.to_dict() for s in it.scenes]) for it in reader.items()}


def test_coco_to_archive_to_archive(coco, tmp_path: Path) -> None:
    a, b = tmp_path / "a.scz", tmp_path / "b.scz"
    first = _run("run", "--from", coco.location, "--images", str(coco.images_dir), "--to", str(a),
                 "--project-type", "detection")
    assert first.returncode == 0, first.stderr
    assert _run("verify", str(a)).returncode == 0
    second = _run("run", "--from", str(a), "--to", str(b))
    assert second.returncode == 0, second.stderr
    content = _content(a)
    assert content == _content(b) and len(content) == len(coco.images)
    for im in coco.images:
        assert content[im.key][0] == im.path.read_bytes()
    info = json.loads(_run("inspect", str(b), "--json").stdout)
    assert info["details"]["format_version"] == "1.0" and info["details"]["items"] == len(coco.images)
    again = _run("run", "--from", str(a), "--to", str(b))
    assert again.returncode == 2 and "already exists" in again.stderr


@pytest.mark.parametrize("seed", [11, 12])
def test_cli_disk_full_then_resume(coco, ref: Path, tmp_path: Path, seed: int) -> None:
    """The file-size limit stands in for a full disk: exit 2 naming the path, then --resume finishes."""
    args = _args(coco)
    out = tmp_path / "out.scz"
    at = random.Random(seed).randrange(ref.stat().st_size // 5, ref.stat().st_size * 4 // 5)
    full = _run(*args, "--to", str(out), limit=at)
    assert full.returncode == 2, full.stderr
    last = full.stderr.strip().splitlines()[-1]
    assert f"{out}: cannot write (File too large)" in last and "--resume" in last and "Traceback" not in full.stderr
    assert out.stat().st_size <= at
    verify = _run("verify", str(out))
    assert verify.returncode == 1 and "trailer: missing" in verify.stdout
    refused = _run("inspect", str(out))
    assert refused.returncode == 2 and ("incomplete archive (its end is missing: a write was interrupted or the file "
                                        "was cut short); a write of yours finishes with --resume") in refused.stderr
    resumed = _run(*args, "--to", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert _content(out) == _content(ref)
    names = subprocess.run(["tar", "--zstd", "-tf", str(out)], capture_output=True, text=True,
                           check=True).stdout.split()
    assert len(names) == len(set(names))


_SLOW_CLI = """
import sys, time
from scmigrate_archive import writer
from scmigrate.cli import main

_append = writer.ArchiveWriter._append
def slow(self, frame, length):
    time.sleep(0.01)
    return _append(self, frame, length)
writer.ArchiveWriter._append = slow
main(sys.argv[1:])
"""


def test_cli_kill_9_mid_run_then_resume(coco, ref: Path, tmp_path: Path) -> None:
    """A real SIGKILL of `scmigrate run` while it writes, then `--resume`: every item exactly once."""
    out = tmp_path / "killed.scz"
    target = random.Random(5).randrange(ref.stat().st_size // 5, ref.stat().st_size * 3 // 5)
    # the real CLI, with each appended frame slowed a little so that a busy machine cannot let the
    # whole run finish between two looks at the file's size
    child = subprocess.Popen([sys.executable, "-c", _SLOW_CLI, "-q", *_args(coco), "--to", str(out), "--workers", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while child.poll() is None and (not out.exists() or out.stat().st_size < target):
            time.sleep(0.001)
        child.kill()
    finally:
        code = child.wait(timeout=60)
    assert code == -9, "the run finished before it could be killed"
    assert target <= out.stat().st_size < ref.stat().st_size
    assert _run("inspect", str(out)).returncode == 2
    resumed = _run(*_args(coco), "--to", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert _content(out) == _content(ref)
    names = subprocess.run(["tar", "--zstd", "-tf", str(out)], capture_output=True, text=True,
                           check=True).stdout.split()
    assert len(names) == len(set(names))
