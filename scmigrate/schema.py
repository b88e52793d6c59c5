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
                if not k.isascii() and not _is_text(k):
                    return False
            node = node.values()
        for v in node:
            t = type(v)
            if t is str:
                if not v.isascii() and not _is_text(v):
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


_ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description", "$comment", "default", "examples"}


def _same(a: Any, b: Any) -> bool:
    """JSON equality for enum/const: booleans never equal numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


class _Compiler:
    """Turns the draft 2020-12 subset our schemas use into Python source, one function per schema
    node (see the module docstring), then into predicates: generated code runs several times faster
    than nested closures, and a validation runs for every record an archive reads or writes.

    Whatever the keyword, a predicate ignores values of the types the keyword does not apply to,
    as JSON Schema does; ``$ref`` targets get a function each, compiled from a work list (recursive
    schemas work). Compilation is eager and whole: the predicate returned is complete.
    """

    def __init__(self, documents: dict[str, Any]) -> None:
        self._docs = documents
        self._refs: dict[str, str] = {}  # ref URI -> function name
        self._todo: list[tuple[str, Any, str]] = []  # (function name, schema, base) to generate
        self._source: list[str] = []
        self._env: dict[str, Any] = {"_is_text": _is_text, "_is_int": _is_int, "_is_num": _is_num, "_same": _same,
                                     "_absent": object()}
        self._count = 0

    def _const(self, value: Any) -> str:
        name = f"_c{len(self._env)}"
        self._env[name] = value
        return name

    def ref(self, uri: str) -> Check:
        """The predicate for the schema at ``uri`` (``base#/json/pointer``)."""
        root = self._ref_name(uri)
        while self._todo:
            name, node, base = self._todo.pop()
            self._source.append(self._function(name, node, base))
        exec(compile("\n".join(self._source), f"<schema {uri}>", "exec"), self._env)  # noqa: S102 - our own text
        check: Check = self._env[root]
        return check

    def _ref_name(self, uri: str) -> str:
        if uri not in self._refs:
            self._refs[uri] = name = self._new_name()
            base, _, pointer = uri.partition("#")
            node = self._docs[base]
            for part in [p for p in pointer.split("/") if p]:
                node = node[part.replace("~1", "/").replace("~0", "~")]
            self._todo.append((name, node, base))
        return self._refs[uri]

    def _new_name(self) -> str:
        self._count += 1
        return f"_f{self._count}"

    def compile(self, schema: Any, base: str) -> str:
        """The name of a function (generated later) checking ``schema``."""
        name = self._new_name()
        self._todo.append((name, schema, base))
        return name

    def _function(self, name: str, schema: Any, base: str) -> str:
        if schema is True or schema == {}:
            return f"def {name}(x):\n    return True\n"
        if schema is False:
            return f"def {name}(x):\n    return False\n"
        base = urljoin(base, schema.get("$id", ""))
        lines = [f"def {name}(x):"]
        for key, value in schema.items():
            if key not in _ANNOTATIONS and key not in ("then", "else"):
                lines.extend("    " + line for line in self._keyword(key, value, schema, base))
        lines.append("    return True")
        return "\n".join(lines) + "\n"

    def _keyword(self, key: str, value: Any, schema: dict[str, Any], base: str) -> list[str]:
        """Statements that ``return False`` when ``x`` fails the keyword."""
        if key == "type":
            tests = [_TYPE_TESTS[t] for t in ([value] if isinstance(value, str) else value)]
            return [f"if not ({' or '.join(tests)}):", "    return False"]
        if key == "required":
            if not value:
                return []
            return [f"if isinstance(x, dict) and not ({' and '.join(f'{k!r} in x' for k in value)}):",
                    "    return False"]
        if key == "properties":
            lines = ["if isinstance(x, dict):"]
            for prop, sub in value.items():
                lines += [f"    v = x.get({prop!r}, _absent)",
                          f"    if v is not _absent and not {self.compile(sub, base)}(v):", "        return False"]
            return lines if len(lines) > 1 else []
        if key == "additionalProperties":
            if "patternProperties" in schema:
                raise _Unsupported(key)
            known = self._const(frozenset(schema.get("properties", {})))
            if value is False:
                return [f"if isinstance(x, dict) and not {known}.issuperset(x):", "    return False"]
            extra = self.compile(value, base)
            return ["if isinstance(x, dict):", "    for k, v in x.items():",
                    f"        if k not in {known} and not {extra}(v):", "            return False"]
        if key == "items":
            each = self.compile(value, base)
            return ["if isinstance(x, list):", "    for v in x:", f"        if not {each}(v):",
                    "            return False"]
        if key == "minItems":
            return [f"if isinstance(x, list) and len(x) < {int(value)}:", "    return False"]
        if key == "minLength":
            return [f"if isinstance(x, str) and len(x) < {int(value)}:", "    return False"]
        if key == "pattern":
            rx = self._const(re.compile(value))
            return [f"if isinstance(x, str) and {rx}.search(x) is None:", "    return False"]
        if key == "enum":
            if all(isinstance(o, str) for o in value):  # a str equals only a str
                options = self._const(frozenset(value))
                return [f"if not (isinstance(x, str) and x in {options}):", "    return False"]
            options = self._const(tuple(value))
            return [f"if not any(_same(x, o) for o in {options}):", "    return False"]
        if key == "const":
            if isinstance(value, str):
                return [f"if not (isinstance(x, str) and x == {value!r}):", "    return False"]
            return [f"if not _same(x, {self._const(value)}):", "    return False"]
        if key in _BOUNDS:
            if not _is_num(value):
                raise _Unsupported(key)
            return [f"if _is_num(x) and not x {_BOUNDS[key]} {value!r}:", "    return False"]
        if key == "allOf":
            return [line for sub in value for line in (f"if not {self.compile(sub, base)}(x):", "    return False")]
        if key == "if":
            cond = self.compile(value, base)
            then = self.compile(schema.get("then", True), base)
            other = self.compile(schema.get("else", True), base)
            return [f"if not ({then}(x) if {cond}(x) else {other}(x)):", "    return False"]
        if key == "$ref":
            return [f"if not {self._ref_name(urljoin(base, value))}(x):", "    return False"]
        raise _Unsupported(key)


_TYPE_TESTS = {
    "string": "(isinstance(x, str) and (x.isascii() or _is_text(x)))",
    "integer": "_is_int(x)",
    "number": "_is_num(x)",
    "boolean": "isinstance(x, bool)",
    "object": "isinstance(x, dict)",
    "array": "isinstance(x, list)",
    "null": "x is None",
}
_BOUNDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">"}


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
