"""Named clusters: ``scmigrate clusters add NAME --url ... --token-stdin``.

Kept as JSON at ``$SCMIGRATE_CONFIG``, else ``$XDG_CONFIG_HOME/scmigrate/config.json`` (default
``~/.config``)::

    {"clusters": {"<name>": {"url": ..., "workspace": ..., "ca_bundle": ..., "insecure": false,
                             "token": ..., "token_env": ..., "allow_plain_http": false}}}

The file holds secrets, so it is written atomically (a temporary file renamed over it) with
mode 0600 from the moment it exists. A plain ``http://`` URL sends the token in cleartext: it is
accepted for loopback (a local emulator or tunnel) and otherwise only with ``allow_plain_http``
(``clusters add --allow-plain-http``), which the entry keeps. A token is never printed: :class:`ClusterConfig` hides it
from ``repr`` and keeps it out of :meth:`ClusterConfig.public`.

This module is public (:data:`scmigrate.api.PUBLIC_MODULES`): a plugin that connects to a
configured cluster reads it with :func:`get_cluster`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ["ClusterConfig", "config_path", "get_cluster", "save_cluster", "remove_cluster", "list_clusters",
           "plain_http", "PLAIN_HTTP_REFUSED", "config_problem"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def config_path() -> Path:
    """Where the config file is (it need not exist)."""
    explicit = os.environ.get("SCMIGRATE_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "scmigrate" / "config.json"


#: the end of the message that refuses plain HTTP to a host on the network
PLAIN_HTTP_REFUSED = ("plain http:// would send the access token unencrypted over the network; use https://, "
                      "or, if the network is yours to trust, {how}")


def plain_http(url: str) -> str | None:
    """``"loopback"`` or ``"network"`` for a plain ``http://`` URL (by where its host is), None for https."""
    if not url.lower().startswith("http://"):
        return None
    host = url.split("/")[2].rsplit("@", 1)[-1] if url.count("/") >= 2 else ""
    host = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return "loopback"
    try:
        return "loopback" if ipaddress.ip_address(host).is_loopback else "network"
    except ValueError:
        return "network"


@dataclass
class ClusterConfig:
    """One named cluster. The token is stored apart and never shown (see :meth:`token`)."""

    name: str
    url: str
    workspace: str | None = None
    ca_bundle: str | None = None
    insecure: bool = False
    token_env: str | None = None
    _token: str | None = field(default=None, repr=False, compare=False)
    #: the user said plain http:// to a host on the network is acceptable (the token travels in cleartext)
    allow_plain_http: bool = False
    #: a login for clusters without tokens (SC 1.x): the user name, and the password stored or named
    username: str | None = None
    password_env: str | None = None
    _password: str | None = field(default=None, repr=False, compare=False)

    def password(self) -> str | None:
        """The login password: from the config file, else from the variable ``password_env``, else None."""
        if self._password:
            return self._password
        if self.password_env:
            return os.environ.get(self.password_env) or None
        return None

    def token(self) -> str | None:
        """The secret: from the config file, else from the environment variable ``token_env``, else None."""
        if self._token:
            return self._token
        if self.token_env:
            return os.environ.get(self.token_env) or None
        return None

    def plain_http(self) -> str | None:
        """None (https), ``"loopback"``, ``"allowed"`` (to the network, as the entry says) or ``"refused"``."""
        where = plain_http(self.url)
        if where == "network":
            return "allowed" if self.allow_plain_http else "refused"
        return where

    def public(self) -> dict[str, Any]:
        """What may be shown (``clusters list``): everything but the secret."""
        return {
            "name": self.name,
            "url": self.url,
            "workspace": self.workspace,
            "ca_bundle": self.ca_bundle,
            "insecure": self.insecure,
            "plain_http": self.plain_http(),
            "token_env": self.token_env,
            "token": "stored" if self._token else (f"from ${self.token_env}" if self.token_env else "none"),
            **({"username": self.username, "password": "stored" if self._password else
                (f"from ${self.password_env}" if self.password_env else "none")} if self.username else {}),
        }

    def __repr__(self) -> str:
        return (f"ClusterConfig(name={self.name!r}, url={self.url!r}, workspace={self.workspace!r}, "
                f"token={'***' if self._token else None})")


def _read() -> dict[str, Any]:
    path = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {"clusters": {}}
    except OSError as exc:
        raise InputError(f"{path}: cannot read the config file: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise InputError(f"{path}: the config file is not UTF-8 text (corrupt?); fix or remove it") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{path}: the config file is not valid JSON (line {exc.lineno})") from None  # type: ignore[attr-defined]
    if not isinstance(data, dict) or not isinstance(data.get("clusters", {}), dict):
        raise InputError(f"{path}: the config file must be an object with a \"clusters\" object")
    data.setdefault("clusters", {})
    return data


def config_problem() -> str | None:
    """Why the config file cannot be read (it names the file), or None: for a cluster name nobody claimed."""
    try:
        for name, entry in _read()["clusters"].items():
            _from_entry(name, entry)
    except InputError as exc:
        return str(exc)
    return None


def _write(data: dict[str, Any]) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600 before a byte is written: the token is never world-readable
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _from_entry(name: str, entry: dict[str, Any]) -> ClusterConfig:
    if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
        raise InputError(f"{config_path()}: cluster {name!r} has no \"url\"")
    return ClusterConfig(
        name=name,
        url=entry["url"],
        workspace=entry.get("workspace"),
        ca_bundle=entry.get("ca_bundle"),
        insecure=bool(entry.get("insecure", False)),
        token_env=entry.get("token_env"),
        _token=entry.get("token"),
        allow_plain_http=entry.get("allow_plain_http") is True,
        username=entry.get("username"),
        password_env=entry.get("password_env"),
        _password=entry.get("password"),
    )


def get_cluster(name: str) -> ClusterConfig | None:
    """The cluster configured under ``name``, or None."""
    entry = _read()["clusters"].get(name)
    return None if entry is None else _from_entry(name, entry)


def list_clusters() -> list[ClusterConfig]:
    """Every configured cluster, sorted by name."""
    clusters = _read()["clusters"]
    return [_from_entry(n, clusters[n]) for n in sorted(clusters)]


def save_cluster(cfg: ClusterConfig, token: str | None = None, password: str | None = None) -> Path:
    """Add or replace a cluster; ``token`` (if given) is stored in the file. Returns the file's path."""
    # the name is used as a --from/--to location: a dot, colon or slash would make it look like a
    # file (x.scz) or a scheme (coco:...) that another plugin claims, and the cluster could never be used
    if not _NAME.fullmatch(cfg.name):
        raise InputError(f"cluster name {cfg.name!r}: use letters, digits, '-' and '_' (no '.', ':', '/' or spaces)")
    if not cfg.url.startswith(("https://", "http://")):
        raise InputError(f"cluster {cfg.name!r}: the URL must start with https:// or http:// (got {cfg.url!r})")
    if plain_http(cfg.url) == "network" and not cfg.allow_plain_http:
        raise InputError(f"cluster {cfg.name!r}: {cfg.url}: "
                         + PLAIN_HTTP_REFUSED.format(how="add it with --allow-plain-http"))
    data = _read()
    entry: dict[str, Any] = {"url": cfg.url.rstrip("/")}
    for key in ("workspace", "ca_bundle", "token_env", "username", "password_env"):
        if getattr(cfg, key):
            entry[key] = getattr(cfg, key)
    if cfg.insecure:
        entry["insecure"] = True
    if cfg.allow_plain_http and plain_http(cfg.url) == "network":
        entry["allow_plain_http"] = True
    secret = token if token is not None else cfg._token
    if secret:
        entry["token"] = secret
    secret = password if password is not None else cfg._password
    if secret:
        entry["password"] = secret
    data["clusters"][cfg.name] = entry
    _write(data)
    return config_path()


def remove_cluster(name: str) -> bool:
    """Forget a cluster; returns whether it was there."""
    data = _read()
    if name not in data["clusters"]:
        return False
    del data["clusters"][name]
    _write(data)
    return True
