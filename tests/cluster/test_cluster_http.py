"""The session under faults, request by request: retries, Retry-After, adaptive limit, resumed downloads."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

import pytest
from cluster_helpers import detection_items, detection_project

from scmigrate.engine.facade import transfer
from scmigrate.spool import Spool
from scmigrate.testing import put_memory
from scmigrate_cluster.http import ClusterHttp, HttpError
from scmigrate_cluster.limiter import AdaptiveLimiter
from scmigrate_cluster.streams import DownloadStream


def test_limiter_halves_on_throttle_and_grows_back() -> None:
    lim = AdaptiveLimiter(8)
    lim.throttled()
    assert lim.limit == 4
    lim.throttled()  # the same burst: not halved twice
    assert lim.limit == 4
    lim.SHRINK_INTERVAL = 0.0
    lim.throttled()
    assert lim.limit == 2 and lim.lowest == 2
    for _ in range(100):
        lim.succeeded()
    assert lim.limit == 8  # back to the maximum, never above


def test_limiter_bounds_concurrency() -> None:
    lim = AdaptiveLimiter(3)
    lim.throttled()  # now 1
    active, peak = [0], [0]
    lock = threading.Lock()

    def work() -> None:
        with lim:
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.01)
            with lock:
                active[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 1


def test_retry_after_is_honoured_and_counted(clusters: Any) -> None:
    c = clusters("a")
    c.admin.knobs(retry_after=1)
    c.admin.fail("GET", r"/product_info$", nth=1, status=429)
    http = ClusterHttp(c.url, c.token, workers=4)
    t0 = time.monotonic()
    assert "build-version" in http.get_json("/api/v1/product_info")
    assert time.monotonic() - t0 >= 1.0
    stats = http.stats.to_dict(http.limiter)
    assert stats["retries"] == {"429": 1}
    assert stats["concurrency"]["shrinks"] == 1 and stats["concurrency"]["lowest"] == 2


def test_gives_up_after_low_level_retries(clusters: Any) -> None:
    c = clusters("a")
    c.admin.fail("GET", r"/product_info$", nth=1, status=503, times=10)
    c.admin.knobs(retry_after=0)
    http = ClusterHttp(c.url, c.token, retries=2)
    with pytest.raises(HttpError) as info:
        http.get_json("/api/v1/product_info")
    assert info.value.status == 503
    assert c.admin.count("GET", "/product_info") == 3  # one try and two retries, no more


def test_not_retried_when_the_answer_is_final(clusters: Any) -> None:
    c = clusters("a")
    http = ClusterHttp(c.url, c.token)
    with pytest.raises(HttpError) as info:
        http.get_json(f"/api/v1/organizations/{c.org_id}/workspaces/{c.workspace_id}/projects/{'0' * 24}")
    assert info.value.status == 404 and http.stats.to_dict()["retries_total"] == 0


def _an_image_on(c: Any, name: str, registry: Any) -> tuple[ClusterHttp, str, bytes]:
    """A session to cluster ``c`` (configured as ``name``), the ``display/full`` path of an image put
    there, and its bytes."""
    items = detection_items(2)
    put_memory("seed", detection_project("Dogs"), items)
    report = transfer("memory:seed", name, registry=registry, quiet=True)
    new_id = report.id_map[items[0].media.source_id]
    pid = report.sink_facts["project_id"]
    http = ClusterHttp(c.url, c.token)
    doc = http.get_json(f"/api/v1/organizations/{c.org_id}/workspaces/{c.workspace_id}/projects/{pid}")
    did = doc["datasets"][0]["id"]
    path = f"{c.base()[len(c.url):]}/projects/{pid}/datasets/{did}/media/images/{new_id}/display/full"
    return http, path, items[0].open().read()


@pytest.mark.parametrize("spooled", [False, True])
def test_download_resumes_after_a_cut_connection(clusters: Any, registry: Any, spooled: bool) -> None:
    """Read whole, or as a sink reads it: a Spool asking for the size the source declared, then one byte."""
    c = clusters("a")
    http, path, want = _an_image_on(c, "a", registry)
    c.admin.drop("GET", r"/display/full$", nth=1, when="after")
    stream = DownloadStream(http, path)
    if spooled:
        with Spool(stream, expected=len(want)) as spool:
            data = spool.file.read()
    else:
        data = stream.read()
    stream.close()
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(want).hexdigest()
    assert http.stats.to_dict()["retries"].get("download resumed") == 1
    assert http.stats.to_dict()["bytes_received"] >= len(want)


def test_a_download_asks_the_connection_for_no_more_than_the_body(clusters: Any, registry: Any) -> None:
    """Asked for 1 MiB, the stream asks urllib3 for the body's length, and once it is read, for nothing."""
    http, path, want = _an_image_on(clusters("a"), "a", registry)
    stream = DownloadStream(http, path)
    assert stream._resp is not None
    raw, asked = stream._resp.raw, []
    read = raw.read

    def spy(amt: int | None = None, **kw: Any) -> bytes:
        asked.append(amt)
        return read(amt, **kw)

    raw.read = spy
    assert stream.read(1 << 20) == want and asked == [len(want)]
    assert stream.read(1 << 20) == b"" and asked == [len(want)]  # the end is known: not asked again
    stream.close()


def test_ca_bundle_not_replaced_by_environment(clusters: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """psf/requests#3829: REQUESTS_CA_BUNDLE must not silently replace our verify setting."""
    c = clusters("s", tls=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    http = ClusterHttp(c.url, c.token, verify=c.ca_bundle)
    assert "build-version" in http.get_json("/api/v1/product_info")


def test_a_cluster_gone_fails_fast_after_one_full_try() -> None:
    """Once a request gave up on an unreachable cluster, the next ones try once: a run against a cluster that
    went away ends in seconds, not after the full backoff for every remaining item."""
    import socket

    from scmigrate_cluster.http import ClusterUnreachable

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    client = ClusterHttp(f"http://127.0.0.1:{port}", "geti_pat_x", retries=2)
    with pytest.raises(ClusterUnreachable, match="failed after 3 attempts: connection refused"):
        client.get_json("/api/v1/product_info")
    assert client.stats.requests == 3 and client.down
    for _ in range(5):
        with pytest.raises(ClusterUnreachable, match="stopped answering \\(connection refused\\)"):
            client.get_json("/api/v1/product_info")
    assert client.stats.requests == 3 + 5  # one attempt each

    # it comes back: the first answer ends the fail-fast mode
    import http.server

    class Info(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = b'{"build-version": "2.13.0"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Info)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert client.get_json("/api/v1/product_info") == {"build-version": "2.13.0"}
        assert not client.down
    finally:
        server.shutdown()
