"""docs/plugins.md stays true: its code is copied from tested files, and it covers the whole API."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import scmigrate.api as api
import scmigrate.hookspecs as hookspecs
import scmigrate.testing as testing

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "plugins.md").read_text()
BLOCK = re.compile(r"(?:<!-- from: (?P<src>\S+) -->\n)?```(?P<lang>\w*)\n(?P<code>.*?)```", re.S)


def blocks():
    return [(m["src"], m["lang"], m["code"]) for m in BLOCK.finditer(DOC)]


def test_the_doc_has_code():
    assert len(blocks()) >= 10


@pytest.mark.parametrize("src, lang, code", blocks(), ids=lambda v: str(v)[:40])
def test_every_code_block_is_copied_from_a_tested_file(src, lang, code):
    if lang in ("", "sh", "console", "text"):
        return  # commands and prose: no source file
    assert src, f"a {lang} block has no <!-- from: FILE --> marker:\n{code[:200]}"
    text = (ROOT / src).read_text()
    assert code in text, f"this block differs from {src}:\n{code}"


def test_every_hook_is_documented():
    hooks = [n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "scmigrate_spec")]
    assert hooks
    for name in hooks:
        args = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"{name}({args})" in DOC


def test_every_testing_helper_is_documented():
    for name in testing.__all__:
        assert f"`{name}" in DOC, name


@pytest.mark.parametrize("cls", [api.Source, api.Reader, api.Sink, api.Writer, api.Converter])
def test_every_plugin_method_is_documented(cls):
    public = [n for n, v in vars(cls).items() if not n.startswith("_") and (callable(v) or isinstance(v, classmethod))]
    attrs = [n for n in getattr(cls, "__annotations__", {}) if not n.startswith("_")]
    for name in public + attrs:
        assert f"`{name}" in DOC, f"{cls.__name__}.{name} is not mentioned in docs/plugins.md"
