"""Benchmark of sc_emulator: requests/s per endpoint and concurrency, 64 keep-alive connections, and the
server's peak RSS while it receives a 1 GB video.

    .venv/bin/python benchmarks/emulator_bench.py [--requests 200] [--tls] [--json out.json]

Everything is real: an emulator subprocess (``sc_emulator.running``) on 127.0.0.1, real JPEGs drawn
with Pillow, a real MP4 written with PyAV (padded with zeros to 1 GB, which MP4 readers skip), one
keep-alive ``requests.Session`` per client thread. The 1 GB body is generated on the fly while it is
sent, so neither side holds it in memory; the server's RSS is sampled with psutil during the upload.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Any

import psutil
import requests
from PIL import Image, ImageDraw

import sc_emulator

GIB = 1024 ** 3


def jpeg(seed: int, width: int = 640, height: int = 480) -> bytes:
    img = Image.new("RGB", (width, height), (seed * 37 % 255, 90, 160))
    ImageDraw.Draw(img).ellipse([seed % 200, 40, seed % 200 + 200, 300], fill=(250, 220, 30))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def small_video(path: Path) -> bytes:
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=Fraction(10, 1))
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(30):
            frame = av.VideoFrame.from_image(Image.new("RGB", (320, 240), (i * 8, 0, 0)))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path.read_bytes()


class PaddedMultipart:
    """A multipart body ``file`` = video bytes + zero padding up to ``total``; read() generates it lazily."""

    def __init__(self, video: bytes, total: int, boundary: str = "benchboundary7MA4YWxkTrZu0gW") -> None:
        self.boundary = boundary
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.mp4\"\r\n"
                f"Content-Type: video/mp4\r\n\r\n").encode() + video
        self.tail = f"\r\n--{boundary}--\r\n".encode()
        self.head, self.padding = head, total - len(video)
        self.length = len(head) + self.padding + len(self.tail)
        self.pos = 0
        self._zeros = bytes(1 << 20)

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        size = 1 << 20 if size is None or size < 0 else max(size, 1 << 16)
        out = bytearray()
        while len(out) < size and self.pos < self.length:
            if self.pos < len(self.head):
                chunk = self.head[self.pos:self.pos + size - len(out)]
            elif self.pos < len(self.head) + self.padding:
                left = len(self.head) + self.padding - self.pos
                chunk = self._zeros[:min(size - len(out), left, len(self._zeros))]
            else:
                start = self.pos - len(self.head) - self.padding
                chunk = self.tail[start:start + size - len(out)]
            out += chunk
            self.pos += len(chunk)
        return bytes(out)


def rate(total: int, clients: int, make_call: Callable[[requests.Session, int], requests.Response]) -> float:
    """Requests per second for ``total`` calls spread over ``clients`` keep-alive sessions."""
    sessions = [requests.Session() for _ in range(clients)]
    per_client = total // clients
    errors: list[str] = []

    def worker(c: int) -> None:
        for i in range(per_client):
            r = make_call(sessions[c], c * per_client + i)
            if r.status_code >= 300:
                errors.append(f"HTTP {r.status_code}: {r.text[:200]}")

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    elapsed = time.perf_counter() - start
    for s in sessions:
        s.close()
    if errors:
        raise SystemExit(f"benchmark request failed: {errors[0]}")
    return per_client * clients / elapsed


def keepalive_check(cluster: Any, headers: dict[str, str], verify: Any, n: int = 64) -> dict[str, Any]:
    """Hold ``n`` keep-alive connections open at once, each doing two requests on the same socket."""
    sessions = [requests.Session() for _ in range(n)]
    barrier = threading.Barrier(n)
    url = f"{cluster.base()}/projects?limit=1"
    ok = []

    def worker(i: int) -> None:
        s = sessions[i]
        first = s.get(url, headers=headers, verify=verify, timeout=60)
        barrier.wait(timeout=60)  # all n connections are open here at the same time
        second = s.get(url, headers=headers, verify=verify, timeout=60)
        ok.append(first.ok and second.ok)

    with ThreadPoolExecutor(n) as pool:
        list(pool.map(worker, range(n)))
    server = psutil.Process(cluster.pid)
    established = sum(1 for c in server.net_connections("tcp") if c.status == psutil.CONN_ESTABLISHED
                      and c.laddr.port == cluster.port)
    for s in sessions:
        s.close()
    return {"clients": n, "all_ok": all(ok) and len(ok) == n, "server_connections_seen": established}


def _reset_hwm(pid: int) -> bool:
    """Reset the peak RSS (VmHWM) of ``pid``; False where the kernel does not offer it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _hwm_bytes(pid: int) -> int | None:
    """VmHWM of ``pid`` in bytes (the server's own peak, not this client's)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def big_upload(cluster: Any, dataset_url: str, headers: dict[str, str], verify: Any, size: int, tmp: Path) -> dict:
    video = small_video(tmp / "seed.mp4")
    body = PaddedMultipart(video, size)
    server = psutil.Process(cluster.pid)
    baseline = server.memory_info().rss
    peak = [baseline]
    # The kernel's high-water mark of the server process misses no short spike, unlike sampling: reset it
    # (Linux: "5" > clear_refs) so that it covers this upload only.
    hwm_reset = _reset_hwm(cluster.pid)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], server.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.perf_counter()
    r = requests.post(f"{dataset_url}/media/videos", data=body, verify=verify, timeout=600,
                      headers={**headers, "Content-Type": f"multipart/form-data; boundary={body.boundary}"})
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    hwm = _hwm_bytes(cluster.pid) if hwm_reset else None
    return {"bytes": len(body), "status": r.status_code, "seconds": round(elapsed, 2),
            "server_rss_before_mb": round(baseline / 2**20, 1), "server_rss_peak_mb": round(peak[0] / 2**20, 1),
            "server_vmhwm_mb": round(hwm / 2**20, 1) if hwm else None,
            "frame_count": r.json().get("media_information", {}).get("frame_count") if r.ok else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=192, help="requests per (endpoint, concurrency) cell")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--video-bytes", type=int, default=GIB)
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]
    results: dict[str, Any] = {"requests_per_cell": args.requests, "tls": args.tls, "cpus": os.cpu_count(),
                               "rps": {}}
    with tempfile.TemporaryDirectory(prefix="scemu-bench-") as tmpdir, \
            sc_emulator.running(Path(tmpdir) / "cluster", tls=args.tls) as cluster:
        tmp = Path(tmpdir)
        verify = cluster.ca_bundle or True
        headers = {"x-api-key": cluster.token, "x-geti-csrf-protection": "1"}
        body = {"name": "bench", "pipeline": {"tasks": [{"title": "Dataset", "task_type": "dataset"},
                {"title": "Detection", "task_type": "detection", "labels": [{"name": "thing"}]}],
                "connections": [{"from": "Dataset", "to": "Detection"}]}}
        project = requests.post(f"{cluster.base()}/projects", json=body, headers=headers, verify=verify).json()
        label = project["pipeline"]["tasks"][1]["labels"][0]["id"]
        dataset = f"{cluster.base()}/projects/{project['id']}/datasets/{project['datasets'][0]['id']}"
        images = [jpeg(i) for i in range(16)]
        seeded = [requests.post(f"{dataset}/media/images", files={"file": (f"seed{i}.jpg", images[i])},
                                headers=headers, verify=verify).json()["id"] for i in range(16)]
        scene = {"annotations": [{"shape": {"type": "RECTANGLE", "x": 10, "y": 20, "width": 200, "height": 100},
                                  "labels": [{"id": label}]}]}
        for mid in seeded:
            requests.post(f"{dataset}/media/images/{mid}/annotations", json=scene, headers=headers, verify=verify)
        calls: dict[str, Callable[[requests.Session, int], requests.Response]] = {
            "image upload (640x480 JPEG)": lambda s, i: s.post(
                f"{dataset}/media/images", files={"file": (f"u{i}.jpg", images[i % 16])}, headers=headers,
                verify=verify),
            "display/full": lambda s, i: s.get(f"{dataset}/media/images/{seeded[i % 16]}/display/full",
                                               headers=headers, verify=verify),
            "annotation GET latest": lambda s, i: s.get(f"{dataset}/media/images/{seeded[i % 16]}/annotations/latest",
                                                        headers=headers, verify=verify),
            "annotation POST": lambda s, i: s.post(f"{dataset}/media/images/{seeded[i % 16]}/annotations",
                                                   json=scene, headers=headers, verify=verify),
        }
        for name, call in calls.items():
            results["rps"][name] = {str(c): round(rate(args.requests, c, call), 1) for c in clients}
            print(f"{name:32s} " + "  ".join(f"{c:>2} clients: {v:7.1f}/s"
                                            for c, v in results["rps"][name].items()), flush=True)
        results["keepalive"] = keepalive_check(cluster, headers, verify)
        print(f"keep-alive: {results['keepalive']}", flush=True)
        results["big_upload"] = big_upload(cluster, dataset, headers, verify, args.video_bytes, tmp)
        print(f"{args.video_bytes / GIB:.2f} GiB video upload: {results['big_upload']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
