"""The official geti-sdk 1.x of each era against the emulator speaking that era's dialect.

Usage (from the repository root; each SDK is installed on first use into ``benchmarks/.venv-sdk-<version>``
under Python 3.9, a few minutes and ~1.5 GB each)::

    .venv/bin/python benchmarks/sdk_eras.py                          # every era below
    .venv/bin/python benchmarks/sdk_eras.py --only geti1.14=1.15.0   # one pair, dialect=sdk version

Per pair it starts ``sc-emulator`` in the dialect over TLS with its own CA (``REQUESTS_CA_BUNDLE``, the
SDK's ``verify_certificate=True``), seeds a detection project through scmigrate (images with boxes, one
annotated as empty, one unannotated and, where the dialect has videos, a video with two annotated
frames), then in a child process of the SDK's own virtualenv: connects (with a token where the era has
tokens, and with user name and password where it has the browser login), lists the projects, downloads
the project (``Geti.download_project``) and uploads that folder as a new project (``Geti.upload_project``).
Last, scmigrate reads both projects from the emulator and compares media (name, kind, size) and scenes
(shapes with label names). Every step's outcome is printed, a failure with the SDK's exact error.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LOGS = HERE / "out" / "sdk_eras"  # gitignored
PROJECT = "Era dogs"
COPY = "Era dogs (uploaded by geti-sdk)"
STEP_TIMEOUT = 300  # the SDK sets no request timeouts: a child that hangs is stopped and says where

#: (dialect, geti-sdk version, server version to report or None for the dialect's default, what it stands for)
ERAS = [
    ("sc1", "1.5.8", None, "SC 1.1: the 1.x SDK still carries its SC 1.1 branches (API v1.0)"),
    ("geti1.0", "1.5.8", "1.5.0", "Geti 1.0-1.8, the SDK of Geti 1.5"),
    ("geti1.0", "1.8.2", None, "Geti 1.0-1.8, the SDK of Geti 1.8"),
    ("geti1.9", "1.15.0", None, "Geti 1.9-1.13: no SDK of its own on the index; 1.15 serves it"),
    ("geti1.14", "1.15.0", None, "Geti 1.14-1.15, the SDK of Geti 1.15"),
    ("geti2", "1.16.1", "1.16.0", "Geti 1.16, the SDK of Geti 1.16"),
]


# ----------------------------------------------------------------------------- the child (Python 3.9, the SDK's venv)


def child(folder: Path) -> int:
    """Each step in turn; one ``STEP`` line before it and one ``RESULT`` line per outcome, on stdout."""
    import logging
    import traceback

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)  # before Geti() puts its handler on stdout
    from geti_sdk import Geti

    host, token = os.environ["ERA_HOST"], os.environ.get("ERA_TOKEN")
    user, password = os.environ.get("ERA_USER"), os.environ.get("ERA_PASSWORD")
    state: dict[str, Any] = {}

    def step(name: str, fn: Any) -> bool:
        print("STEP " + name, flush=True)
        t0 = time.perf_counter()
        try:
            detail = fn()
            out = {"step": name, "ok": True, "detail": detail}
        except BaseException as exc:  # noqa: BLE001 - every failure of the SDK is the finding
            traceback.print_exc()  # into the log, for the request behind it
            text = f"{type(exc).__name__}: {exc}"
            for secret, shown in ((token, "<token>"), (password, "<password>")):
                text = text.replace(secret, shown) if secret else text  # the SDK puts tokens in URLs
            out = {"step": name, "ok": False, "error": text}
        out["seconds"] = round(time.perf_counter() - t0, 2)
        print("RESULT " + json.dumps(out), flush=True)
        return bool(out["ok"])

    def connect(**kw: Any) -> str:
        geti = Geti(host=host, verify_certificate=True, **kw)
        state.setdefault("geti", geti)
        return f"server {geti.session.version}"

    if token:
        step("connect (token)", lambda: connect(token=token))
    if user:
        step("connect (password)", lambda: connect(username=user, password=password))
    if "geti" not in state:
        return 0
    geti = state["geti"]
    if not step("list projects", lambda: ", ".join(sorted(p.name for p in geti.projects))):
        return 0

    def download() -> str:
        geti.download_project(project_name=PROJECT, target_folder=str(folder))
        return ", ".join(f"{sub} {sum(1 for p in (folder / sub).rglob('*') if p.is_file())}"
                         for sub in ("images", "videos", "annotations") if (folder / sub).is_dir())

    if step("download", download):
        step("upload", lambda: geti.upload_project(target_folder=str(folder), project_name=COPY).name)
    return 0


# ----------------------------------------------------------------------------- the parent (scmigrate's venv)


def seed_items(videos: bool) -> tuple[Any, list[Any]]:
    from scmigrate.model import Annotation, Label, Media, Project, Scene, ScoredLabel, Shape, Task
    from scmigrate.testing import image_bytes, make_item, video_bytes

    # no empty label of our own: the server adds its own, named as that era names it
    task = Task("Detection", "detection", [Label("dog", "#ff0000ff", "Detection labels"),
                                           Label("cat", "#00ff00ff", "Detection labels")])

    def box(x: int, y: int, w: int, h: int, label: str) -> Annotation:
        return Annotation(Shape.rectangle(x, y, w, h), [ScoredLabel(label)])

    items = []
    for i in range(4):
        scenes = [[Scene([box(3 + i, 4, 20, 10, "dog"), box(30, 20 + i, 12, 9, "cat")])], [Scene([box(8, 8, 16, 16,
                  "cat")])], [Scene()], []][i]
        media = Media(key=f"i{i}", kind="image", name=f"img{i}", filename=f"img{i}.jpg", width=64, height=48)
        items.append(make_item(media, image_bytes(64, 48, seed=i), scenes))
    if videos:
        media = Media(key="v0", kind="video", name="clip", filename="clip.mp4", width=64, height=48)
        scenes = [Scene([box(2, 2, 10, 10, "dog")], frame=0), Scene([box(4, 4, 10, 10, "cat")], frame=5)]
        items.append(make_item(media, video_bytes(64, 48, 10, 5), scenes))
    return Project.chain(PROJECT, task), items


def cluster_view(location: str, project: str) -> dict[tuple[str, str], Any]:
    """(kind, name) → size and scenes as scmigrate reads them back (shapes in pixels, labels by name)."""
    from scmigrate.api import RunOptions
    from scmigrate_cluster import ClusterSource

    view = {}
    with ClusterSource().open(location, RunOptions(project=project)) as reader:
        for item in reader.items():
            item.resolve()  # the scenes are fetched here
            scenes = sorted((s.frame if s.frame is not None else -1,
                             sorted(json.dumps({"shape": a.shape.to_dict(), "labels": sorted(lb.name for lb in
                                    a.labels)}, sort_keys=True) for a in s.annotations)) for s in item.scenes or [])
            view[(item.media.kind, item.media.name)] = {"size": (item.media.width, item.media.height),
                                                        "scenes": scenes}
    return view


def compare(location: str) -> dict[str, Any]:
    original, copy = cluster_view(location, PROJECT), cluster_view(location, COPY)
    problems = [f"{k[0]} {k[1]!r} missing in the copy" for k in original if k not in copy]
    problems += [f"{k[0]} {k[1]!r} only in the copy" for k in copy if k not in original]
    problems += [f"{k[0]} {k[1]!r}: {what} differ" for k in original if k in copy
                 for what in ("size", "scenes") if original[k][what] != copy[k][what]]
    if problems:
        return {"step": "compare", "ok": False, "error": "; ".join(problems)}
    n_scenes = sum(len(v["scenes"]) for v in original.values())
    return {"step": "compare", "ok": True, "detail": f"{len(original)} media, {n_scenes} scenes identical"}


def run_era(dialect: str, version: str, server: str | None, tmp: Path) -> dict[str, Any]:
    from sdk_venv import ensure_sdk, python39

    from sc_emulator import running
    from sc_emulator.dialects import get_dialect
    from scmigrate.config import ClusterConfig, save_cluster
    from scmigrate.engine.facade import transfer
    from scmigrate.plugins import make_plugin_manager
    from scmigrate.registry import Registry
    from scmigrate.testing import memory_plugin, put_memory

    python = ensure_sdk(version, base_python=python39())
    d = get_dialect(dialect)
    work = tmp / f"{dialect}-{version}"
    row: dict[str, Any] = {"dialect": dialect, "sdk": version, "steps": []}
    with running(work / "emu", tls=True, dialect=dialect, user="operator" if d.login else None,
                 version=server) as c:
        has_token = d.pat_swap or d.api_key
        os.environ["ERA_TOKEN"] = c.token
        if c.password:
            os.environ["ERA_PASSWORD"] = c.password
        save_cluster(ClusterConfig(name="era", url=c.url, ca_bundle=c.ca_bundle,
                                   token_env="ERA_TOKEN" if has_token else None,
                                   username=c.user if not has_token else None,
                                   password_env="ERA_PASSWORD" if not has_token else None))
        row["server"] = c.admin.info().get("version", server or d.default_version)
        project, items = seed_items(d.videos)
        put_memory("era-seed", project, items)
        report = transfer("memory:era-seed", "era", quiet=True, workers=4,
                          registry=Registry(make_plugin_manager(load=True, plugins=[memory_plugin])))
        assert report.complete, report.to_dict()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ERA_", "SCMIGRATE_"))}
        env.update(ERA_HOST=c.url, REQUESTS_CA_BUNDLE=c.ca_bundle or "")
        if has_token:
            env["ERA_TOKEN"] = c.token
        if d.login:
            env.update(ERA_USER=c.user or "", ERA_PASSWORD=c.password or "")
        (work / "download").mkdir()
        cmd = [str(python), str(Path(__file__).resolve()), "--child", str(work / "download")]
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT)
            out, err = proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as exc:
            out, err = _text(exc.stdout), _text(exc.stderr)
            started = [ln[5:] for ln in out.splitlines() if ln.startswith("STEP ")]
            out += "\nRESULT " + json.dumps({"step": started[-1] if started else "start", "ok": False,
                                             "error": f"no answer within {STEP_TIMEOUT} s (the SDK hung)"})
        row["steps"] = [json.loads(ln[7:]) for ln in out.splitlines() if ln.startswith("RESULT ")]
        if not row["steps"]:
            row["steps"] = [{"step": "start", "ok": False, "error": err.strip().splitlines()[-1:]}]
        if any(s["step"] == "upload" and s["ok"] for s in row["steps"]):
            row["steps"].append(compare("era"))
        log = LOGS / f"{dialect}-{version}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(err)  # the SDK's own log lines: the requests behind a failure
        row["log"] = str(log.relative_to(HERE.parent))
    return row


def _short(error: str, limit: int = 400) -> str:
    """An error's first lines, up to ``limit`` characters (the whole of it goes to ``--json``)."""
    text = " ".join(line.strip() for line in error.splitlines() if line.strip())
    return text if len(text) <= limit else text[:limit] + " …"


def _text(data: Any) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else (data or "")


STEPS = ["connect (token)", "connect (password)", "list projects", "download", "upload", "compare"]


def print_table(rows: list[dict[str, Any]]) -> None:
    print("\n| geti-sdk | dialect (server) | " + " | ".join(STEPS) + " |")
    print("| --- | --- |" + " --- |" * len(STEPS))
    failures = []
    for r in rows:
        by = {s["step"]: s for s in r["steps"]}
        cells = []
        for name in STEPS:
            s = by.get(name)
            if s is None:
                cells.append("–")
            elif s["ok"]:
                cells.append("ok")
            else:
                cells.append(f"FAIL [{len(failures) + 1}]")
                failures.append(f"[{len(failures) + 1}] {r['sdk']} × {r['dialect']}, {name}: {_short(s['error'])}")
        print(f"| {r['sdk']} | {r['dialect']} ({r['server']}) | " + " | ".join(cells) + " |")
    print()
    for r in rows:
        for s in r["steps"]:
            if s["ok"] and s.get("detail"):
                print(f"- {r['sdk']} × {r['dialect']}, {s['step']}: {s['detail']}")
    for line in failures:
        print(line)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", metavar="DIALECT=VERSION", help="run only these pairs")
    ap.add_argument("--json", help="write every outcome there")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(Path(a.child))
    sys.path.insert(0, str(HERE))
    eras = [e for e in ERAS if not a.only or f"{e[0]}={e[1]}" in a.only]
    if not eras:
        ap.error(f"no such pair; choose among {', '.join(f'{e[0]}={e[1]}' for e in ERAS)}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(SCMIGRATE_CONFIG=str(Path(tmp) / "config.json"), XDG_STATE_HOME=str(Path(tmp) / "state"))
        for dialect, version, server, what in eras:
            print(f"geti-sdk {version} against --dialect {dialect} ({what}) ...", flush=True)
            rows.append(run_era(dialect, version, server, Path(tmp)))
            for s in rows[-1]["steps"]:
                print(f"  {s['step']:<20} {'ok' if s['ok'] else 'FAIL'}  {s.get('detail') or _short(s['error'])}",
                      flush=True)
    print_table(rows)
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
