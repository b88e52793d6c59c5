"""Errors raised by the domain rules (``docs/rest-api.md`` §5.1).

Every rule function raises :class:`RuleError`; the server turns it into the standard error body
``{"http_status": status, "message": message, "error_code": error_code}``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RuleError", "bad_request", "field_error", "required", "unexpected_keys"]


class RuleError(Exception):
    """A request that the real server would refuse, with the status and code it would answer."""

    def __init__(self, message: str, status: int = 400, error_code: str = "bad_request") -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON error body of docs/rest-api.md §5.1."""
        return {"http_status": self.status, "message": self.message, "error_code": self.error_code}


def bad_request(message: str) -> RuleError:
    """A 400 ``bad_request`` with ``message``."""
    return RuleError(message)


def field_error(field: str, problem: str) -> RuleError:
    """A JSON-schema style failure: ``Invalid value received for field 'x': ...``."""
    return RuleError(f"Invalid value received for field '{field}': {problem}")


def required(key: str) -> RuleError:
    """A missing required property, worded as the real server's schema validator words it."""
    return RuleError(f"'{key}' is a required property")


def unexpected_keys(field: str, keys: list[str]) -> RuleError:
    """``additionalProperties: false`` was violated at ``field``."""
    listed = ", ".join(repr(k) for k in sorted(keys))
    verb = "was" if len(keys) == 1 else "were"
    return field_error(field, f"Additional properties are not allowed ({listed} {verb} unexpected)")
