"""Validate interchange records and archive members against the schemas in ``archive_spec/``.

The schemas are JSON Schema draft 2020-12, one folder per format major version
(``archive_spec/v1/<kind>.schema.json``). Validators are built once per (kind, major) and cached:
building one compiles the whole folder into a ``referencing`` registry so that ``$ref`` between
files (an item refers to ``media.schema.json``) resolves offline, never over the network.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from typing import Any

from .errors import InputError

__all__ = ["KINDS", "validate", "validator", "supported_majors", "parse_version"]

#: The document kinds with a schema (``manifest``, ``project``, ``media``, ``annotations``, ...).
KINDS = ("manifest", "project", "media", "annotations", "item", "model", "index")

_lock = threading.Lock()


def parse_version(version: str) -> tuple[int, int]:
    """``"1.0"`` → ``(1, 0)``; a bare major (``"1"``) means minor 0. Raises ValueError otherwise."""
    major, _, minor = str(version).partition(".")
    if not major.isdigit() or (minor and not minor.isdigit()):
        raise ValueError(f"not a MAJOR.MINOR version: {version!r}")
    return int(major), int(minor or 0)


def supported_majors() -> list[int]:
    """The format major versions whose schemas ship with this scmigrate."""
    from archive_spec import SPEC_DIR

    return sorted(int(p.name[1:]) for p in SPEC_DIR.glob("v[0-9]*") if p.name[1:].isdigit())


@lru_cache(maxsize=None)
def _registry(major: int) -> tuple[Any, dict[str, str]]:
    """All schemas of one major version as a registry, plus kind → ``$id``."""
    from archive_spec import schema_dir
    from referencing import Registry, Resource

    folder = schema_dir(major)
    if not folder.is_dir():
        raise InputError(f"no schemas for format version {major}.x (this scmigrate has {supported_majors()})")
    resources = []
    ids: dict[str, str] = {}
    for path in sorted(folder.glob("*.schema.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        ids[path.name[: -len(".schema.json")]] = doc["$id"]
        resources.append((doc["$id"], Resource.from_contents(doc)))
    return Registry().with_resources(resources), ids


@lru_cache(maxsize=None)
def _validator(kind: str, major: int) -> Any:
    from jsonschema import Draft202012Validator

    registry, ids = _registry(major)
    if kind not in ids:
        raise ValueError(f"no schema for {kind!r} in format version {major}.x")
    schema = registry.contents(ids[kind])
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


def validator(kind: str, version: str = "1") -> Any:
    """The cached ``Draft202012Validator`` for ``kind`` in format ``version`` (``"1"``, ``"1.0"``)."""
    major, _ = parse_version(version)
    with _lock:  # lru_cache does not stop two threads building the same validator twice
        return _validator(kind, major)


def _where(path: Any) -> str:
    parts = [str(p) for p in path]
    return "/".join(parts) if parts else "(document)"


def validate(kind: str, doc: Any, version: str = "1", where: str | None = None) -> None:
    """Check ``doc`` against the ``kind`` schema; raise :class:`InputError` naming the member and field.

    :param kind: one of :data:`KINDS`.
    :param doc: the decoded JSON document.
    :param version: the archive's format version (only the major part selects the schemas).
    :param where: what to name in the message (an archive member, a file); defaults to ``kind``.
    """
    from jsonschema.exceptions import best_match

    errors = validator(kind, version).iter_errors(doc)
    error = best_match(errors)
    if error is None:
        return
    message = error.message
    if len(message) > 160:  # messages quote the offending value; keep the line readable
        message = message[:157] + "..."
    raise InputError(f"{where or kind}: {_where(error.absolute_path)}: {message}")
