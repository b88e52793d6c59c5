"""A cluster source: ``run --to x.scz`` and ``inspect x.scz`` agree, and "annotated as empty" is one form.

The cluster stores an image annotated as empty as its first task's empty label on the full-image
box; the plugin reads that as a scene without annotations. A chain's second-task empty label on
its parent's box is an ordinary label of that one annotation and must stay one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cluster_helpers import detection_items, detection_project, kind_project
from test_cluster_roundtrip import seed

from scmigrate.errors import InputError
from scmigrate.testing import memory_target


def test_run_and_inspect_agree_for_a_cluster(clusters: Any, registry: Any, tmp_path: Any, capsys: Any) -> None:
    from census_check import run_and_inspect, scmigrate  # tests/census_check.py

    clusters("a")
    assert seed(registry, "a", detection_project("Dogs"), detection_items(4)).complete
    counts = run_and_inspect(capsys, tmp_path, "a", "--project", "Dogs")
    got = (counts["annotated"], counts["annotated_empty"], counts["unannotated"], counts["annotations"])
    assert got == (2, 1, 1, 4)
    labels = {lb["name"]: lb for t in json.loads(scmigrate(capsys, "inspect", str(tmp_path / "census.scz"),
                                                           "--json"))["tasks"] for lb in t["labels"]}
    assert labels["No Object"]["annotations"] == 0  # the empty mark is no annotation in the archive


def test_second_task_empty_label_stays_on_its_box(clusters: Any, registry: Any) -> None:
    from scmigrate.engine.facade import transfer

    clusters("a")
    project, items = kind_project("detection_to_segmentation")
    assert seed(registry, "a", project, items).complete
    back = transfer("a", "memory:back", project=project.name, quiet=True, workers=2, registry=registry)
    assert back.complete, back.to_dict()
    scenes = {it.media.name: it.scenes for it in memory_target("back").items.values()}
    assert [a.label_names for a in scenes["c"][0].annotations] == [["dog", "Empty"]]


def test_bytes_that_do_not_match_the_declared_sha256_fail_the_item(clusters: Any, registry: Any) -> None:
    from scmigrate.engine.facade import transfer

    clusters("a")
    items = detection_items(2)
    items[0].media.sha256 = "0" * 64  # the source vouches for other bytes than it gives
    with pytest.raises(InputError, match=f"^Dataset/{items[0].media.filename}: media bytes: the bytes read do not "
                                         "match the sha256 the source declared"):
        seed(registry, "a", detection_project("Dogs"), items)
    back = transfer("a", "memory:check", registry=registry, quiet=True, project="Dogs")
    assert back.complete
    assert [it.media.name for it in memory_target("check").items.values()] == [items[1].media.name]  # not sent
