"""sc_emulator is an independent implementation: it must not import scmigrate or the plugins."""

from __future__ import annotations

import ast
from pathlib import Path

import sc_emulator

FORBIDDEN = ("scmigrate", "plugins")


def test_no_imports_from_scmigrate_or_plugins():
    root = Path(sc_emulator.__file__).parent
    offenders = []
    files = sorted(root.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(root)}: {n}" for n in names
                          if n.split(".")[0] in FORBIDDEN or n.split(".")[0].startswith("scmigrate_")]
    assert offenders == []
