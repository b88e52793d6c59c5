"""The hooks a scmigrate plugin implements: the plugin author's manual.

A plugin is a module (or object) with functions marked ``@scmigrate.hookimpl`` whose names are
the hooks below, published through the entry-point group ``scmigrate``::

    [project.entry-points.scmigrate]
    csvboxes = "scmigrate_csvboxes"

Every hook is a registry: core calls it once, with a ``register`` callable, when plugins are
first needed (never at ``import scmigrate`` or ``scmigrate --help``). The plugin calls
``register(SomeClass)`` for each class it provides. Core records which plugin registered what
and rejects a name registered twice, naming both plugins. Hooks are always called with
keyword arguments, and only ever grow new ones, so an implementation may accept any subset.
Core calls each plugin's implementation through pluggy (``SCMIGRATE_TRACE_PLUGINS=1`` shows
every call on stderr), one plugin at a time, so that it knows which plugin registered what.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

hookspec = pluggy.HookspecMarker("scmigrate")


@hookspec
def register_sources(register: Callable[[type], None]) -> None:
    """Register the ``--from`` location kinds this plugin reads.

    Called once per plugin manager, before the first location is resolved.

    :param register: call ``register(cls)`` with each subclass of :class:`scmigrate.api.Source`.
        Its ``name`` must be unique among all sources; its ``claims(location)`` classmethod
        (by default: its ``scheme`` or ``suffixes``) is asked for every ``--from`` location, and a
        location claimed by no source, or by several, is an error that lists the installed sources.
    :return: nothing; registration happens through ``register``.
    """


@hookspec
def register_sinks(register: Callable[[type], None]) -> None:
    """Register the ``--to`` location kinds this plugin writes.

    Called once per plugin manager, before the first location is resolved.

    :param register: call ``register(cls)`` with each subclass of :class:`scmigrate.api.Sink`.
        Names are unique among sinks; claims are resolved as for sources.
    :return: nothing; registration happens through ``register``.
    """


@hookspec
def register_converters(register: Callable[[type], None]) -> None:
    """Register converters: one per target project type (``--project-type NAME``).

    Called once per plugin manager, before the first conversion is planned.

    :param register: call ``register(cls)`` with each subclass of :class:`scmigrate.api.Converter`.
        ``cls.name`` is the value users pass to ``--project-type`` and must be unique.
    :return: nothing; registration happens through ``register``.
    """
