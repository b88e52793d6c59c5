"""scmigrate against the official Geti SDK: backup and restore of the same project on the same emulator.

Usage (from the repository root; the SDK is installed on first use into ``benchmarks/.venv-sdk``)::

    .venv/bin/python benchmarks/vs_sdk.py                        # 2,000 images, 3 repetitions
    .venv/bin/python benchmarks/vs_sdk.py --images 200 --reps 1  # a quick look
    .venv/bin/python benchmarks/vs_sdk.py --tools default,raw    # without the SDK (and its ~100 s runs)

What it does:

1. installs ``geti-sdk==2.13.1`` from the package index into a virtualenv of its own (kept for the next
   run) and starts one emulator (``sc_emulator.running``) over TLS with its private CA;
2. seeds a detection project of N noise JPEGs of ~100 KB with 5 boxes each (no latency while seeding),
   then sets ``--latency-ms`` (default 20) on every request;
3. per repetition, each tool in turn (the order rotates from one repetition to the next) backs the
   project up and restores that backup as a new project, which is deleted afterwards:

   - ``sdk``: ``Geti.download_project_data`` / ``Geti.upload_project_data`` at their defaults (10 and
     5 threads); the upload's fixed ``time.sleep(5)`` ("make sure all uploaded media is processed") is
     measured and subtracted;
   - ``scmigrate``: ``scmigrate.transfer`` cluster → ``.scz`` → cluster at its defaults (the adaptive
     concurrency), then with ``workers=16`` and ``workers=32`` fixed;
   - ``raw``: a plain ``requests`` thread pool doing the same requests with no processing at all
     (list, ``display/full`` + ``annotations/latest`` per image; create the project, upload + annotation
     POST per image) at the concurrency the default scmigrate run chose: the ``highest`` limit of the
     latest default run (backup and restore each their own), not its ``final``, which a back-off near
     the end (a moment's load on the machine) can leave low and so make the raw pool slow. It skips
     what scmigrate does besides (the dialect handshake, settings, the size hint, the archive), so it
     is the least a tool can do for the same media.

Every run is a fresh child process, so that its peak RSS (``VmHWM``) and CPU time (user + system of
every thread) are its own; the wall time is that of the operation (connection and project lookup
included, interpreter start and imports not). The machine's load average is sampled every second.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: the runs ``--tools`` names: tool and fixed workers (None: its defaults)
TOOLS: dict[str, tuple[str, int | None]] = {"sdk": ("sdk", None), "default": ("scmigrate", None),
                                            "16": ("scmigrate", 16), "32": ("scmigrate", 32), "raw": ("raw", None)}
SDK_VENV = HERE / ".venv-sdk"
SDK_VERSION = "2.13.1"


# ----------------------------------------------------------------------------- children (one run each)


def _usage() -> tuple[float, float]:
    """CPU seconds of this process and its peak RSS in MB.

    The peak is the kernel's ``VmHWM`` of this process: ``ru_maxrss`` would not do, Linux carries it over
    from the parent through fork and exec, so every child would report at least the parent's peak.
    """
    r = resource.getrusage(resource.RUSAGE_SELF)
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return r.ru_utime + r.ru_stime, hwm / 1024


def child_sdk(op: str, a: argparse.Namespace) -> dict[str, Any]:
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)  # before Geti() sets INFO on stdout
    slept = {"fixed": 0.0}
    real_sleep = time.sleep

    def counting_sleep(seconds: float) -> None:
        if sys._getframe(1).f_globals.get("__name__", "").endswith("import_export_module") and seconds == 5:
            slept["fixed"] += seconds
        real_sleep(seconds)

    time.sleep = counting_sleep  # type: ignore[assignment]
    from geti_sdk import Geti

    t0 = time.perf_counter()
    geti = Geti(host=a.url, token=os.environ["BENCH_TOKEN"], verify_certificate=True)
    if op == "backup":
        geti.download_project_data(geti.get_project(project_name="Bench"), target_folder=a.dir)
    else:
        geti.upload_project_data(a.dir, project_name=a.name)
    wall = time.perf_counter() - t0
    return {"wall": wall - slept["fixed"], "sdk_fixed_sleep": slept["fixed"]}


def child_scmigrate(op: str, a: argparse.Namespace) -> dict[str, Any]:
    import logging

    import requests  # noqa: F401  # imported before the clock starts, as the raw pool's is

    from scmigrate.engine.facade import transfer
    from scmigrate.registry import get_registry

    registry = get_registry()  # the plugins: imports, as the docstring says, are not timed
    seen: list[dict[str, Any]] = []

    class Keep(logging.Handler):  # ClusterHttp.close() logs its statistics at debug level
        def emit(self, record: logging.LogRecord) -> None:
            if isinstance(record.args, tuple) and record.args and isinstance(record.args[-1], dict):
                seen.append(record.args[-1])

    log = logging.getLogger("scmigrate.cluster")
    log.setLevel(logging.DEBUG)
    log.addHandler(Keep())
    log.propagate = False
    kw: dict[str, Any] = {} if a.workers is None else {"workers": a.workers}
    archive = str(Path(a.dir) / "backup.scz")
    t0 = time.perf_counter()
    if op == "backup":
        report = transfer("bench", archive, project="Bench", quiet=True, registry=registry, **kw)
    else:
        report = transfer(archive, "bench", project=a.name, quiet=True, registry=registry, **kw)
    wall = time.perf_counter() - t0
    assert report.complete, report.to_dict()
    conc = next((s["concurrency"] for s in seen if "concurrency" in s), {})
    return {"wall": wall, "concurrency": conc}


def child_raw(op: str, a: argparse.Namespace) -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor

    import requests

    local = threading.local()
    token, base = os.environ["BENCH_TOKEN"], a.base
    folder = Path(a.dir)

    def sess() -> requests.Session:
        s = getattr(local, "s", None)
        if s is None:
            s = local.s = requests.Session()
            s.headers.update({"x-api-key": token, "x-geti-csrf-protection": "1"})
            s.verify = a.ca
        return s

    t0 = time.perf_counter()
    if op == "backup":
        s = sess()
        proj = next(p for p in s.get(f"{base}/projects", params={"limit": 100}).json()["projects"]
                    if p["name"] == "Bench")
        proj = s.get(f"{base}/projects/{proj['id']}").json()
        d = f"{base}/projects/{proj['id']}/datasets/{proj['datasets'][0]['id']}"
        body = {"condition": "and", "rules": [{"field": "media_type", "operator": "equal", "value": "image"}]}
        media, skip = [], 0
        while True:
            page = s.post(f"{d}/media:query", params={"limit": 1000, "skip": skip}, json=body).json()
            media += page["media"]
            skip += len(page["media"])
            if not page["media"] or skip >= page["total_matched_images"]:
                break
        (folder / "images").mkdir(parents=True)
        (folder / "annotations").mkdir()
        (folder / "project.json").write_text(json.dumps(proj))

        def one(m: dict[str, Any]) -> None:
            url = f"{d}/media/images/{m['id']}"
            (folder / "images" / f"{m['name']}.jpg").write_bytes(sess().get(f"{url}/display/full").content)
            (folder / "annotations" / f"{m['name']}.json").write_bytes(sess().get(f"{url}/annotations/latest").content)
    else:
        s = sess()
        src = json.loads((folder / "project.json").read_text())
        names = {lb["id"]: lb["name"] for t in src["pipeline"]["tasks"] for lb in t.get("labels", [])}
        tasks = [{"title": t["title"], "task_type": t["task_type"],
                  **({"labels": [{"name": lb["name"], "color": lb["color"], "group": lb["group"]}
                                 for lb in t["labels"] if not lb.get("is_empty")]} if t.get("labels") else {})}
                 for t in src["pipeline"]["tasks"]]
        create = {"name": a.name, "pipeline": {"tasks": tasks, "connections": [
            {"from": tasks[0]["title"], "to": tasks[1]["title"]}]}}
        proj = s.post(f"{base}/projects", json=create).json()
        ids = {lb["name"]: lb["id"] for t in proj["pipeline"]["tasks"] for lb in t.get("labels", [])}
        d = f"{base}/projects/{proj['id']}/datasets/{proj['datasets'][0]['id']}"
        media = sorted((folder / "images").iterdir())

        def one(path: Path) -> None:  # type: ignore[misc]
            up = sess().post(f"{d}/media/images", files={"file": (path.name, path.read_bytes(), "image/jpeg")})
            anns = json.loads((folder / "annotations" / f"{path.stem}.json").read_bytes())["annotations"]
            out = [{"shape": x["shape"], "labels": [{"id": ids[names[lb["id"]]]} for lb in x["labels"]]}
                   for x in anns]
            sess().post(f"{d}/media/images/{up.json()['id']}/annotations", json={"annotations": out})

    with ThreadPoolExecutor(a.workers) as pool:
        list(pool.map(one, media))  # type: ignore[arg-type]
    return {"wall": time.perf_counter() - t0}


def run_child(a: argparse.Namespace) -> int:
    cpu0, _ = _usage()
    out = {"sdk": child_sdk, "scmigrate": child_scmigrate, "raw": child_raw}[a.child](a.op, a)
    cpu1, rss = _usage()
    out.update(cpu=cpu1 - cpu0, rss_mb=rss)
    print("RESULT " + json.dumps(out), flush=True)
    return 0


# ----------------------------------------------------------------------------- the parent


class LoadSampler(threading.Thread):
    """The machine's 1-minute load average, every second, while the benchmark runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            self.samples.append(os.getloadavg()[0])


def spawn(python: str, tool: str, op: str, env: dict[str, str], **kw: Any) -> dict[str, Any]:
    args = [python, str(Path(__file__).resolve()), "--child", tool, "--op", op]
    for k, v in kw.items():
        if v is not None:
            args += [f"--{k}", str(v)]
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise SystemExit(f"{tool} {op} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1][7:])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--json", help="write every measurement there")
    ap.add_argument("--tools", default=",".join(TOOLS),
                    help=f"which runs, comma-separated, of {','.join(TOOLS)} (default: all; raw needs default)")
    for name in ("child", "op", "url", "base", "ca", "dir", "name"):
        ap.add_argument(f"--{name}", help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return run_child(a)
    chosen = [t.strip() for t in a.tools.split(",") if t.strip()]
    unknown = [t for t in chosen if t not in TOOLS]
    if unknown or not chosen:
        ap.error(f"--tools: unknown {', '.join(unknown) or '(none given)'}; choose among {','.join(TOOLS)}")
    if "raw" in chosen and "default" not in chosen:
        ap.error("--tools: raw runs at the highest level a default run reached: give default too")

    sys.path.insert(0, str(HERE))
    from sdk_venv import ensure_sdk

    sdk_python = str(ensure_sdk(SDK_VERSION, SDK_VENV)) if "sdk" in chosen else sys.executable
    import requests
    from cluster_bench import seed_project

    from sc_emulator import running
    from scmigrate.config import ClusterConfig, save_cluster

    tools = [TOOLS[t] for t in chosen]
    results: list[dict[str, Any]] = []
    load = LoadSampler()
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "emu", tls=True) as c:
        env = dict(os.environ, SCMIGRATE_CONFIG=str(Path(tmp) / "config.json"), XDG_STATE_HOME=str(Path(tmp) / "st"),
                   BENCH_TOKEN=c.token, REQUESTS_CA_BUNDLE=c.ca_bundle)
        os.environ.update({k: env[k] for k in ("SCMIGRATE_CONFIG", "XDG_STATE_HOME", "BENCH_TOKEN")})
        save_cluster(ClusterConfig(name="bench", url=c.url, ca_bundle=c.ca_bundle, token_env="BENCH_TOKEN"))
        t0 = time.perf_counter()
        total, _ = seed_project("bench", a.images)
        print(f"seeded {a.images} images ({total / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s; "
              f"latency {a.latency_ms} ms per request, TLS", flush=True)
        c.admin.knobs(latency_ms=a.latency_ms)
        admin = requests.Session()
        admin.headers.update({"x-api-key": c.token, "x-geti-csrf-protection": "1"})
        admin.verify, admin.trust_env = c.ca_bundle, False  # the machine's REQUESTS_CA_BUNDLE would win
        settled = {"backup": 8, "restore": 8}
        load.start()
        for rep in range(a.reps):
            order = tools[rep % len(tools):] + tools[:rep % len(tools)]
            if ("raw", None) == order[0]:  # raw needs the level a default run reached: not first
                order = order[1:] + order[:1]
            for tool, workers in order:
                label = tool if tool != "scmigrate" else f"scmigrate {'default' if workers is None else workers}"
                folder = Path(tmp) / f"{tool}-{workers}-{rep}"
                folder.mkdir()
                name = f"restored {label} {rep}"
                row: dict[str, Any] = {"tool": label, "rep": rep}
                for op in ("backup", "restore"):
                    w = settled[op] if tool == "raw" else workers
                    before = os.getloadavg()[0]
                    r = spawn(sdk_python if tool == "sdk" else sys.executable, tool, op, env, url=c.url, base=c.base(),
                              ca=c.ca_bundle, dir=folder, name=name, workers=w)
                    r["load"] = (before + os.getloadavg()[0]) / 2
                    if tool == "raw":
                        r["workers"] = w
                    if label == "scmigrate default" and r.get("concurrency"):
                        settled[op] = int(r["concurrency"]["highest"])
                    row[op] = r
                    print(f"  rep {rep} {label:<18} {op:<7} {r['wall']:6.2f} s  {a.images / r['wall']:6.1f} it/s  "
                          f"cpu {r['cpu']:6.2f} s  rss {r['rss_mb']:6.0f} MB  load {r['load']:.1f}"
                          + (f"  concurrency {r['concurrency']}" if r.get("concurrency") else "")
                          + (f"  workers {w}" if tool == "raw" else ""), flush=True)
                results.append(row)
                shutil.rmtree(folder)
                pid = next(p["id"] for p in admin.get(f"{c.base()}/projects", params={"limit": 100}).json()["projects"]
                           if p["name"] == name)
                admin.delete(f"{c.base()}/projects/{pid}").raise_for_status()
        load.stop.set()
    print_table(results, a.images, load.samples)
    if a.json:
        Path(a.json).write_text(json.dumps({"images": a.images, "latency_ms": a.latency_ms, "load": load.samples,
                                            "runs": results}, indent=1))
    return 0


def print_table(results: list[dict[str, Any]], n: int, load: list[float]) -> None:
    """Medians over the repetitions, as the README shows them."""
    lo, mean, hi = min(load, default=0), statistics.fmean(load or [0]), max(load, default=0)
    reps = max(r["rep"] for r in results) + 1
    print(f"\n{n} images; medians of {reps} repetition(s); load average during the runs: "
          f"min {lo:.1f}, mean {mean:.1f}, max {hi:.1f}\n")
    print("| tool | backup s | it/s | CPU s | restore s | it/s | CPU s | peak RSS MB "
          "| concurrency (backup / restore) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    med: dict[str, dict[str, float]] = {}
    for tool in dict.fromkeys(r["tool"] for r in results):
        rows = [r for r in results if r["tool"] == tool]
        m = {f"{op}_{k}": statistics.median(r[op][k] for r in rows) for op in ("backup", "restore")
             for k in ("wall", "cpu", "rss_mb")}
        med[tool] = m
        conc = "10 / 5 threads (its defaults)" if tool == "sdk" else " / ".join(_conc(rows[-1][op]) for op in
                                                                                ("backup", "restore"))
        print(f"| {tool} | {m['backup_wall']:.1f} | {n / m['backup_wall']:.0f} | {m['backup_cpu']:.1f} | "
              f"{m['restore_wall']:.1f} | {n / m['restore_wall']:.0f} | {m['restore_cpu']:.1f} | "
              f"{max(m['backup_rss_mb'], m['restore_rss_mb']):.0f} | {conc} |")
    if "sdk" in med and "scmigrate default" in med:
        s, d = med["sdk"], med["scmigrate default"]
        print(f"\nscmigrate at its defaults vs the SDK at its defaults: backup "
              f"{s['backup_wall'] / d['backup_wall']:.1f}x, "
              f"restore {s['restore_wall'] / d['restore_wall']:.1f}x faster")


def _conc(r: dict[str, Any]) -> str:
    if "concurrency" in r and r["concurrency"]:
        c = r["concurrency"]
        return f"{c['final']} ({c['mode']}, {c['lowest']}–{c['highest']})" if c["mode"] == "auto" else str(c["final"])
    return str(r.get("workers", ""))


if __name__ == "__main__":
    sys.exit(main())
