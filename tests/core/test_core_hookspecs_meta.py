"""Meta-tests: every hook is documented (``:param`` for each argument) and has a ``test_hook_<name>``.

(The import boundaries, core never importing a plugin or the emulator, are in ``test_core_boundaries.py``.)
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from scmigrate import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = [n for n, f in vars(hookspecs).items() if inspect.isfunction(f) and hasattr(f, "scmigrate_spec")]


def test_there_are_hooks():
    assert sorted(HOOKS) == ["register_converters", "register_sinks", "register_sources"]


def test_every_hook_is_documented():
    for name in HOOKS:
        fn = getattr(hookspecs, name)
        doc = inspect.getdoc(fn) or ""
        assert len(doc.splitlines()) >= 3, f"{name}: docstring too short"
        for arg in inspect.signature(fn).parameters:
            assert f":param {arg}:" in doc, f"{name}: no ':param {arg}:'"
        assert ":return:" in doc, f"{name}: does not say what it returns"


def test_every_hook_has_a_test():
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    for name in HOOKS:
        assert f"test_hook_{name}" in names, f"no test_hook_{name}"
