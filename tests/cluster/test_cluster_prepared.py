"""prepared.send puts on the wire what requests.Session.request would, for the calls ClusterHttp makes."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from scmigrate_cluster import prepared


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str, dict[str, str], bytes]] = []

    def _any(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.seen.append((self.command, self.path, headers, body))
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/landed")
            self.send_header("Content-Length", "0")
        else:
            self.send_response(200)
            self.send_header("Set-Cookie", "sess=abc; Path=/")
            self.send_header("Content-Length", "2")
        self.end_headers()
        if not self.path.startswith("/redirect"):
            self.wfile.write(b"ok")

    do_GET = do_POST = do_PUT = do_HEAD = do_PATCH = _any

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    s.headers.update({"x-geti-csrf-protection": "1", "x-api-key": "k"})
    return s


CALLS: list[dict[str, Any]] = [
    {"method": "get", "path": "/a", "params": {"limit": 10, "skip": 0}},
    {"method": "POST", "path": "/q", "json": {"rules": [1, 2]}, "params": {"top": 5}},
    {"method": "POST", "path": "/up", "data": b"--b\r\nx\r\n--b--\r\n",
     "headers": {"Content-Type": "multipart/form-data; boundary=b"}},
    {"method": "PATCH", "path": "/tus", "data": iter([b"ab", b"cd"]), "headers": {"Upload-Offset": "0"}},
    {"method": "GET", "path": "/h", "headers": {"x-api-key": None, "Accept": "image/*"}},
    {"method": "GET", "path": "/redirect/x"},
]


@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c['method']} {c['path']}")
def test_same_request_on_the_wire(server: str, call: dict[str, Any]) -> None:
    got = []
    for way in ("session", "prepared"):
        _Recorder.seen = []
        s = _session()
        s.get(server + "/cookie")  # the server sets a cookie: both ways must send it back
        kw = {k: v for k, v in call.items() if k not in ("method", "path")}
        if isinstance(kw.get("data"), type(iter([]))):
            kw["data"] = iter([b"ab", b"cd"])  # a fresh generator each way
        if way == "session":
            resp = s.request(call["method"], server + call["path"], timeout=5, verify=True, **kw)
        else:
            resp = prepared.send(s, call["method"], server + call["path"], timeout=5, verify=True, **kw)
        assert resp.status_code == 200 and resp.content == b"ok"
        got.append((_Recorder.seen[1:], [r.status_code for r in resp.history], resp.url))
    assert got[0] == got[1]
    sent = got[1][0][0][2]
    assert sent["cookie"] == "sess=abc"
    assert ("x-api-key" in sent) == ("x-api-key" not in (call.get("headers") or {}))


URLS = ["https://127.0.0.1:46227/api/v1/projects/6b13/media", "https://Example.COM/a/b", "https://example.com:443/a",
        "http://h/a/./b", "http://h/a/../b", "http://h", "http://h/", "http://h/a b", "http://h/a%41", "http://h/a?x=1",
        "http://h/a#f", "https://bücher.de/a", "http://h/.x", "http://h/a//b", "http://[::1]:8080/a", "HTTP://h/a",
        "http://user:pw@h/a", "http://h/a~b_c-d.e/"]


@pytest.mark.parametrize("url", URLS)
def test_a_url_taken_as_it_is_is_the_url_prepare_url_makes(url: str) -> None:
    """The fast path takes plain URLs as they are: for every URL it must give what prepare_url does
    (dot segments removed, host lowercased and IDNA-encoded, quoting, the root path added)."""
    full, fast = requests.PreparedRequest(), requests.PreparedRequest()
    full.prepare_url(url, None)
    prepared._prepare_url(fast, url, None)
    assert fast.url == full.url
    with_params = requests.PreparedRequest()
    prepared._prepare_url(with_params, url.split("?")[0].split("#")[0], {"limit": 5})
    assert "limit=5" in with_params.url


def test_the_pool_adapter_keeps_each_origins_pool_and_reads_the_bundle_once(tmp_path) -> None:
    """Over TLS with a private CA: two requests share one pool; a bundle moved away after the first
    request no longer stops the run (requests would look it up, and fail, on every request); a closed
    pool is replaced; a bundle that was never there is still refused."""
    import shutil

    from sc_emulator import running

    with running(tmp_path / "emu", tls=True) as emu:
        bundle = tmp_path / "ca.pem"
        shutil.copy(emu.ca_bundle, bundle)
        s = _session()
        adapter = prepared.PoolAdapter(max_retries=0)
        s.mount("https://", adapter)

        def get() -> requests.Response:
            resp = prepared.send(s, "GET", emu.url + "/api/v1/product_info", timeout=10, verify=str(bundle))
            assert resp.status_code == 200
            return resp

        get()
        [pool] = adapter._pools.values()
        bundle.rename(tmp_path / "moved.pem")
        get()
        assert list(adapter._pools.values()) == [pool]
        adapter.poolmanager.clear()  # as adapter.close() does; urllib3 1.x also closes what it drops
        pool.close()
        (tmp_path / "moved.pem").rename(bundle)
        get()
        assert list(adapter._pools.values()) != [pool]
        with pytest.raises(OSError, match="invalid path"):
            prepared.send(s, "GET", emu.url + "/api/v1/product_info", timeout=10, verify=str(tmp_path / "none.pem"))
