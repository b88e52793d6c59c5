"""Read one snapshot of a repository as a project (``--from repo:PATH[@ID]``), and verify a repository."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from scmigrate import schema
from scmigrate.api import Reader, RunOptions, SizeHint
from scmigrate.errors import InputError
from scmigrate.model import Item, Media, Project, RangeLabel, Scene, read_empty_mark

from .layout import CONFIG, INDEX, Repository, SnapshotInfo, blob_name
from .pending import pending_entries

__all__ = ["RepoReader", "verify_repository"]


class RepoReader(Reader):
    """One snapshot, chosen lazily: ``verify`` reads the whole repository and needs none."""

    def __init__(self, repo: Repository, selector: str | None, options: RunOptions) -> None:
        self.repo, self.selector, self.options = repo, selector, options
        self._doc: dict[str, Any] | None = None
        self._id = ""

    def snapshot(self) -> dict[str, Any]:
        if self._doc is None:
            self._id = self.repo.select(self.selector, self.options.project)
            doc = self.repo.snapshot(self._id)
            if self.options.project and doc["project"]["name"] != self.options.project:
                # chosen by a summary that says otherwise than its snapshot (scmigrate verify names it)
                raise InputError(f"{self.repo.storage.url(f'{INDEX}{self._id}.json')}: does not match its snapshot, "
                                 f"which is of project {doc['project']['name']!r}")
            self._doc = doc
        return self._doc

    def project(self) -> Project:
        return Project.from_dict(self.snapshot()["project"])

    def items(self) -> Iterator[Item]:
        project = self.project()
        for entry in self.snapshot()["items"]:
            yield self._item(entry, project)

    def _item(self, entry: dict[str, Any], project: Project) -> Item:
        blob, annotations = entry["blob"], entry["annotations"]
        return Item(media=Media.from_dict(entry["media"]), open=lambda: self.repo.open_blob(blob),
                    load=lambda item: self._load(item, annotations, project),
                    annotation_revision=annotations)  # named by its content: equal names, equal scenes

    def _load(self, item: Item, name: str, project: Project) -> None:
        doc = self.repo.load_json(name)
        schema.validate("annotations", doc, "1", where=self.repo.storage.url(name))
        m = item.media
        item.scenes = [read_empty_mark(Scene.from_dict(s), project, m.width, m.height) for s in doc["scenes"]]
        item.ranges = [RangeLabel.from_dict(r) for r in doc["ranges"]]

    def size_hint(self) -> SizeHint:
        items = self.snapshot()["items"]
        kinds = [e["media"]["kind"] for e in items]
        return SizeHint(items=len(items), bytes=sum(e["media"]["size"] for e in items),
                        images=kinds.count("image"), videos=kinds.count("video"))

    def notes(self) -> list[str]:
        doc = self.snapshot()
        return [f"snapshot {self._id[:8]} of {doc['project']['name']!r}, taken {doc['time']}"]

    def describe(self) -> dict[str, Any]:
        doc = self.snapshot()
        return {"repository": self.repo.root, "snapshot": self._id, "time": doc["time"], "parent": doc["parent"],
                **doc["stats"]}

    def verify(self, quick: bool = False) -> list[str]:
        subset = self.options.get("read-data-subset")
        read = quick or bool(self.options.get("read-data")) or bool(subset)
        return verify_repository(self.repo, read_data=read, subset=subset, documents=not quick)


def _subset(text: str | None) -> tuple[int, int] | None:
    """``"1/10"`` → (1, 10): the first tenth of the blobs, by name (a different n each run covers them all)."""
    if not text:
        return None
    n, _, of = text.partition("/")
    if not (n.isdigit() and of.isdigit() and 1 <= int(n) <= int(of)):
        raise InputError(f"--read-data-subset {text}: expected N/M with 1 <= N <= M, e.g. 1/10")
    return int(n), int(of)


def verify_repository(repo: Repository, read_data: bool = False, subset: str | None = None,
                      documents: bool = True) -> list[str]:
    """One line per problem: snapshots against their schema and id, every reference, blob hashes if asked."""
    problems: list[str] = []
    if documents:
        try:
            repo.load_json(CONFIG, "config")
        except InputError as e:
            problems.append(str(e))
    present = set(repo.blobs())

    def check_refs(where: str, entries: Iterable[dict[str, Any]]) -> None:
        # each document's entries are checked as it is read: memory holds one snapshot, not all of them
        for entry in entries:
            for blob in (entry["blob"], entry["annotations"]):
                if blob not in present:
                    problems.append(f"{where}: item {entry['media']['key']!r}: blob {blob} is missing")

    summaries = {n[len(INDEX):-len(".json")] for n in repo.storage.list(INDEX)}
    for sid in repo.snapshot_ids():
        try:
            doc = repo.snapshot(sid)
        except InputError as exc:
            problems.append(str(exc))
            continue
        check_refs(f"snapshot {sid[:8]}", doc["items"])
        if sid in summaries and repo.summary(sid) != SnapshotInfo.of(sid, doc):
            # listings (and the choice of a backup's parent) go by the summary: a wrong one misleads them
            problems.append(f"{repo.storage.url(f'{INDEX}{sid}.json')}: not valid, or does not match its snapshot")
        del doc  # before the next one is read
    for name, entry in _pending_or_problem(repo, problems):
        check_refs(f"pending {name}", [entry])
    if not read_data:
        return problems
    part = _subset(subset)
    names = sorted(present)
    if part is not None:
        n, of = part
        names = [b for b in names if int(hashlib.sha256(b.encode()).hexdigest()[:8], 16) % of == n - 1]
    for blob in names:
        sha = blob.rsplit("/", 1)[-1].split(".")[0]
        try:
            digest = hashlib.sha256()
            with repo.open_blob(blob) as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
        except Exception as e:  # noqa: BLE001 - a damaged blob is a finding, not a crash
            problems.append(f"{repo.storage.url(blob)}: damaged ({type(e).__name__}: {e})")
            continue
        if digest.hexdigest() != sha or blob != blob_name(sha, blob.endswith(".zst")):
            problems.append(f"{repo.storage.url(blob)}: damaged (its bytes do not hash to its name)")
    return problems


def _pending_or_problem(repo: Repository, problems: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The pending entries; a damaged batch is one problem, not a crash."""
    try:
        yield from pending_entries(repo)
    except InputError as exc:
        problems.append(str(exc))
