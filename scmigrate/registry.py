"""What the plugins registered, and which of them handles a location.

Core calls each ``register_*`` hook with a ``register`` closure that records the plugin's
name, so a name registered twice is rejected naming both plugins. Locations are resolved by
asking *every* registered class whether it claims them: hook order depends on the
environment, so "the first plugin that answers" would make results vary between machines.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .api import Converter, PluginOption, Sink, Source
from .errors import InputError, LocationError, PluginError
from .plugins import PluginManager, get_plugin_manager

__all__ = ["Registered", "Registry", "get_registry"]

_KINDS: dict[str, tuple[str, type]] = {
    "sources": ("register_sources", Source),
    "sinks": ("register_sinks", Sink),
    "converters": ("register_converters", Converter),
}
_BARE_NAME = re.compile(r"^[A-Za-z0-9][\w-]*$")  # how a cluster is named: no ':', '/' or '.'
_INSTALL_HINT = "built-in plugins exist only once scmigrate is installed (pip install -e .)"


T = TypeVar("T")
#: what a location is resolved to: a source or a sink class
_Claimant = TypeVar("_Claimant", Source, Sink)


@dataclass(frozen=True)
class Registered(Generic[T]):
    """One registered class and the plugin that registered it."""

    name: str
    cls: type[T]
    plugin: str


class _Register:
    """The ``register`` callable one plugin receives; its repr names the plugin in hook traces."""

    def __init__(self, table: dict[str, Registered[Any]], base: type, singular: str, plugin: str) -> None:
        self.table, self.base, self.singular, self.plugin = table, base, singular, plugin

    def __repr__(self) -> str:
        return f"<register {self.singular}s of plugin {self.plugin!r}>"

    def __call__(self, cls: type) -> None:
        what, plugin = self.singular, self.plugin
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise PluginError(
                f"plugin {plugin!r} registered {cls!r} as a {what}, "
                f"but it is not a subclass of scmigrate.api.{self.base.__name__}"
            )
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"plugin {plugin!r} registered {what} {cls.__name__} without a name")
        if issubclass(cls, (Source, Sink)) and not _declares_claims(cls):
            raise PluginError(
                f"plugin {plugin!r} registered {what} {name!r}, which claims no location: "
                f"set its scheme or suffixes, or override claims()"
            )
        if name in self.table:
            raise PluginError(
                f"{what} {name!r} is registered by both plugin {self.table[name].plugin!r} "
                f"and plugin {plugin!r}; disable one with --disable-plugin"
            )
        self.table[name] = Registered(name, cls, plugin)


def _declares_claims(cls: type[Source | Sink]) -> bool:
    """Whether the class can claim anything: a scheme, suffixes, or its own ``claims``."""
    owner = next(k for k in cls.__mro__ if "claims" in vars(k))  # the default lives in a base of both
    return owner not in Source.__mro__ or bool(cls.scheme) or bool(cls.suffixes)


class Registry:
    """The sources, sinks and converters that a plugin manager's plugins registered."""

    def __init__(self, pm: PluginManager) -> None:
        self.pm = pm
        self.sources: dict[str, Registered[Source]] = {}
        self.sinks: dict[str, Registered[Sink]] = {}
        self.converters: dict[str, Registered[Converter]] = {}
        self.hooks_by_plugin: dict[str, list[str]] = {}
        for kind in _KINDS:
            self._collect(kind)

    def _collect(self, kind: str) -> None:
        hook_name, base = _KINDS[kind]
        table: dict[str, Registered[Any]] = getattr(self, kind)
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()
        for impl in impls:
            self.hooks_by_plugin.setdefault(impl.plugin_name, []).append(hook_name)
        wrappers = {i.plugin for i in impls if i.wrapper or i.hookwrapper}
        for impl in (i for i in impls if i.plugin not in wrappers):
            plugin = impl.plugin_name
            # One call per plugin, through pluggy (so SCMIGRATE_TRACE_PLUGINS, hook monitoring and
            # wrappers see it), on a caller that leaves out every other implementation: that is
            # how ``register`` knows whose classes it is given.
            others = [i.plugin for i in impls if i.plugin is not impl.plugin and i.plugin not in wrappers]
            call = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
            try:
                call(register=_Register(table, base, kind[:-1], plugin))
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(f"plugin {plugin!r} failed in {hook_name}: {type(exc).__name__}: {exc}") from exc

    # ------------------------------------------------------------------ resolution

    def _claimants(self, table: dict[str, Registered[_Claimant]], location: str,
                   role: str) -> list[Registered[_Claimant]]:
        found = []
        for reg in table.values():
            try:
                if reg.cls.claims(location):
                    found.append(reg)
            except Exception as exc:
                raise PluginError(
                    f"{role} {reg.name!r} (plugin {reg.plugin!r}) failed to check {location!r}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        return found

    def _resolve(self, table: dict[str, Registered[_Claimant]], location: str, role: str) -> Registered[_Claimant]:
        found = self._claimants(table, location, role)
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(sorted(r.name for r in found))
            raise LocationError(f"ambiguous: {location!r} is claimed by {names}")
        installed = ", ".join(
            f"{r.name} ({r.cls.location_help})" if r.cls.location_help else r.name
            for r in sorted(table.values(), key=lambda r: r.name)
        ) or "none"
        msg = f"no plugin handles {location!r} as a {role}; installed {role}s: {installed}"
        if _BARE_NAME.match(location) and not os.path.exists(location):
            # a mistyped or not yet added cluster name: the list of plugins does not say that
            msg = (f"{location!r} is neither a configured cluster (see `scmigrate clusters list`) "
                   f"nor a file or folder; installed {role}s: {installed}")
            from .config import config_problem

            problem = config_problem()  # a corrupt config file hides every cluster name: name the file
            if problem:
                msg = f"{location!r}: not a file or folder, and the clusters cannot be looked up: {problem}"
        if not self.pm.entry_points_seen:
            msg += f" ({_INSTALL_HINT})"
        raise LocationError(msg)

    def resolve_source(self, location: str) -> Source:
        """An instance of the one source that claims ``location`` (``LocationError`` otherwise)."""
        return self._resolve(self.sources, location, "source").cls()

    def resolve_sink(self, location: str) -> Sink:
        """An instance of the one sink that claims ``location`` (``LocationError`` otherwise)."""
        return self._resolve(self.sinks, location, "sink").cls()

    def converter(self, name: str) -> Converter:
        """The converter for ``--project-type name``; ``InputError`` lists the known types."""
        reg = self.converters.get(name)
        if reg is None:
            known = ", ".join(sorted(self.converters)) or "none installed"
            raise InputError(f"unknown project type {name!r}; known project types: {known}")
        return reg.cls()

    def plugin_options(self, sinks: bool = True) -> list[PluginOption]:
        """Every option that a source (or, with ``sinks``, a sink) declares, once per name (same name → same type)."""
        seen: dict[str, tuple[PluginOption, str]] = {}
        for reg in [*self.sources.values(), *(self.sinks.values() if sinks else ())]:
            for opt in getattr(reg.cls, "options", ()):
                prior = seen.get(opt.name)
                if prior is None:
                    seen[opt.name] = (opt, reg.name)
                elif prior[0].type != opt.type or prior[0].multiple != opt.multiple:
                    raise PluginError(
                        f"option --{opt.name} is declared by {prior[1]!r} and {reg.name!r} with different types"
                    )
        return [opt for opt, _ in seen.values()]


_lock = threading.Lock()
_cache: dict[int, Registry] = {}


def get_registry(pm: PluginManager | None = None) -> Registry:
    """The registry of ``pm`` (default: the lazily loaded default manager), built once per manager."""
    pm = pm or get_plugin_manager()
    with _lock:
        reg = _cache.get(id(pm))
        if reg is None or reg.pm is not pm:
            reg = _cache[id(pm)] = Registry(pm)
        return reg
