"""The archive_spec schemas: every example document is checked, and the model's JSON form validates."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

from archive_spec import KINDS, SPEC_DIR, schema_dir
from scmigrate import schema
from scmigrate.errors import InputError
from scmigrate.model import (
    Annotation,
    Item,
    Label,
    Media,
    Project,
    RangeLabel,
    Scene,
    ScoredLabel,
    Shape,
    Task,
)

VALID = sorted((SPEC_DIR / "examples" / "valid").glob("*.json"))
INVALID_DIR = SPEC_DIR / "examples" / "invalid"
EXPECTED = json.loads((INVALID_DIR / "expected.json").read_text())


def _kind(path: Path) -> str:
    return path.stem.split("-")[0]


def test_every_kind_has_a_schema_and_examples() -> None:
    assert set(KINDS) == set(schema.KINDS)
    for kind in KINDS:
        assert (schema_dir(1) / f"{kind}.schema.json").is_file()
        assert any(_kind(p) == kind for p in VALID), f"no valid example for {kind}"
        assert any(n.startswith(kind + "-") for n in EXPECTED), f"no invalid example for {kind}"


def test_every_invalid_example_is_listed() -> None:
    on_disk = {p.name for p in INVALID_DIR.glob("*.json")} - {"expected.json"}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example(path: Path) -> None:
    schema.validate(_kind(path), json.loads(path.read_text()), "1.0", where=path.name)


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=str)
def test_invalid_example_names_the_field(name: str) -> None:
    doc = json.loads((INVALID_DIR / name).read_text())
    with pytest.raises(InputError) as err:
        schema.validate(name.split("-")[0], doc, where=name)
    text = str(err.value)
    assert text.startswith(f"{name}: {EXPECTED[name]}:"), text
    assert "\n" not in text


def test_refs_between_files_resolve_offline() -> None:
    item = json.loads((SPEC_DIR / "examples/valid/item-image.json").read_text())
    item["annotations"]["scenes"][0]["kind"] = "guess"  # only reachable through annotations.schema.json
    with pytest.raises(InputError, match=r"annotations/scenes/0/kind"):
        schema.validate("item", item)


def test_validators_are_cached_and_thread_safe() -> None:
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(schema.validator("media", "1.2"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(v) for v in seen}) == 1
    assert schema.validator("media") is seen[0]


def test_unknown_major_version_is_an_input_error() -> None:
    with pytest.raises(InputError, match="format version 9"):
        schema.validate("media", {}, version="9.0")
    assert schema.supported_majors() == [1]
    with pytest.raises(ValueError):
        schema.parse_version("v1")


def _sample_item() -> Item:
    data = b"bytes"
    media = Media("a/b.png", "image", "b", "b.png", size=5, sha256=hashlib.sha256(data).hexdigest(),
                  width=3, height=4)
    scenes = [Scene([Annotation(Shape.polygon([(0, 0), (2, 0), (1, 3)]), [ScoredLabel("x", 0.5)])]),
              Scene([], frame=3, kind="prediction")]
    return Item(media, lambda: None, scenes, [RangeLabel(0, 2, ["x"])])


def test_model_records_round_trip_through_the_schemas() -> None:
    """What to_dict() produces validates, and from_dict() of it gives the same record."""
    project = Project.chain("p", Task("Det", "detection", [Label("x", "#123456ff", "g", hotkey="k"),
                                                         Label("Empty", is_empty=True)]))
    schema.validate("project", project.to_dict())
    assert Project.from_dict(project.to_dict()) == project
    item = _sample_item()
    schema.validate("media", item.media.to_dict())
    schema.validate("annotations", item.annotations_dict())
    assert [Scene.from_dict(s) for s in item.annotations_dict()["scenes"]] == item.scenes
    doc = {"media": item.media.to_dict(), "blob": f"blobs/{item.media.sha256}.png",
           "annotations": item.annotations_dict()}
    schema.validate("item", doc)


_ODD_VALUES = [None, True, False, 0, -1, 1.0, 1.5, 2**40, "", "x", "#12345", "ü/..", [], [1], {}, {"x": 1},
               "a" * 64, "0" * 64, "RECTANGLE", "POLYGON", "image", "annotation", 1e308]


def _mutations(doc, rng, n):
    """``n`` copies of ``doc`` with one random node replaced, removed or extended."""
    import copy

    def paths(node, prefix=()):
        yield prefix
        if isinstance(node, dict):
            for k, v in node.items():
                yield from paths(v, prefix + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from paths(v, prefix + (i,))

    all_paths = list(paths(doc))
    for _ in range(n):
        out = copy.deepcopy(doc)
        path = rng.choice(all_paths[1:])
        parent = out
        for p in path[:-1]:
            parent = parent[p]
        action = rng.random()
        if action < 0.25 and isinstance(parent, dict):
            del parent[path[-1]]
        elif action < 0.35 and isinstance(parent, dict):
            parent["extra_" + str(rng.randrange(3))] = rng.choice(_ODD_VALUES)
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(_ODD_VALUES))
        yield out


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_fast_checks_agree_with_jsonschema(path: Path) -> None:
    """The compiled predicates accept exactly what jsonschema accepts (mutation testing)."""
    import random

    kind = _kind(path)
    fast = schema.fast_check(kind)
    assert fast is not None, f"the {kind} schema uses a keyword the compiler lacks"
    exact = schema.validator(kind)
    doc = json.loads(path.read_text())
    assert fast(doc) and exact.is_valid(doc)
    rng = random.Random(path.name)
    rejected = 0
    for mutated in _mutations(doc, rng, 120):
        verdict = exact.is_valid(mutated)
        assert fast(mutated) == verdict, mutated
        rejected += not verdict
    assert rejected > 10  # the mutations do reach invalid documents
    for name in EXPECTED:
        if name.startswith(kind + "-"):
            assert not fast(json.loads((INVALID_DIR / name).read_text())), name


def test_first_validations_from_many_threads_at_once(monkeypatch):
    """Refs compile lazily on first use: threads validating at once must wait, never call a half-built ref."""
    import time

    from scmigrate import schema

    compile_ = schema._Compiler.compile

    def slow_compile(self, node, base):  # widens the window in which a ref is registered but not built
        time.sleep(0.002)
        return compile_(self, node, base)

    monkeypatch.setattr(schema._Compiler, "compile", slow_compile)
    doc = json.loads((SPEC_DIR / "examples" / "valid" / "item-image.json").read_text())
    errors: list[BaseException] = []
    schema._fast.cache_clear()
    check = schema._fast("item", 1)
    assert check is not None
    start = threading.Barrier(8)

    def validate() -> None:
        start.wait()
        try:
            assert check(doc)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=validate) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    schema._fast.cache_clear()  # the next test compiles without the delay
    assert errors == []
