"""From a location to a connected cluster: token, TLS settings, handshake, workspace.

A location is a configured cluster name (``scmigrate.config``) or an inline ``https://host``
URL whose token comes from ``SCMIGRATE_TOKEN`` or ``--token-stdin``. The token is never taken
from an argument and never appears in a message.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from scmigrate.api import RunOptions
from scmigrate.errors import InputError

from .dialects import SC1_PREFIX, Dialect, parse_version, pick
from .http import ClusterHttp, ClusterUnreachable, HttpError
from .locations import configured, is_url
from .logins import login_for

if TYPE_CHECKING:
    from .geti3.api import Geti3Connection

__all__ = ["Endpoint", "Connection", "resolve", "connect", "opt", "is_url", "configured"]

log = logging.getLogger("scmigrate.cluster")
TOKEN_ENV = "SCMIGRATE_TOKEN"
_stdin_lock = threading.Lock()
_stdin_token: str | None = None


def opt(options: RunOptions, name: str, default: Any = None) -> Any:
    """A plugin option by its flag name, whichever spelling (``ca-bundle``/``ca_bundle``) core used."""
    for key in (name, name.replace("-", "_")):
        value = options.extra.get(key)
        if value is not None:
            return value
    return default


def _read_stdin_token() -> str:
    """One line from standard input, read once per process (source and sink may both ask)."""
    global _stdin_token
    with _stdin_lock:
        if _stdin_token is None:
            _stdin_token = sys.stdin.readline().strip()
        return _stdin_token


@dataclass
class Endpoint:
    """Where and how to connect; ``label`` is what messages call the cluster (never the token)."""

    url: str
    token: str = field(repr=False)  # a repr (a log line, a debugger, a traceback's locals) must not show it
    verify: bool | str
    workspace: str | None
    label: str
    #: a login instead of a token (SC 1.x); the password, like the token, never shown
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def resolve(location: str, options: RunOptions) -> Endpoint:
    """Turn ``--from``/``--to`` plus the plugin options into an :class:`Endpoint`."""
    ca_bundle = opt(options, "ca-bundle")
    insecure = bool(opt(options, "insecure", False))
    workspace = opt(options, "workspace")
    token: str | None = None
    username: str | None = None
    password: str | None = None
    token_env: str | None = None  # the variable a named cluster's config says holds its token
    cfg: Any = None
    if is_url(location):
        if "@" in location.split("/")[2]:
            # https://user:TOKEN@host would put the secret in arguments, logs and reports
            raise InputError("a cluster URL must not carry credentials (user:token@): give https://HOST and the "
                             f"token in {TOKEN_ENV}, with --token-stdin, or with `scmigrate clusters add`")
        url, label = location.rstrip("/"), location.rstrip("/")
    else:
        cfg = configured(location)
        if cfg is None:
            raise InputError(f"{location}: not a configured cluster name and not an http(s):// URL")
        url, label = str(cfg.url).rstrip("/"), location
        ca_bundle = ca_bundle or getattr(cfg, "ca_bundle", None)
        insecure = insecure or bool(getattr(cfg, "insecure", False))
        workspace = workspace or getattr(cfg, "workspace", None)
        token_env = getattr(cfg, "token_env", None)
        username = getattr(cfg, "username", None)
        try:
            password = cfg.password() if username else None
            if username and password is None:
                raise InputError(f"{location}: no password for user {username!r}: the environment variable "
                                 f"{cfg.password_env} (named in the cluster's configuration) is not set")
            token = cfg.token()
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - a config problem is the user's to fix
            raise InputError(f"{location}: cannot read the cluster's token: {type(exc).__name__}") from None
    # A named cluster's own token wins: --token-stdin and SCMIGRATE_TOKEN are one flag and one variable
    # shared by --from and --to, so in `--from named --to https://other --token-stdin` they are other's.
    if not token and opt(options, "token-stdin", False):
        token = _read_stdin_token()
    if not token:
        token = os.environ.get(TOKEN_ENV)
    if not token and username:
        token = ""  # the login is the credential
    elif not token and token_env:  # the user chose that variable: name it, not the generic ones
        raise InputError(f"{label}: no access token: the environment variable {token_env} (named in the "
                         "cluster's configuration) is not set")
    # no token at all: fine for Geti 3.x (no authentication); connect() asks for one only when the
    # server turns out not to be 3.x (see _no_token)
    from scmigrate.config import PLAIN_HTTP_REFUSED, plain_http

    if plain_http(url) == "network":
        # [issue 9] the token would cross the network in cleartext: only where the user said so
        allowed = bool(getattr(cfg, "allow_plain_http", False)) if cfg is not None else bool(
            opt(options, "allow-plain-http", False))
        if not allowed:
            how = ("pass --allow-plain-http" if is_url(location)
                   else f"add it again with `scmigrate clusters add {location} --allow-plain-http ...`")
            raise InputError(f"{label}: " + PLAIN_HTTP_REFUSED.format(how=how))
        log.warning("%s: plain HTTP: the access token travels unencrypted; use https://", label)
    if ca_bundle:
        if not os.path.isfile(str(ca_bundle)):
            raise InputError(f"{ca_bundle}: --ca-bundle file not found")
        verify: bool | str = str(ca_bundle)
    elif insecure:
        log.warning("%s: TLS certificate verification is OFF (--insecure)", label)
        verify = False
    else:
        # trust_env is off in our session; keep honouring the machine's bundle variables as the default
        verify = True
        for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            if os.environ.get(var):
                if url.startswith("https://") and not os.path.exists(os.environ[var]):  # else a bare OSError
                    raise InputError(f"{var}={os.environ[var]}: no such CA bundle; fix or unset the variable")
                verify = os.environ[var]
                break
    return Endpoint(url=url, token=token or "", verify=verify, workspace=workspace, label=label,
                    username=username, password=password)


@dataclass
class Connection:
    """A cluster after the handshake: the session, its dialect and the workspace prefix."""

    http: ClusterHttp
    dialect: Dialect
    version: str
    organization_id: str
    workspace_id: str
    workspace_name: str

    @property
    def w(self) -> str:
        """The workspace-scoped path prefix."""
        return self.dialect.workspace(self.organization_id, self.workspace_id)

    def facts(self) -> dict[str, Any]:
        return {
            "url": self.http.base_url,
            "version": self.version,
            "dialect": self.dialect.name,
            "organization_id": self.organization_id,
            "workspace_id": self.workspace_id,
            "workspace": self.workspace_name,
            **({"login": "ok"} if getattr(self.http.auth, "username", None) else {"token": "ok"}),
        }


def _handshake_get(http: ClusterHttp, path: str) -> Any:
    """A GET during the handshake: few retries, and every failure is the user's input problem."""
    try:
        return http.get_json(path, retries=2)
    except ClusterUnreachable as exc:
        # an https server asked in http answers by closing the connection: "check the URL" covers both
        raise InputError(
            f"{http.label}: cannot connect ({exc.reason or 'no answer'}); check the URL (scheme, host and port)"
        ) from None
    except HttpError as exc:
        if exc.status == 401:
            raise InputError(f"{http.label}: the cluster refused the access token (HTTP 401)") from None
        if exc.status == 403:
            raise InputError(f"{http.label}: the access token may not do this (HTTP 403 on {path})") from None
        if exc.html:
            raise InputError(
                f"{http.label}: GET {path} answered an HTML page (HTTP {exc.status}), not the SC REST API; "
                "is this the cluster's URL?"
            ) from None
        if exc.status == 404 and path.endswith("/product_info"):
            # typically a URL with a path (https://host/api/v1, a UI page): say what to give instead
            raise InputError(
                f"{http.label}: no SC REST API at this URL (GET {path} → HTTP 404); give the cluster's "
                "address only, https://HOST"
            ) from None
        raise InputError(str(exc)) from None


def connect(location: str, options: RunOptions) -> Connection | Geti3Connection:
    """Resolve ``location``, shake hands and pick the workspace; InputError with one line otherwise.

    A Geti 3.x server gives a :class:`~scmigrate_cluster.geti3.api.Geti3Connection` instead.
    """
    ep = resolve(location, options)
    timeout = float(opt(options, "timeout", 60.0))
    retries = int(opt(options, "low-level-retries", 10))
    if not timeout > 0:  # requests would refuse it later, as a ValueError
        raise InputError(f"--timeout {timeout:g}: a cluster request's read timeout must be more than 0 seconds")
    if retries < 0:
        raise InputError(f"--low-level-retries {retries}: expected 0 or more")
    http = ClusterHttp(
        ep.url, ep.token, verify=ep.verify, timeout=timeout, retries=retries,
        workers=options.workers, label=ep.label,  # None: the limit finds its own level
    )
    try:
        # ---- dialect detection: Geti 3.x (no credential at all), then 2.x/1.x, then SC 1.x ----
        if not ep.token and not ep.username:
            geti3 = _geti3(http, retries=2)  # a 2.x cluster needs a token anyway: ask the 3.x question first
            if geti3 is not None:
                return geti3
            raise _no_token(ep.label)
        prefix = "/api/v1"
        try:
            info = _handshake_get(http, "/api/v1/product_info")
        except InputError:
            # a 3.x UI answers the 2.x probe with its HTML page, a bare 3.x backend with 404
            geti3 = None if http.down else _geti3(http, retries=0, quiet=True)
            if geti3 is not None:
                return geti3
            info = _sc1_product_info(http)
            if info is None:
                raise
            prefix = SC1_PREFIX
        # ---- end of dialect detection ----
        if not isinstance(info, dict):
            raise InputError(f"{ep.label}: {prefix}/product_info is not an SC product description")
        version_text = info.get("build-version") or info.get("product-version")
        version = parse_version(version_text)
        if version is None:
            raise InputError(f"{ep.label}: {prefix}/product_info reports no version; is this an SC cluster?")
        dialect = pick(version, ep.label, prefix)
        login_for(http, dialect, ep.token, ep.username, ep.password)
        org = dialect.fixed_organization if dialect.fixed_organization is not None else _organization(http)
        ws_id, ws_name = _workspace(http, dialect, org, ep.workspace)
    except BaseException:
        http.close()
        raise
    return Connection(http, dialect, str(version_text), org, ws_id, ws_name)


# ---- dialect detection: Geti 3.x (geti3 helper) ----
def _no_token(label: str) -> InputError:
    return InputError(
        f"{label}: no access token: set {TOKEN_ENV}, pass --token-stdin, or add the cluster with "
        "`scmigrate clusters add` (only Geti 3.x servers need none, and this is not one)"
    )


def _geti3(http: ClusterHttp, retries: int, quiet: bool = False) -> Geti3Connection | None:
    """A Geti 3.x connection when ``GET /api/openapi.json`` says ``info.title`` "Geti", version 3.*.

    Anything else (HTML from a UI, 401 from a 2.x cluster, 404) is "not 3.x": None. An unreachable
    server or a TLS failure is the user's to fix (InputError), unless ``quiet`` (a second opinion
    after the 2.x probe failed, whose error is then the one shown).
    """
    from .dialects import detect_geti3
    from .geti3.api import Geti3Connection

    try:
        resp = http.request("GET", "/api/openapi.json", retries=retries, ok=(200,))
    except ClusterUnreachable as exc:
        if quiet:
            return None
        raise InputError(
            f"{http.label}: cannot connect ({exc.reason or 'no answer'}); check the URL (scheme, host and port)"
        ) from None
    except HttpError:
        return None
    except InputError:  # TLS: the same failure would meet the 2.x probe
        if quiet:
            return None
        raise
    assert isinstance(resp, requests.Response)
    try:
        doc = resp.json() if "json" in resp.headers.get("Content-Type", "").lower() else None
    except ValueError:
        doc = None
    dialect = detect_geti3(doc)
    return None if dialect is None else Geti3Connection(http, dialect)
# ---- end of Geti 3.x detection ----


def _sc1_product_info(http: ClusterHttp) -> Any:
    """Sonoma Creek 1.x answers only under ``/api/v1.0``: its product description, or None."""
    try:
        info = http.get_json(f"{SC1_PREFIX}/product_info", retries=0)
    except Exception:  # noqa: BLE001 - not an old cluster either: the caller's error stands
        return None
    return info if isinstance(info, dict) and (info.get("build-version") or info.get("product-version")) else None


def _organization(http: ClusterHttp) -> str:
    try:
        doc = http.get_json("/api/v1/personal_access_tokens/organization", retries=2)
        org = doc.get("organizationId") if isinstance(doc, dict) else None
        if org:
            return str(org)
    except HttpError as exc:
        if exc.status == 401:
            raise InputError(f"{http.label}: the cluster refused the access token (HTTP 401)") from None
    except ClusterUnreachable as exc:
        raise InputError(f"{http.label}: cannot connect ({exc.reason or 'no answer'}); check the URL") from None
    profile = _handshake_get(http, "/api/v1/profile")
    if isinstance(profile, dict):
        if profile.get("organizationId"):
            return str(profile["organizationId"])
        orgs = sorted(profile.get("organizations") or [], key=lambda o: str(o.get("organizationCreatedAt", "")))
        if orgs:
            return str(orgs[0]["organizationId"])
    raise InputError(f"{http.label}: cannot find the organisation of this access token")


def _workspace(http: ClusterHttp, dialect: Dialect, org: str, wanted: str | None) -> tuple[str, str]:
    doc = _handshake_get(http, dialect.workspaces(org))
    items = doc.get("workspaces") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        items = (doc or {}).get("items", []) if isinstance(doc, dict) else []
    spaces = [(str(w["id"]), str(w.get("name", w["id"]))) for w in items if isinstance(w, dict) and "id" in w]
    if wanted:
        for wid, name in spaces:
            if wanted in (name, wid):
                return wid, name
        names = ", ".join(repr(n) for _, n in spaces) or "none"
        raise InputError(f"{http.label}: no workspace named {wanted!r} (workspaces: {names})")
    if len(spaces) == 1:
        return spaces[0]
    if not spaces:
        raise InputError(f"{http.label}: the organisation has no workspace")
    names = ", ".join(repr(n) for _, n in spaces)
    raise InputError(f"{http.label}: several workspaces ({names}); choose one with --workspace")
