"""The API dialects one emulator can speak (docs/rest-api.md §2): ``sc1``, ``geti1.0``, ``geti1.9``, ``geti1.14``
and ``geti2`` (the current one, Geti 1.16–2.13).

The endpoint modules declare their routes once, in the current shape (``/api/v1/organizations/{o}/
workspaces/{w}/...``); :func:`route_table` rewrites those paths into a dialect's shape, leaves out what the
dialect does not have, and puts the dialect's own routes (login, media listing by GET, the SC 1.1 list
shapes) in front. Everything that differs between dialects is a field of :class:`Dialect`, so the rest
of the code asks ``call.emu.dialect`` instead of comparing names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.routing import Route

CURRENT = "geti2"
#: The organisation id geti-sdk assumes for Geti 1.9–1.13 (no discovery route existed yet).
FIXED_ORG_ID = "000000000000000000000001"
_CANONICAL_ORG = "/api/v1/organizations/{organization_id}"
_CANONICAL_API = "/api/v1"


@dataclass(frozen=True)
class Dialect:
    """One era of the REST API, as far as the emulator tells them apart."""

    name: str
    api: str                      # prefix of every API path: /api/v1.0 (SC 1.x) or /api/v1
    org_scoped: bool              # paths carry /organizations/{org}
    fixed_org: str | None         # the organisation id is fixed (Geti 1.9–1.13)
    login: bool                   # the Dex/oauth2-proxy browser login gives a session cookie
    pat_swap: bool                # POST service_accounts/access_token swaps the token for a bearer token
    api_key: bool                 # the token is accepted directly as x-api-key / Authorization
    connector: str                # Dex connector of the login form
    media_query: bool             # POST media:query (else GET .../media/images?top=N)
    normalised: bool              # annotation coordinates in 0..1 of the media size
    versions: tuple[str, str] | None  # first and last product version of the era; None: any (as before)
    default_version: str
    build_tag: str                # the "-<tag>-<timestamp>" of build-version
    dropped: frozenset[str]       # canonical route paths (suffixes) this era did not have
    videos: bool = True           # video upload (SC 1.1: never observed, answered 415 here)
    #: the name of the one workspace: geti-sdk 1.x looks for "Default Workspace" before Geti 1.14 and
    #: "default" on 1.14/1.15 by exact name (1.16 on: any of those, case-insensitive)
    workspace_name: str = "Default workspace"
    #: Geti 1.14/1.15 also answer the organisation of a token named in the path,
    #: ``GET personal_access_tokens/organization/<token>`` (what geti-sdk 1.15 asks)
    pat_org_in_path: bool = False
    #: the task's key in ``performance.task_performances``: ``task_node_id`` until 1.16 renamed it (geti-sdk
    #: 1.15 refuses a project carrying ``task_id`` there, 1.16 reads both)
    performance_task_key: str = "task_id"
    #: the project list gives each project's datasets (Geti 1.0–1.8: geti-sdk 1.8 reads list entries as
    #: whole projects; from 1.15 on it fetches each project, the list leaves datasets out)
    datasets_in_list: bool = False
    #: annotation labels carry name and colour besides the id (until 1.16; geti-sdk 1.16 looks them up itself)
    scene_label_names: bool = False

    @property
    def is_sc1(self) -> bool:
        """SC 1.x response shapes (``sc_emulator.sc1``)."""
        return self.name == "sc1"

    def workspace_prefix(self, org_id: str, workspace_id: str) -> str:
        """``{W}`` of this dialect, for URLs in responses."""
        if self.org_scoped:
            return f"{self.api}/organizations/{org_id}/workspaces/{workspace_id}"
        return f"{self.api}/workspaces/{workspace_id}"

    def map_path(self, path: str) -> str | None:
        """A canonical route path in this dialect's shape, or None when the dialect has no such route."""
        if any(path.endswith(suffix) for suffix in self.dropped):
            return None
        if path.startswith(_CANONICAL_ORG):
            rest = path[len(_CANONICAL_ORG):]
            if self.org_scoped:
                return self.api + "/organizations/{organization_id}" + rest
            return self.api + rest if rest.startswith("/workspaces") else None
        if path.startswith(_CANONICAL_API + "/"):
            return self.api + path[len(_CANONICAL_API):]
        return path

    def version_ok(self, version: str) -> bool:
        """Whether ``--version`` fits the era (ValueError when it is no x.y.z version)."""
        if self.versions is None:
            return True
        return parse_version(self.versions[0]) <= parse_version(version) <= parse_version(self.versions[1])


def parse_version(text: str) -> tuple[int, int, int]:
    """``2.13.0`` → ``(2, 13, 0)``; ValueError for anything else."""
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
    if not match:
        raise ValueError(f"not a version like 2.13.0: {text!r}")
    return int(match[1]), int(match[2]), int(match[3])


_NEW_CONFIG = frozenset({"/project_configuration", "/training_configuration"})
_QUERY = frozenset({"/media:query", "/{video_id}:query"})
_ORG_ONLY = frozenset({"/balance", "/{organization_id}/status"})
_DISCOVERY = frozenset({"/personal_access_tokens/organization", "/profile"})

_OLD = _NEW_CONFIG | _QUERY  # what every era before Geti 1.16 lacks
# supported algorithms: one list for the whole server up to 1.8, one per project from 1.9 on
_GLOBAL_ALGORITHMS = frozenset({"/api/v1/supported_algorithms"})
_PROJECT_ALGORITHMS = frozenset({"/projects/{project_id}/supported_algorithms"})
# Before 1.14 the web UI had no deployment config: behind oauth2-proxy the path leads into the login, and
# geti-sdk 1.15 takes that non-JSON answer for "old Dex" (PAT swap, cookie login); JSON means x-api-key.
_NO_DEPLOYMENT_CONFIG = frozenset({"/deployment-config.json"})
DIALECTS: dict[str, Dialect] = {d.name: d for d in (
    Dialect("sc1", api="/api/v1.0", org_scoped=False, fixed_org=None, login=True, pat_swap=False, api_key=False,
            connector="ldap", media_query=False, normalised=True, versions=("1.0.0", "1.1.99"),
            default_version="1.1.0", build_tag="latest", videos=False, workspace_name="Default Workspace",
            dropped=_OLD | _ORG_ONLY | _DISCOVERY | _NO_DEPLOYMENT_CONFIG | _PROJECT_ALGORITHMS),
    Dialect("geti1.0", api="/api/v1", org_scoped=False, fixed_org=None, login=True, pat_swap=True, api_key=False,
            connector="regular_users", media_query=False, normalised=False, versions=("1.0.0", "1.8.99"),
            default_version="1.8.0", build_tag="release", workspace_name="Default Workspace",
            performance_task_key="task_node_id", datasets_in_list=True, scene_label_names=True,
            dropped=_OLD | _ORG_ONLY | _DISCOVERY | _NO_DEPLOYMENT_CONFIG | _PROJECT_ALGORITHMS),
    Dialect("geti1.9", api="/api/v1", org_scoped=True, fixed_org=FIXED_ORG_ID, login=True, pat_swap=True,
            api_key=False, connector="regular_users", media_query=False, normalised=False,
            versions=("1.9.0", "1.13.99"), default_version="1.13.0", build_tag="release",
            workspace_name="Default Workspace", performance_task_key="task_node_id", scene_label_names=True,
            dropped=_OLD | _DISCOVERY | _NO_DEPLOYMENT_CONFIG | _GLOBAL_ALGORITHMS | {"/balance"}),
    Dialect("geti1.14", api="/api/v1", org_scoped=True, fixed_org=None, login=False, pat_swap=False, api_key=True,
            connector="regular_users", media_query=False, normalised=False, versions=("1.14.0", "1.15.99"),
            default_version="1.15.0", build_tag="release", workspace_name="default", pat_org_in_path=True,
            performance_task_key="task_node_id", scene_label_names=True,
            dropped=_OLD | _GLOBAL_ALGORITHMS | {"/profile", "/balance"}),
    Dialect(CURRENT, api="/api/v1", org_scoped=True, fixed_org=None, login=False, pat_swap=False, api_key=True,
            connector="regular_users", media_query=True, normalised=False, versions=None,
            default_version="2.13.0", build_tag="release", dropped=_GLOBAL_ALGORITHMS),
)}


def get_dialect(name: str) -> Dialect:
    if name not in DIALECTS:
        raise ValueError(f"unknown dialect {name!r}; choose one of {', '.join(DIALECTS)}")
    return DIALECTS[name]


def route_table(dialect: Dialect, canonical: list[Any], own: list[Any]) -> list[Any]:
    """The routes of a dialect: its ``own`` routes first (they win over canonical ones of the same path),
    then the canonical routes rewritten by :meth:`Dialect.map_path`; admin routes stay as they are."""
    table = list(own)
    for route in canonical:
        path = dialect.map_path(route.path)
        if path is None:
            continue
        if path == route.path:
            table.append(route)
        else:
            table.append(Route(path, route.endpoint, methods=sorted(route.methods or ()), name=route.name))
    return table
