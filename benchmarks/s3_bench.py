"""Object storage: peak memory and throughput of archives and repositories on S3, beside local disk.

    .venv/bin/python benchmarks/s3_bench.py [--sizes 50,200] [--repeat 3] [--work DIR] [--json out.json]

1. Starts a real S3-compatible server on loopback (moto's, ``scmigrate.testing.s3server``, as the
   tests do; it keeps objects in its own memory, so its speed is moto's, not a cloud's).
2. For each size in ``--sizes`` (MB), draws a COCO dataset of noise JPEGs of that total size
   (``scmigrate.testing.coco``, 1024×768, ~200 KB each).
3. For each repetition, runs each case as its own ``scmigrate run`` process: the dataset into a
   local ``.scz`` (the baseline), into ``s3://.../x.scz``, that archive back to a local one (ranged
   reads), the dataset into a new ``repo:s3://...``, and its snapshot back to a local ``.scz``.
   Each process reports its own peak RSS (``VmHWM`` at exit); the benchmark adds wall time, MB/s
   and the load average.
4. Prints median and spread (min–max) per case and size. Flat memory: the peak does not grow with
   the size; the part size is 8 MiB (``scmigrate.staging.PART``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

MB = 1e6
#: run as ``s3_bench.py --child ARGS``: scmigrate's command line, then this process's peak RSS
CHILD = "--child"


def child(args: list[str]) -> None:
    import atexit

    def report() -> None:
        with open("/proc/self/status") as f:
            hwm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
        Path(os.environ["S3_BENCH_HWM"]).write_text(str(hwm))

    atexit.register(report)
    from scmigrate.cli import main

    main(args)


def run_case(args: list[str], env: dict[str, str], work: Path) -> tuple[float, int]:
    hwm = work / f"hwm-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, CHILD, "-q", "run", *args], env={**env, "S3_BENCH_HWM": str(hwm)},
                          capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"scmigrate run {' '.join(args)} failed: {proc.stderr.strip()[-600:]}")
    return wall, int(hwm.read_text())


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50,200", help="dataset sizes in MB, comma-separated")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    opts = ap.parse_args()
    from scmigrate.staging import PART
    from scmigrate.testing.coco import make_coco
    from scmigrate.testing.s3server import running_s3

    work = opts.work or Path(tempfile.mkdtemp(prefix="s3bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    with running_s3(work / "moto.log") as (server, _client):
        env = {**os.environ, **server, "AWS_CONFIG_FILE": str(work / "none"),
               "AWS_SHARED_CREDENTIALS_FILE": str(work / "none"), "XDG_STATE_HOME": str(work / "state")}
        for size in (int(s) for s in opts.sizes.split(",")):
            coco = make_coco(work / f"coco-{size}", images=max(1, size * 5), seed=size, image_size=(1024, 768),
                             png_ratio=0.0)
            data = sum(p.stat().st_size for p in coco.images_dir.rglob("*") if p.is_file())
            src = ["--from", coco.location, "--images", str(coco.images_dir), "--project-type", "detection"]
            for rep in range(opts.repeat):
                tag = f"{size}-{rep}-{uuid.uuid4().hex[:6]}"
                url, repo = f"s3://backups/bench/{tag}.scz", f"repo:s3://backups/bench/repo-{tag}"
                cases = [
                    ("coco → local .scz", [*src, "--to", str(work / f"{tag}-local.scz")]),
                    ("coco → s3:// .scz", [*src, "--to", url]),
                    ("s3:// .scz → local .scz", ["--from", url, "--to", str(work / f"{tag}-back.scz")]),
                    ("coco → repo:s3://", [*src, "--to", repo]),
                    ("repo:s3:// → local .scz", ["--from", f"{repo}@latest", "--to", str(work / f"{tag}-snap.scz")]),
                ]
                for name, args in cases:
                    wall, hwm = run_case(args, env, work)
                    results.append({"case": name, "size_mb": size, "data_bytes": data, "wall_s": wall,
                                    "mb_s": data / MB / wall, "peak_rss_mb": hwm / MB, "load": os.getloadavg()[0]})
                    print(f"{name:26} {size:4} MB  {wall:6.1f} s  {data / MB / wall:6.1f} MB/s  "
                          f"peak {hwm / MB:6.1f} MB  load {os.getloadavg()[0]:.2f}", flush=True)
                for leftover in work.glob(f"{tag}-*.scz"):
                    leftover.unlink()
    print(f"\npart size {PART >> 20} MiB; median (min–max) of {opts.repeat}")
    print(f"{'case':26} {'size':>7} {'MB/s':>20} {'peak RSS MB':>22} {'load':>12}")
    for name in dict.fromkeys(r["case"] for r in results):
        for size in dict.fromkeys(r["size_mb"] for r in results):
            rows = [r for r in results if r["case"] == name and r["size_mb"] == size]
            print(f"{name:26} {size:5} MB {spread([r['mb_s'] for r in rows]):>20} "
                  f"{spread([r['peak_rss_mb'] for r in rows]):>22} {spread([r['load'] for r in rows]):>12}")
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    if sys.argv[1:2] == [CHILD]:
        child(sys.argv[2:])
    else:
        main()
