"""Reaching a Geti 3.x server: detection from its OpenAPI document, no token, one line when it is not one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from test_cluster_errors import one_line_error, scmigrate

from sc_emulator import running


@pytest.fixture(scope="module")
def spa(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A 3.x server whose UI catch-all answers every unknown GET (the 2.x probe too) with HTML."""
    with running(tmp_path_factory.mktemp("spa"), dialect="geti3", spa=True) as c:
        s = requests.Session()
        s.trust_env = False
        body = {"name": "PCB", "task": {"task_type": "detection", "labels": [{"name": "short"}]}}
        assert s.post(c.url + "/api/projects", json=body, verify=c.ca_bundle, timeout=30).status_code == 201
        yield c


def test_add_test_and_list_without_a_token(spa: Any, config_file: Path) -> None:
    proc = scmigrate("clusters", "add", "geti3", "--url", spa.url, "--ca-bundle", spa.ca_bundle)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(config_file.read_text())["clusters"]["geti3"] == {"url": spa.url, "ca_bundle": spa.ca_bundle}
    proc = scmigrate("clusters", "test", "geti3")
    assert proc.returncode == 0, proc.stderr
    assert "version: Geti 3.2.0" in proc.stdout and "dialect: geti3" in proc.stdout
    assert "authentication: none" in proc.stdout and "resumable uploads" in proc.stdout
    proc = scmigrate("projects", "geti3", "--json")
    assert proc.returncode == 0, proc.stderr
    (entry,) = json.loads(proc.stdout)
    assert entry["name"] == "PCB" and entry["task_types"] == ["detection"] and entry["images"] == 0


def test_the_2x_probe_answered_with_html_is_recognised_as_3x(spa: Any, config_file: Path) -> None:
    # the 2.x probe really is swallowed by the UI page
    page = requests.get(spa.url + "/api/v1/product_info", verify=spa.ca_bundle, timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    # with a token in the environment the 2.x probe goes first, meets the HTML, and 3.x is found
    proc = scmigrate("projects", spa.url, "--ca-bundle", spa.ca_bundle, env={"SCMIGRATE_TOKEN": "geti_pat_unused"})
    assert proc.returncode == 0, proc.stderr
    assert "PCB" in proc.stdout


def test_a_bare_3x_backend_is_recognised(tmp_path: Path, config_file: Path) -> None:
    with running(tmp_path / "bare", dialect="geti3", spa=False, tus=False, version="3.1.0") as c:
        proc = scmigrate("clusters", "add", "bare", "--url", c.url, "--ca-bundle", c.ca_bundle)
        assert proc.returncode == 0, proc.stderr
        proc = scmigrate("clusters", "test", "bare", env={"SCMIGRATE_TOKEN": "geti_pat_unused"})
        assert proc.returncode == 0, proc.stderr
        assert "Geti 3.1.0" in proc.stdout and "resumable uploads" not in proc.stdout


def test_a_wrong_url_gets_one_line(spa: Any, config_file: Path) -> None:
    # the UI answers HTML at every path below a wrong prefix: neither 3.x nor 2.x
    proc = scmigrate("projects", spa.url + "/geti", "--ca-bundle", spa.ca_bundle)
    line = one_line_error(proc, "no access token", "not one")
    assert spa.url in line
    proc = scmigrate("projects", spa.url + "/geti", "--ca-bundle", spa.ca_bundle,
                     env={"SCMIGRATE_TOKEN": "geti_pat_unused"})
    one_line_error(proc, "HTML", "URL")


def test_a_2x_cluster_still_needs_its_token(clusters: Any) -> None:
    c = clusters("classic", tls=True)
    proc = scmigrate("projects", c.url, "--ca-bundle", c.ca_bundle)
    one_line_error(proc, "no access token", "SCMIGRATE_TOKEN")
    proc = scmigrate("projects", c.url, "--ca-bundle", c.ca_bundle, env={"SCMIGRATE_TOKEN": c.token})
    assert proc.returncode == 0, proc.stderr
