"""Fixtures for the cluster plugin's tests: real emulated clusters on loopback, named in a config.

Every test talks HTTP(S) over real sockets to ``sc_emulator`` (an independent implementation
of the REST contract). Clusters are registered as named clusters in a throwaway config file,
each with its token in its own environment variable, as a user would set them up.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def running(tmp: Path, **kw: Any) -> Any:
    """An emulator subprocess (``sc_emulator.running``) with its data under ``tmp``."""
    from sc_emulator import running as _running

    return _running(tmp, **kw)


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.json"
    monkeypatch.setenv("SCMIGRATE_CONFIG", str(path))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("SCMIGRATE_TOKEN", raising=False)
    return path


@pytest.fixture
def clusters(tmp_path: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``clusters("a", tls=True)`` starts an emulator and names it ``a`` in the config."""
    from scmigrate.config import ClusterConfig, save_cluster

    stack = contextlib.ExitStack()

    def start(name: str, **kw: Any) -> Any:
        c = stack.enter_context(running(tmp_path / f"emu-{name}", **kw))
        env = f"TOKEN_{name.upper().replace('-', '_')}"
        monkeypatch.setenv(env, c.token)
        save_cluster(ClusterConfig(name=name, url=c.url, ca_bundle=getattr(c, "ca_bundle", None), token_env=env))
        return c

    with stack:
        yield start


@pytest.fixture
def registry() -> Any:
    """A fresh registry: the installed plugins plus the in-memory test source/sink."""
    from scmigrate.plugins import make_plugin_manager
    from scmigrate.registry import Registry
    from scmigrate.testing import clear_memory, memory_plugin

    clear_memory()
    yield Registry(make_plugin_manager(load=True, plugins=[memory_plugin]))
    clear_memory()


