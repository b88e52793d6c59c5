"""Reports: ``-`` is standard output; only regular files are replaced atomically (never /dev/stdout)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scmigrate.engine.report import Report, write_text
from scmigrate.errors import InputError


def _src_archive(tmp: Path) -> Path:
    from scmigrate.engine.facade import transfer
    from scmigrate.model import Label, Media, Project, Task
    from scmigrate.plugins import make_plugin_manager
    from scmigrate.registry import Registry
    from scmigrate.testing import image_bytes, make_item, memory_plugin, put_memory

    project = Project.chain("P", Task("Detection", "detection", [Label("dog", "#ff0000ff", "det")]))
    items = [make_item(Media(key=f"k{i}", kind="image", name=f"i{i}", filename=f"i{i}.png", width=64, height=48),
                       image_bytes(64, 48, fmt="PNG", seed=i), []) for i in range(2)]
    put_memory("src", project, items)
    reg = Registry(make_plugin_manager(load=True, plugins=[memory_plugin]))
    assert transfer("memory:src", str(tmp / "src.scz"), registry=reg, quiet=True).complete
    return tmp / "src.scz"


def _run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCMIGRATE_")}
    return subprocess.run([sys.executable, "-m", "scmigrate", "run", "--from", "src.scz", *args], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_report_dash_goes_to_standard_output(tmp_path: Path) -> None:
    _src_archive(tmp_path)
    proc = _run(tmp_path, "--to", "out.scz", "--report", "-")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["complete"] is True and report["counts"]["images"] == 2
    assert not (tmp_path / "-").exists()


def test_report_onto_a_named_pipe_writes_into_it(tmp_path: Path) -> None:
    """As ``/dev/stdout`` is for root: a special file is written in place, never replaced by a file."""
    _src_archive(tmp_path)
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    proc = _run(tmp_path, "--to", "out.scz", "--report", str(fifo))
    reader.join(30)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a pipe
    assert json.loads(got[0])["complete"] is True


def test_report_onto_dev_stdout_keeps_the_symlink(tmp_path: Path) -> None:
    """The defect: as root, the rename replaced the ``/dev/stdout`` symlink with a regular file."""
    _src_archive(tmp_path)
    before = os.readlink("/dev/stdout")
    proc = _run(tmp_path, "--to", "out.scz", "--report", "/dev/stdout")  # stdout: a pipe
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["complete"] is True
    assert os.path.islink("/dev/stdout") and os.readlink("/dev/stdout") == before


def test_a_symlinked_report_is_written_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    Report(source="a", sink="b").write(link)
    assert link.is_symlink() and json.loads(real.read_text())["source"] == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]  # no temporary left


def test_write_text_refuses_a_missing_folder_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write the report"):
        write_text(tmp_path / "no" / "r.json", "{}", "the report")
    Report.check_writable("-")  # standard output is always writable
    with pytest.raises(InputError, match=r"folder no/such does not exist"):
        Report.check_writable("no/such/r.json")
