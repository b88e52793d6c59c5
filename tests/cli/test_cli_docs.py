"""``docs/cli.md`` is generated from the commands: it must match them (a home-made ``cog --check``)."""

from __future__ import annotations

from pathlib import Path

from scmigrate.cli.docs import MARKER, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_is_up_to_date():
    text = DOC.read_text(encoding="utf-8")
    assert MARKER in text
    generated = text.split(MARKER, 1)[1].lstrip("\n")
    assert generated == render(), "docs/cli.md is stale: run `python -m scmigrate.cli.docs --write docs/cli.md`"


def test_every_command_is_in_the_reference():
    text = DOC.read_text(encoding="utf-8")
    for cmd in ("run", "inspect", "verify", "check", "plugins", "projects", "clusters add", "clusters list",
                "clusters remove", "clusters test", "snapshots", "forget", "prune", "sync"):
        assert f"### `scmigrate {cmd}`" in text
