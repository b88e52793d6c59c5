"""Machine-readable output and logs: ``--json`` on stdout, progress and logs on stderr or ``--log-file``."""

from __future__ import annotations

import json


def test_run_json_is_the_summary_on_stdout_and_progress_stays_on_stderr(cli):
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["complete"] is True and out["counts"]["items"] == 6 and out["counts"]["annotations"] == 6
    assert out["failed"] == 0 and out["project"] == "Pets" and "id_map" not in out
    assert proc.stderr.splitlines()[-1].startswith("moved 6 images")  # the human summary: stderr


def test_run_json_on_failure_and_on_a_dry_run(cli):
    env = {"SCMIGRATE_TEST_MEMORY": json.dumps({"items": 4, "fail": {"img-0001": 99}})}
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", "--json", "--retries", "0", env=env)
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["complete"] is False and out["failed"] == 1 and out["failures"][0]["key"] == "img-0001"
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", "-n", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # the plan is in the JSON, not printed before it
    assert out["dry_run"] is True and out["plan"][-1] == "dry run: nothing was written"


def test_json_and_report_to_stdout_are_refused_together(cli, tmp_path):
    proc = cli("run", "--from", "memory:src", "--to", "out.scz", "--json", "--report", "-",
               plugins="memfixture,archive")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == "error: --json and --report - both write to standard output: give --report a file"
    assert not (tmp_path / "out.scz").exists()
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", "--report", "-", "-q")
    assert proc.returncode == 0 and json.loads(proc.stdout)["counts"]["items"] == 6


def test_check_and_verify_json(cli):
    proc = cli("check", "--from", "memory:src", "--to", "memory:src", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["identical"] is True and out["totals"]["identical"] == 6 and len(out["lines"]) == 6
    assert out["lines"][0] == {"symbol": "=", "name": "Dataset/img0.jpg", "reason": ""}
    proc = cli("verify", "memory:src", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout) == {"location": "memory:src", "intact": True,
                                                                "quick": False, "damaged": []}


def test_log_file_keeps_the_runs_lines_and_json_log_is_one_object_a_line(cli, tmp_path):
    env = {"SCMIGRATE_TEST_MEMORY": json.dumps({"items": 4, "fail": {"img-0001": 1}})}
    proc = cli("--log-file", "run.log", "--use-json-log", "run", "--from", "memory:src", "--to", "memory:dst",
               env=env)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in (tmp_path / "run.log").read_text().splitlines()]
    assert {"time", "level", "msg", "source"} <= set(records[0])
    msgs = {(r["level"], r["msg"]) for r in records}
    assert ("warning", "failed: img1.jpg: ConnectionError: injected failure writing img-0001") in msgs
    assert any(level == "info" and msg.startswith("moved 4 images") for level, msg in msgs)
    assert "failed: img1.jpg" in proc.stderr  # the terminal still shows them, once
    assert proc.stderr.count("failed: img1.jpg") == 1
    proc = cli("--log-file", "no/such/dir/x.log", "run", "--from", "memory:src", "--to", "memory:dst")
    assert proc.returncode == 2 and proc.stderr.startswith("error: no/such/dir/x.log: cannot write the log file")


def test_progress_flag_forces_the_bar_and_stats_sets_the_interval(cli):
    env = {"SCMIGRATE_TEST_MEMORY": json.dumps({"items": 6, "delay": 0.05})}
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", "-P", "--workers", "1", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[K" in proc.stderr and "[####" in proc.stderr and "100% 6/6 items" in proc.stderr  # the bar, on a pipe
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", "--stats", "0.01", "--workers", "1", env=env)
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("progress: ")]
    assert len(lines) >= 3 and "\x1b" not in proc.stderr  # several plain lines, not only the last one
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", "--stats", "0.01", env=env)
    assert proc.returncode == 0
    proc = cli("check", "--from", "memory:src", "--to", "memory:src", "-P")
    assert "\x1b[K" in proc.stderr and "12/12 items" in proc.stderr


def test_a_slow_check_shows_progress_lines_off_a_terminal(cli):
    env = {"SCMIGRATE_TEST_MEMORY": json.dumps({"items": 6})}
    proc = cli("check", "--from", "memory:src", "--to", "memory:src", "--stats", "0.000001", "--workers", "1",
               env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[-1].startswith("identical: 6 identical")
    assert sum(ln.startswith("progress: ") and "/12 items" in ln for ln in lines) >= 6  # both sides, item by item
