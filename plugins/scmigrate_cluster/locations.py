"""What a cluster location is: a URL, or the name of a cluster in the config file.

Kept apart from :mod:`.connection` so that deciding whether a location is a cluster's (the
registry asks every plugin for every location, ``coco:x.json`` and ``x.scz`` included) does not
import the HTTP stack: a run that never talks to a cluster does not pay for it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["configured", "is_url"]


def is_url(location: str) -> bool:
    return location.startswith(("https://", "http://"))


def configured(name: str) -> Any:
    """The named cluster's config, or None (not a cluster name, no such name, unreadable file).

    A cluster name has no '.', ':' or '/' (``scmigrate clusters add`` refuses them): a location with
    one is a file (``x.scz``) or a scheme (``coco:...``) that another plugin claims, so it is never
    looked up, even if a hand-edited config holds such a name (the location would be ambiguous).
    """
    if not name or any(c in name for c in "./:"):
        return None
    try:
        from scmigrate import config

        return config.get_cluster(name)
    except Exception:  # noqa: BLE001 - claims() must never fail: "not mine" is the answer
        return None
