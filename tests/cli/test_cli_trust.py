"""Issue 9, the small ones at the command line: cleartext tokens, bad numbers, a corrupt config file."""

from __future__ import annotations

import json
import os
from pathlib import Path

SECRET = "sekrit-77aa-token"


def _config() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "scmigrate" / "config.json"


def test_plain_http_to_the_network_needs_allow_plain_http(cli):
    proc = cli("clusters", "add", "lab", "--url", "http://sc.lab.example", "--token-stdin", input=SECRET, plugins="")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "unencrypted" in proc.stderr and "--allow-plain-http" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and SECRET not in proc.stderr
    assert not _config().exists() or "lab" not in json.loads(_config().read_text())["clusters"]

    proc = cli("clusters", "add", "lab", "--url", "http://sc.lab.example", "--token-stdin", "--allow-plain-http",
               "--no-test", input=SECRET, plugins="")
    assert proc.returncode == 0 and "unencrypted" in proc.stderr
    assert json.loads(_config().read_text())["clusters"]["lab"]["allow_plain_http"] is True
    assert cli("clusters", "add", "emu", "--url", "http://127.0.0.1:9", "--token-env", "X", "--no-test",
               plugins="").returncode == 0
    listed = cli("clusters", "list", plugins="").stdout
    (lab,) = [ln for ln in listed.splitlines() if ln.startswith("lab ")]
    (emu,) = [ln for ln in listed.splitlines() if ln.startswith("emu ")]
    assert "plain HTTP (allowed)" in lab and "plain HTTP (loopback)" in emu
    as_json = {c["name"]: c for c in json.loads(cli("clusters", "list", "--json", plugins="").stdout)}
    assert as_json["lab"]["plain_http"] == "allowed" and as_json["emu"]["plain_http"] == "loopback"


def test_a_hand_written_plain_http_entry_and_an_inline_url_are_refused(cli, tmp_path):
    _config().parent.mkdir(parents=True, exist_ok=True)
    _config().write_text(json.dumps({"clusters": {"old": {"url": "http://10.1.2.3:8080", "token": SECRET}}}))
    proc = cli("projects", "old", plugins="cluster")
    assert proc.returncode == 2 and "--allow-plain-http" in proc.stderr and SECRET not in proc.stderr
    assert "clusters list" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "refused" in cli("clusters", "list", plugins="").stdout

    env = {"SCMIGRATE_TOKEN": SECRET}
    proc = cli("projects", "http://cluster.invalid", "--low-level-retries", "0", plugins="cluster", env=env)
    assert proc.returncode == 2 and "pass --allow-plain-http" in proc.stderr
    assert "cannot connect" not in proc.stderr  # refused before a byte (and the token) was sent
    proc = cli("projects", "http://cluster.invalid", "--allow-plain-http", "--low-level-retries", "0",
               plugins="cluster", env=env)
    assert proc.returncode == 2 and "cannot connect" in proc.stderr and "unencrypted" in proc.stderr


def test_a_corrupt_config_file_is_named(cli):
    _config().parent.mkdir(parents=True, exist_ok=True)
    _config().write_bytes(b"\xff\xfe{\x00garbage")
    proc = cli("clusters", "list", plugins="")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert str(_config()) in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    _config().write_text('{"clusters": {"lab": {"url": "https://x"')
    proc = cli("run", "--from", "lab", "--to", "x.scz", plugins=None)
    assert proc.returncode == 2 and str(_config()) in proc.stderr and "not valid JSON" in proc.stderr


def test_a_timeout_that_is_not_positive_is_bad_input(cli):
    for flag, value in (("--timeout", "-1"), ("--timeout", "0"), ("--low-level-retries", "-2")):
        proc = cli("projects", "https://127.0.0.1:9", flag, value, plugins="cluster", env={"SCMIGRATE_TOKEN": "t"})
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(f"error: {flag} ") and "ValueError" not in proc.stderr


def test_check_matches_an_extension_in_another_case(make_registry):
    from scmigrate.api import RunOptions
    from scmigrate.engine.compare import compare_locations
    from scmigrate.model import Label, Media, Project, Task
    from scmigrate.testing import clear_memory, image_bytes, make_item, put_memory

    def item(filename: str) -> object:
        media = Media(key="k", kind="image", name="x", filename=filename, dataset="Dataset", width=64, height=48)
        return make_item(media, image_bytes(64, 48, fmt="PNG", seed=1), [])

    project = Project.chain("P", Task("Detection", "detection", [Label("dog")]))
    clear_memory()
    put_memory("upper", project, [item("x.PNG")])
    put_memory("lower", project, [item("x.png")])
    result = compare_locations("memory:upper", "memory:lower", RunOptions(), registry=make_registry())
    assert result.identical(), result.lines
    assert [s for s, _, _ in result.lines] == ["="]
    clear_memory()
