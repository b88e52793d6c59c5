"""The errors scmigrate raises; the CLI turns each into one line and an exit code.

Core and plugins raise these and never import click: the one handler in
``scmigrate.cli`` maps them to exit codes (input errors 2, incomplete transfers 1).

This module is public (:data:`scmigrate.api.PUBLIC_MODULES`): plugins may import it.
"""

from __future__ import annotations

__all__ = [
    "ScmigrateError",
    "InputError",
    "PluginError",
    "LocationError",
    "TransferIncomplete",
]


class ScmigrateError(Exception):
    """Base class: its text is shown to the user as one line."""

    exit_code = 1


class InputError(ScmigrateError):
    """Bad input or usage: a malformed file, an unknown label, a damaged archive, a refused token.

    The message names the file or item and what is wrong. Exit code 2.
    """

    exit_code = 2


class LocationError(InputError):
    """No plugin (or more than one) handles a ``--from``/``--to`` location."""


class PluginError(ScmigrateError):
    """A plugin failed in a way it could describe; the text is shown as one line."""


class TransferIncomplete(ScmigrateError):
    """The transfer ran but could not move everything; the report says what, ``--resume`` finishes it."""

    exit_code = 1

    def __init__(self, message: str, report: object | None = None):
        super().__init__(message)
        self.report = report
