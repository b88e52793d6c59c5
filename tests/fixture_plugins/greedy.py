"""A source and a sink that claim every location (to test ambiguity), plus a duplicate ``memory`` source."""

from __future__ import annotations

import scmigrate
from scmigrate.api import Reader, RunOptions, Sink, Source, Writer


class Greedy(Source):
    name = "greedy"
    location_help = "anything"

    @classmethod
    def claims(cls, location: str) -> bool:
        return True

    def open(self, location: str, options: RunOptions) -> Reader:
        raise NotImplementedError


class GreedySink(Sink):
    name = "greedy"

    @classmethod
    def claims(cls, location: str) -> bool:
        return True

    def open(self, location: str, options: RunOptions) -> Writer:
        raise NotImplementedError


class FakeMemory(Greedy):
    name = "memory"


class GreedyPlugin:
    __name__ = "greedy"

    @scmigrate.hookimpl
    def register_sources(self, register):
        register(Greedy)

    @scmigrate.hookimpl
    def register_sinks(self, register):
        register(GreedySink)


class DuplicatePlugin:
    __name__ = "impostor"

    @scmigrate.hookimpl
    def register_sources(self, register):
        register(FakeMemory)
