"""The registry: registration through hooks, duplicates, claims, converters, plugin options."""

from __future__ import annotations

import pytest

import scmigrate
from scmigrate.api import PluginOption, Source
from scmigrate.errors import InputError, LocationError, PluginError


def test_hook_register_sources(make_registry):
    reg = make_registry()
    assert reg.sources["memory"].plugin == "memory"
    assert type(reg.resolve_source("memory:x")).__name__ == "MemorySource"


def test_hook_register_sinks(make_registry):
    reg = make_registry()
    assert reg.sinks["memory"].plugin == "memory"
    assert type(reg.resolve_sink("memory:x")).__name__ == "MemorySink"


def test_hook_register_converters(make_registry):
    from fixture_plugins import boxes

    reg = make_registry(boxes)
    assert reg.converters["boxes"].plugin == "fixture_plugins.boxes"
    assert reg.converter("boxes").name == "boxes"


def test_duplicate_names_are_rejected_naming_both_plugins(make_registry):
    from fixture_plugins import greedy

    with pytest.raises(PluginError) as info:
        make_registry(greedy.DuplicatePlugin())
    msg = str(info.value)
    assert "source 'memory' is registered by both plugin" in msg
    assert "'memory'" in msg and "'impostor'" in msg


def test_no_claim_lists_installed_sources_and_hints_at_installing(make_registry):
    with pytest.raises(LocationError) as info:
        make_registry().resolve_source("nowhere:x")
    assert str(info.value) == (
        "no plugin handles 'nowhere:x' as a source; installed sources: memory (memory:NAME) "
        "(built-in plugins exist only once scmigrate is installed (pip install -e .))"
    )
    assert info.value.exit_code == 2


def test_a_bare_name_nobody_claims_is_called_an_unknown_cluster(make_registry, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LocationError) as info:
        make_registry().resolve_sink("cluster-x")
    assert str(info.value).startswith(
        "'cluster-x' is neither a configured cluster (see `scmigrate clusters list`) nor a file or folder; "
        "installed sinks: memory (memory:NAME)")


def test_several_claims_are_ambiguous(make_registry):
    from fixture_plugins import greedy

    reg = make_registry(greedy.GreedyPlugin())
    with pytest.raises(LocationError, match=r"^ambiguous: 'memory:x' is claimed by greedy, memory$"):
        reg.resolve_source("memory:x")
    with pytest.raises(LocationError, match="ambiguous"):
        reg.resolve_sink("memory:x")
    assert reg.resolve_source("other").name == "greedy"


def test_unknown_converter_lists_known_types(make_registry):
    from fixture_plugins import boxes

    with pytest.raises(InputError, match=r"^unknown project type 'dots'; known project types: boxes$"):
        make_registry(boxes).converter("dots")


def test_registering_a_non_source_is_a_plugin_error(make_registry):
    class Bad:
        __name__ = "bad"

        @scmigrate.hookimpl
        def register_sources(self, register):
            register(dict)

    with pytest.raises(PluginError, match=r"plugin 'bad' registered <class 'dict'> as a source"):
        make_registry(Bad())


def test_a_crashing_claims_names_the_plugin(make_registry):
    class Crashy(Source):
        name = "crashy"

        @classmethod
        def claims(cls, location):
            raise RuntimeError("boom")

        def open(self, location, options):
            raise NotImplementedError

    class P:
        __name__ = "crashy-plugin"

        @scmigrate.hookimpl
        def register_sources(self, register):
            register(Crashy)

    with pytest.raises(PluginError, match=r"source 'crashy' \(plugin 'crashy-plugin'\) failed to check 'x'"):
        make_registry(P()).resolve_source("x")


def test_plugin_options_merge_and_conflict(make_registry):
    from fixture_plugins import good

    reg = make_registry(good)
    assert [o.name for o in reg.plugin_options()] == ["good-level"]

    class Clash(Source):
        name = "clash"
        options = (PluginOption("good-level", str),)

        @classmethod
        def claims(cls, location):
            return False

        def open(self, location, options):
            raise NotImplementedError

    class P:
        __name__ = "clash"

        @scmigrate.hookimpl
        def register_sources(self, register):
            register(Clash)

    with pytest.raises(PluginError, match="--good-level is declared by 'good' and 'clash' with different types"):
        make_registry(good, P()).plugin_options()


class _Dots(Source):
    name = "dots"
    scheme = "dots"
    suffixes = (".DOT", ".dots")

    def open(self, location, options):
        raise NotImplementedError


def test_declared_claims_are_the_scheme_and_the_suffixes():
    assert _Dots.claims("dots:x") and _Dots.claims("dots:") and _Dots.claims("a/b.dot") and _Dots.claims("B.Dots")
    assert not _Dots.claims("dotsx:y") and not _Dots.claims("x.dotx") and not _Dots.claims("https://h/x.dot")
    assert _Dots.location_path("dots:a/b:c") == "a/b:c" and _Dots.location_path("a.dot") == "a.dot"


def test_a_declared_source_resolves_through_the_registry(make_registry):
    class P:
        __name__ = "dots-plugin"

        @scmigrate.hookimpl
        def register_sources(self, register):
            register(_Dots)

    reg = make_registry(P())
    assert type(reg.resolve_source("x.dot")) is _Dots and type(reg.resolve_source("dots:y")) is _Dots


def test_a_source_that_claims_nothing_is_refused(make_registry):
    class Mute(Source):
        name = "mute"

        def open(self, location, options):
            raise NotImplementedError

    class P:
        __name__ = "mute-plugin"

        @scmigrate.hookimpl
        def register_sources(self, register):
            register(Mute)

    with pytest.raises(PluginError, match=r"^plugin 'mute-plugin' registered source 'mute', which claims no "
                                          r"location: set its scheme or suffixes, or override claims\(\)$"):
        make_registry(P())


def test_a_hook_wrapper_sees_each_plugins_registration(make_registry):
    seen = []

    class Watch:
        __name__ = "watch"

        @scmigrate.hookimpl(wrapper=True)
        def register_sources(self, register):
            seen.append(repr(register))
            return (yield)

    reg = make_registry(Watch())
    assert seen == ["<register sources of plugin 'memory'>"] and reg.sources["memory"].plugin == "memory"
    assert "watch" in reg.hooks_by_plugin
