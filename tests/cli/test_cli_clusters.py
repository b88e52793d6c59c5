"""``scmigrate clusters``: tokens only from stdin or an env var, file 0600, never printed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

SECRET = "sekrit-9d1c-token"


def _config() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "scmigrate" / "config.json"


def test_add_list_remove_without_showing_the_token(cli):
    proc = cli("clusters", "add", "lab", "--url", "https://sc.lab.example", "--workspace", "W", "--token-stdin",
               "--no-test", input=SECRET + "\n", plugins="")
    assert proc.returncode == 0, proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    assert stat.S_IMODE(_config().stat().st_mode) == 0o600
    assert json.loads(_config().read_text())["clusters"]["lab"]["token"] == SECRET

    listed = cli("clusters", "list", plugins="")
    assert listed.returncode == 0 and "lab" in listed.stdout and "stored" in listed.stdout
    as_json = cli("clusters", "list", "--json", plugins="")
    assert json.loads(as_json.stdout)[0]["token"] == "stored"
    assert SECRET not in listed.stdout + as_json.stdout

    assert cli("clusters", "remove", "lab", plugins="").returncode == 0
    proc = cli("clusters", "remove", "lab", plugins="")
    assert proc.returncode == 2 and proc.stderr.strip() == "error: no cluster named 'lab' is configured"


def test_token_env_and_bad_input(cli):
    proc = cli("clusters", "add", "b", "--url", "https://x.example", "--token-env", "LAB_TOKEN", "--no-test",
               plugins="")
    assert proc.returncode == 0
    assert json.loads(_config().read_text())["clusters"]["b"] == {"url": "https://x.example",
                                                                   "token_env": "LAB_TOKEN"}
    proc = cli("clusters", "add", "c", "--url", "ftp://x", plugins="")
    assert proc.returncode == 2 and "must start with https://" in proc.stderr
    proc = cli("clusters", "add", "c", "--url", "https://x", "--token-stdin", input="", plugins="")
    assert proc.returncode == 2 and "standard input held no token" in proc.stderr
    # a token on the command line is not even an option
    proc = cli("clusters", "add", "c", "--url", "https://x", "--token", SECRET, plugins="")
    assert proc.returncode == 2 and "No such option" in proc.stderr


def test_cluster_test_unreachable_is_one_line_without_the_token(cli):
    cli("clusters", "add", "down", "--url", "http://127.0.0.1:9", "--token-stdin", "--no-test", input=SECRET,
        plugins="")
    proc = cli("clusters", "test", "down", plugins="cluster")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and SECRET not in proc.stderr + proc.stdout
    assert proc.stderr.startswith("error: down: ") and len(proc.stderr.strip().splitlines()) == 1


def test_cluster_test_of_an_unknown_name_says_it_is_not_configured(cli):
    proc = cli("clusters", "test", "nosuch", plugins="cluster")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: no cluster named 'nosuch' is configured (scmigrate clusters list)"


def test_add_tries_the_connection_and_saves_only_what_answers(cli, tmp_path):
    from sc_emulator import running

    cli("clusters", "add", "keep", "--url", "https://keep.example", "--token-env", "X", "--no-test", plugins="")
    before = _config().read_text()
    proc = cli("clusters", "add", "down", "--url", "http://127.0.0.1:9", "--token-stdin", input=SECRET,
               plugins="cluster")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and SECRET not in proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("error: down: ") and line.endswith("; not saved (--no-test saves it without trying)")
    assert _config().read_text() == before  # nothing of the refused cluster is left
    with running(tmp_path / "emu") as emu:
        proc = cli("clusters", "add", "emu", "--url", emu.url, "--token-stdin", input=emu.token, plugins="cluster")
        assert proc.returncode == 0, proc.stderr
        assert "emu" in json.loads(_config().read_text())["clusters"]
        proc = cli("clusters", "test", "emu", "--json", plugins="cluster")
        assert proc.returncode == 0, proc.stderr
        facts = json.loads(proc.stdout)
        assert facts["name"] == "emu" and facts["ok"] is True and SECRET not in proc.stdout
