"""Process lifecycle: state survives restart and SIGKILL; the CLI prints its URL and ids."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from emulator_helpers import Api, image_bytes

import sc_emulator
from sc_emulator.ids import token_well_formed


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
        banner = [proc.stdout.readline() for _ in range(4)]
        url, org, ws = (line.split()[-1] for line in banner[:3])
        assert url.startswith("http://127.0.0.1:") and banner[1].startswith("organization_id: ")
        assert banner[3].strip() == f"token file: {token_file}"
        token = token_file.read_text().strip()
        assert token_well_formed(token) and not any(token in line for line in banner)  # never printed
        # The socket listens before the banner is printed, so this waits for the server instead of being
        # refused; a generous timeout keeps a loaded machine (pytest -n 2 next to other jobs) from failing it.
        info = requests.get(f"{url}/api/v1/product_info", timeout=60).json()
        assert info["product-version"] == "2.12.1" and info["build-version"].startswith("2.12.1-release-")
        answer = requests.get(f"{url}/api/v1/organizations/{org}/workspaces", headers={"x-api-key": token}, timeout=60)
        assert answer.json()["workspaces"][0]["id"] == ws
        assert (tmp_path / "d" / "token.txt").read_text().strip() == token
    finally:
        proc.terminate()
        proc.wait(10)


def test_token_file_is_used_and_checked(tmp_path):
    from sc_emulator.ids import new_token

    token = new_token()
    token_file = tmp_path / "mine.txt"
    token_file.write_text(token + "\n")
    data = tmp_path / "d"
    proc = subprocess.Popen([sys.executable, "-m", "sc_emulator", "serve", "--data-dir", str(data), "--port", "0",
                             "--token-file", str(token_file)], stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().split()[-1]
        r = requests.get(f"{url}/api/v1/personal_access_tokens/organization", headers={"x-api-key": token}, timeout=60)
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
    token_file.write_text("geti_pat_not-a-token\n")
    bad = subprocess.run([sys.executable, "-m", "sc_emulator", "serve", "--data-dir", str(tmp_path / "e"),
                          "--token-file", str(token_file)], capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "not a personal access token" in bad.stderr
    assert "Traceback" not in bad.stderr
