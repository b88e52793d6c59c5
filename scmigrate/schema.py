"""Validate interchange records and archive members against the schemas in ``archive_spec/``.

The schemas are JSON Schema draft 2020-12, one folder per format major version
(``archive_spec/v1/<kind>.schema.json``). Validators are built once per (kind, major) and cached:
building one compiles the whole folder into a ``referencing`` registry so that ``$ref`` between
files (an item refers to ``media.schema.json``) resolves offline, never over the network.

``jsonschema`` is exact but slow (about 1.5 ms per item record, 80 µs per index entry), and an
archive validates every record it reads and writes. So each schema is also compiled into plain
Python predicates covering the keywords our schemas use (:mod:`.schema_compiler`: generated
Python code); a document the predicate accepts is valid, and anything it rejects goes to
``jsonschema`` for the verdict and the message. The test suite checks that both agree on every
example and on thousands of mutated documents.

This module is public (:data:`scmigrate.api.PUBLIC_MODULES`): a plugin that reads or writes
archive records validates them here.
"""

from __future__ import annotations

import json
import math
import threading
from functools import cache
from typing import Any

from .errors import InputError
from .schema_compiler import Check, is_text
from .schema_compiler import Compiler as _Compiler
from .schema_compiler import Unsupported as _Unsupported

__all__ = ["JSON_DECODER", "KINDS", "MAX_DEPTH", "fast_check", "loads", "parse_version", "supported_majors", "validate",
           "validator"]

#: The document kinds with a schema (``manifest``, ``project``, ``media``, ``annotations``, ...).
KINDS = ("manifest", "project", "media", "annotations", "item", "model", "index")

#: Deepest nesting of arrays and objects a document may have. Our own documents need about ten
#: levels (item → scenes → annotation → shape → points); a bound keeps every recursive consumer
#: (schema validation, model classes, copies) far from Python's recursion limit.
MAX_DEPTH = 64

_lock = threading.Lock()


class _Bad(ValueError):
    """A JSON text that parses but that JSON (RFC 8259) or our bounds do not allow."""


def _no_constant(name: str) -> Any:
    raise _Bad(f"{name} is not a JSON number")


_MAX_INT = 1 << 63  # no size, offset or coordinate comes near; larger ones overflow C and floats


def _check_tree(doc: Any) -> None:
    """Walk ``doc`` without recursion for what Python's json reads but JSON or our bounds do not
    allow: nesting deeper than MAX_DEPTH, lone UTF-16 surrogates, numbers out of range."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if not node.isascii() and not is_text(node):
                raise _Bad(f"{_where(path)}: holds a lone UTF-16 surrogate (not text)")
            continue
        if isinstance(node, float):
            if not math.isfinite(node):  # NaN from Python, or a literal such as 1e999 that overflowed
                raise _Bad(f"{_where(path)}: {node!r} is not a JSON number")
            continue
        if isinstance(node, int) and not isinstance(node, bool):
            if abs(node) >= _MAX_INT:
                raise _Bad(f"{_where(path)}: {str(node)[:12]}... is too large a number")
            continue
        if isinstance(node, dict):
            children: Any = node.items()
            stack.extend((k, (*path, "(key)")) for k in node)
        elif isinstance(node, list):
            children = enumerate(node)
        else:
            continue
        if len(path) >= MAX_DEPTH:
            raise _Bad(f"nested deeper than {MAX_DEPTH} levels (at {_where(path[:8])}/...)")
        stack.extend((v, (*path, k)) for k, v in children)


def _tree_ok(doc: Any) -> bool:
    """What :func:`_check_tree` checks, for a document fresh from ``json`` (exact types only), in
    a third of the time: no paths are built. False sends the document to :func:`_check_tree`
    for the message."""
    stack: list[tuple[Any, int]] = [([doc], -1)]
    while stack:
        node, depth = stack.pop()
        if depth >= MAX_DEPTH:
            return False
        if type(node) is dict:
            for k in node:
                if not k.isascii() and not is_text(k):
                    return False
            node = node.values()
        for v in node:
            t = type(v)
            if t is str:
                if not v.isascii() and not is_text(v):
                    return False
            elif t is float:
                if not math.isfinite(v):
                    return False
            elif t is int:
                if not -_MAX_INT < v < _MAX_INT:
                    return False
            elif t is dict or t is list:
                stack.append((v, depth + 1))
    return True


#: The strict decoder :func:`loads` uses (``NaN``/``Infinity`` refused), for a reader that parses a
#: large document piece by piece with ``raw_decode``. One for every call: ``json.loads`` with an
#: option builds a new one each time.
JSON_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def loads(data: bytes, where: str, walk: bool = True) -> Any:
    """Parse an untrusted JSON member; raise :class:`InputError` naming ``where`` and what is wrong.

    Stricter than ``json.loads``: the text must be UTF-8 and ``NaN``/``Infinity`` are refused
    (they are not JSON); with ``walk`` the document is also walked once to refuse nesting deeper
    than :data:`MAX_DEPTH`, strings holding a lone surrogate (they could not be written again)
    and numbers beyond a float or a 64-bit integer. ``walk=False`` is for the index: it is large,
    nothing recurses into it, and its schema bounds its numbers and its strings.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{where}: not valid JSON (not UTF-8 at byte {e.start})") from None
    try:
        if text.startswith("\ufeff"):  # json.loads' own check, which the decoder lacks
            raise ValueError("starts with a UTF-8 byte order mark")
        doc = JSON_DECODER.decode(text)
        if walk and not _tree_ok(doc):
            _check_tree(doc)
    except RecursionError:
        raise InputError(f"{where}: not valid JSON (nested deeper than {MAX_DEPTH} levels)") from None
    except ValueError as e:  # json.JSONDecodeError and _Bad
        raise InputError(f"{where}: not valid JSON ({e})") from None
    return doc


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


@cache
def _documents(major: int) -> tuple[dict[str, Any], dict[str, str]]:
    """All schemas of one major version by ``$id``, plus kind → ``$id``."""
    from archive_spec import schema_dir

    folder = schema_dir(major)
    if not folder.is_dir():
        raise InputError(f"no schemas for format version {major}.x (this scmigrate has {supported_majors()})")
    documents: dict[str, Any] = {}
    ids: dict[str, str] = {}
    for path in sorted(folder.glob("*.schema.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        ids[path.name[: -len(".schema.json")]] = doc["$id"]
        documents[doc["$id"]] = doc
    return documents, ids


@cache
def _registry(major: int) -> tuple[Any, dict[str, str]]:
    """The schemas of :func:`_documents` as a ``referencing`` registry, for jsonschema: imported only
    when a document fails the compiled predicate (~25 ms of start-up otherwise)."""
    from referencing import Registry, Resource

    documents, ids = _documents(major)
    return Registry().with_resources((uri, Resource.from_contents(doc)) for uri, doc in documents.items()), ids


@cache
def _validator(kind: str, major: int) -> Any:
    from jsonschema import Draft202012Validator

    registry, ids = _registry(major)
    if kind not in ids:
        raise ValueError(f"no schema for {kind!r} in format version {major}.x")
    schema = registry.contents(ids[kind])
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


@cache
def _fast(kind: str, major: int) -> Check | None:
    documents, ids = _documents(major)
    try:
        return _Compiler(documents).ref(ids[kind])
    except _Unsupported:
        return None


def fast_check(kind: str, version: str = "1") -> Check | None:
    """The compiled predicate for ``kind`` (None if its schema uses a keyword the compiler lacks)."""
    major, _ = parse_version(version)
    with _lock:
        return _fast(kind, major)


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
    quick = fast_check(kind, version)
    if quick is not None and quick(doc):
        return
    from jsonschema.exceptions import best_match

    errors = validator(kind, version).iter_errors(doc)
    error = best_match(errors)
    if error is None:
        if quick is not None:  # the predicate refused what jsonschema accepts: NaN, lone surrogates, ...
            try:
                _check_tree(doc)
            except _Bad as e:
                raise InputError(f"{where or kind}: {e}") from None
        return
    message = error.message
    if len(message) > 160:  # messages quote the offending value; keep the line readable
        message = message[:157] + "..."
    raise InputError(f"{where or kind}: {_where(error.absolute_path)}: {message}")
