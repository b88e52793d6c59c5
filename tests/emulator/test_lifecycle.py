"""Process lifecycle: state survives restart and SIGKILL; the CLI prints its URL and ids."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

import sc_emulator
from conftest import Api, image_bytes


def test_restart_and_kill_keep_state(tmp_path):
    with sc_emulator.running(tmp_path / "c", tls=True) as cluster:
        api = Api(cluster)
        project = api.create_project("survivor")
        image = api.upload(project, "keep.png", image_bytes()).json()
        token, port, org = cluster.token, cluster.port, cluster.org_id
        cluster.restart()
        assert (cluster.token, cluster.port, cluster.org_id) == (token, port, org)
        assert api.get(f"/projects/{project['id']}").json()["name"] == "survivor"
        cluster.kill()
        with pytest.raises(requests.exceptions.ConnectionError):
            api.get(f"/projects/{project['id']}", timeout=3)
        cluster.restart()
        full = api.get(f"{api.dataset_path(project)}/media/images/{image['id']}/display/full")
        assert full.content == image_bytes()


def test_cli_prints_url_and_ids(tmp_path):
    token_file = tmp_path / "token.txt"
    proc = subprocess.Popen([sys.executable, "-m", "sc_emulator", "serve", "--data-dir", str(tmp_path / "d"),
                             "--port", "0", "--token-file", str(token_file), "--version", "2.12.1"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().split()[-1]
        org = proc.stdout.readline().split()[-1]
        ws = proc.stdout.readline().split()[-1]
        assert url.startswith("http://127.0.0.1:")
        token = token_file.read_text().strip()
        for _ in range(100):
            try:
                info = requests.get(f"{url}/api/v1/product_info", timeout=2).json()
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert info["product-version"] == "2.12.1"
        answer = requests.get(f"{url}/api/v1/organizations/{org}/workspaces", headers={"x-api-key": token}, timeout=5)
        assert answer.json()["workspaces"][0]["id"] == ws
        assert token not in open(tmp_path / "d" / "token.txt").read().replace(token, "", 1) + url + org + ws
    finally:
        proc.terminate()
        proc.wait(10)
