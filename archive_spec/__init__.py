"""The .scz archive specification: SPEC.md (normative prose) and versioned JSON Schemas.

This package holds data only; :mod:`scmigrate.schema` loads and applies the schemas.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SPEC_DIR", "schema_dir", "KINDS"]

#: The directory holding SPEC.md, ``v<major>/`` schema folders and ``examples/``.
SPEC_DIR = Path(__file__).resolve().parent

#: The JSON document kinds that have a schema, by file stem (``v1/<kind>.schema.json``).
KINDS = ("manifest", "project", "media", "annotations", "item", "model", "index")


def schema_dir(major: int | str) -> Path:
    """The folder of the schemas for a format major version (``1`` → ``archive_spec/v1``)."""
    return SPEC_DIR / f"v{int(major)}"
