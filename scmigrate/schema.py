"""Validate interchange records and archive members against the schemas in ``archive_spec/``.

The schemas are JSON Schema draft 2020-12, one folder per format major version
(``archive_spec/v1/<kind>.schema.json``). Validators are built once per (kind, major) and cached:
building one compiles the whole folder into a ``referencing`` registry so that ``$ref`` between
files (an item refers to ``media.schema.json``) resolves offline, never over the network.

``jsonschema`` is exact but slow (about 1.5 ms per item record, 80 µs per index entry), and an
archive validates every record it reads and writes. So each schema is also compiled into plain
Python predicates covering the keywords our schemas use; a document the predicate accepts is
valid, and anything it rejects goes to ``jsonschema`` for the verdict and the message. The test
suite checks that both agree on every example and on thousands of mutated documents.

This module is public (:data:`scmigrate.api.PUBLIC_MODULES`): a plugin that reads or writes
archive records validates them here.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urljoin

from .errors import InputError

__all__ = ["KINDS", "MAX_DEPTH", "fast_check", "loads", "parse_version", "supported_majors", "validate", "validator"]

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
            if not node.isascii() and not _is_text(node):
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
        doc = json.loads(text, parse_constant=_no_constant)
        if walk:
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
def _registry(major: int) -> tuple[Any, dict[str, str]]:
    """All schemas of one major version as a registry, plus kind → ``$id``."""
    from referencing import Registry, Resource

    from archive_spec import schema_dir

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


@cache
def _validator(kind: str, major: int) -> Any:
    from jsonschema import Draft202012Validator

    registry, ids = _registry(major)
    if kind not in ids:
        raise ValueError(f"no schema for {kind!r} in format version {major}.x")
    schema = registry.contents(ids[kind])
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


Check = Callable[[Any], bool]


class _Unsupported(Exception):
    """A keyword the compiler does not know: use jsonschema alone for that schema."""


def _is_int(x: Any) -> bool:
    # draft 2020-12: 1.0 is an integer; booleans are not numbers
    return (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())


def _is_text(x: str) -> bool:
    """False for a str holding a lone surrogate: Python allows it, UTF-8 (and so JSON) cannot hold it."""
    try:
        x.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_num(x: Any) -> bool:
    # NaN and the infinities are Python floats but not JSON numbers: jsonschema would accept them
    return (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and math.isfinite(x))


_TYPES: dict[str, Check] = {
    "string": lambda x: isinstance(x, str) and (x.isascii() or _is_text(x)),
    "integer": _is_int,
    "number": _is_num,
    "boolean": lambda x: isinstance(x, bool),
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "null": lambda x: x is None,
}
_ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description", "$comment", "default", "examples"}


def _same(a: Any, b: Any) -> bool:
    """JSON equality for enum/const: booleans never equal numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


class _Compiler:
    """Turns the draft 2020-12 subset our schemas use into predicates (see the module docstring)."""

    def __init__(self, documents: dict[str, Any]) -> None:
        self._docs = documents
        self._refs: dict[str, Check] = {}
        self._compiled: dict[str, Check] = {}  # refs whose compilation has finished
        # Refs compile on first use, from whichever worker thread validates first; a second thread
        # must wait for the first to finish, not call a half-built ref.
        self._lock = threading.RLock()

    def ref(self, uri: str) -> Check:
        done = self._compiled.get(uri)
        if done is not None:
            return done
        with self._lock:
            if uri not in self._refs:
                cell: list[Check] = []
                self._refs[uri] = lambda x: cell[0](x)  # lazy: allows recursive schemas
                base, _, pointer = uri.partition("#")
                node = self._docs[base]
                for part in [p for p in pointer.split("/") if p]:
                    node = node[part.replace("~1", "/").replace("~0", "~")]
                cell.append(self.compile(node, base))
                self._compiled[uri] = cell[0]
            return self._refs[uri]

    def compile(self, schema: Any, base: str) -> Check:
        if schema is True or schema == {}:
            return lambda x: True
        if schema is False:
            return lambda x: False
        base = urljoin(base, schema.get("$id", ""))
        checks = [self._keyword(key, value, schema, base) for key, value in schema.items()
                  if key not in _ANNOTATIONS and key not in ("then", "else")]
        if len(checks) == 1:
            return checks[0]
        return lambda x: all(c(x) for c in checks)

    def _keyword(self, key: str, value: Any, schema: dict[str, Any], base: str) -> Check:
        """The predicate of one keyword of ``schema`` (its own scope, so each lambda keeps its values)."""
        if key == "type":
            tests = [_TYPES[t] for t in ([value] if isinstance(value, str) else value)]
            return lambda x: any(t(x) for t in tests)
        if key == "required":
            req = tuple(value)
            return lambda x: not isinstance(x, dict) or all(k in x for k in req)
        if key == "properties":
            props = {k: self.compile(v, base) for k, v in value.items()}
            return lambda x: not isinstance(x, dict) or all(props[k](v) for k, v in x.items() if k in props)
        if key == "additionalProperties":
            extra, known = self.compile(value, base), set(schema.get("properties", {}))
            if "patternProperties" in schema:
                raise _Unsupported(key)
            return lambda x: not isinstance(x, dict) or all(extra(v) for k, v in x.items() if k not in known)
        if key == "items":
            each = self.compile(value, base)
            return lambda x: not isinstance(x, list) or all(each(v) for v in x)
        if key == "minItems":
            return lambda x: not isinstance(x, list) or len(x) >= value
        if key == "minLength":
            return lambda x: not isinstance(x, str) or len(x) >= value
        if key == "pattern":
            rx = re.compile(value)
            return lambda x: not isinstance(x, str) or rx.search(x) is not None
        if key == "enum":
            options = tuple(value)
            return lambda x: any(_same(x, o) for o in options)
        if key == "const":
            return lambda x: _same(x, value)
        if key == "minimum":
            return lambda x: not _is_num(x) or x >= value
        if key == "maximum":
            return lambda x: not _is_num(x) or x <= value
        if key == "exclusiveMinimum":
            return lambda x: not _is_num(x) or x > value
        if key == "allOf":
            parts = [self.compile(v, base) for v in value]
            return lambda x: all(p(x) for p in parts)
        if key == "if":
            cond = self.compile(value, base)
            then = self.compile(schema.get("then", True), base)
            other = self.compile(schema.get("else", True), base)
            return lambda x: then(x) if cond(x) else other(x)
        if key == "$ref":
            target = urljoin(base, value)
            return lambda x: self.ref(target)(x)
        raise _Unsupported(key)


@cache
def _fast(kind: str, major: int) -> Check | None:
    registry, ids = _registry(major)
    documents = {uri: registry.contents(uri) for uri in ids.values()}
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
    from jsonschema.exceptions import best_match

    quick = fast_check(kind, version)
    if quick is not None and quick(doc):
        return
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
