"""Dialects: what differs between cluster versions (URL shapes, media listing, coordinates).

The reader and writer talk to a cluster only through a dialect object, so older dialects
(SC 1.x with normalised coordinates, Geti 1.x with ``GET media/images``) can be added as
sibling modules without touching them. ``pick(version)`` chooses by the version the cluster
reports. Geti 3.x is another product API with its own reader and writer: ``detect_geti3``
recognises it from its OpenAPI document (``geti3.py``).
"""

from __future__ import annotations

import re

from scmigrate.errors import InputError

from .current import CurrentDialect, Dialect
from .geti1 import Geti10Dialect, Geti19Dialect, Geti114Dialect
from .geti3 import Geti3Dialect, detect_geti3

__all__ = ["Dialect", "CurrentDialect", "Geti3Dialect", "detect_geti3", "parse_version", "pick", "SC1_PREFIX"]

#: the API prefix of Sonoma Creek 1.x; every later version answers under ``/api/v1``
SC1_PREFIX = "/api/v1.0"
#: newest first: the first whose ``min_version`` the cluster reaches is its dialect
_GETI = (CurrentDialect, Geti114Dialect, Geti19Dialect, Geti10Dialect)

_SEMVER = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """``"2.13.0-release-20251101120000"`` → ``(2, 13, 0)``; None when it is not a version."""
    if not text:
        return None
    m = _SEMVER.match(str(text))
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def pick(version: tuple[int, int, int], label: str, prefix: str = "/api/v1") -> Dialect:
    """The dialect for a cluster reporting ``version`` on ``{prefix}/product_info``.

    SC 1.0 and Geti 1.0 both report 1.0.0: the prefix that answered tells them apart.
    """
    if prefix == SC1_PREFIX:
        from .sc1 import Sc1Dialect

        if version < (2, 0, 0):
            return Sc1Dialect(version)
    else:
        for dialect in _GETI:
            if version >= dialect.min_version:
                return dialect(version)
    raise InputError(
        f"{label}: the cluster reports version {'.'.join(map(str, version))} on {prefix}/product_info; this "
        "scmigrate speaks SC 1.x (on /api/v1.0) and Geti 1.0 and newer (on /api/v1)"
    )
