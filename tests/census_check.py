"""``run --to x.scz`` and ``inspect x.scz`` agree: the check each source kind's tests make.

``inspect`` counts an archive as ``run`` counted what it moved (:mod:`scmigrate.engine.census`),
and both follow the model's one form of "annotated as empty", so the numbers of annotations and
of annotated / annotated-empty / unannotated media are the same on both sides.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scmigrate.cli import main

STATES = ("annotated", "annotated_empty", "unannotated")


def scmigrate(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The real command line, in this process; its stdout (exit code 0 asserted)."""
    with pytest.raises(SystemExit) as ex:
        main(list(args))
    out, err = capsys.readouterr()
    assert ex.value.code == 0, err
    return out


def run_and_inspect(capsys: pytest.CaptureFixture[str], tmp: Path, *source: str) -> dict[str, Any]:
    """``inspect`` of the source, ``run`` from it into an archive (its report), ``inspect`` of the archive;
    asserts they agree and returns the archive's counts."""
    before = json.loads(scmigrate(capsys, "inspect", *source, "--json"))["media"]
    target, report_file = tmp / "census.scz", tmp / "census-report.json"
    scmigrate(capsys, "-q", "run", "--from", *source, "--to", str(target), "--report", str(report_file))
    report = json.loads(report_file.read_text())
    after = json.loads(scmigrate(capsys, "inspect", str(target), "--json"))["media"]
    assert report["complete"] and report["counts"].get("annotations", 0) == after["annotations"], (report, after)
    assert {k: before[k] for k in (*STATES, "annotations")} == {k: after[k] for k in (*STATES, "annotations")}
    assert after["annotations"] > 0 and after["annotated"] > 0
    return after
