"""What every record's ``to_dict`` shares."""

from __future__ import annotations

from typing import Any


def drop_none(d: dict[str, Any]) -> dict[str, Any]:
    """The JSON form leaves out fields that are not known (``None``), as the schemas allow."""
    return {k: v for k, v in d.items() if v is not None}
