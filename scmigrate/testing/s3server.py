"""A real S3-compatible server on loopback for scmigrate's tests and benchmarks: moto's standalone
server as a subprocess (as s3fs's own tests do), with credential checking on.

Its first four requests (made here) create a user, its policy, its access key and the bucket
``backups``; every request after them must be signed with that key. moto and boto3 come with the
``test`` extra; not a public module.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["BUCKET", "running_s3"]

BUCKET = "backups"


@contextlib.contextmanager
def running_s3(log: Path) -> Iterator[tuple[dict[str, str], Any]]:
    """Start the server (its output to ``log``); yields the environment of a user of it
    (``AWS_ENDPOINT_URL``, the key, the region) and a boto3 client with that key."""
    import boto3

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "4"}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"moto server did not start (see {log})") from None
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
            client.create_bucket(Bucket=BUCKET)
            yield server, client
        finally:
            proc.terminate()
            proc.wait(10)
