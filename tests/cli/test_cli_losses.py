"""``--dry-run`` predicts what the conversion drops and what ``--strict`` would fail; runs show their losses."""

from __future__ import annotations

import pytest
from fixture_plugins import boxes

from scmigrate.engine import make_request, transfer
from scmigrate.errors import InputError
from scmigrate.model import Annotation, Label, Media, Project, Scene, ScoredLabel, Shape, Task
from scmigrate.testing import image_bytes, make_item, memory_target, put_memory


def _source() -> None:
    """Five images; three of them also hold a keypoint, which the ``boxes`` converter drops."""
    project = Project.chain("Pts", Task("Det", "detection", [Label("dog")]))
    items = []
    for i in range(5):
        anns = [Annotation(Shape.rectangle(1, 1, 8, 8), [ScoredLabel("dog")])]
        if i < 3:
            anns.append(Annotation(Shape.keypoint(4, 4), [ScoredLabel("dog")]))
        media = Media(f"k{i}", "image", f"i{i}", f"i{i}.png", width=16, height=12)
        items.append(make_item(media, image_bytes(16, 12, "PNG", seed=i), [Scene(anns)]))
    put_memory("pts", project, items)


def test_dry_run_predicts_the_drops_and_what_strict_fails_and_the_run_agrees(make_registry, capsys):
    _source()
    reg = make_registry(boxes)
    plan = transfer(make_request("memory:pts", "memory:out", registry=reg, project_type="boxes", dry_run=True,
                                 quiet=True)).plan
    assert "conversion would drop: 3× KEYPOINT: not used by boxes" in plan
    assert "--strict would fail 3 of 5 items" in plan
    capsys.readouterr()

    memory_target("out")
    with pytest.raises(InputError, match=r"the conversion would drop 1× KEYPOINT: not used by boxes \(--strict\)"
                                         r" \(and 2 more bad item"):
        transfer(make_request("memory:pts", "memory:out", registry=reg, project_type="boxes", strict=True,
                              quiet=True))
    capsys.readouterr()

    memory_target("out2")
    report = transfer(make_request("memory:pts", "memory:out2", registry=reg, project_type="boxes",
                                   summaries=True))
    assert report.complete and report.conversions["dropped"] == {"KEYPOINT: not used by boxes": 3}
    err = capsys.readouterr().err.splitlines()
    # the losses in one short block after the summary, not only in the report
    assert err[-2].startswith("moved 5 images") and err[-1] == "conversion dropped: 3× KEYPOINT: not used by boxes"


def test_the_sinks_own_losses_are_shown(cli, tmp_path):
    from scmigrate.testing.coco import make_coco

    coco = make_coco(tmp_path / "ds", images=4, seed=3)
    proc = cli("run", "--from", coco.location, "--to", f"datumaro:voc:{tmp_path / 'voc'}",
               plugins="datumaro,convert")
    assert proc.returncode == 0, proc.stderr
    # VOC keeps boxes, not polygons: the sink's own losses (``Writer.finish``'s "lost") are shown
    [lost] = [ln for ln in proc.stderr.splitlines() if ln.startswith("the target dropped: ")]
    assert "polygon: written as its bounding box" in lost, proc.stderr
