"""Fixtures shared by every test area: an isolated environment and fresh plugin managers.

Every test gets its own config and state directories (no test reads or writes the user's
``~/.config/scmigrate`` or journals), and the in-memory store of ``scmigrate.testing`` starts
empty. ``make_registry`` builds a registry from a fresh plugin manager with an explicit plugin
list (pluggy's habit), so a test never depends on what happens to be installed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# one-off plugin modules live in tests/fixture_plugins/ (importable as ``fixture_plugins.x``)
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    # every SCMIGRATE_* variable of the developer's shell (a token, SCMIGRATE_RUN_WORKERS, a config
    # file, a plugin allowlist) would change what the tests see
    for name in [n for n in os.environ if n.startswith("SCMIGRATE_")]:
        monkeypatch.delenv(name)
    from scmigrate import plugins
    from scmigrate.testing import clear_memory

    clear_memory()
    plugins.reset()
    yield
    clear_memory()
    plugins.reset()


@pytest.fixture
def make_registry() -> Callable[..., object]:
    """``make_registry(*plugin_objects, memory=True)`` → a Registry of a fresh manager, no entry points."""
    from scmigrate import testing

    def build(*plugins: object, memory: bool = True, block: Iterable[str] = ()) -> object:
        return testing.make_registry(*([testing.memory_plugin] if memory else []), *plugins, block=block)

    return build
