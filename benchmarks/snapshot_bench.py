"""Incremental snapshots against sc_emulator: the second backup moves only what changed.

Usage (from the repository root)::

    .venv/bin/python benchmarks/snapshot_bench.py                 # 2,000 images, 20 ms per request
    .venv/bin/python benchmarks/snapshot_bench.py --images 200    # on a loaded machine

What it does:

1. starts an emulator, seeds a detection project of N noise JPEGs of about 100 KB with 5 boxes each
   (``cluster_bench.seed_project``), without latency; then sets ``--latency-ms`` on every request;
2. **first backup**: ``transfer(cluster → repo:PATH)``, timed; every media is fetched and stored;
3. adds ``--add`` (20) new images (``--into-existing``) and replaces the annotations of ``--edit``
   (50) images with one box each (the REST API's annotation ``POST``);
4. **second backup**, timed; checks the targets: time ≤ 15% of the first, bytes added to the
   repository ≤ 1.2× the new images' bytes, and that the snapshot restores what the cluster holds.

With ``--sync``, a full migration of the project to a copy on the same emulator is timed after the
first backup, then a first ``scmigrate sync`` onto the copy (nothing to change; with no sync before
it, it reads every scene on both sides), and after the changes a second sync (target: ≤ 15% of the
migration), then ``check`` between them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import requests
from cluster_bench import noise_jpeg, seed_project, use_bench_cluster


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--add", type=int, default=20)
    ap.add_argument("--edit", type=int, default=50)
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--workers", type=int, default=None, help="fix the concurrency (default: adaptive)")
    ap.add_argument("--sync", action="store_true", help="also time a full migration and a sync after the changes")
    ap.add_argument("--rss-snapshots", type=int, default=0, metavar="K",
                    help="then K more backups as processes of their own: peak RSS of the first against the last")
    args = ap.parse_args()

    from sc_emulator import running
    from scmigrate.api import RunOptions
    from scmigrate.engine.compare import compare_locations
    from scmigrate.engine.facade import transfer
    from scmigrate.engine.sync import sync
    from scmigrate.registry import get_registry

    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "emu") as c:
        use_bench_cluster(c, Path(tmp))
        seed_project("bench", args.images)
        c.admin.knobs(latency_ms=args.latency_ms)
        repo = f"repo:{Path(tmp) / 'repo'}"
        print(f"{args.images} images, {args.latency_ms} ms per request", flush=True)

        t0 = time.perf_counter()
        first = transfer("bench", repo, project="Bench", quiet=True, workers=args.workers)
        t_first = time.perf_counter() - t0
        f = first.sink_facts
        print(f"first backup:  {t_first:7.1f} s  {f['new_media']} new media, {f['bytes_added'] / 1e6:.1f} MB added  "
              f"(load {load()})", flush=True)
        if args.sync:
            t0 = time.perf_counter()
            assert transfer("bench", "bench", project="Bench", to_project="Copy", quiet=True,
                            workers=args.workers).complete
            t_migration = time.perf_counter() - t0
            print(f"migration:     {t_migration:7.1f} s  to project Copy on the same emulator  (load {load()})",
                  flush=True)
            t0 = time.perf_counter()
            plan = sync("bench", "bench", RunOptions(project="Bench", to_project="Copy"), workers=args.workers)
            t_sync0 = time.perf_counter() - t0
            print(f"first sync:    {t_sync0:7.1f} s  no sync before: every scene read on both sides; "
                  f"{len(plan.add) + len(plan.update) + len(plan.delete)} changes  (load {load()})", flush=True)

        new_bytes = change(c, args.add, args.edit, args.latency_ms, tag="new")
        t0 = time.perf_counter()
        second = transfer("bench", repo, project="Bench", quiet=True, workers=args.workers)
        t_second = time.perf_counter() - t0
        g = second.sink_facts
        print(f"second backup: {t_second:7.1f} s  {g['new_media']} new media, {g['changed_annotations']} changed "
              f"scenes, {g['removed_media']} removed media, {g['bytes_added'] / 1e6:.2f} MB added (new images: "
              f"{new_bytes / 1e6:.2f} MB); annotations not read: {g['annotations_not_read']}  (load {load()})",
              flush=True)
        ratio_t, ratio_b = t_second / t_first, g["bytes_added"] / new_bytes
        print(f"time {ratio_t:.0%} of the first (target <= 15%); bytes added {ratio_b:.2f}x the new images' "
              "(target <= 1.2x)")
        ok = ratio_t <= 0.15 and ratio_b <= 1.2 and g["new_media"] == args.add
        if args.sync:
            t0 = time.perf_counter()
            plan = sync("bench", "bench", RunOptions(project="Bench", to_project="Copy"), workers=args.workers)
            t_sync = time.perf_counter() - t0
            print(f"second sync:   {t_sync:7.1f} s  {len(plan.add)} added, {len(plan.update)} updated, "
                  f"{len(plan.delete)} deleted  (load {load()})")
            print(f"second sync {t_sync / t_migration:.0%} of the migration (target <= 15%); first sync "
                  f"{t_sync0 / t_migration:.0%}")
            ok = ok and t_sync / t_migration <= 0.15
        # the floor of every backup: the project and the whole media listing (1,000 a page, 4 pages ahead)
        t0 = time.perf_counter()
        with get_registry().resolve_source("bench").open("bench", RunOptions(project="Bench")) as reader:
            reader.project()
            listed = sum(1 for _ in reader.items())
        print(f"project and listing alone: {time.perf_counter() - t0:5.1f} s  ({listed} media)  (load {load()})")
        c.admin.knobs(latency_ms=0)
        same = compare_locations("bench", repo, RunOptions(project="Bench")).identical()
        print(f"the snapshot holds what the cluster holds: {same}")
        if args.sync:
            synced = compare_locations("bench", "bench", RunOptions(project="Bench"),
                                       dest_options=RunOptions(project="Copy")).identical()
            print(f"check after sync: identical: {synced}")
            same = same and synced
        if args.rss_snapshots:
            same = rss_over_snapshots(c, repo, args.rss_snapshots, args.latency_ms) and same
        return 0 if ok and same else 1


def change(c: Any, add: int, edit: int, latency_ms: float, tag: str) -> int:
    """Add ``add`` noise JPEGs (named ``<tag><i>``) to project Bench and replace the annotations of its
    first ``edit`` images with one box each, without latency (only the backups are timed); the new
    images' bytes."""
    from scmigrate.engine.facade import transfer
    from scmigrate.model import Media, Project, Task
    from scmigrate.plugins import make_plugin_manager
    from scmigrate.registry import Registry
    from scmigrate.testing import make_item, memory_plugin, put_memory

    c.admin.knobs(latency_ms=0)
    task = Task("Detection", "detection", [])
    new_items, new_bytes = [], 0
    for i in range(add):
        data = noise_jpeg(100_000 + i if tag == "new" else zlib.crc32(f"{tag}{i}".encode()))
        new_bytes += len(data)
        media = Media(key=f"{tag}{i}", kind="image", name=f"{tag}{i:05d}", filename=f"{tag}{i:05d}.jpg")
        new_items.append(make_item(media, data, []))
    put_memory(tag, Project.chain("Bench", task), new_items)
    reg = Registry(make_plugin_manager(load=True, plugins=[memory_plugin]))
    assert transfer(f"memory:{tag}", "bench", registry=reg, quiet=True, into_existing=True, project="Bench").complete
    s = requests.Session()
    s.headers["x-api-key"] = c.token
    base = c.base()
    proj = next(p for p in s.get(f"{base}/projects", params={"limit": 100}).json()["projects"] if p["name"] == "Bench")
    proj = s.get(f"{base}/projects/{proj['id']}").json()
    label = next(lb["id"] for t in proj["pipeline"]["tasks"] for lb in t.get("labels", []) if lb["name"] == "thing")
    d = f"{base}/projects/{proj['id']}/datasets/{proj['datasets'][0]['id']}"
    body = {"condition": "and", "rules": [{"field": "media_type", "operator": "equal", "value": "image"}]}
    page = s.post(f"{d}/media:query", params={"limit": edit}, json=body, timeout=60).json()
    for m in page["media"][:edit]:
        shape = {"type": "RECTANGLE", "x": 1 + zlib.crc32(tag.encode()) % 50, "y": 1, "width": 10, "height": 10}
        r = s.post(f"{d}/media/images/{m['id']}/annotations", timeout=60,
                   json={"annotations": [{"shape": shape, "labels": [{"id": label}]}]})
        r.raise_for_status()
    c.admin.knobs(latency_ms=latency_ms)
    return new_bytes


def rss_over_snapshots(c: Any, repo: str, count: int, latency_ms: float) -> bool:
    """``count`` more backups to ``repo``, each a ``scmigrate run`` process of its own after a small change
    (5 new images, 5 edited): the peak RSS of the first and the last, and of ``snapshots`` and ``verify``
    after each (``migration_bench.timed_run``). Memory must not grow with the snapshots kept."""
    from migration_bench import timed_run

    env = dict(os.environ)
    rows = []
    for k in range(count):
        change(c, 5, 5, latency_ms, tag=f"rss{k}-")
        runs = [timed_run(env, ["run", "--from", "bench", "--project", "Bench", "--to", repo, "-q"])]
        if k in (0, count - 1):
            runs += [timed_run(env, ["snapshots", repo, "--json"]), timed_run(env, ["verify", repo])]
        if any(r["rc"] for r in runs):
            print("failed:", *(r["output"] for r in runs if r["rc"]), sep="\n")
            return False
        rows.append([r["rss_max_mb"] for r in runs])
        print(f"backup {k + 3:3d} (snapshot {k + 3}): {runs[0]['wall_s']:5.1f} s, peak RSS {rows[-1][0]:6.1f} MB"
              + (f"; snapshots {rows[-1][1]:.1f} MB, verify {rows[-1][2]:.1f} MB" if len(runs) > 1 else "")
              + f"  (load {load()})", flush=True)
    first, last = rows[0], rows[-1]
    print(f"peak RSS, snapshot {count + 2} against snapshot 3: backup {last[0] / first[0]:.2f}, snapshots "
          f"{last[1] / first[1]:.2f}, verify {last[2] / first[2]:.2f}")
    return True


def load() -> str:
    """The 1-minute load average, reported next to each figure (other work shares the machine)."""
    return f"{os.getloadavg()[0]:.2f}"


if __name__ == "__main__":
    sys.exit(main())
