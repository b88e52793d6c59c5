"""Small JSON-schema style checks shared by the rule modules (docs/rest-api.md §5.1 error wording).

They mirror what the real server's request-schema validation reports, so a client sees the same
``'x' is a required property`` / ``Invalid value received for field 'x': ...`` messages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .errors import field_error, required, unexpected_keys

__all__ = ["as_object", "as_list", "as_str", "as_number", "as_bool", "check_keys", "need"]


def _describe(value: Any) -> str:
    return repr(value) if not isinstance(value, (dict, list)) else type(value).__name__


def as_object(value: Any, field: str) -> dict[str, Any]:
    """``value`` must be a JSON object."""
    if not isinstance(value, dict):
        raise field_error(field, f"{_describe(value)} is not of type 'object'")
    return value


def as_list(value: Any, field: str, min_items: int = 0, max_items: int | None = None) -> list[Any]:
    """``value`` must be a JSON array with a length in the given range."""
    if not isinstance(value, list):
        raise field_error(field, f"{_describe(value)} is not of type 'array'")
    if len(value) < min_items:
        raise field_error(field, f"should have at least {min_items} item(s)")
    if max_items is not None and len(value) > max_items:
        raise field_error(field, f"has {len(value)} items, more than the maximum of {max_items}")
    return value


def as_str(value: Any, field: str, min_length: int = 0) -> str:
    """``value`` must be a string of at least ``min_length`` characters."""
    if not isinstance(value, str):
        raise field_error(field, f"{_describe(value)} is not of type 'string'")
    if len(value) < min_length:
        raise field_error(field, f"{value!r} is too short")
    return value


def _finite(value: int | float) -> bool:
    """True for numbers a float can hold: JSON integers may have any number of digits (``1`` + 400 zeros),
    and ``math.isfinite`` raises OverflowError on those instead of answering."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def as_number(value: Any, field: str, minimum: float | None = None, maximum: float | None = None) -> float:
    """``value`` must be a finite JSON number (booleans are not numbers) within the bounds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
        raise field_error(field, f"{_describe(value)} is not of type 'number'")
    if minimum is not None and value < minimum:
        raise field_error(field, f"{value!r} is less than the minimum of {minimum:g}")
    if maximum is not None and value > maximum:
        raise field_error(field, f"{value!r} is greater than the maximum of {maximum:g}")
    return value


def as_bool(value: Any, field: str) -> bool:
    """``value`` must be a JSON boolean."""
    if not isinstance(value, bool):
        raise field_error(field, f"{_describe(value)} is not of type 'boolean'")
    return value


def check_keys(obj: dict[str, Any], allowed: Iterable[str], field: str) -> None:
    """``additionalProperties: false``: every key of ``obj`` must be in ``allowed``."""
    extra = [k for k in obj if k not in set(allowed)]
    if extra:
        raise unexpected_keys(field, extra)


def need(obj: dict[str, Any], key: str) -> Any:
    """Return ``obj[key]``; a missing key is a ``'key' is a required property`` error."""
    if key not in obj:
        raise required(key)
    return obj[key]
