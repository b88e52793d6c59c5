"""Scale: peak memory and time of backup, verify, restore, migration and check at two project sizes.

Usage (from the repository root)::

    .venv/bin/python benchmarks/scale_bench.py                          # 2,000 and 20,000 small images
    .venv/bin/python benchmarks/scale_bench.py --images 500,5000 --latency-ms 0 --json out.json

What it does, for each size N in ``--images`` (each on a fresh emulator, plain HTTP):

1. seeds a detection project of N small noise JPEGs (``--bytes``, ~2 KB: the per-item cost, not the
   bytes, is what grows) with 5 boxes each (``cluster_bench.seed_project``), then sets
   ``--latency-ms`` on every request;
2. runs each command as its own ``scmigrate`` process, one after the other:
   ``run`` cluster → ``.scz`` (backup), ``verify`` of that archive, ``run`` ``.scz`` → cluster
   (restore), ``run`` cluster → cluster (migration, into another project of the same emulator) and
   ``check`` of the archive against the restored project; each must exit 0;
   ``--workers N`` fixes the concurrency of each (otherwise adaptive: a longer run climbs higher,
   and the uploads and downloads in flight are memory that has nothing to do with the count);
3. reports per command its wall time and peak RSS (the kernel's ``VmHWM`` of the process, and
   psutil samples: ``migration_bench.timed_run``), then the ratio of the largest size to the
   smallest: RSS (flat memory: close to 1) and time per item (linear time: close to 1).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_bench import seed_project, use_bench_cluster  # noqa: E402  (sibling benchmarks' helpers)
from migration_bench import timed_run  # noqa: E402


def commands(tmp: Path, workers: int | None = None) -> list[tuple[str, list[str]]]:
    archive = str(tmp / "backup.scz")
    w = [] if workers is None else ["--workers", str(workers)]
    return [
        ("backup", ["run", "--from", "bench", "--project", "Bench", "--to", archive, *w]),
        ("verify", ["verify", archive]),
        ("restore", ["run", "--from", archive, "--to", "bench", "--to-project", "Restored", *w]),
        ("migration", ["run", "--from", "bench", "--project", "Bench", "--to", "bench", "--to-project", "Migrated",
                       *w]),
        ("check", ["check", "--from", archive, "--to", "bench", "--to-project", "Restored", *w]),
    ]


def one_size(n: int, size: int, latency_ms: float, workers: int | None) -> dict[str, Any]:
    from sc_emulator import running

    out: dict[str, Any] = {"images": n}
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp, running(Path(tmp) / "emu") as c:
        use_bench_cluster(c, Path(tmp))
        t0 = time.perf_counter()
        total, _ = seed_project("bench", n, target=size)
        print(f"{n} images ({total / 1e6:.1f} MB) seeded in {time.perf_counter() - t0:.0f} s", flush=True)
        c.admin.knobs(latency_ms=latency_ms)
        env = dict(os.environ)
        for name, args in commands(Path(tmp), workers):
            r = timed_run(env, ["-q", *args])
            if r["rc"]:
                raise SystemExit(f"{name} at {n} images failed ({r['rc']}):\n{r['output']}")
            r.pop("output")
            out[name] = r
            print(f"  {n:>6} {name:<9} {r['wall_s']:7.1f} s  {n / r['wall_s']:7.1f} it/s  "
                  f"peak RSS {r['rss_max_mb']:6.1f} MB  load {r['load_mean']:.1f}", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", default="2000,20000", help="project sizes, smallest first")
    ap.add_argument("--bytes", type=int, default=2000, help="approximate size of each JPEG")
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--workers", type=int, help="fix the concurrency (default: adaptive, as a user gets it)")
    ap.add_argument("--json", help="write every measurement there")
    a = ap.parse_args()
    sizes = [int(x) for x in a.images.split(",")]
    runs = [one_size(n, a.bytes, a.latency_ms, a.workers) for n in sizes]
    small, large = runs[0], runs[-1]
    factor = large["images"] / small["images"]
    loads = [r[k][f] for r in runs for k, _ in commands(Path()) for f in ("load_min", "load_max")]
    print(f"\nload average during the runs: {min(loads):.1f}–{max(loads):.1f}; latency {a.latency_ms} ms per request; "
          f"workers {a.workers or 'adaptive'}\n")
    print(f"| command | RSS MB at {small['images']:,} | at {large['images']:,} | RSS ratio "
          f"| s at {small['images']:,} | s at {large['images']:,} | time per item, ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, _ in commands(Path()):
        s, g = small[name], large[name]
        print(f"| {name} | {s['rss_max_mb']:.1f} | {g['rss_max_mb']:.1f} | {g['rss_max_mb'] / s['rss_max_mb']:.2f} "
              f"| {s['wall_s']:.1f} | {g['wall_s']:.1f} | {g['wall_s'] / s['wall_s'] / factor:.2f} |")
    worst = max(large[k]["rss_max_mb"] / small[k]["rss_max_mb"] for k, _ in commands(Path()))
    print(f"\nlargest RSS ratio {worst:.2f} (target ≤ 1.2); median load {statistics.median(loads):.1f}")
    if a.json:
        Path(a.json).write_text(json.dumps({"latency_ms": a.latency_ms, "bytes": a.bytes, "workers": a.workers,
                                            "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
