"""Request validation with FastAPI's error shape: ``422 {"detail": [{type, loc, msg, input, ctx?}]}``.

The real backend declares its bodies and query parameters as Pydantic models; the emulator checks the
same fields by hand and reports every violation at once with Pydantic's ``type`` codes and messages, so a
client that parses 422 bodies meets what the real server sends.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

MISSING = object()
Loc = tuple[Any, ...]


class Invalid(Exception):
    """Request-schema violations: answered with 422 and the list of errors."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = errors


def _choices(values: Iterable[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]


class Check:
    """Collects violations while fields are read; :meth:`done` raises :class:`Invalid` if any."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []

    def fail(self, loc: Loc, type_: str, msg: str, value: Any, ctx: dict[str, Any] | None = None) -> None:
        error: dict[str, Any] = {"type": type_, "loc": list(loc), "msg": msg,
                                 "input": None if value is MISSING else value}
        if ctx:
            error["ctx"] = ctx
        self.errors.append(error)

    def done(self) -> None:
        if self.errors:
            raise Invalid(self.errors)

    # -- containers ----------------------------------------------------------------------------------
    def obj(self, value: Any, loc: Loc, required: bool = True) -> dict[str, Any] | None:
        if value is MISSING:
            if required:
                self.fail(loc, "missing", "Field required", MISSING)
            return None
        if not isinstance(value, dict):
            self.fail(loc, "model_attributes_type",
                      "Input should be a valid dictionary or object to extract fields from", value)
            return None
        return value

    def list_(self, value: Any, loc: Loc, required: bool = True) -> list[Any] | None:
        if value is MISSING:
            if required:
                self.fail(loc, "missing", "Field required", MISSING)
            return None
        if not isinstance(value, list):
            self.fail(loc, "list_type", "Input should be a valid list", value)
            return None
        return value

    # -- scalars (value MISSING and not required → default) -------------------------------------------
    def str_(self, value: Any, loc: Loc, *, required: bool = True, default: Any = None, min_len: int = 0,
             max_len: int | None = None, pattern: str | None = None) -> Any:
        if value is MISSING or (value is None and not required):
            if required:
                self.fail(loc, "missing", "Field required", MISSING)
            return default
        if not isinstance(value, str):
            self.fail(loc, "string_type", "Input should be a valid string", value)
            return default
        if len(value) < min_len:
            plural = "character" if min_len == 1 else "characters"
            self.fail(loc, "string_too_short", f"String should have at least {min_len} {plural}", value,
                      {"min_length": min_len})
        elif max_len is not None and len(value) > max_len:
            self.fail(loc, "string_too_long", f"String should have at most {max_len} characters", value,
                      {"max_length": max_len})
        elif pattern is not None and not re.search(pattern, value):
            self.fail(loc, "string_pattern_mismatch", f"String should match pattern '{pattern}'", value,
                      {"pattern": pattern})
        return value

    def bool_(self, value: Any, loc: Loc, default: bool) -> bool:
        if value is MISSING:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            return value.lower() in ("true", "1", "yes", "on")
        self.fail(loc, "bool_parsing" if isinstance(value, str) else "bool_type",
                  "Input should be a valid boolean", value)
        return default

    def int_(self, value: Any, loc: Loc, *, required: bool = True, default: Any = None, ge: int | None = None,
             le: int | None = None) -> Any:
        if value is MISSING:
            if required:
                self.fail(loc, "missing", "Field required", MISSING)
            return default
        number: int | None = None
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float):
            if value.is_integer():
                number = int(value)
            else:
                self.fail(loc, "int_from_float", "Input should be a valid integer, got a number with a "
                          "fractional part", value)
                return default
        elif isinstance(value, str):
            try:
                number = int(value.strip())
            except ValueError:
                self.fail(loc, "int_parsing", "Input should be a valid integer, unable to parse string as an "
                          "integer", value)
                return default
        if number is None:
            self.fail(loc, "int_type", "Input should be a valid integer", value)
            return default
        return self._bounds(number, value, loc, ge, le)

    def num(self, value: Any, loc: Loc, *, ge: float | None = None) -> Any:
        if value is MISSING:
            self.fail(loc, "missing", "Field required", MISSING)
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(loc, "float_type", "Input should be a valid number", value)
            return None
        return self._bounds(value, value, loc, ge, None)

    def _bounds(self, number: Any, value: Any, loc: Loc, ge: Any, le: Any) -> Any:
        if ge is not None and number < ge:
            self.fail(loc, "greater_than_equal", f"Input should be greater than or equal to {ge}", value, {"ge": ge})
            return None
        if le is not None and number > le:
            self.fail(loc, "less_than_equal", f"Input should be less than or equal to {le}", value, {"le": le})
            return None
        return number

    def uuid_(self, value: Any, loc: Loc, *, required: bool = True) -> str | None:
        if value is MISSING or (value is None and not required):
            if required:
                self.fail(loc, "missing", "Field required", MISSING)
            return None
        if not isinstance(value, str):
            self.fail(loc, "uuid_type", "UUID input should be a string, bytes or UUID object", value)
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError:
            self.fail(loc, "uuid_parsing", "Input should be a valid UUID, invalid character or length", value)
            return None

    def enum(self, value: Any, loc: Loc, choices: tuple[str, ...], *, required: bool = True,
             default: Any = None) -> Any:
        if value is MISSING or (value is None and not required):
            if required:
                self.fail(loc, "missing", "Field required", MISSING)
            return default
        if value not in choices:
            self.fail(loc, "enum", f"Input should be {_choices(choices)}", value,
                      {"expected": _choices(choices)})
            return default
        return value

    def tag(self, value: Any, loc: Loc, choices: tuple[str, ...]) -> str | None:
        """The discriminator of a tagged union (``shape.type``)."""
        if not isinstance(value, dict):
            self.fail(loc, "model_attributes_type",
                      "Input should be a valid dictionary or object to extract fields from", value)
            return None
        tag = value.get("type", MISSING)
        if tag is MISSING:
            self.fail(loc, "union_tag_not_found", "Unable to extract tag using discriminator 'type'", value,
                      {"discriminator": "'type'"})
            return None
        if tag not in choices:
            self.fail(loc, "union_tag_invalid", f"Input tag '{tag}' found using 'type' does not match any of the "
                      f"expected tags: {', '.join(repr(c) for c in choices)}", value,
                      {"discriminator": "'type'", "tag": str(tag),
                       "expected_tags": ", ".join(repr(c) for c in choices)})
            return None
        return str(tag)
