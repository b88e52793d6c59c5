"""Fixtures shared by every test area: an isolated environment and fresh plugin managers.

Every test gets its own config and state directories (no test reads or writes the user's
``~/.config/scmigrate`` or journals), and the in-memory store of ``scmigrate.testing`` starts
empty. ``make_registry`` builds a registry from a fresh plugin manager with an explicit plugin
list (pluggy's habit), so a test never depends on what happens to be installed. ``s3`` is a real
S3-compatible server on loopback for the archive and repository tests of object storage.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
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
def sigint_raises() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt during the test, as in a terminal, even where the test run was
    started with SIGINT ignored (``nohup``, ``cmd &`` in a script): interrupt tests need it, and a
    child process inherits an ignored SIGINT."""
    import signal

    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.fixture
def make_registry() -> Callable[..., object]:
    """``make_registry(*plugin_objects, memory=True)`` → a Registry of a fresh manager, no entry points."""
    from scmigrate import testing

    def build(*plugins: object, memory: bool = True, block: Iterable[str] = ()) -> object:
        return testing.make_registry(*([testing.memory_plugin] if memory else []), *plugins, block=block)

    return build


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    """A real S3-compatible server on loopback that checks credentials (scmigrate.testing.s3server)."""
    # both are in the test extra: a missing one is a broken install, to fail on, not to skip
    import s3fs  # noqa: F401 - the s3:// backend the tests go through

    from scmigrate.testing.s3server import running_s3

    with running_s3(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture
def s3(moto_server, monkeypatch, tmp_path):
    """The environment of a user of that server (no ~/.aws of the machine), and its client for checks."""
    server, client = moto_server
    for name, value in server.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    return client
