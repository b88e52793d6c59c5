"""Benchmark the .scz archive: throughput against `tar --zstd`, and memory against item count.

    .venv/bin/python benchmarks/archive_bench.py [--items 2000] [--workers 4] [--reps 5] [--rss 2000,20000]
                                                 [--work DIR] [--json out.json]

1. Draws ``--items`` JPEG images (~100 KB each: coloured noise plus shapes, so they do not
   compress to nothing) into a folder, and a COCO ``instances.json`` (one box each) next to them.
2. Packing, ``--reps`` times, the order rotating each repetition, on the same files: the archive
   writer (``--workers`` threads, as the engine would; sealed and fsynced), ``tar --zstd -cf`` (as
   is, and followed by an fsync of its file, the writer's durability),
   ``scmigrate run --from coco:instances.json --to x.scz`` (its own process: timed whole, and
   minus the same command on a one-image COCO file, i.e. without start-up, imports and plugin
   loading), and ``packing_floor.py`` (the format's per-byte work and nothing else, two threads,
   then two processes: the ceiling of a packer in Python). Medians, min–max, the ratio to tar
   per repetition, and the load average; also the CPU seconds of each (threads and child
   processes included), which neighbours disturb less.
3. Reads every item of the archive back (project, scenes, every media byte), verifies it, runs
   ``tar --zstd -xOf`` (to /dev/null) and ``tar --zstd -xf`` on the same files for comparison,
   ``tar --zstd -xf`` on the archive, and times opening the archive and reading one item by key.
4. For each count in ``--rss``, writes that many small images in a fresh subprocess and reports
   its peak RSS (``ru_maxrss``): flat memory means the peak does not grow with the count.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from scmigrate.api import RunOptions
from scmigrate.model import (
    Annotation,
    Item,
    Label,
    Media,
    Project,
    Scene,
    ScoredLabel,
    Shape,
    Task,
)
from scmigrate_archive import ArchiveSink, ArchiveSource

MB = 1e6


def draw_jpeg(seed: int, side: int = 340) -> bytes:
    """A noisy JPEG with a few shapes; ~100 KB at the default side."""
    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(3):
        x, y = (int(v) for v in rng.integers(0, side - 40, 2))
        draw.rectangle((x, y, x + 30, y + 30), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def project() -> Project:
    return Project.chain("bench", Task("Detection", "detection", [Label("thing", "#ff0000ff")]))


def make_item(key: str, open_fn: Any, side: int) -> Item:
    scene = Scene([Annotation(Shape.rectangle(1, 2, side / 4, side / 5), [ScoredLabel("thing")])])
    return Item(Media(key, "image", key, key + ".jpg", width=side, height=side), open_fn, [scene], [])


def file_items(folder: Path, side: int) -> Iterator[Item]:
    for path in sorted(folder.iterdir()):
        yield make_item(path.stem, lambda p=path: open(p, "rb"), side)


def write(path: Path, its: Iterator[Item], workers: int) -> None:
    writer = ArchiveSink().open(str(path), RunOptions())
    writer.begin(project(), None)
    with ThreadPoolExecutor(workers) as pool:
        # bounded submission, as the engine does: never more than 4×workers items in flight
        pending: list[Any] = []
        for it in its:
            pending.append(pool.submit(writer.write, it))
            if len(pending) >= 4 * workers:
                pending.pop(0).result()
        for f in pending:
            f.result()
    writer.finish(True)


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_now() -> float:
    """CPU seconds of this process (all threads) and of its finished children (tar's zstd included)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def write_coco(images: Path, target: Path, n: int | None = None) -> None:
    """A COCO instances file for the first ``n`` (all) images of ``images``, one box each."""
    names = sorted(p.name for p in images.iterdir())[:n]
    target.write_text(json.dumps({
        "images": [{"id": i + 1, "file_name": f, "width": 340, "height": 340} for i, f in enumerate(names)],
        "annotations": [{"id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": [10, 20, 30, 40],
                         "segmentation": [], "area": 1200, "iscrowd": 0} for i in range(len(names))],
        "categories": [{"id": 1, "name": "thing"}]}))


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def packing(images: Path, work: Path, workers: int, reps: int) -> dict[str, Any]:
    """Pack the same files with the writer, tar and scmigrate run (COCO), alternating."""
    # the timed runs start from bytecode, as an installed tool does (an editable install has none
    # until its first import writes it, and never where PYTHONDONTWRITEBYTECODE is set)
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "scmigrate"), str(root / "plugins")],
                   check=True, stdout=subprocess.DEVNULL)
    write_coco(images, work / "instances.json")
    write_coco(images, work / "one.json", 1)
    scm = str(Path(sys.executable).with_name("scmigrate"))

    def coco(ann: str) -> float:
        out = work / "coco.scz"
        out.unlink(missing_ok=True)
        return timed(lambda: subprocess.run(
            [scm, "-q", "run", "--from", f"coco:{work / ann}", "--images", str(images), "--to", str(out),
             "--project-type", "detection", "--labels", "thing"], check=True, stderr=subprocess.DEVNULL))

    def scz() -> float:
        (work / "bench.scz").unlink(missing_ok=True)
        return timed(lambda: write(work / "bench.scz", file_items(images, 340), workers))

    def tar(sync: bool = False) -> float:
        def run() -> None:
            subprocess.run(["tar", "--zstd", "-cf", str(work / "bench.tar.zst"), "-C", str(images), "."], check=True)
            if sync:  # the writer fsyncs the archive it seals: the same durability
                fd = os.open(work / "bench.tar.zst", os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        return timed(run)

    floor_script = str(Path(__file__).with_name("packing_floor.py"))

    def floor(how: str) -> float:
        """The format's per-byte work with the least Python around it (packing_floor.py), 2-way."""
        return timed(lambda: subprocess.run([sys.executable, floor_script, str(images), str(work / "floor.out"),
                                             f"--{how}", "2"], check=True))

    cases = {"scz": scz, "tar": tar, "tar_fsync": lambda: tar(True), "coco": lambda: coco("instances.json"),
             "coco_one": lambda: coco("one.json"), "floor_threads": lambda: floor("threads"),
             "floor_processes": lambda: floor("processes")}
    runs: dict[str, list[float]] = {k: [] for k in cases}
    # CPU seconds next to the wall clock: on a shared machine the wall clock measures the neighbours too
    cpus: dict[str, list[float]] = {k: [] for k in cases}
    loads = []
    order = list(cases)
    for rep in range(reps):
        for name in order[rep % len(order):] + order[: rep % len(order)]:
            cpu = cpu_now()
            runs[name].append(cases[name]())
            cpus[name].append(cpu_now() - cpu)
            loads.append(os.getloadavg()[0])
        print(f"rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in runs.items()), file=sys.stderr)
    marginal = [a - b for a, b in zip(runs["coco"], runs["coco_one"], strict=True)]
    cpus["coco_minus_one"] = [a - b for a, b in zip(cpus["coco"], cpus["coco_one"], strict=True)]

    def summary(values: list[float]) -> dict[str, Any]:
        return {"median_s": round(median(values), 3), "min_s": round(min(values), 3), "max_s": round(max(values), 3)}

    def ratios(values: list[float], tar: str = "tar") -> dict[str, Any]:
        each = [t / v for v, t in zip(values, runs[tar], strict=True)]  # speed relative to tar, same rep
        return {"median": round(median(each), 2), "min": round(min(each), 2), "max": round(max(each), 2)}

    return {"reps": reps, "load_min": round(min(loads), 1), "load_max": round(max(loads), 1),
            "tar": summary(runs["tar"]), "tar_fsync": summary(runs["tar_fsync"]), "scz_writer": summary(runs["scz"]),
            "coco_run": summary(runs["coco"]), "coco_run_minus_one_image": summary(marginal),
            "floor_threads": summary(runs["floor_threads"]), "floor_processes": summary(runs["floor_processes"]),
            "speed_vs_tar": {
                "scz_writer": ratios(runs["scz"]), "scz_writer_vs_tar_fsync": ratios(runs["scz"], "tar_fsync"),
                "coco_run": ratios(runs["coco"]), "coco_run_minus_one_image": ratios(marginal),
                "floor_threads": ratios(runs["floor_threads"]), "floor_processes": ratios(runs["floor_processes"])},
            "cpu_s": {k: summary(v) for k, v in cpus.items()},
            "cpu_vs_tar": {k: round(median(cpus["tar"]) / median(v), 2) for k, v in cpus.items()}}


def throughput(n: int, workers: int, reps: int, work: Path) -> dict[str, Any]:
    images = work / "images"
    images.mkdir()
    t = time.perf_counter()
    for i in range(n):
        (images / f"img{i:06d}.jpg").write_bytes(draw_jpeg(i))
    media_bytes = sum(p.stat().st_size for p in images.iterdir())
    print(f"drew {n} JPEGs, {media_bytes / MB:.1f} MB in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    packed = packing(images, work, workers, reps)
    archive = work / "bench.scz"

    def read() -> None:
        with ArchiveSource().open(str(archive), RunOptions()) as reader:
            reader.project()
            for it in reader.items():
                with it.open() as f:
                    while f.read(1 << 20):
                        pass

    r_s = timed(read)
    v_s = timed(lambda: ArchiveSource().open(str(archive), RunOptions()).verify())
    tarball = work / "bench.tar.zst"
    t_r = timed(lambda: subprocess.run(["tar", "--zstd", "-xOf", str(tarball)], check=True, stdout=subprocess.DEVNULL))
    out = work / "untar"
    out.mkdir()
    t_x = timed(lambda: subprocess.run(["tar", "--zstd", "-xf", str(tarball), "-C", str(out)], check=True))
    # scz -> files with the system tar, for the same comparison
    out2 = work / "unscz"
    out2.mkdir()
    s_x = timed(lambda: subprocess.run(["tar", "--zstd", "-xf", str(archive), "-C", str(out2)], check=True))

    def one_item() -> None:
        with ArchiveSource().open(str(archive), RunOptions()) as reader:
            with reader.item(f"img{n // 2:06d}").open() as f:
                f.read()

    one = min(timed(one_item) for _ in range(5))

    def rates(seconds: float) -> dict[str, float]:
        return {"seconds": round(seconds, 2), "MB_per_s": round(media_bytes / MB / seconds, 1),
                "items_per_s": round(n / seconds, 1)}

    return {
        "items": n, "media_MB": round(media_bytes / MB, 1), "workers": workers,
        "packing": {**packed, "MB_per_s_median": {
            k: round(media_bytes / MB / packed[k]["median_s"], 1)
            for k in ("tar", "tar_fsync", "scz_writer", "coco_run", "coco_run_minus_one_image", "floor_threads",
                      "floor_processes")}},
        "scz": {"size_MB": round(archive.stat().st_size / MB, 1), "read": rates(r_s),
                "verify": rates(v_s), "tar_xf": rates(s_x), "open_and_read_one_item_ms": round(one * 1000, 1)},
        "tar_zstd": {"size_MB": round(tarball.stat().st_size / MB, 1),
                     "read_xOf": rates(t_r), "tar_xf": rates(t_x)},
    }


def rss_child(n: int, side: int, workers: int, path: str) -> None:
    """Subprocess body: write ``n`` generated items, print peak RSS in MB."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    its = (make_item(f"k{i}", (lambda i=i: io.BytesIO(draw_jpeg(i, side))), side) for i in range(n))
    write(Path(path), its, workers)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"items": n, "peak_rss_MB": round(peak / 1024, 1),
                      "growth_during_write_MB": round((peak - before) / 1024, 1),
                      "archive_MB": round(os.path.getsize(path) / MB, 1)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--reps", type=int, default=5, help="repetitions of the packing comparison")
    ap.add_argument("--rss", default="2000,20000", help="item counts for the memory test ('' to skip)")
    ap.add_argument("--rss-side", type=int, default=64, help="image side for the memory test")
    ap.add_argument("--work", help="folder for the files (default: a temporary folder, removed)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--child", nargs=2, metavar=("N", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        rss_child(int(args.child[0]), args.rss_side, args.workers, args.child[1])
        return
    work = Path(args.work or tempfile.mkdtemp(prefix="scz-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results: dict[str, Any] = {}
        if args.items:
            results["throughput"] = throughput(args.items, args.workers, args.reps, work)
            print(json.dumps(results["throughput"], indent=2))
        results["memory"] = []
        for n in [int(x) for x in args.rss.split(",") if x]:
            target = work / f"rss{n}.scz"
            out = subprocess.run([sys.executable, __file__, "--workers", str(args.workers), "--rss-side",
                                  str(args.rss_side), "--child", str(n), str(target)],
                                 capture_output=True, text=True, check=True)
            results["memory"].append(json.loads(out.stdout))
            print(out.stdout.strip())
            target.unlink()
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
