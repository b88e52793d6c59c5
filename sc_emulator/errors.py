"""HTTP errors of the emulated services and the bodies the real ones answer with (docs/rest-api.md §5.1)."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response


class ApiError(Exception):
    """An error answer: ``{"http_status", "message", "error_code"}`` with that HTTP status."""

    def __init__(self, status: int, error_code: str, message: Any) -> None:
        super().__init__(message)
        self.status, self.error_code, self.message = status, error_code, message

    def response(self) -> Response:
        if self.status == 204:
            # An exception that maps to 204 ("no annotation yet") answers with an empty body.
            return Response(status_code=204)
        return error_response(self.status, self.error_code, self.message)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer with ``application/json`` (official clients treat anything else as a login page)."""
    return Response(json.dumps(body, separators=(",", ":")), status_code=status, headers=headers,
                    media_type="application/json")


def error_response(status: int, error_code: str, message: Any, headers: dict[str, str] | None = None) -> Response:
    """The standard error body; failed GETs also say ``Cache-Control: no-cache`` as the real services do."""
    merged = {"Cache-Control": "no-cache"}
    merged.update(headers or {})
    return json_response({"http_status": status, "message": message, "error_code": error_code}, status, merged)


def not_found(kind: str, ident: str) -> ApiError:
    """``<kind>_not_found`` 404, e.g. ``not_found("project", pid)``."""
    label = kind.replace("_", " ").capitalize()
    return ApiError(404, f"{kind}_not_found", f"{label} with ID '{ident}' could not be found.")


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)
