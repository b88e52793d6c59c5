"""Kill -9 campaign: ``scmigrate run`` killed at random instants, finished by ``--resume`` alone.

    .venv/bin/python benchmarks/kill_campaign.py [--kills 30] [--items 12] [--latency-ms 30]
                                                 [--seed 1] [--concurrent 10] [--json out.json]

Two emulators (the second shares the first's token, so one ``SCMIGRATE_TOKEN`` serves both).
Each of ``--kills`` rounds picks a scenario in turn — backup (cluster → archive), restore
(archive → cluster), migration (cluster → cluster) — and a random instant within that
scenario's measured duration; one round in three also kills the first ``--resume`` at a random
instant. Then ``--resume`` (no other flag) runs to its end, and the round counts as good only if
``scmigrate check`` finds the target identical to the source and a cluster target holds exactly
the source's number of media (no duplicates). Then ``--concurrent`` second runs (``--resume``,
plain, ``--into-existing``) start against each target while a first run holds it; each must be
refused with exit 2 naming the holder. Prints the tally.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from kill_helpers import (  # noqa: E402
    PROJECT,
    Site,
    kill_and_resume,
    reset_target,
    seed,
    wait_for_lock,
)

STARTUP = 0.4  # seconds before a run does anything but import


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=30)
    ap.add_argument("--items", type=int, default=12)
    ap.add_argument("--latency-ms", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--concurrent", type=int, default=10)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    from sc_emulator import running

    rnd = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="kill-campaign-") as td:
        tmp = Path(td)
        with running(tmp / "a", latency_ms=args.latency_ms) as a:
            (tmp / "b").mkdir()
            (tmp / "b" / "token.txt").write_text(a.token)
            with running(tmp / "b", latency_ms=args.latency_ms) as b:
                seed(a.url, args.items, a.token)
                seed(str(tmp / "src.scz"), args.items)
                site = Site(tmp, a.token)
                scenarios = {
                    "backup": (a.url, "backup.scz", None, None),
                    "restore": ("src.scz", a.url, "Restored", (a.url, a.token)),
                    "migration": (a.url, b.url, "Migrated", (b.url, b.token)),
                }
                durations = {name: _duration(site, *sc) for name, sc in scenarios.items()}
                print("uninterrupted: " + ", ".join(f"{n} {d:.1f} s" for n, d in durations.items()), flush=True)
                rounds = []
                for i in range(args.kills):
                    name = list(scenarios)[i % len(scenarios)]
                    src, dst, to_project, count = scenarios[name]
                    # from mid-start-up to just before the end (a run killed after its end proves nothing)
                    span = durations[name] * 0.92 - STARTUP * 0.5
                    at = STARTUP * 0.5 + rnd.random() * span
                    second = STARTUP * 0.5 + rnd.random() * span if i % 3 == 2 else None
                    out = kill_and_resume(site, src, dst, at, second, to_project, count, args.items)
                    _reset(site, dst, to_project, count)
                    rounds.append({"scenario": name, "kill_at": round(at, 2),
                                   "second_kill_at": second and round(second, 2),
                                   "killed": len(out.killed), "ok": out.ok, "detail": out.detail})
                    print(f"{i + 1:3} {name:9} kill at {at:5.2f} s"
                          + (f", resume killed at {second:5.2f} s" if second is not None else "")
                          + f": {'ok' if out.ok else 'FAILED ' + out.detail}"
                          + ("" if out.killed else " (ended before the kill)"), flush=True)
                refusals = _concurrent(site, a, scenarios, args.concurrent) if args.concurrent else {}
    good = sum(r["ok"] for r in rounds)
    killed = sum(r["killed"] > 0 for r in rounds)
    twice = sum(r["killed"] > 1 for r in rounds)
    print(f"kill -9 then --resume: {good}/{len(rounds)} identical ({killed} rounds killed, {twice} of them "
          "killed twice)")
    for name, (ok, n) in refusals.items():
        print(f"concurrent second runs on the {name} target: {ok}/{n} refused with exit 2 naming the holder")
    if args.json:
        args.json.write_text(json.dumps({"rounds": rounds, "durations": durations,
                                         "refusals": {k: list(v) for k, v in refusals.items()}}, indent=2))
    failed = good < len(rounds) or any(ok < n for ok, n in refusals.values())
    return 1 if failed else 0


def _duration(site: Site, src: str, dst: str, to_project: str | None, count: Any) -> float:
    """An uninterrupted run's wall time (the range the kill instants are drawn from)."""
    t = time.monotonic()
    cmd = ["run", "--from", src, "--to", dst, "--workers", "4"]
    cmd += ["--to-project", to_project] if to_project else []
    cmd += ["--project", PROJECT] if src.startswith("http") else []
    proc = site.run(*cmd)
    if proc.returncode != 0:
        raise SystemExit(f"an uninterrupted run failed: {proc.stderr}")
    took = time.monotonic() - t
    _reset(site, dst, to_project, count)
    return took


def _reset(site: Site, dst: str, to_project: str | None, count: Any) -> None:
    reset_target(site, dst, None if count is None else (*count, to_project or PROJECT))


def _concurrent(site: Site, emu: Any, scenarios: dict[str, Any], n: int) -> dict[str, tuple[int, int]]:
    """Per target kind, ``n`` second runs started while a first run holds the target."""
    out = {}
    for name in ("backup", "restore"):
        src, dst, to_project, count = scenarios[name]
        cmd = ["run", "--from", src, "--to", dst, "--workers", "1"]
        cmd += ["--to-project", to_project] if to_project else []
        cmd += ["--project", PROJECT] if src.startswith("http") else []
        emu.admin.knobs(latency_ms=100)
        first = site.start(*cmd)
        wait_for_lock(site, first)
        emu.admin.knobs(latency_ms=3000)  # it holds the lock: keep it holding while the others try
        flags = [["--resume"], [], ["--into-existing"] if count else ["--resume"]]
        others = [site.start(*cmd, *flags[i % 3]) for i in range(n)]
        ok = 0
        for other in others:
            _, err = other.communicate(timeout=120)
            lines = err.strip().splitlines()
            ok += (other.returncode == 2 and len(lines) == 1
                   and f"pid {first.pid} on {socket.gethostname()}" in lines[0])
        still = first.poll() is None
        emu.admin.knobs(latency_ms=0)
        first.communicate(timeout=300)
        out[name] = (ok if still else 0, n)
        _reset(site, dst, to_project, count)
    return out


if __name__ == "__main__":
    sys.exit(main())
