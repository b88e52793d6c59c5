"""The classes a plugin subclasses: sources, sinks and converters, and what passes between them.

A plugin registers *classes* through the hooks in :mod:`scmigrate.hookspecs`. Core asks every
registered source (or sink) whether it ``claims`` a location, opens the one that does, and moves
items from the reader, through the converter, to the writer.

A plugin imports only the modules in :data:`PUBLIC_MODULES` (each says so in its docstring);
everything else in ``scmigrate`` may change without notice, and ``tests/core/test_core_boundaries.py``
fails if a built-in plugin or the example plugin imports it. This module is public.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .locations import ClaimsLocations as _ClaimsLocations
from .model import Item, Media, ModelArtifact, Project, Scene

#: The modules a plugin (and its tests) may import; ``scmigrate`` re-exports ``api``, ``model``, ``errors``.
#: ``schema`` validates records against the spec's schemas, ``config`` reads the named clusters, ``spool``
#: spools a stream while hashing it, ``storage`` is a folder or a bucket, ``testing`` serves tests.
PUBLIC_MODULES: tuple[str, ...] = (
    "scmigrate",
    "scmigrate.api",
    "scmigrate.model",
    "scmigrate.errors",
    "scmigrate.schema",
    "scmigrate.config",
    "scmigrate.spool",
    "scmigrate.imagesize",
    "scmigrate.scratch",
    "scmigrate.storage",
    "scmigrate.testing",
    "scmigrate.testing.coco",
)

__all__ = [
    "PUBLIC_MODULES",
    "PluginOption",
    "RunOptions",
    "SizeHint",
    "WriteResult",
    "ConversionLog",
    "Source",
    "Reader",
    "Sink",
    "Writer",
    "Converter",
]


@dataclass(frozen=True)
class PluginOption:
    """An option a plugin accepts, declared as data; core turns it into a ``scmigrate run`` flag.

    ``name`` is the flag without dashes (``"images"`` → ``--images``, env ``SCMIGRATE_RUN_IMAGES``).
    ``type`` is one of ``str``, ``int``, ``float``, ``bool`` (a switch) or ``"path"``.
    Two plugins may declare the same name only with the same type.
    """

    name: str
    type: Any = str
    default: Any = None
    help: str = ""
    multiple: bool = False


@dataclass
class RunOptions:
    """What the user asked for, as the engine hands it to plugins.

    ``project`` selects a project on a source that holds several (``Source.selects_project``),
    otherwise it names the result; ``to_project`` always names the result (a copy under a new
    name). ``extra`` holds every plugin-declared option by name.
    """

    project: str | None = None
    to_project: str | None = None
    project_type: str | None = None
    labels: list[str] | None = None
    label_map: dict[str, str] = field(default_factory=dict)
    keep_empty: bool = False
    max_items: int | None = None
    #: threads (and, against a cluster, concurrent requests); None = automatic (see ``Source.auto_workers``)
    workers: int | None = None
    resume: bool = False
    dry_run: bool = False
    strict: bool = False
    debug: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        """A plugin option's value (``None`` → ``default``)."""
        value = self.extra.get(name)
        return default if value is None else value


@dataclass
class SizeHint:
    """What a reader expects to yield, for the progress bar and ``--dry-run``; ``None`` = unknown."""

    items: int | None = None
    bytes: int | None = None
    images: int | None = None
    videos: int | None = None


@dataclass
class WriteResult:
    """What a writer did with one item: the ids it created (``{"media": "<new id>"}``) and notes."""

    ids: dict[str, str] = field(default_factory=dict)
    skipped: bool = False  # already held (resume, --into-existing): nothing was sent
    bytes: int = 0
    notes: list[str] = field(default_factory=list)


class ConversionLog:
    """Thread-safe tally of what conversions did and what they dropped.

    ``converted("POLYGON → RECTANGLE")`` and ``dropped("KEYPOINT: not used by detection")``
    feed ``--dry-run`` and the report; under ``--strict`` any drop is an error.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.conversions: Counter[str] = Counter()
        self.drops: Counter[str] = Counter()

    def converted(self, what: str, n: int = 1) -> None:
        with self._lock:
            self.conversions[what] += n

    def dropped(self, what: str, n: int = 1) -> None:
        with self._lock:
            self.drops[what] += n

    def merge(self, other: ConversionLog) -> None:
        """Add another log's tallies to this one (one item's log into the run's)."""
        with other._lock:
            conversions, drops = Counter(other.conversions), Counter(other.drops)
        with self._lock:
            self.conversions.update(conversions)
            self.drops.update(drops)

    def to_dict(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {"converted": dict(self.conversions), "dropped": dict(self.drops)}


# --------------------------------------------------------------------------- sources


class Reader(ABC):
    """An opened source. Used as a context manager; ``close()`` releases files and sessions."""

    @abstractmethod
    def project(self) -> Project:
        """The project: pipeline, labels, datasets, configuration. Called before ``items()``."""

    @abstractmethod
    def items(self) -> Iterator[Item]:
        """Yield every item once. Cheap work here; slow fetches belong in ``Item.load``."""

    def size_hint(self) -> SizeHint:
        return SizeHint()

    def notes(self) -> list[str]:
        """Lines for ``--dry-run``: what the reader detected or will skip (e.g. normalised coordinates)."""
        return []

    def models(self) -> Iterator[ModelArtifact]:
        """Trained models kept with the project (only cluster and archive sources have any)."""
        return iter(())

    def describe(self) -> dict[str, Any]:
        """Facts for ``scmigrate inspect`` beyond the project itself (format version, ...)."""
        return {}

    def verify(self, quick: bool = False) -> list[str]:
        """Re-check the stored data; return one line per damaged member (empty list = intact).

        ``quick``: re-check only the stored bytes (hashes), not the documents' content.

        Sources that cannot verify raise :class:`~scmigrate.errors.InputError`.
        """
        from .errors import InputError

        raise InputError(f"{type(self).__name__} cannot verify its data")

    def close(self) -> None:
        pass

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Source(_ClaimsLocations, ABC):
    """A kind of ``--from`` location: subclass it and register it with ``register_sources``.

    Set ``name``, and ``scheme`` or ``suffixes`` (or override ``claims``).
    """

    #: the name users see (``scmigrate plugins``, error messages); unique among sources
    name: ClassVar[str]
    #: the locations it claims, for help texts, e.g. ``"coco:PATH/instances.json"``
    location_help: ClassVar[str] = ""
    description: ClassVar[str] = ""
    options: ClassVar[tuple[PluginOption, ...]] = ()
    #: True if ``--project`` picks one project out of several (a cluster) rather than naming the result
    selects_project: ClassVar[bool] = False
    #: threads the engine runs when ``--workers`` is not given (the larger of source's and sink's);
    #: a plugin that sets more admits only as many as its server keeps up with
    auto_workers: ClassVar[int] = 8

    @abstractmethod
    def open(self, location: str, options: RunOptions) -> Reader:
        """Open the location for reading; raise ``InputError`` naming the location if it cannot be read."""

    @classmethod
    def locations_in_folder(cls, folder: str) -> list[str] | None:
        """The locations of this kind in ``folder``, one project each (``--from FOLDER --all-projects``).

        The counterpart of ``Sink.location_in_folder``: an archive source lists ``folder/*.scz``.
        Return ``None`` (the default) if this kind does not keep projects as files of a folder.
        Cheap: a listing of the folder, nothing opened.
        """
        return None

    def list_projects(self, location: str, options: RunOptions) -> list[dict[str, Any]]:
        """The projects the location holds (``scmigrate projects``, ``--all-projects``).

        Each entry has at least ``name``; clusters add ``id``, ``task_types``, ``images``, ``videos``.
        Single-project sources need not override this.
        """
        from .errors import InputError

        raise InputError(f"{location}: holds one project, not several ({self.name} locations hold one each)")

    def probe(self, location: str, options: RunOptions) -> dict[str, Any]:
        """Check that the location is reachable and usable (``scmigrate clusters test``).

        Return facts to show (``{"version": ..., "dialect": ...}``); raise ``InputError`` otherwise.
        """
        return {}


# --------------------------------------------------------------------------- sinks


class Writer(ABC):
    """An opened sink. ``write`` is called from several worker threads at once."""

    def begin(self, project: Project, state: dict[str, Any] | None) -> dict[str, Any]:
        """Prepare the target for ``project`` (create it, check for clashes).

        ``state`` is what this method returned on the interrupted run when resuming, else None.
        Return a JSON-able dict the engine keeps in its journal (e.g. the new project's id).
        """
        return {}

    def done_keys(self) -> set[str]:
        """Keys of the items the target already holds completely (resume, ``--into-existing``)."""
        return set()

    def finished(self) -> str | None:
        """Opened with ``--resume``: why the target is a finished copy that resuming must not add to
        (``"c.scz is a finished archive"``), else None. The engine then says "nothing to resume"
        and calls neither ``begin`` nor ``write``."""
        return None

    def holds_annotations(self, item: Item) -> bool:
        """Whether the target already stores ``item``, its media and its annotations at
        ``item.annotation_revision`` (a repository: its parent snapshot). The engine then hands the
        item to ``write`` without loading its annotations; it asks only when scenes pass unchanged
        (no label selection, no conversion). Cheap: no request to the source."""
        return False

    @abstractmethod
    def write(self, item: Item) -> WriteResult:
        """Store one item (media bytes, scenes, ranges); bytes come only from ``item.open()``.

        The item is resolved, except one that ``holds_annotations`` said the target holds.
        """

    def write_model(self, model: ModelArtifact) -> WriteResult:
        """Store a trained model; sinks that cannot keep models return ``WriteResult(skipped=True)``."""
        return WriteResult(skipped=True, notes=["models are not kept by this sink"])

    def finish(self, complete: bool) -> dict[str, Any]:
        """Seal the target. ``complete`` is False when some items failed (do not look finished then).

        Returns facts for the report (``{"project_id": ...}``; a ``"summary"`` string ends the summary line).
        """
        return {}

    def abort(self) -> None:
        """Stop after an interruption, leaving what was written resumable."""

    def close(self) -> None:
        pass

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Sink(_ClaimsLocations, ABC):
    """A kind of ``--to`` location: subclass it and register it with ``register_sinks``.

    Set ``name``, and ``scheme`` or ``suffixes`` (or override ``claims``).
    """

    name: ClassVar[str]
    location_help: ClassVar[str] = ""
    description: ClassVar[str] = ""
    options: ClassVar[tuple[PluginOption, ...]] = ()
    #: True if one location holds several projects, each under its name (a cluster): ``--all-projects``
    #: then writes every project to that same location
    holds_projects: ClassVar[bool] = False
    #: as ``Source.auto_workers``
    auto_workers: ClassVar[int] = 8

    @classmethod
    def location_in_folder(cls, folder: str, stem: str) -> str | None:
        """Where this sink would write one project, named ``stem``, into ``folder`` (``--all-projects``).

        ``stem`` is the project's name made safe as a file name. Return a location that this sink
        claims (an archive sink: ``folder/stem.scz``), or ``None`` if the sink does not write
        projects into folders (the default). Cheap, no heavy imports, nothing written.
        """
        return None

    @abstractmethod
    def open(self, location: str, options: RunOptions) -> Writer:
        """Open the target; raise ``InputError`` if it cannot be written (e.g. path not writable)."""

    def preflight(self, location: str, target: Project, options: RunOptions) -> list[str]:
        """For ``--dry-run``: check, without writing anything, what ``open``/``begin`` would refuse.

        Raise ``InputError`` for what would fail (a name clash, a bad option); return lines for the
        plan. The default checks nothing: a sink that can refuse only while writing need not override it.
        """
        return []


# --------------------------------------------------------------------------- converters


class Converter(ABC):
    """Fits a source project and its scenes to one target project type (``--project-type NAME``).

    A converter is chosen by ``name`` (``"detection"``, ``"detection_to_segmentation"``, ...).
    Label selection (``--labels``) and renaming (``--label-map``) are applied by core before the
    converter sees the source; the converter builds the target pipeline and rewrites each scene
    into it, telling the log what it converted and what it dropped.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    #: True if the converter decides the target from the scenes too (classification: multi-label
    #: when an image holds several labels); the engine then calls ``survey`` before ``target_project``
    wants_survey: ClassVar[bool] = False

    def survey(self, source: Project, scenes: Iterable[Scene]) -> None:
        """Look at every source scene once before ``target_project`` (only if ``wants_survey``).

        Without a survey a converter falls back to a choice that loses nothing.
        """

    @abstractmethod
    def target_project(self, source: Project, options: RunOptions) -> Project:
        """The target project (pipeline, labels incl. empty labels, datasets, configuration)."""

    @abstractmethod
    def convert(
        self, scene: Scene, media: Media, source: Project, target: Project, log: ConversionLog
    ) -> Scene | None:
        """Rewrite one scene for ``target``; ``None`` means "leave this media unannotated"."""

    def plan(self, source: Project, target: Project) -> list[str]:
        """Lines for ``--dry-run``: which shapes become what and what is dropped."""
        return []
