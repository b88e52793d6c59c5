"""``scmigrate clusters add|list|remove|test``: named clusters in the config file.

Tokens never travel on the command line (where ``ps`` and shell history would show them): they
come from standard input (``--token-stdin``) or from an environment variable named in the config
(``--token-env VAR``), and are never printed. A Geti 3.x server has no authentication: it is added
with neither.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from .options import registry, state
from .render import echo_json, table

__all__ = ["command"]


@click.group("clusters")
def command() -> None:
    """Manage named clusters (kept in the config file, mode 0600)."""


@command.command("add")
@click.argument("name")
@click.option("--url", required=True, help="The cluster's URL (https://...).")
@click.option("--token-stdin", is_flag=True,
              help="Read the access token from standard input (Geti 3.x needs none).")
@click.option("--token-env", metavar="VAR", help="Take the token from this environment variable at run time.")
@click.option("--username", help="Log in as this user (SC 1.x, which has no tokens).")
@click.option("--password-stdin", is_flag=True, help="Read the login password from standard input.")
@click.option("--password-env", metavar="VAR", help="Take the password from this environment variable at run time.")
@click.option("--workspace", help="Workspace name (default: the first one).")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False), help="CA certificates to trust.")
@click.option("--insecure", is_flag=True, help="Do not verify TLS certificates (not recommended).")
@click.option("--allow-plain-http", is_flag=True,
              help="Accept an http:// URL to a host on the network (the token travels unencrypted).")
@click.option("--no-test", is_flag=True, help="Save without trying the connection first.")
@click.pass_context
def add(ctx: click.Context, name: str, url: str, token_stdin: bool, token_env: str | None, workspace: str | None,
        ca_bundle: str | None, insecure: bool, allow_plain_http: bool, no_test: bool, username: str | None = None,
        password_stdin: bool = False, password_env: str | None = None) -> int:
    """Add (or replace) the cluster NAME, once the connection works (see --no-test)."""
    import os

    from ..config import ClusterConfig, config_path, save_cluster
    from ..errors import InputError

    if token_stdin and token_env:
        raise InputError("--token-stdin and --token-env exclude each other")
    password = _login_password(username, password_stdin, password_env, token_stdin)
    token = None
    if token_stdin:
        token = sys.stdin.readline().strip()
        if not token:
            raise InputError("--token-stdin: standard input held no token")
    cfg = ClusterConfig(name=name, url=url, workspace=workspace,
                        ca_bundle=os.path.abspath(ca_bundle) if ca_bundle else None,
                        insecure=insecure, token_env=token_env, allow_plain_http=allow_plain_http,
                        username=username, password_env=password_env)
    config = config_path()
    before = config.read_bytes() if config.exists() else None
    path = save_cluster(cfg, token=token, password=password)
    if not no_test:
        _try_or_undo(ctx, name, path, before)
    if insecure:
        click.echo(f"warning: TLS verification is off for {name!r}", err=True)
    if cfg.plain_http() == "allowed":
        click.echo(f"warning: {name!r} uses plain HTTP: its token travels unencrypted", err=True)
    click.echo(f"cluster {name!r} saved in {path}", err=True)
    return 0


def _try_or_undo(ctx: click.Context, name: str, path: Any, before: bytes | None) -> None:
    """Try the saved cluster; if it does not answer, put the config file back as it was (``before``) and raise."""
    from ..api import RunOptions
    from ..errors import InputError

    # the connection reads the cluster from the config, so it is tried once saved, and undone on failure
    try:
        registry().resolve_source(name).probe(name, RunOptions(debug=state(ctx)["debug"]))
    except BaseException as exc:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)  # rewritten in place: the file keeps its mode (0600)
        if isinstance(exc, InputError):
            raise InputError(f"{exc}; not saved (--no-test saves it without trying)") from exc
        raise


def _login_password(username: str | None, stdin: bool, env: str | None, token_stdin: bool) -> str | None:
    """The password of ``--password-stdin`` (one line), checked against the other login flags."""
    from ..errors import InputError

    if (stdin or env) and not username:
        raise InputError("--password-stdin/--password-env need --username")
    if stdin and env:
        raise InputError("--password-stdin and --password-env exclude each other")
    if stdin and token_stdin:
        raise InputError("--password-stdin and --token-stdin both read standard input: store one, name the "
                         "other with --token-env/--password-env")
    if username and not (stdin or env):
        raise InputError("--username needs the password: --password-stdin or --password-env VAR")
    if not stdin:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InputError("--password-stdin: standard input held no password")
    return password


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_(as_json: bool) -> int:
    """List the configured clusters (never their tokens)."""
    from ..config import list_clusters

    clusters = [c.public() for c in list_clusters()]
    if as_json:
        echo_json(clusters)
        return 0
    plain = {"loopback": "plain HTTP (loopback)", "allowed": "plain HTTP (allowed)",
             "refused": "plain HTTP (refused: add again with --allow-plain-http)"}
    rows = [[c["name"], c["url"], c["workspace"] or "", c["token"],
             ", ".join(x for x in ("insecure" if c["insecure"] else "", plain.get(c["plain_http"] or "", "")) if x)]
            for c in clusters]
    click.echo(table(rows, ["NAME", "URL", "WORKSPACE", "TOKEN", ""]) if rows else "no clusters configured")
    return 0


@command.command("remove")
@click.argument("name")
def remove(name: str) -> int:
    """Forget the cluster NAME."""
    from ..config import remove_cluster
    from ..errors import InputError

    if not remove_cluster(name):
        raise InputError(f"no cluster named {name!r} is configured")
    click.echo(f"cluster {name!r} removed", err=True)
    return 0


@command.command("test")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the facts (version, dialect, ...) as JSON.")
@click.pass_context
def test(ctx: click.Context, name: str, as_json: bool) -> int:
    """Check that NAME is reachable and its token, if it needs one, accepted (version, dialect)."""
    from ..api import RunOptions
    from ..config import get_cluster
    from ..errors import InputError

    if "://" not in name and get_cluster(name) is None:
        raise InputError(f"no cluster named {name!r} is configured (scmigrate clusters list)")
    facts: dict[str, Any] = registry().resolve_source(name).probe(name, RunOptions(debug=state(ctx)["debug"]))
    if as_json:
        echo_json({"name": name, "ok": True, **facts})
        return 0
    click.echo(f"{name}: ok")
    for key, value in facts.items():
        click.echo(f"  {key}: {value}")
    return 0
