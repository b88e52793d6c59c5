"""Emulator-only admin routes under ``/_emulator`` (outside ``/api/v1``; token-protected like the API).

- ``GET /_emulator/info`` — organisation, workspace, version, data dir;
- ``GET|PATCH /_emulator/knobs`` — latency_ms, fail_rate, fail_codes, drop_rate, rate_limit, seed,
  retry_after, max_upload_bytes;
- ``GET|POST|DELETE /_emulator/faults`` — precise plans ``{"method", "path" (regex), "nth", "times",
  "action": "fail"|"drop", "status", "when": "before"|"after"}``; ``DELETE /_emulator/faults/{id}``;
- ``GET|DELETE /_emulator/counters`` — requests per ``"METHOD /route/template"`` and their statuses;
- ``POST /_emulator/reset`` — forget all data, plans and counters; knobs back to start-up values;
- ``POST /_emulator/sessions/expire`` — end all login sessions and swapped bearer tokens (login dialects);
- ``POST /_emulator/projects/{project_id}/models`` — place a trained model (see ``api_models``).
"""

from __future__ import annotations

from starlette.routing import Route

from .errors import ApiError
from .web import Call, endpoint

ADMIN = "/_emulator"


@endpoint
def info(call: Call) -> dict:
    emu = call.emu
    return {"organization_id": emu.org_id, "workspace_id": emu.workspace_id, "version": emu.version,
            "data_dir": str(emu.settings.data_dir), "tls": emu.settings.tls, "csrf": emu.settings.csrf,
            "dialect": emu.dialect.name, "api_prefix": emu.dialect.api, "workspace_prefix": emu.workspace_prefix(),
            "user": emu.settings.user if emu.dialect.login else None}


@endpoint
def expire_sessions(call: Call) -> dict:
    """End every login session and swapped bearer token now (the next API call must log in again)."""
    return {"result": "success", "expired": call.emu.sessions.expire_all()}


@endpoint
def knobs(call: Call) -> dict:
    book = call.emu.book
    if call.method == "PATCH":
        changes = call.json()
        if not isinstance(changes, dict):
            raise ApiError(400, "bad_request", "Expected a JSON object of knob values.")
        try:
            book.set_knobs(changes)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ApiError(400, "bad_request", f"Invalid knob: {exc}") from None
    return book.knobs.as_dict()


@endpoint
def faults(call: Call) -> dict:
    book = call.emu.book
    if call.method == "POST":
        spec = call.json()
        if not isinstance(spec, dict):
            raise ApiError(400, "bad_request", "Expected a JSON fault plan object.")
        try:
            plan = book.add_plan(spec)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ApiError(400, "bad_request", f"Invalid fault plan: {exc}") from None
        return plan.public()
    if call.method == "DELETE":
        book.clear_plans()
    return {"faults": [p.public() for p in book.plans]}


@endpoint
def delete_fault(call: Call) -> dict:
    book = call.emu.book
    with book.lock:
        before = len(book.plans)
        book.plans[:] = [p for p in book.plans if str(p.id) != call.params["fault_id"]]
        if len(book.plans) == before:
            raise ApiError(404, "fault_not_found", f"No fault plan {call.params['fault_id']}.")
    return {"result": "success"}


@endpoint
def counters(call: Call) -> dict:
    if call.method == "DELETE":
        call.emu.book.clear_counters()
    return call.emu.book.counters()


@endpoint(offload=True)  # removes every blob
def reset(call: Call) -> dict:
    call.emu.store.reset()
    call.emu.book.reset()
    return {"result": "success"}


ROUTES = [
    Route(ADMIN + "/info", info, methods=["GET"]),
    Route(ADMIN + "/knobs", knobs, methods=["GET", "PATCH"]),
    Route(ADMIN + "/faults", faults, methods=["GET", "POST", "DELETE"]),
    Route(ADMIN + "/faults/{fault_id}", delete_fault, methods=["DELETE"]),
    Route(ADMIN + "/counters", counters, methods=["GET", "DELETE"]),
    Route(ADMIN + "/reset", reset, methods=["POST"]),
    Route(ADMIN + "/sessions/expire", expire_sessions, methods=["POST"]),
]
