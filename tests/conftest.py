"""Fixtures shared by every test area: an isolated environment and fresh plugin managers.

Every test gets its own config and state directories (no test reads or writes the user's
``~/.config/scmigrate`` or journals), and the in-memory store of ``scmigrate.testing`` starts
empty. ``make_registry`` builds a registry from a fresh plugin manager with an explicit plugin
list (pluggy's habit), so a test never depends on what happens to be installed. ``s3`` is a real
S3-compatible server on loopback for the archive and repository tests of object storage.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
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


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    """A real S3-compatible server on loopback (moto's standalone server, as a subprocess) that checks
    credentials: its first four requests (made here) create a user, its policy, its access key and
    a bucket; every request after them must be signed with that key."""
    # both are in the test extra: a missing one is a broken install, to fail on, not to skip
    import boto3
    import s3fs  # noqa: F401 - the s3:// backend the archive tests go through
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "4"}
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        setup = {"endpoint_url": url, "region_name": "us-east-1", "aws_access_key_id": "setup",
                 "aws_secret_access_key": "setup"}
        iam = boto3.client("iam", **setup)
        iam.create_user(UserName="backup")
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="backup", PolicyName="s3", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="backup")["AccessKey"]
        server = {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                  "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"], "AWS_DEFAULT_REGION": "us-east-1"}
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id=server["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=server["AWS_SECRET_ACCESS_KEY"])
        client.create_bucket(Bucket="backups")
        yield server, client
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


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
