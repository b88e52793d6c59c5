"""A well-behaved plugin for entry-point loading tests: one source ``good:`` with an option."""

from __future__ import annotations

import scmigrate
from scmigrate.api import PluginOption, Reader, RunOptions, Source


class GoodSource(Source):
    name = "good"
    location_help = "good:NAME"
    options = (PluginOption("good-level", int, 1, "how good"),)

    @classmethod
    def claims(cls, location: str) -> bool:
        return location.startswith("good:")

    def open(self, location: str, options: RunOptions) -> Reader:
        from scmigrate.errors import InputError

        raise InputError(f"{location}: good sources hold nothing (level {options.get('good-level')})")


@scmigrate.hookimpl
def register_sources(register):
    register(GoodSource)
