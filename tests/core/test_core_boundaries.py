"""The import boundaries, checked by scanning the source (AST), not by running it.

Core (``scmigrate/``) never imports a plugin package or the emulator. Plugins (the built-ins in
``plugins/`` and the example in ``docs/example-plugin/``, tests included) import only the modules
in ``scmigrate.api.PUBLIC_MODULES``, and from a public module only the names it exports.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from scmigrate.api import PUBLIC_MODULES

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_TREES = (ROOT / "plugins", ROOT / "docs" / "example-plugin")


def _imports(tree: ast.AST) -> Iterator[tuple[int, str, list[str]]]:
    """``(line, module, names)`` for every absolute import, also inside functions and ``import_module("x")``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module, [a.name for a in node.names]
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", ""))
              in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)):
            yield node.lineno, str(node.args[0].value), []


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent that is not a package
        return False


def _exports(module: str) -> set[str]:
    mod = importlib.import_module(module)
    return set(getattr(mod, "__all__", ()))


def boundary_violations(path: Path) -> list[str]:
    """What ``path`` imports from scmigrate beyond the public API, one line each."""
    found = []
    for line, module, names in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if module != "scmigrate" and not module.startswith("scmigrate."):
            continue
        where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}"
        if module not in PUBLIC_MODULES:
            found.append(f"{where}: imports {module}, which is not public")
            continue
        exported = _exports(module) if _is_module(module) else set()
        for name in names:
            sub = f"{module}.{name}"
            if sub in PUBLIC_MODULES:
                continue
            if _is_module(sub):
                found.append(f"{where}: imports {sub}, which is not public")
            elif name not in exported:
                found.append(f"{where}: imports {name} from {module}, which does not export it")
    return found


def _plugin_files() -> list[Path]:
    return sorted(p for tree in PLUGIN_TREES for p in tree.rglob("*.py") if ".venv" not in p.parts)


def test_plugins_import_only_the_public_api() -> None:
    files = _plugin_files()
    assert len(files) > 20 and any("example-plugin" in str(p) for p in files)
    assert [v for path in files for v in boundary_violations(path)] == []


def test_the_scan_finds_private_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import scmigrate\n"
        "import scmigrate.registry\n"
        "from scmigrate import plugins, InputError, hookimpl\n"
        "from scmigrate.api import Source, _ClaimsLocations\n"
        "from scmigrate.model.project import Project\n"
        "def later():\n"
        "    from scmigrate.engine import facade\n"
        "    import importlib\n"
        "    importlib.import_module('scmigrate.cli')\n"
    )
    assert [v.split(": ", 1)[1] for v in boundary_violations(probe)] == [
        "imports scmigrate.registry, which is not public",
        "imports scmigrate.plugins, which is not public",
        "imports _ClaimsLocations from scmigrate.api, which does not export it",
        "imports scmigrate.model.project, which is not public",
        "imports scmigrate.engine, which is not public",
        "imports scmigrate.cli, which is not public",
    ]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_module_says_so(module: str) -> None:
    assert _is_module(module), f"PUBLIC_MODULES lists {module}, which does not exist"
    doc = importlib.import_module(module).__doc__ or ""
    if module == "scmigrate":
        assert "public API" in doc
    else:
        assert "is public" in doc and "PUBLIC_MODULES" in doc, f"{module}'s docstring does not say it is public"


def test_the_plugin_guide_names_every_public_module() -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for module in PUBLIC_MODULES:
        assert f"`{module}`" in guide, f"docs/plugins.md does not list {module}"


# --------------------------------------------------------------------------- core → plugins


def _top_level_imports(path: Path) -> set[str]:
    return {module.split(".")[0] for _, module, _ in _imports(ast.parse(path.read_text(encoding="utf-8")))}


def test_core_never_imports_plugins_or_the_emulator() -> None:
    offenders = []
    files = list((ROOT / "scmigrate").rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for mod in _top_level_imports(path):
            if mod.startswith("scmigrate_") or mod == "sc_emulator":
                offenders.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert offenders == []


def test_core_scan_sees_imports(tmp_path: Path) -> None:
    probe = tmp_path / "x.py"
    probe.write_text("import scmigrate_archive\nfrom sc_emulator import app\n"
                     "def f():\n    __import__('scmigrate_cluster.http')\n")
    assert {"scmigrate_archive", "sc_emulator", "scmigrate_cluster"} <= _top_level_imports(probe)
