"""Fixtures for the archive tests; the helpers live in archive_helpers.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from archive_helpers import items, write_archive

from scmigrate.model import Item


@pytest.fixture
def small_archive(tmp_path: Path) -> tuple[Path, list[Item]]:
    """A complete archive of 4 items, the last one repeating the third one's image."""
    its = items(4, dup_every=4, side=24)
    path = tmp_path / "small.scz"
    write_archive(path, its)
    return path, its


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
