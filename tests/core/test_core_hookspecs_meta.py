"""Meta-tests: every hook is documented (``:param`` for each argument) and has a ``test_hook_<name>``;
core never imports a plugin package or the emulator."""

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


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
            "import_module", "__import__"
        ) and node.args and isinstance(node.args[0], ast.Constant):
            found.add(str(node.args[0].value).split(".")[0])
    return found


def test_core_never_imports_plugins_or_the_emulator():
    offenders = []
    files = list((ROOT / "scmigrate").rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for mod in _imports(path):
            if mod.startswith("scmigrate_") or mod == "sc_emulator":
                offenders.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert offenders == []


def test_ast_scan_sees_imports(tmp_path):
    probe = tmp_path / "x.py"
    probe.write_text("import scmigrate_archive\nfrom sc_emulator import app\n")
    assert {"scmigrate_archive", "sc_emulator"} <= _imports(probe)
