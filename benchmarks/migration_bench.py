"""Cross-version migrations: cluster → cluster between dialects, timed against a same-version migration.

Usage (from the repository root)::

    .venv/bin/python benchmarks/migration_bench.py                        # 2,000 images, 3 repetitions
    .venv/bin/python benchmarks/migration_bench.py --images 300 --reps 2 --json out.json

What it does:

1. seeds a detection project of N images of about 100 KB (random-noise JPEGs, 5 boxes each: the
   helpers of ``cluster_bench.py``) on a geti2 emulator without latency, then stops it and copies its
   data dir, which an sc1 emulator then serves (a data dir keeps its content across dialects);
2. runs four HTTPS emulators: the geti2 source, the sc1 source, a geti2 target and a geti3 target, and
   sets 20 ms of added latency per request on every one of them (``PATCH /_emulator/knobs``);
3. for each repetition, runs the cases in turn (geti2 → geti2, geti2 → geti3, sc1 → geti2), each as a
   separate ``scmigrate run`` process into a new project on the target: wall time, items/s, the peak RSS
   of the process (psutil samples every 50 ms and the kernel's ``VmHWM``), the load average;
4. checks every result (``scmigrate projects --json`` on the target: the project holds N images), so
   a fast but incomplete run fails the benchmark instead of flattering it;
5. prints median and spread per case and the ratio of each cross-version case to geti2 → geti2.

The sc1 case runs only when ``scmigrate clusters test`` succeeds against the sc1 emulator; otherwise
the reason is printed and the case is reported as not measurable.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_bench import seed_project  # noqa: E402  (the sibling benchmark's seeding helpers)

SCMIGRATE = [sys.executable, "-m", "scmigrate"]
CASES = [("geti2 → geti2", "src2", "dst2"), ("geti2 → geti3", "src2", "dst3"), ("sc1 → geti2", "sc1", "dst2")]


def scm(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCMIGRATE, *args], env=env, capture_output=True, text=True, timeout=timeout)


def timed_run(env: dict[str, str], args: list[str]) -> dict[str, Any]:
    """Run one scmigrate process; wall time, exit status, peak RSS and the load average while it ran."""
    peak, hwm, loads, done = [0], [0], [os.getloadavg()[0]], threading.Event()
    t0 = time.perf_counter()
    proc = subprocess.Popen([*SCMIGRATE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ps = psutil.Process(proc.pid)

    def sample() -> None:
        n = 0
        while not done.wait(0.05):
            try:
                peak[0] = max(peak[0], ps.memory_info().rss)
                hwm[0] = max(hwm[0], vm_hwm(proc.pid))
            except (psutil.Error, OSError):
                return
            n += 1
            if n % 20 == 0:
                loads.append(os.getloadavg()[0])

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out = proc.stdout.read() if proc.stdout else b""
    proc.wait()
    wall = time.perf_counter() - t0
    done.set()
    th.join()
    loads.append(os.getloadavg()[0])
    return {"wall_s": wall, "rc": proc.returncode, "output": out.decode(errors="replace")[-2000:],
            "rss_sampled_mb": peak[0] / 1e6, "rss_max_mb": max(hwm[0], peak[0]) / 1e6,
            "load_min": min(loads), "load_max": max(loads), "load_mean": statistics.fmean(loads)}


def vm_hwm(pid: int) -> int:
    """The kernel's peak RSS of the process (``VmHWM``), in bytes; 0 where /proc does not say.

    Not ``wait4``'s ``ru_maxrss``: a forked child starts with its parent's high-water mark, so that
    figure would be this benchmark's own RSS (which holds the seeded images) rather than scmigrate's."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def count_images(env: dict[str, str], cluster: str, project: str) -> int | None:
    r = scm(env, "projects", cluster, "--json")
    if r.returncode:
        raise SystemExit(f"scmigrate projects {cluster} failed: {r.stderr.strip()[-400:]}")
    for p in json.loads(r.stdout):
        if p.get("name") == project:
            return int(p.get("images") or 0)
    return None


def summary(values: list[float]) -> str:
    med = statistics.median(values)
    return f"{med:.1f} ({min(values):.1f}–{max(values):.1f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--workers", type=int, help="fix scmigrate's parallel transfers (default: adaptive)")
    ap.add_argument("--json", dest="json_out", help="write every run and the summary there")
    args = ap.parse_args()

    from sc_emulator import running
    from scmigrate.config import ClusterConfig, save_cluster

    with tempfile.TemporaryDirectory() as tmp_s, ExitStack() as stack:
        tmp = Path(tmp_s)
        env = dict(os.environ, SCMIGRATE_CONFIG=str(tmp / "config.json"), XDG_STATE_HOME=str(tmp / "state"))
        os.environ.update(SCMIGRATE_CONFIG=env["SCMIGRATE_CONFIG"], XDG_STATE_HOME=env["XDG_STATE_HOME"])
        print(f"load average at start: {os.getloadavg()}", flush=True)

        t0 = time.perf_counter()
        with running(tmp / "src2", tls=True) as c:
            os.environ["BENCH_SEED_TOKEN"] = c.token
            save_cluster(ClusterConfig(name="seed", url=c.url, ca_bundle=str(c.ca_bundle),
                                       token_env="BENCH_SEED_TOKEN"))
            total, _ = seed_project("seed", args.images)
        print(f"seeded {args.images} images, {total / 1e6:.1f} MB, in {time.perf_counter() - t0:.1f} s", flush=True)
        shutil.copytree(tmp / "src2", tmp / "sc1")

        emus = {
            "src2": stack.enter_context(running(tmp / "src2", tls=True)),
            "sc1": stack.enter_context(running(tmp / "sc1", tls=True, dialect="sc1")),
            "dst2": stack.enter_context(running(tmp / "dst2", tls=True)),
            "dst3": stack.enter_context(running(tmp / "dst3", tls=True, dialect="geti3")),
        }
        # an SC 1.x cluster takes a login, not a token; config entries learn ``username``/``password_env``
        # with the sc1 client. Until then the password goes in as a token, only so that `clusters test`
        # gets as far as the version probe and names the unsupported dialect instead of a missing token
        login = {f.name for f in dataclasses.fields(ClusterConfig)} >= {"username", "password_env"}
        for name, c in emus.items():
            var = f"BENCH_{name.upper()}_SECRET"
            creds: dict[str, Any] = {}
            if name == "sc1":
                env[var] = c.password or ""
                creds = {"username": c.user, "password_env": var} if login else {"token_env": var}
            elif c.token:
                env[var] = c.token
                creds = {"token_env": var}
            save_cluster(ClusterConfig(name=name, url=c.url, ca_bundle=str(c.ca_bundle), **creds))
            c.admin.knobs(latency_ms=args.latency_ms)
        print(f"latency {args.latency_ms} ms per request on every emulator (TLS)", flush=True)

        cases = list(CASES)
        skipped: dict[str, str] = {}
        # a case whose source or target the installed scmigrate cannot talk to is reported, not measured
        for name in ("src2", "dst2", "sc1", "dst3"):
            r = scm(env, "clusters", "test", name)
            if r.returncode:
                why = (r.stderr or r.stdout).strip().splitlines()
                reason = why[-1] if why else f"exit {r.returncode}"
                if name in ("src2", "dst2"):
                    raise SystemExit(f"clusters test {name} failed: {reason}")
                for label, src, dst in cases:
                    if name in (src, dst):
                        skipped[label] = reason
                        print(f"{label}: not measurable yet: `scmigrate clusters test {name}` says: {reason}",
                              flush=True)
                cases = [k for k in cases if name not in k[1:]]

        runs: list[dict[str, Any]] = []
        extra = ["--workers", str(args.workers)] if args.workers else []
        for rep in range(1, args.reps + 1):
            # alternate the order between repetitions so that drift in the machine's load is shared out
            order = cases if rep % 2 else list(reversed(cases))
            for label, src, dst in order:
                target = f"R{rep} {src}-{dst}"
                res = timed_run(env, ["-q", "run", "--from", src, "--to", dst, "--project", "Bench",
                                      "--to-project", target, *extra])
                if res["rc"]:
                    raise SystemExit(f"{label} rep {rep} failed (exit {res['rc']}):\n{res['output']}")
                got = count_images(env, dst, target)
                if got != args.images:
                    raise SystemExit(f"{label} rep {rep}: target {target!r} holds {got} images, not {args.images}")
                res.update(case=label, rep=rep, images=got, items_per_s=args.images / res["wall_s"])
                runs.append(res)
                print(f"rep {rep} {label:>14}: {res['wall_s']:6.1f} s {res['items_per_s']:6.1f} it/s "
                      f"RSS {res['rss_max_mb']:5.0f} MB load {res['load_min']:.1f}–{res['load_max']:.1f} "
                      f"(checked: {got} images)", flush=True)

    base = [r["items_per_s"] for r in runs if r["case"] == CASES[0][0]]
    print(f"\n{'case':>14} | {'items/s median (min–max)':>24} | {'wall s':>18} | {'peak RSS MB':>11} | "
          f"{'load':>9} | ratio")
    table: dict[str, Any] = {}
    for label, _, _ in CASES:
        rs = [r for r in runs if r["case"] == label]
        if not rs:
            print(f"{label:>14} | not measurable: {skipped.get(label, '')}")
            table[label] = {"measured": False, "reason": skipped.get(label)}
            continue
        ips = [r["items_per_s"] for r in rs]
        ratio = statistics.median(ips) / statistics.median(base)
        table[label] = {"measured": True, "items_per_s_median": statistics.median(ips), "items_per_s": ips,
                        "wall_s": [r["wall_s"] for r in rs], "rss_max_mb": max(r["rss_max_mb"] for r in rs),
                        "load": [min(r["load_min"] for r in rs), max(r["load_max"] for r in rs)],
                        "ratio": ratio, "meets_0_9": ratio >= 0.9}
        verdict = "" if label == CASES[0][0] else (" ≥ 0.9 ok" if ratio >= 0.9 else " < 0.9 MISSED")
        print(f"{label:>14} | {summary(ips):>24} | {summary([r['wall_s'] for r in rs]):>18} | "
              f"{max(r['rss_max_mb'] for r in rs):>11.0f} | "
              f"{min(r['load_min'] for r in rs):.1f}–{max(r['load_max'] for r in rs):.1f} | {ratio:.2f}{verdict}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"images": args.images, "reps": args.reps,
                                                   "latency_ms": args.latency_ms, "summary": table,
                                                   "runs": runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
