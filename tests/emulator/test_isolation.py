"""sc_emulator is an independent implementation: it must not import scmigrate or the plugins."""

from __future__ import annotations

import ast
from pathlib import Path

import sc_emulator

REPO = Path(sc_emulator.__file__).parent.parent


def _imports(root: Path, forbidden) -> list[str]:
    """``file: module`` for every absolute import below ``root`` whose top-level name ``forbidden`` accepts."""
    offenders = []
    files = sorted(root.rglob("*.py"))
    assert len(files) > 5, root
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(REPO)}: {n}" for n in names if forbidden(n.split(".")[0])]
    return offenders


def test_no_imports_from_scmigrate_or_plugins():
    root = Path(sc_emulator.__file__).parent
    assert _imports(root, lambda top: top in ("scmigrate", "plugins") or top.startswith("scmigrate_")) == []


def test_scmigrate_and_plugins_do_not_import_the_emulator():
    # The other direction of the independence: the client must not borrow the server's rules either.
    for root in (REPO / "scmigrate", REPO / "plugins"):
        assert _imports(root, lambda top: top == "sc_emulator") == []
