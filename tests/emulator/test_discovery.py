"""Discovery, authentication and generic error bodies (docs/rest-api.md §1, §4, §3.3, §5.1)."""

from __future__ import annotations

import re

import requests
from emulator_helpers import altered

from sc_emulator.ids import token_well_formed


def test_product_info_is_public_and_versioned(api):
    r = requests.get(api.url("/api/v1/product_info"), verify=api.cluster.ca_bundle, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    info = r.json()
    assert info["product-version"] == "2.13.0"
    assert re.fullmatch(r"2\.13\.0-release-\d{14}", info["build-version"])


def test_token_format_and_auth_failures(api, cluster):
    assert token_well_formed(cluster.token)
    url = api.url("/api/v1/personal_access_tokens/organization")
    missing = requests.get(url, verify=cluster.ca_bundle, timeout=10)
    wrong = requests.get(url, headers={"x-api-key": altered(cluster.token)}, verify=cluster.ca_bundle, timeout=10)
    for r in (missing, wrong):
        assert r.status_code == 401 and r.headers["content-type"].startswith("text/plain")
    assert wrong.text == "Invalid authorization token"
    bearer = requests.get(url, headers={"Authorization": f"Bearer {cluster.token}"}, verify=cluster.ca_bundle,
                          timeout=10)
    cookie = requests.get(url, headers={"Cookie": f"_oauth2_proxy_csrf; _oauth2_proxy; geti-cookie={cluster.token}"},
                          verify=cluster.ca_bundle, timeout=10)
    assert bearer.json() == cookie.json() == {"organizationId": cluster.org_id}


def test_workspaces_profile_balance_deployment_config(api, cluster):
    ws = api.get(f"/api/v1/organizations/{cluster.org_id}/workspaces").json()
    assert ws["totalCount"] == 1 and ws["workspaces"][0]["id"] == cluster.workspace_id
    assert ws["workspaces"][0]["organizationId"] == cluster.org_id and "createdAt" in ws["workspaces"][0]
    profile = api.get("/api/v1/profile").json()
    assert profile["organizations"][0]["organizationId"] == cluster.org_id
    balance = api.get(f"/api/v1/organizations/{cluster.org_id}/balance")
    assert balance.status_code == 200 and not balance.headers["content-type"].startswith("application/json")
    config = requests.get(api.url("/deployment-config.json"), verify=cluster.ca_bundle, timeout=10).json()
    assert config["auth"]["type"] == "dex"
    unknown_org = api.get(f"/api/v1/organizations/{'1' * 8}-1111-1111-1111-{'1' * 12}/workspaces")
    assert unknown_org.status_code == 404 and unknown_org.json()["error_code"] == "organization_not_found"
    unknown_ws = api.get(f"/api/v1/organizations/{cluster.org_id}/workspaces/nope/projects")
    assert unknown_ws.json()["error_code"] == "workspace_not_found"


def test_unknown_route_and_method(api):
    r = api.get("/api/v1/no/such/route")
    assert r.status_code == 404 and "endpoint_not_found_response" in r.json()
    r = api.request("PATCH", "/projects")
    assert r.status_code == 405 and r.headers["content-type"] == "application/json"


def test_csrf_strict_mode(tmp_path):
    import sc_emulator

    with sc_emulator.running(tmp_path / "strict", csrf="strict") as c:
        headers = {"x-api-key": c.token}
        body = {"name": "x", "pipeline": {"tasks": [{"title": "D", "task_type": "dataset"},
                {"title": "C", "task_type": "classification", "labels": [{"name": "a"}, {"name": "b"}]}],
                "connections": [{"from": "D", "to": "C"}]}}
        refused = requests.post(c.base() + "/projects", json=body, headers=headers, timeout=10)
        assert refused.status_code == 403
        assert requests.get(c.base() + "/projects", headers=headers, timeout=10).json()["project_counts"] == 0
        ok = requests.post(c.base() + "/projects", json=body, headers={**headers, "x-geti-csrf-protection": "1"},
                           timeout=10)
        assert ok.status_code == 201
