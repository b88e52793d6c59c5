"""Discovery and account endpoints: product_info, organisation, profile, workspaces, balance, deployment config."""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.routing import Route

from .web import API, ORG, Call, endpoint

BUILD_STAMP = "20251101120000"


OLD_BUILD_STAMP = "20220405093904"


@endpoint
def product_info(call: Call) -> dict:
    version = call.emu.version
    dialect = call.emu.dialect
    if dialect.is_sc1:
        # SC 1.1: one hyphenated key, the build tag inside it, no build-version.
        return {"product-version": f"{version}-{dialect.build_tag}-{OLD_BUILD_STAMP}"}
    return {"product-version": version, "build-version": f"{version}-{dialect.build_tag}-{BUILD_STAMP}",
            "smtp-defined": "False", "intel-email": "support@example.invalid", "grafana_enabled": False,
            "environment": "on-prem", "gpu-provider": "none", "emulator": "sc_emulator"}


@endpoint
def pat_organization(call: Call) -> dict:
    return {"organizationId": call.emu.org_id}


@endpoint
def profile(call: Call) -> dict:
    emu = call.emu
    return {"id": emu.user_id, "status": "ACT", "organizationId": emu.org_id, "organizationStatus": "ACT",
            "email": "emulator@example.invalid", "firstName": "SC", "secondName": "Emulator",
            "organizations": [{"organizationId": emu.org_id, "organizationName": "Emulated organization",
                               "organizationStatus": "ACT", "organizationCreatedAt": emu.created,
                               "userStatus": "ACT"}]}


def _workspace(call: Call) -> dict:
    emu = call.emu
    return {"id": emu.workspace_id, "name": emu.dialect.workspace_name, "organizationId": emu.org_id,
            "createdAt": emu.created, "createdBy": emu.user_id, "modifiedAt": emu.created,
            "modifiedBy": emu.user_id}


@endpoint
def workspaces(call: Call) -> dict:
    call.check_workspace()
    skip = call.int_query("skip", 0)
    limit = call.int_query("limit", 10, 1, 1000)
    name = call.query.get("name", "")
    items = [_workspace(call)]
    matched = [w for w in items if name.lower() in w["name"].lower()]
    page = matched[skip:skip + limit]
    body = {"workspaces": page, "totalCount": len(items), "totalMatchedCount": len(matched)}
    if skip + limit < len(matched):
        body["nextPage"] = {"skip": skip + limit, "limit": limit}
    return body


@endpoint
def workspace(call: Call) -> dict:
    call.check_workspace()
    return _workspace(call)


@endpoint
def balance(call: Call) -> PlainTextResponse:
    call.check_workspace()
    # Official clients read a non-JSON 200 here as "this cluster has no credit system".
    return PlainTextResponse("no credit system", 200)


@endpoint
def organization_status(call: Call) -> dict:
    call.check_workspace()
    return {"id": call.emu.org_id, "status": "ACT"}


@endpoint
def deployment_config(call: Call) -> dict:
    return {"servingMode": "on-prem", "auth": {"type": "dex", "authority": "/dex", "clientId": "web_ui"},
            "docsUrl": "https://docs.example.invalid/", "configUrl": "/deployment-config.json"}


ROUTES = [
    Route(API + "/product_info", product_info, methods=["GET"]),
    Route(API + "/personal_access_tokens/organization", pat_organization, methods=["GET"]),
    Route(API + "/profile", profile, methods=["GET"]),
    Route(ORG + "/workspaces", workspaces, methods=["GET"]),
    Route(ORG + "/workspaces/{workspace_id}", workspace, methods=["GET"]),
    Route(ORG + "/balance", balance, methods=["GET"]),
    Route(ORG + "/status", organization_status, methods=["GET"]),
    Route("/deployment-config.json", deployment_config, methods=["GET"]),
]
