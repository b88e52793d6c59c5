"""The Geti 3.x dialect: recognised from ``GET /api/openapi.json``, features read from its ``paths``.

Geti 3.x is another product API, not a 2.x variant: no organisations, workspaces or tokens, one
task and one dataset per project. It has its own reader and writer (``scmigrate_cluster.geti3``);
this module only says whether a server is 3.x and what it offers, so that a 3.2.0 server without
resumable uploads and a 3.3 one with them are both spoken to correctly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Geti3Dialect", "detect_geti3"]

_PARAM = re.compile(r"\{[^}]*\}")


def _shape(path: str) -> str:
    """A path template with its parameter names left out: ``/a/{project_id}/b`` → ``/a/{}/b``."""
    return _PARAM.sub("{}", path)


@dataclass
class Geti3Dialect:
    """A Geti 3.x server: its version and the routes its OpenAPI document lists."""

    version: tuple[int, int, int]
    version_text: str
    paths: frozenset[str] = field(default_factory=frozenset)
    name: str = "geti3"

    def offers(self, path: str) -> bool:
        return _shape(path) in self.paths

    @property
    def tus(self) -> bool:
        """Resumable uploads (``/api/uploads`` and their consumption as project media)."""
        return self.offers("/api/uploads") and self.offers("/api/projects/{}/dataset/media:from-upload")

    @property
    def views(self) -> str | None:
        """The dataset-view route prefix (two variants exist in the sources), or None."""
        for prefix in ("/api/projects/{}/dataset/views", "/api/projects/{}/dataset_views"):
            if self.offers(prefix):
                return prefix
        return None

    @property
    def views_assign_suffix(self) -> bool:
        """True for the variant with ``POST …/{view}/media:assign`` instead of ``POST …/{view}/media``."""
        return self.offers("/api/projects/{}/dataset_views/{}/media:assign")

    @property
    def training_configuration(self) -> bool:
        return self.offers("/api/projects/{}/training_configuration")

    def features(self) -> list[str]:
        """What ``clusters test`` shows."""
        found = [name for name, on in (("resumable uploads", self.tus), ("dataset views", self.views is not None),
                                       ("training configuration", self.training_configuration)) if on]
        return found


def detect_geti3(doc: Any) -> Geti3Dialect | None:
    """The dialect of an ``/api/openapi.json`` document, or None when it is not Geti 3.x."""
    if not isinstance(doc, dict) or not isinstance(doc.get("info"), dict):
        return None
    info = doc["info"]
    text = str(info.get("version") or "")
    if info.get("title") != "Geti" or not text.startswith("3."):
        return None
    m = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", text)
    if m is None:
        return None
    version = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        paths = {}
    return Geti3Dialect(version, text, frozenset(_shape(str(p)) for p in paths))
