"""How a source or sink says which ``--from``/``--to`` locations are its own (the base of both).

Kept apart from :mod:`scmigrate.api`, which re-exports nothing of it: plugins meet it only as the
``scheme``, ``suffixes``, ``claims`` and ``location_path`` of :class:`~scmigrate.api.Source` and
:class:`~scmigrate.api.Sink`.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["ClaimsLocations"]


class ClaimsLocations:
    """What sources and sinks share: which locations they claim, declared rather than coded.

    Most kinds are a scheme (``coco:PATH`` → ``scheme = "coco"``) or a file ending (``x.scz`` →
    ``suffixes = (".scz",)``); the default :meth:`claims` answers from those two declarations.
    A kind that needs more (a configured cluster's name) overrides ``claims``; core rejects a
    registered class that neither declares nor overrides, as it could never be chosen.
    """

    #: the prefix it claims, without the colon: ``"coco"`` claims every ``coco:...`` location
    scheme: ClassVar[str | None] = None
    #: file name endings it claims without a scheme (case-insensitive; never a ``://`` URL)
    suffixes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def claims(cls, location: str) -> bool:
        """Whether this kind handles ``location``: ``scheme:...``, or a path ending in one of ``suffixes``.

        Core asks every registered class about every location, so an override must be as cheap:
        no heavy imports, no network.
        """
        if cls.scheme and location.startswith(cls.scheme + ":"):
            return True
        endings = tuple(suffix.lower() for suffix in cls.suffixes)
        return bool(endings) and "://" not in location and location.lower().endswith(endings)

    @classmethod
    def location_path(cls, location: str) -> str:
        """``location`` without this kind's ``scheme:`` prefix (``coco:a/b.json`` → ``a/b.json``)."""
        if cls.scheme and location.startswith(cls.scheme + ":"):
            return location[len(cls.scheme) + 1:]
        return location
