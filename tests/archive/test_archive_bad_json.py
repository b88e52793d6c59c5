"""JSON that parses in Python but is not JSON, or that a restore cannot use: one line naming the
member and the problem, exit 2 (never a RecursionError, a UnicodeEncodeError or a NaN passed on)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from archive_helpers import (
    IMAGE,
    box_scene,
    content_archive,
    item,
    item_doc,
    jpeg,
    open_archive,
    write_archive,
)
from scmigrate_archive.layout import item_member

from scmigrate import schema
from scmigrate.errors import InputError
from scmigrate.model import Shape

SCMIGRATE = Path(sys.executable).with_name("scmigrate")


def _text(key: str, **shape: object) -> str:
    return json.dumps(item_doc(key, IMAGE, box_scene(**shape)))


def _deep(key: str) -> tuple[str, bytes]:
    text = _text(key)
    return key, (text[:-1] + ', "extra": ' + "[" * 50_000 + "]" * 50_000 + "}").encode()


CASES = {
    # name: (item member text, what the one line must say)
    "deep nesting": (_deep("a"), "not valid JSON (nested deeper than"),
    "moderately deep nesting": (("a", (_text("a")[:-1] + ', "extra": ' + "[" * 200 + "]" * 200 + "}").encode()),
                                "not valid JSON (nested deeper than 64 levels"),
    "lone surrogate in a name": (("a", _text("a").replace('"name": "a"', '"name": "a\\ud800"').encode()),
                                 "media/name: holds a lone UTF-16 surrogate"),
    "lone surrogate in the key": (("a", _text("a").replace('"a"', '"a\\udc00"').encode()),
                                  "holds a lone UTF-16 surrogate"),
    "NaN coordinate": (("a", _text("a", x=math.nan).encode()), "NaN is not a JSON number"),
    "Infinity width": (("a", _text("a", width=math.inf).encode()), "Infinity is not a JSON number"),
    "-Infinity y": (("a", _text("a", y=-math.inf).encode()), "-Infinity is not a JSON number"),
    "a number too large for a float": (("a", _text("a").replace('"x": 1', '"x": 1e999').encode()),
                                       "shape/x: inf is not a JSON number"),
    "not UTF-8": (("a", _text("a").replace('"name": "a"', '"name": "a\xff"').encode("latin-1")), "not UTF-8"),
    "a label the project does not define": (item_doc("a", IMAGE, box_scene(label="cat")),
                                            "label 'cat' is not a label of the project"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_json_is_one_line_naming_the_member(case: str, tmp_path: Path) -> None:
    doc, why = CASES[case]
    key = doc["media"]["key"] if isinstance(doc, dict) else doc[0]
    path = tmp_path / "bad.scz"
    path.write_bytes(content_archive([doc]))
    with open_archive(path) as reader:
        with pytest.raises(InputError) as err:
            list(reader.items())
    assert str(err.value).startswith(f"{path}: {item_member(key)}") and why in str(err.value), str(err.value)
    run = subprocess.run([str(SCMIGRATE), "-q", "run", "--from", str(path), "--to", str(tmp_path / "out.scz")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    [line] = run.stderr.splitlines()
    assert line.startswith(f"error: {path}: items/") and why in line and "--resume" not in line, line
    assert not (tmp_path / "out.scz").exists() or b"NaN" not in (tmp_path / "out.scz").read_bytes()


def test_schema_loads_accepts_what_json_allows() -> None:
    text = json.dumps({"a": [1, 2.5, -0.0, "ü \U0001f600", {"b": None}], "c": 2**62}, ensure_ascii=True)
    assert schema.loads(text.encode(), "x") == json.loads(text)
    nested = "[" * 64 + "]" * 64  # exactly the bound
    assert schema.loads(nested.encode(), "x") is not None
    with pytest.raises(InputError, match=r"^x: not valid JSON \(nested deeper than 64"):
        schema.loads(("[" * 65 + "]" * 65).encode(), "x")
    with pytest.raises(InputError, match=r"^x: not valid JSON \("):
        schema.loads(b'{"a": 1,}', "x")


def test_writer_refuses_nan_coordinates_naming_the_item(tmp_path: Path) -> None:
    """A source that hands over NaN (Python's json reads it) never gets it into an archive."""
    bad = item("k/nan", jpeg(1, 16))
    bad.scenes[0].annotations[0] = type(bad.scenes[0].annotations[0])(Shape.rectangle(math.nan, 1, 2, 3),
                                                                       bad.scenes[0].annotations[0].labels)
    with pytest.raises(InputError, match=r"items/[0-9a-f]{64}\.json \(item 'k/nan'\): annotations/scenes/0/annotations/0/shape/x: nan is not a JSON number"):
        write_archive(tmp_path / "nan.scz", [bad])


def test_writer_refuses_a_lone_surrogate_naming_the_item(tmp_path: Path) -> None:
    bad = item("k/text", jpeg(2, 16))
    bad.media.name = "broken \udc80 name"
    with pytest.raises(InputError, match=r"\(item 'k/text'\): media/name: holds a lone UTF-16 surrogate"):
        write_archive(tmp_path / "sur.scz", [bad])


def test_an_index_offset_beyond_64_bits_is_refused(tmp_path: Path) -> None:
    """The index is parsed without the walk (it is large); its schema bounds its numbers instead."""
    good = tmp_path / "good.scz"
    good.write_bytes(content_archive([item_doc("a", IMAGE)]))
    from archive_helpers import rewrite_index

    bad = tmp_path / "huge.scz"
    rewrite_index(good, bad, lambda doc: doc["members"][1].update(offset=10**30))
    with pytest.raises(InputError, match=r"index\.json: members/1/offset: 10{30} is greater than the maximum"):
        with open_archive(bad) as reader:
            reader.project()
