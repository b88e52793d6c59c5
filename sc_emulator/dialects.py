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
        return _semver(self.versions[0]) <= _semver(version) <= _semver(self.versions[1])


def _semver(text: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
    if not match:
        raise ValueError(f"not a version like 2.13.0: {text!r}")
    return int(match[1]), int(match[2]), int(match[3])


_NEW_CONFIG = frozenset({"/project_configuration", "/training_configuration"})
_QUERY = frozenset({"/media:query", "/{video_id}:query"})
_ORG_ONLY = frozenset({"/balance", "/{organization_id}/status"})
_DISCOVERY = frozenset({"/personal_access_tokens/organization", "/profile"})

_OLD = _NEW_CONFIG | _QUERY  # what every era before Geti 1.16 lacks
DIALECTS: dict[str, Dialect] = {d.name: d for d in (
    Dialect("sc1", api="/api/v1.0", org_scoped=False, fixed_org=None, login=True, pat_swap=False, api_key=False,
            connector="ldap", media_query=False, normalised=True, versions=("1.0.0", "1.1.99"),
            default_version="1.1.0", build_tag="latest", videos=False,
            dropped=_OLD | _ORG_ONLY | _DISCOVERY | {"/deployment-config.json"}),
    Dialect("geti1.0", api="/api/v1", org_scoped=False, fixed_org=None, login=True, pat_swap=True, api_key=False,
            connector="regular_users", media_query=False, normalised=False, versions=("1.0.0", "1.8.99"),
            default_version="1.8.0", build_tag="release", dropped=_OLD | _ORG_ONLY | _DISCOVERY),
    Dialect("geti1.9", api="/api/v1", org_scoped=True, fixed_org=FIXED_ORG_ID, login=True, pat_swap=True,
            api_key=False, connector="regular_users", media_query=False, normalised=False,
            versions=("1.9.0", "1.13.99"), default_version="1.13.0", build_tag="release",
            dropped=_OLD | _DISCOVERY | {"/balance"}),
    Dialect("geti1.14", api="/api/v1", org_scoped=True, fixed_org=None, login=False, pat_swap=False, api_key=True,
            connector="regular_users", media_query=False, normalised=False, versions=("1.14.0", "1.15.99"),
            default_version="1.15.0", build_tag="release", dropped=_OLD | {"/profile", "/balance"}),
    Dialect(CURRENT, api="/api/v1", org_scoped=True, fixed_org=None, login=False, pat_swap=False, api_key=True,
            connector="regular_users", media_query=True, normalised=False, versions=None,
            default_version="2.13.0", build_tag="release", dropped=frozenset()),
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
