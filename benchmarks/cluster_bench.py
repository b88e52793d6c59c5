"""Cluster plugin throughput: back up and restore a project against sc_emulator, next to a raw load.

Usage (from the repository root)::

    .venv/bin/python benchmarks/cluster_bench.py                      # 2,000 images, workers 1 4 8 16 32
    .venv/bin/python benchmarks/cluster_bench.py --images 300 --workers 1 8 32

What it does:

1. starts an emulator (``sc_emulator.running``), seeds a detection project of N images of about
   100 KB (random-noise JPEGs, so they do not compress) with 5 boxes each, without latency;
2. sets 20 ms of added latency per request;
3. for each worker count: **backup** (``scmigrate.transfer`` cluster → ``.scz``) and **restore**
   (``.scz`` → a new project on the same cluster), timed; items/s and MB/s of media bytes;
4. next to each, the **raw limit**: a plain thread pool issuing the same HTTP requests (backup:
   ``GET display/full`` + ``GET annotations/latest`` per image; restore: the multipart upload +
   the annotation ``POST``) at the same concurrency, with no processing at all.

The figures depend on the machine; the ratio plugin/raw is the interesting one.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests


def noise_jpeg(seed: int, target: int = 100_000) -> bytes:
    """A JPEG of random noise of roughly ``target`` bytes (noise does not compress)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    side = int((target / 0.8) ** 0.5)
    arr = rng.integers(0, 256, size=(side, side, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def seed_project(location: str, n: int, target: int = 100_000) -> tuple[int, list[Any]]:
    """A detection project of ``n`` noise JPEGs of about ``target`` bytes, 5 boxes each, at ``location``."""
    from scmigrate.engine.facade import transfer
    from scmigrate.model import Annotation, Label, Media, Project, Scene, ScoredLabel, Shape, Task
    from scmigrate.plugins import make_plugin_manager
    from scmigrate.registry import Registry
    from scmigrate.testing import make_item, memory_plugin, put_memory

    task = Task("Detection", "detection", [Label("thing", "#ff0000ff", "g"), Label("other", "#00ff00ff", "g")])
    project = Project.chain("Bench", task)
    items, total = [], 0
    rnd = random.Random(1)
    for i in range(n):
        data = noise_jpeg(i, target)
        total += len(data)
        side = int((target / 0.8) ** 0.5)
        anns = []
        for _ in range(5):
            w, h = rnd.randint(5, side // 3), rnd.randint(5, side // 3)
            x, y = rnd.randint(0, side - w - 1), rnd.randint(0, side - h - 1)
            anns.append(Annotation(Shape.rectangle(x, y, w, h), [ScoredLabel(rnd.choice(["thing", "other"]))]))
        media = Media(key=f"m{i}", kind="image", name=f"img{i:05d}", filename=f"img{i:05d}.jpg", width=side,
                      height=side)
        items.append(make_item(media, data, [Scene(anns)]))
    put_memory("bench", project, items)
    reg = Registry(make_plugin_manager(load=True, plugins=[memory_plugin]))
    report = transfer("memory:bench", location, registry=reg, quiet=True, workers=16)
    assert report.complete, report.to_dict()
    return total, items


def raw_backup(base: str, token: str, project_id: str, dataset_id: str, workers: int) -> tuple[float, int, int]:
    """List media, then GET display/full and annotations/latest per image, at ``workers`` threads."""
    s = requests.Session()
    s.headers["x-api-key"] = token
    d = f"{base}/projects/{project_id}/datasets/{dataset_id}"
    t0 = time.perf_counter()
    ids, skip = [], 0
    body = {"condition": "and", "rules": [{"field": "media_type", "operator": "equal", "value": "image"}]}
    while True:
        page = s.post(f"{d}/media:query", params={"limit": 100, "skip": skip}, json=body, timeout=60).json()
        ids += [m["id"] for m in page["media"]]
        skip += len(page["media"])
        if not page["media"] or skip >= page["total_matched_images"]:
            break
    local = threading.local()

    def one(mid: str) -> int:
        sess = getattr(local, "s", None)
        if sess is None:
            sess = local.s = requests.Session()
            sess.headers["x-api-key"] = token
        n = len(sess.get(f"{d}/media/images/{mid}/display/full", timeout=60).content)
        _ = sess.get(f"{d}/media/images/{mid}/annotations/latest", timeout=60).content
        return n

    with ThreadPoolExecutor(workers) as pool:
        nbytes = sum(pool.map(one, ids))
    return time.perf_counter() - t0, len(ids), nbytes


def raw_restore(base: str, token: str, items: list[Any], workers: int) -> tuple[float, int, int]:
    """Create a project, then upload each image and POST its 5 boxes, at ``workers`` threads."""
    s = requests.Session()
    s.headers["x-api-key"] = token
    name = f"raw-{workers}-{time.time_ns()}"
    body = {"name": name, "pipeline": {"tasks": [
        {"title": "Dataset", "task_type": "dataset"},
        {"title": "Detection", "task_type": "detection", "labels": [{"name": "thing"}, {"name": "other"}]}],
        "connections": [{"from": "Dataset", "to": "Detection"}]}}
    t0 = time.perf_counter()
    proj = s.post(f"{base}/projects", json=body, timeout=60).json()
    labels = {lb["name"]: lb["id"] for t in proj["pipeline"]["tasks"] for lb in t.get("labels", [])}
    d = f"{base}/projects/{proj['id']}/datasets/{proj['datasets'][0]['id']}"
    local = threading.local()

    def one(item: Any) -> int:
        sess = getattr(local, "s", None)
        if sess is None:
            sess = local.s = requests.Session()
            sess.headers["x-api-key"] = token
        data = item.open().read()
        media = sess.post(f"{d}/media/images", files={"file": (item.media.filename, data, "image/jpeg")},
                          timeout=60).json()
        anns = [{"shape": a.shape.to_dict(), "labels": [{"id": labels[a.labels[0].name]}]}
                for a in item.scenes[0].annotations]
        sess.post(f"{d}/media/images/{media['id']}/annotations", json={"annotations": anns}, timeout=60)
        return len(data)

    with ThreadPoolExecutor(workers) as pool:
        nbytes = sum(pool.map(one, items))
    return time.perf_counter() - t0, len(items), nbytes


def use_bench_cluster(c: Any, tmp: Path) -> None:
    """Name the emulator ``c`` "bench" in a config of its own under ``tmp`` (never the user's), with
    its token in ``$BENCH_TOKEN`` (never on a command line)."""
    from scmigrate.config import ClusterConfig, save_cluster

    os.environ["SCMIGRATE_CONFIG"] = str(tmp / "config.json")
    os.environ["XDG_STATE_HOME"] = str(tmp / "state")
    os.environ["BENCH_TOKEN"] = c.token
    save_cluster(ClusterConfig(name="bench", url=c.url, token_env="BENCH_TOKEN"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8, 16, 32])
    ap.add_argument("--latency-ms", type=float, default=20)
    args = ap.parse_args()

    from sc_emulator import running
    from scmigrate.engine.facade import transfer

    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "emu") as c:
        use_bench_cluster(c, Path(tmp))
        t0 = time.perf_counter()
        total, items = seed_project("bench", args.images)
        mb = total / 1e6
        print(f"seeded {args.images} images, {mb:.1f} MB, in {time.perf_counter() - t0:.1f} s", flush=True)
        c.admin.knobs(latency_ms=args.latency_ms)
        base = c.base()
        s = requests.Session()
        s.headers["x-api-key"] = c.token
        proj = next(p for p in s.get(f"{base}/projects", params={"limit": 100}).json()["projects"]
                    if p["name"] == "Bench")
        proj = s.get(f"{base}/projects/{proj['id']}").json()
        did = proj["datasets"][0]["id"]
        print(f"latency {args.latency_ms} ms per request\n")
        print(f"{'workers':>7} | {'backup it/s':>11} {'MB/s':>6} | {'raw it/s':>8} {'MB/s':>6} | "
              f"{'restore it/s':>12} {'MB/s':>6} | {'raw it/s':>8} {'MB/s':>6}")
        for w in args.workers:
            archive = Path(tmp) / f"bench-{w}.scz"
            t0 = time.perf_counter()
            rep = transfer("bench", str(archive), project="Bench", workers=w, quiet=True)
            tb = time.perf_counter() - t0
            assert rep.complete
            rt, rn, rbytes = raw_backup(base, c.token, proj["id"], did, w)
            t0 = time.perf_counter()
            rep = transfer(str(archive), "bench", project=f"Restored {w}", workers=w, quiet=True)
            tr = time.perf_counter() - t0
            assert rep.complete
            wt, wn, wbytes = raw_restore(base, c.token, items, w)
            n = args.images
            print(f"{w:>7} | {n / tb:>11.1f} {mb / tb:>6.2f} | {rn / rt:>8.1f} {rbytes / 1e6 / rt:>6.2f} | "
                  f"{n / tr:>12.1f} {mb / tr:>6.2f} | {wn / wt:>8.1f} {wbytes / 1e6 / wt:>6.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
