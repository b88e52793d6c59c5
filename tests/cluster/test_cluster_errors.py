"""What a user sees when a cluster cannot be used: one clear line and exit code 2, never a token."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def scmigrate(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "scmigrate", *args], capture_output=True, text=True, env=full_env,
        input=stdin, timeout=60,
    )


def one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, exactly one line on stderr, no traceback; return that line."""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_wrong_token(clusters: Any, tmp_path: Path) -> None:
    c = clusters("a")
    wrong = "geti_pat_" + "x" * 43 + "_abcdef"
    proc = scmigrate("run", "--from", c.url, "--project", "P", "--to", str(tmp_path / "x.scz"),
                     env={"SCMIGRATE_TOKEN": wrong})
    one_line_error(proc, "refused the access token", "401")
    assert wrong not in proc.stderr + proc.stdout


def test_token_from_stdin_and_never_printed(clusters: Any, tmp_path: Path) -> None:
    c = clusters("a")
    proc = scmigrate("run", "--from", c.url, "--token-stdin", "--project", "Nope", "--to", str(tmp_path / "x.scz"),
                     stdin=c.token + "\n")
    one_line_error(proc, "no project named 'Nope'")
    assert c.token not in proc.stderr + proc.stdout


def test_connection_refused(config_file: Path, tmp_path: Path) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    proc = scmigrate("run", "--from", f"http://127.0.0.1:{port}", "--project", "P", "--to", str(tmp_path / "x.scz"),
                     "--low-level-retries", "1", env={"SCMIGRATE_TOKEN": "geti_pat_x"})
    one_line_error(proc, "cannot connect")


def test_tls_failure_names_ca_bundle_and_ca_bundle_fixes_it(clusters: Any, tmp_path: Path) -> None:
    c = clusters("s", tls=True)
    # requests would let these variables replace our --ca-bundle (psf/requests#3829): set them as on this machine
    env = {"SCMIGRATE_TOKEN": c.token, "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt",
           "CURL_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}
    proc = scmigrate("run", "--from", c.url, "--project", "P", "--to", str(tmp_path / "x.scz"), env=env)
    one_line_error(proc, "TLS verification failed", "--ca-bundle")
    proc = scmigrate("run", "--from", c.url, "--ca-bundle", c.ca_bundle, "--project", "P",
                     "--to", str(tmp_path / "x.scz"), env=env)
    one_line_error(proc, "no project named 'P'")  # TLS passed: the next problem is the project name
    not_pem = tmp_path / "not-a-ca.pem"
    not_pem.write_text("hello\n")
    proc = scmigrate("projects", c.url, "--ca-bundle", str(not_pem), env=env)
    one_line_error(proc, str(not_pem), "not a file of PEM CA certificates")
    proc = scmigrate("projects", c.url, env=dict(env, REQUESTS_CA_BUNDLE=str(tmp_path / "gone.pem")))
    one_line_error(proc, "REQUESTS_CA_BUNDLE=", "gone.pem: no such CA bundle")
    # the wrong scheme either way: a TLS cluster asked in http, a plain server asked in https
    proc = scmigrate("projects", c.url.replace("https://", "http://"), "--low-level-retries", "0", env=env)
    one_line_error(proc, "cannot connect (", "check the URL (scheme, host and port)")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proc = scmigrate("projects", f"https://127.0.0.1:{server.server_address[1]}", env=env)
        one_line_error(proc, "does not speak TLS on this port")
    finally:
        server.shutdown()


def test_unknown_project_lists_the_names(clusters: Any, registry: Any, tmp_path: Path) -> None:
    from cluster_helpers import detection_items, detection_project

    from scmigrate.engine.facade import transfer
    from scmigrate.testing import put_memory

    clusters("a")
    put_memory("seed", detection_project("Dogs"), detection_items(2))
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete
    proc = scmigrate("run", "--from", "a", "--project", "Cats", "--to", str(tmp_path / "x.scz"))
    one_line_error(proc, "no project named 'Cats'", "'Dogs'")


class _Fake(http.server.BaseHTTPRequestHandler):
    body = b""
    ctype = ""
    status = 200

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(self.status)
        self.send_header("Content-Type", self.ctype)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """A real HTTP server that is not a cluster: a web page, or garbage labelled JSON."""
    ctype, body, *status = request.param
    handler = type("H", (_Fake,), {"ctype": ctype, "body": body, "status": status[0] if status else 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize(
    "fake_server, needle",
    [
        (("text/html", b"<html><body>Welcome to nginx</body></html>"), "answered HTML"),
        (("text/html", b"<html>404</html>", 404), "answered an HTML page"),
        (("application/json", b"\x00\x01garbage{"), "not JSON"),
    ],
    indirect=["fake_server"],
)
def test_not_a_cluster(fake_server: str, needle: str, config_file: Path, tmp_path: Path) -> None:
    proc = scmigrate("run", "--from", fake_server, "--project", "P", "--to", str(tmp_path / "x.scz"),
                     env={"SCMIGRATE_TOKEN": "geti_pat_x"})
    one_line_error(proc, needle, "not the SC REST API", fake_server)


def test_name_clash_is_refused_without_into_existing(clusters: Any, registry: Any) -> None:
    from cluster_helpers import detection_items, detection_project

    from scmigrate.engine.facade import transfer
    from scmigrate.errors import InputError
    from scmigrate.testing import put_memory

    clusters("a")
    put_memory("seed", detection_project("Dogs"), detection_items(2))
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete
    with pytest.raises(InputError, match="already exists; pass --into-existing"):
        transfer("memory:seed", "a", registry=registry, quiet=True)
    # a dry run says so too (it used to promise success), and still writes nothing
    with pytest.raises(InputError, match="already exists; pass --into-existing"):
        transfer("memory:seed", "a", registry=registry, quiet=True, dry_run=True)
    with pytest.raises(InputError, match="--auto-train 'maybe': expected on or off"):
        transfer("memory:seed", "a", registry=registry, quiet=True, dry_run=True, to_project="New", auto_train="maybe")
    plan = transfer("memory:seed", "a", registry=registry, quiet=True, dry_run=True, to_project="New").plan
    assert "target: a: a new project 'New' would be created" in plan and plan[-1] == "dry run: nothing was written"
    plan = transfer("memory:seed", "a", registry=registry, quiet=True, dry_run=True, into_existing=True).plan
    assert "target: a: media would be added to the existing project 'Dogs'" in plan
    from scmigrate.api import RunOptions
    from scmigrate_cluster.connection import connect
    from scmigrate_cluster.projects import list_projects

    conn = connect("a", RunOptions())
    assert [p["name"] for p in list_projects(conn)] == ["Dogs"]
    conn.http.close()


class _OldCluster(http.server.BaseHTTPRequestHandler):
    """Answers like a Sonoma Creek 1.1 cluster: only under /api/v1.0."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path == "/api/v1.0/product_info":
            status, body = 200, b'{"product-version": "1.1.0", "build-version": "1.1.0-latest-20220405093904"}'
        else:
            status, body = 404, b'{"endpoint_not_found_response": "no such endpoint"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_old_dialect_is_named(config_file: Path, tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OldCluster)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        proc = scmigrate("run", "--from", url, "--project", "P", "--to", str(tmp_path / "x.scz"),
                         env={"SCMIGRATE_TOKEN": "geti_pat_x"})
        # SC 1.x is read now, but it has no tokens: a token alone is refused, naming the login it needs
        one_line_error(proc, "sc1", "no access tokens", "user name and password")
    finally:
        server.shutdown()


def test_bad_items_are_named_and_the_rest_moves(clusters: Any, registry: Any) -> None:
    from cluster_helpers import box, detection_items, detection_project, image_item, snapshot

    from scmigrate.engine.facade import transfer
    from scmigrate.errors import InputError
    from scmigrate.model import Annotation, Media, Scene, ScoredLabel, Shape
    from scmigrate.testing import make_item, put_memory

    clusters("a")
    outside = Annotation(Shape.polygon([(1, 1), (500, 2), (3, 40)]), [ScoredLabel("dog")])
    items = detection_items(2) + [
        image_item("bad-shape", "outside", [Scene([box(1, 1, 5, 5, "dog"), outside])], seed=5),
        make_item(Media(key="bad-file", kind="image", name="notes", filename="notes.txt"), b"not an image", []),
    ]
    put_memory("seed", detection_project("Dogs"), items)
    with pytest.raises(InputError) as info:
        transfer("memory:seed", "a", registry=registry, quiet=True)
    text = str(info.value)
    assert "\n" not in text and ("outside.jpg" in text or "notes.txt" in text) and "1 more bad item" in text
    assert len(snapshot("a", "Dogs")["media"]) == 3  # the good ones moved (and the bad image's bytes)


def test_url_with_a_path_says_to_give_the_address_only(clusters: Any, tmp_path: Path) -> None:
    c = clusters("a")
    proc = scmigrate("projects", c.url + "/api/v1", env={"SCMIGRATE_TOKEN": c.token})
    one_line_error(proc, "no SC REST API at this URL", "https://HOST")


def test_token_stdin_is_for_the_url_not_for_a_named_cluster(clusters: Any, registry: Any, tmp_path: Path) -> None:
    """`--from named --to https://other --token-stdin`: the flag is shared, the named cluster keeps its token."""
    from cluster_helpers import detection_items, detection_project

    from scmigrate.api import RunOptions
    from scmigrate.engine.facade import transfer
    from scmigrate.testing import put_memory
    from scmigrate_cluster.connection import resolve

    a, b = clusters("a"), clusters("b")
    put_memory("seed", detection_project("Dogs"), detection_items(2))
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete
    proc = scmigrate("run", "--from", "a", "--project", "Dogs", "--to", b.url, "--token-stdin", "-q",
                     stdin=b.token + "\n", env={"SCMIGRATE_TOKEN": "geti_pat_not_for_a"})
    assert proc.returncode == 0, proc.stderr
    assert a.token not in proc.stderr + proc.stdout and b.token not in proc.stderr + proc.stdout
    assert b.admin.count("POST", "/media/images") == 2
    # and an endpoint's repr (a log line, a debugger) never shows the token
    ep = resolve("a", RunOptions())
    assert ep.token == a.token and a.token not in repr(ep)


def test_credentials_in_the_url_are_refused_without_echoing_them(config_file: Path, tmp_path: Path) -> None:
    secret = "geti_pat_" + "s" * 43 + "_abcdef"
    proc = scmigrate("projects", f"https://me:{secret}@127.0.0.1:9", env={"SCMIGRATE_TOKEN": "geti_pat_x"})
    one_line_error(proc, "must not carry credentials", "SCMIGRATE_TOKEN")
    assert secret not in proc.stderr + proc.stdout


def test_plain_http_to_another_host_warns_that_the_token_is_unencrypted(config_file: Path) -> None:
    # [issue 9] only when asked for explicitly (refused otherwise: tests/cli/test_cli_trust.py)
    proc = scmigrate("projects", "http://cluster.invalid", "--allow-plain-http", "--low-level-retries", "0",
                     env={"SCMIGRATE_TOKEN": "geti_pat_x"})
    assert proc.returncode == 2 and "cannot connect" in proc.stderr
    assert "plain HTTP: the access token travels unencrypted" in proc.stderr
    local = scmigrate("projects", "http://127.0.0.1:9", env={"SCMIGRATE_TOKEN": "geti_pat_x"})
    assert "unencrypted" not in local.stderr  # loopback (the emulator) is not a network


def test_a_missing_token_variable_named_in_the_config_is_named(config_file: Path) -> None:
    from scmigrate.config import ClusterConfig, save_cluster

    save_cluster(ClusterConfig(name="lab", url="https://127.0.0.1:9", token_env="LAB_TOKEN_UNSET"))
    proc = scmigrate("clusters", "test", "lab", env={"LAB_TOKEN_UNSET": ""})
    one_line_error(proc, "environment variable LAB_TOKEN_UNSET", "not set")
    assert "SCMIGRATE_TOKEN" not in proc.stderr  # setting that would not be what the user configured
