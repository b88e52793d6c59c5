"""JSON Schema (the draft 2020-12 subset the archive schemas use) compiled into Python predicates.

Part of :mod:`scmigrate.schema`, which says why: ``jsonschema`` gives the verdicts and messages,
these predicates the fast yes. Each schema node becomes a generated Python function (several
times faster than nested closures, and a validation runs for every record an archive reads or
writes); a keyword the compiler does not know raises :class:`Unsupported`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

__all__ = ["Check", "Compiler", "Unsupported", "is_num", "is_text"]

Check = Callable[[Any], bool]


class Unsupported(Exception):
    """A keyword the compiler does not know: use jsonschema alone for that schema."""


def _is_int(x: Any) -> bool:
    # draft 2020-12: 1.0 is an integer; booleans are not numbers
    return (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())


def is_text(x: str) -> bool:
    """False for a str holding a lone surrogate: Python allows it, UTF-8 (and so JSON) cannot hold it."""
    try:
        x.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_num(x: Any) -> bool:
    # NaN and the infinities are Python floats but not JSON numbers: jsonschema would accept them
    return (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and math.isfinite(x))


_ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description", "$comment", "default", "examples"}


def _same(a: Any, b: Any) -> bool:
    """JSON equality for enum/const: booleans never equal numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


class Compiler:
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
        self._env: dict[str, Any] = {"_is_text": is_text, "_is_int": _is_int, "_is_num": is_num, "_same": _same,
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
                raise Unsupported(key)
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
            if not is_num(value):
                raise Unsupported(key)
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
        raise Unsupported(key)


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
