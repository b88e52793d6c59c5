"""Plugin loading: one small module that builds plugin managers and isolates broken plugins.

Nothing loads at import. ``make_plugin_manager()`` builds a manager (tests pass explicit
plugin objects and ``load=False``); ``get_plugin_manager()`` lazily builds the process-wide
default the first time a command needs a source, sink or converter, so ``scmigrate --help``
and ``import scmigrate`` never import a plugin.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points

import pluggy

from . import hookspecs

__all__ = ["ENTRY_POINT_GROUP", "PluginInfo", "PluginManager", "make_plugin_manager", "get_plugin_manager",
           "configure", "reset"]

ENTRY_POINT_GROUP = "scmigrate"


@dataclass
class PluginInfo:
    """Where a plugin came from (our own map: pluggy's ``_plugin_distinfo`` is private)."""

    name: str
    module: str | None = None
    distribution: str | None = None
    version: str | None = None
    error: str | None = None  # one line when the plugin failed to load


class PluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers each plugin's origin and load failures."""

    def __init__(self) -> None:
        super().__init__("scmigrate")
        self.infos: dict[str, PluginInfo] = {}
        self.entry_points_seen = 0

    def failures(self) -> dict[str, str]:
        """``{plugin name: one-line error}`` for plugins that failed to load."""
        return {n: i.error for n, i in self.infos.items() if i.error}


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def _allowlist() -> set[str] | None:
    """``SCMIGRATE_LOAD_PLUGINS=a,b`` loads only those; set but empty loads none."""
    raw = os.environ.get("SCMIGRATE_LOAD_PLUGINS")
    if raw is None:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


def _load_entry_points(pm: PluginManager, *, debug: bool) -> None:
    """Load each entry point of the group in its own ``try``: one broken plugin breaks nothing else."""
    allowed = _allowlist()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        pm.entry_points_seen += 1
        if allowed is not None and ep.name not in allowed:
            continue
        if pm.is_blocked(ep.name) or pm.has_plugin(ep.name):
            continue
        dist = getattr(ep, "dist", None)
        info = PluginInfo(
            ep.name,
            module=ep.value,
            distribution=dist.name if dist is not None else None,
            version=dist.version if dist is not None else None,
        )
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:
            if debug or _flag("SCMIGRATE_STRICT_PLUGINS"):
                raise
            info.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            print(f"plugin {ep.name!r} failed to load: {info.error}; --debug for details", file=sys.stderr)
        pm.infos[ep.name] = info


def make_plugin_manager(
    load: bool = True,
    block: Iterable[str] = (),
    plugins: Iterable[object] = (),
    *,
    debug: bool = False,
) -> PluginManager:
    """A fresh manager with the hook specs, ``plugins`` registered, and (``load``) the entry points.

    :param load: load the plugins of entry-point group ``scmigrate`` (honours
        ``SCMIGRATE_LOAD_PLUGINS``); tests pass ``False`` and explicit ``plugins``.
    :param block: plugin names never to register (``--disable-plugin``).
    :param plugins: plugin objects (modules or instances with ``@hookimpl`` methods) to register.
    :param debug: re-raise a plugin's import error instead of reporting it in one line.
    """
    pm = PluginManager()
    pm.add_hookspecs(hookspecs)
    for name in block:
        pm.set_blocked(name)
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        if not pm.is_blocked(name):
            pm.register(plugin, name=name)
            pm.infos[name] = PluginInfo(name, module=getattr(plugin, "__module__", None))
    if load:
        _load_entry_points(pm, debug=debug)
    if _flag("SCMIGRATE_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda msg: sys.stderr.write(str(msg)))
        pm.enable_tracing()
    return pm


# The process-wide default, built on first use (llm's ``_loaded`` guard), never at import.
_lock = threading.Lock()
_default: PluginManager | None = None
_settings: dict[str, object] = {"block": (), "debug": False}


def configure(block: Iterable[str] = (), debug: bool = False) -> None:
    """Set what the default manager blocks and whether it re-raises; forgets a built default."""
    global _default
    with _lock:
        _settings["block"] = tuple(block)
        _settings["debug"] = debug
        _default = None


def get_plugin_manager() -> PluginManager:
    """The default manager, loading the installed plugins the first time it is asked for."""
    global _default
    with _lock:
        if _default is None:
            block: tuple[str, ...] = _settings["block"]  # type: ignore[assignment]
            _default = make_plugin_manager(load=True, block=block, debug=bool(_settings["debug"]))
        return _default


def reset() -> None:
    """Forget the default manager (tests, or after changing the environment)."""
    configure()
