"""Exit codes and one-line errors of the real command line (``python -m scmigrate`` in a subprocess)."""

from __future__ import annotations

import json


def _one_error_line(proc) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_unknown_location_is_exit_2_one_line(cli):
    proc = cli("run", "--from", "nowhere:x", "--to", "memory:dst")
    assert proc.returncode == 2
    assert _one_error_line(proc) == (
        "error: no plugin handles 'nowhere:x' as a source; installed sources: crash (crash:ANY), memory (memory:NAME)")


def test_usage_error_is_exit_2(cli):
    proc = cli("run", "--to", "memory:dst")
    assert proc.returncode == 2 and "Missing option '--from'" in proc.stderr


def test_unknown_label_and_project_type_are_exit_2(cli):
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", "--labels", "zebra")
    assert proc.returncode == 2
    assert _one_error_line(proc) == "error: --labels: label 'zebra' does not exist; existing labels: dog, cat"
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", "--project-type", "dots",
               plugins="memfixture,boxes")
    assert proc.returncode == 2
    assert _one_error_line(proc) == "error: unknown project type 'dots'; known project types: boxes"


def test_unexpected_exception_is_one_line_with_hint_and_traceback_only_with_debug(cli):
    proc = cli("run", "--from", "crash:x", "--to", "memory:dst")
    assert proc.returncode == 1
    assert _one_error_line(proc) == (
        "error: RuntimeError: kaboom in the fixture plugin (--debug for a traceback)")
    proc = cli("--debug", "run", "--from", "crash:x", "--to", "memory:dst")
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr
    assert proc.stderr.rstrip().endswith("error: RuntimeError: kaboom in the fixture plugin")


def test_incomplete_transfer_is_exit_1_with_report(cli, tmp_path):
    env = {"SCMIGRATE_TEST_MEMORY": json.dumps({"items": 6, "fail": {"img-0002": 99}})}
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", "--retries", "1", "--report", "r.json",
               env=env)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    err = proc.stderr.splitlines()
    assert err[-1] == "error: 1 of 6 items did not move (see report); run again with --resume"
    assert "retry pass 1 of 1: 1 item(s) failed" in err
    assert err.count("failed: img2.jpg: ConnectionError: injected failure writing img-0002") == 2
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["counts"]["items"] == 5 and report["failures"][0]["key"] == "img-0002"
    assert len(report["id_map"]) == 5


def test_retries_recover_and_exit_0(cli):
    env = {"SCMIGRATE_TEST_MEMORY": json.dumps({"items": 6, "fail": {"img-0002": 2}})}
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "retry pass 2 of 3" in proc.stderr
    assert "moved 6 images, 0 videos, 6 annotations" in proc.stderr


def test_broken_plugin_is_one_line_and_plugins_still_works(cli):
    proc = cli("plugins", plugins="memfixture,broken,good")
    assert proc.returncode == 1  # listed, and the exit code says a plugin is broken
    assert proc.stderr.splitlines() == [
        "plugin 'broken' failed to load: ModuleNotFoundError: No module named "
        "'scmigrate_this_dependency_is_not_installed'; --debug for details"]
    assert "broken 0.1: BROKEN: ModuleNotFoundError" in proc.stdout
    assert "good 0.1 (fixture_plugins.good): register_sources" in proc.stdout
    data = json.loads(cli("plugins", "--json", plugins="memfixture,broken,good").stdout)
    broken = next(p for p in data["plugins"] if p["name"] == "broken")
    assert broken["error"].startswith("ModuleNotFoundError") and broken["distribution"] == "scmigrate-test-fixtures"
    assert {s["name"] for s in data["sources"]} == {"memory", "crash", "good"}
    # the others still work for a run
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", "-q", plugins="memfixture,broken")
    assert proc.returncode == 0 and "failed to load" in proc.stderr


def test_disable_plugin_and_strict_plugins(cli):
    proc = cli("--disable-plugin", "broken", "plugins", plugins="memfixture,broken")
    assert proc.returncode == 0 and proc.stderr == "" and "broken" not in proc.stdout
    proc = cli("plugins", plugins="memfixture,broken", env={"SCMIGRATE_STRICT_PLUGINS": "1"})
    assert proc.returncode == 1
    assert _one_error_line(proc).startswith("error: ModuleNotFoundError: No module named")


def test_plugin_options_become_flags_with_types_and_env(cli):
    help_text = cli("run", "--help", plugins="memfixture,good").stdout
    assert "--good-level INTEGER" in help_text and "SCMIGRATE_RUN_GOOD_LEVEL" in help_text
    proc = cli("run", "--from", "good:x", "--to", "memory:dst", "--good-level", "3", plugins="memfixture,good")
    assert proc.returncode == 2
    assert _one_error_line(proc) == "error: good:x: good sources hold nothing (level 3)"
    proc = cli("run", "--from", "good:x", "--to", "memory:dst", "--good-level", "high", plugins="memfixture,good")
    assert proc.returncode == 2 and "'high' is not a valid integer" in proc.stderr
    proc = cli("run", "--from", "good:x", "--to", "memory:dst", plugins="memfixture,good",
               env={"SCMIGRATE_RUN_GOOD_LEVEL": "7"})
    assert _one_error_line(proc) == "error: good:x: good sources hold nothing (level 7)"


def test_workers_from_env_var(cli):
    proc = cli("run", "--from", "memory:src", "--to", "memory:dst", env={"SCMIGRATE_RUN_WORKERS": "0"})
    assert proc.returncode == 2 and "--workers" in proc.stderr


def test_projects_lists(cli):
    proc = cli("projects", "memory:src", "--json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == [{"name": "Pets", "store": "src"}]


def test_all_projects_writes_one_archive_per_project(cli, tmp_path):
    proc = cli("run", "--from", "memory:src", "--all-projects", "--to", "backups", "-q", "--report", "r.json",
               plugins="memfixture,archive")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == ["Pets.scz"]
    assert json.loads((tmp_path / "r.json").read_text())["projects"][0]["counts"]["items"] == 6
    proc = cli("run", "--from", "memory:src", "--all-projects", "--to", "x.scz", plugins="memfixture,archive")
    assert proc.returncode == 2 and "--to must be a directory" in proc.stderr
    proc = cli("run", "--from", "memory:src", "--all-projects", "--project", "P", "--to", "d",
               plugins="memfixture,archive")
    assert proc.returncode == 2 and "leave out --project" in proc.stderr


def test_inspect_and_verify_work_for_any_source(cli):
    proc = cli("inspect", "memory:src", "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    labels = {lb["name"]: (lb["annotations"], lb["media"]) for t in info["tasks"] for lb in t["labels"]}
    assert labels == {"dog": (3, 3), "cat": (3, 3)}
    assert info["media"]["images"] == 6 and info["media"]["annotated"] == 6 and info["details"] == {"store": "memory"}
    proc = cli("verify", "memory:src")
    assert proc.returncode == 0 and proc.stdout.strip() == "memory:src: intact"
    proc = cli("verify", "crash:x")
    assert proc.returncode == 1 and "kaboom" in proc.stderr


def test_a_plugin_option_that_neither_end_uses_is_refused_before_anything_moves(cli, tmp_path):
    # to an archive: --set / --auto-train belong to the cluster sink and would silently do nothing
    proc = cli("run", "--from", "memory:src", "--to", "out.scz", "--set", "learning_parameters.max_num_epochs=5",
               plugins="memfixture,archive,cluster")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: --set does not apply to --from memory:src (memory) or --to out.scz (archive); "
        "it is an option of sink cluster")
    assert not (tmp_path / "out.scz").exists()
    proc = cli("run", "--from", "memory:src", "--all-projects", "--to", "backups", "--auto-train", "off",
               plugins="memfixture,archive,cluster")
    assert proc.returncode == 2 and "--to backups (archive)" in proc.stderr and not (tmp_path / "backups").exists()
