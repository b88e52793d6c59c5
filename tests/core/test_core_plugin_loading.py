"""Plugin loading: isolation of broken plugins, the allowlist, blocking, and nothing at import."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import EntryPoint

import pytest

from scmigrate import plugins
from scmigrate.plugins import make_plugin_manager


def _eps(*pairs: tuple[str, str]):
    eps = [EntryPoint(name, value, "scmigrate") for name, value in pairs]
    return lambda group: [ep for ep in eps if ep.group == group]


@pytest.fixture
def fixture_entry_points(monkeypatch):
    monkeypatch.setattr(plugins, "entry_points", _eps(
        ("good", "fixture_plugins.good"),
        ("broken", "fixture_plugins.broken_import"),
        ("boxes", "fixture_plugins.boxes"),
    ))


def test_a_broken_plugin_is_one_line_and_the_rest_load(fixture_entry_points, capsys):
    pm = make_plugin_manager()
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["plugin 'broken' failed to load: ModuleNotFoundError: No module named "
                   "'scmigrate_this_dependency_is_not_installed'; --debug for details"]
    assert pm.has_plugin("good") and pm.has_plugin("boxes") and not pm.has_plugin("broken")
    assert pm.failures() == {"broken": "ModuleNotFoundError: No module named "
                                       "'scmigrate_this_dependency_is_not_installed'"}


@pytest.mark.parametrize("how", ["strict", "debug"])
def test_strict_or_debug_re_raises(fixture_entry_points, monkeypatch, how):
    if how == "strict":
        monkeypatch.setenv("SCMIGRATE_STRICT_PLUGINS", "1")
    with pytest.raises(ModuleNotFoundError):
        make_plugin_manager(debug=how == "debug")


def test_load_plugins_allowlist(fixture_entry_points, monkeypatch, capsys):
    monkeypatch.setenv("SCMIGRATE_LOAD_PLUGINS", "good, boxes")
    pm = make_plugin_manager()
    assert sorted(pm.infos) == ["boxes", "good"] and capsys.readouterr().err == ""
    monkeypatch.setenv("SCMIGRATE_LOAD_PLUGINS", "")
    assert make_plugin_manager().infos == {}


def test_blocked_plugin_is_not_loaded(fixture_entry_points, capsys):
    pm = make_plugin_manager(block=["broken", "boxes"])
    assert sorted(pm.infos) == ["good"] and capsys.readouterr().err == ""


def test_default_manager_is_lazy_and_configurable(fixture_entry_points, capsys):
    plugins.configure(block=["broken"])
    assert plugins._default is None  # nothing loaded yet
    pm = plugins.get_plugin_manager()
    assert plugins.get_plugin_manager() is pm
    assert pm.has_plugin("good") and not pm.has_plugin("broken")


def test_check_pending_finds_no_stray_implementations(fixture_entry_points):
    from fixture_plugins import greedy

    from scmigrate.testing import memory_plugin

    pm = make_plugin_manager(block=["broken"], plugins=[memory_plugin, greedy.GreedyPlugin()])
    pm.check_pending()  # raises PluginValidationError on a misspelled hook


def test_a_misspelled_hook_is_caught_by_check_pending():
    from pluggy import PluginValidationError

    import scmigrate

    class Typo:
        __name__ = "typo"

        @scmigrate.hookimpl
        def register_source(self, register):  # missing "s"
            pass

    pm = make_plugin_manager(load=False, plugins=[Typo()])
    with pytest.raises(PluginValidationError):
        pm.check_pending()


def test_installed_plugins_load_without_errors():
    """Every built-in entry point of this checkout loads (run in a clean interpreter)."""
    code = ("from scmigrate.plugins import make_plugin_manager; pm = make_plugin_manager(debug=True); "
            "pm.check_pending(); print(sorted(pm.infos))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "archive" in out.stdout


def test_every_plugin_package_is_an_entry_point():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    packages = sorted(p.name[len("scmigrate_"):] for p in (root / "plugins").glob("scmigrate_*") if p.is_dir())
    text = (root / "pyproject.toml").read_text()
    section = text.split("[project.entry-points.scmigrate]", 1)[1].split("\n[", 1)[0]
    for name in packages:
        assert f'{name} = "scmigrate_{name}"' in section, f"plugins/scmigrate_{name} is not in the entry-point group"


def test_trace_plugins_traces_the_registry_hook_calls(monkeypatch, capsys, make_registry):
    monkeypatch.setenv("SCMIGRATE_TRACE_PLUGINS", "1")
    from fixture_plugins import boxes

    reg = make_registry(boxes)  # the registry calls the hooks; the test calls none itself
    err = capsys.readouterr().err
    assert "register_sources [hook]\n      register: <register sources of plugin 'memory'>" in err
    assert "register: <register converters of plugin 'fixture_plugins.boxes'>" in err
    assert "finish register_converters --> []" in err
    assert reg.sources["memory"].plugin == "memory" and reg.converters["boxes"].plugin == "fixture_plugins.boxes"


def test_no_trace_without_the_variable(capsys, make_registry):
    make_registry()
    assert capsys.readouterr().err == ""


def test_trace_plugins_in_the_plugins_command():
    """``SCMIGRATE_TRACE_PLUGINS=1 scmigrate plugins`` shows each registration hook call on stderr."""
    env = {**os.environ, "SCMIGRATE_TRACE_PLUGINS": "1", "SCMIGRATE_LOAD_PLUGINS": "archive"}
    out = subprocess.run([sys.executable, "-m", "scmigrate", "plugins"], capture_output=True, text=True,
                         env=env, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert "  archive [archive]: PATH.scz" in out.stdout  # the listing itself is unchanged
    for kind in ("sources", "sinks"):  # archive registers no converter: nothing to call
        assert f"  register_{kind} [hook]\n      register: <register {kind} of plugin 'archive'>\n" in out.stderr
