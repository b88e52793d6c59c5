"""Media on the target project: finding the ones already there, and uploading new ones.

An upload is not idempotent: when its outcome is unknown (a dropped connection, a 5xx, a 429)
the media it may have created is looked up by name and size before trying again, and each media
found is *claimed* so that two items never take the same one. Two items with the same name and
size in one dataset upload one after the other, never at once: otherwise one's look-up could take
the other's media while that one's answer is still on its way.

One race no look-up closes: a gateway that answers, then has the service store the upload after
our look-up found nothing. The API has no idempotency key, so :meth:`MediaUploads.remove_duplicates`
checks afterwards: media named and sized like an upload whose outcome was unknown that no item of
this run claimed, and that were not there before it, are copies this run made; they are removed.
Used from many threads at once.
"""

from __future__ import annotations

import mimetypes
import threading
import time
import uuid
from typing import Any

import requests

from scmigrate.errors import InputError, PluginError
from scmigrate.model import Media
from scmigrate.scratch import KeySet
from scmigrate.spool import Spool

from .dialects import Dialect
from .http import ClusterHttp, HttpError, Recovered
from .streams import multipart_body

__all__ = ["ITEM_FAULTS", "MediaUploads"]

#: statuses that blame the item itself (bad media, bad shapes), not the cluster
ITEM_FAULTS = frozenset({400, 413, 415, 422})


class MediaUploads:
    """The media of one target project as the writer sees them (thread-safe)."""

    def __init__(self, http: ClusterHttp, dialect: Dialect) -> None:
        self.http, self.d = http, dialect
        self._lock = threading.Lock()
        #: (dataset path, kind) → media name → [(size, id, media document)] already on the target
        self._existing: dict[tuple[str, str], dict[str, list[tuple[Any, str, dict[str, Any]]]]] = {}
        #: the ids of the media this run uploaded or took as its own: one per item, on disk past a bound
        self._claimed = KeySet()
        #: (dataset path, kind, name, size) → one lock per media identity being uploaded (see the module
        #: docstring) and how many uploads hold or wait for it
        self._keys: dict[tuple[str, str, str, int], list[Any]] = {}
        #: uploads whose outcome was unknown and not found at once: (dataset path, kind, name, size) → what
        self._suspects: dict[tuple[str, str, str, int], str] = {}

    def upload(self, dpath: str, m: Media, filename: str, stem: str, spool: Spool) -> dict[str, Any]:
        key = (dpath, m.kind, stem, spool.size)
        with self._lock:
            slot = self._keys.setdefault(key, [threading.Lock(), 0])
            slot[1] += 1
            earlier = key in self._suspects
        try:
            with slot[0]:
                found = self._lookup(*key) if earlier else None
                doc = found if found is not None else self._send(path_of=dpath, m=m, filename=filename,
                                                                 spool=spool, key=key)
        finally:
            with self._lock:  # the last one out drops the lock: the table holds only uploads in flight
                slot[1] -= 1
                if not slot[1]:
                    del self._keys[key]
        return self._processed(dpath, m, doc)

    def _send(self, *, path_of: str, m: Media, filename: str, spool: Spool,
              key: tuple[str, str, str, int]) -> dict[str, Any]:
        ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        path = self.d.upload(path_of, m.kind)
        fixed = uuid.uuid4().hex
        what = f"{m.dataset}/{filename}"
        try:
            resp = self.http.request(
                "POST", path, body=lambda: multipart_body(spool, filename, ctype, fixed),
                headers={"Content-Type": f"multipart/form-data; boundary={fixed}"},
                idempotent=False, on_unknown=lambda: self._look(key, what),
            )
        except BaseException as exc:
            # stored or not, nobody can say: the item's next try looks first, the end of the run checks
            with self._lock:
                self._suspects.setdefault(key, what)
            if isinstance(exc, HttpError):
                # 400/413/415: this file is the problem (bad input, not retried); anything else is the cluster's
                kind = InputError if exc.status in ITEM_FAULTS else PluginError
                raise kind(f"{what}: the cluster refused the upload: {exc}") from None
            raise
        self.http.stats.add("bytes_sent", spool.size)
        if isinstance(resp, Recovered):
            doc: dict[str, Any] = resp.value
        else:
            assert isinstance(resp, requests.Response)
            doc = self.http.json_of(resp, f"POST {path}")
        with self._lock:
            self._claimed.add(str(doc["id"]))
        return doc

    def _processed(self, dpath: str, m: Media, doc: dict[str, Any]) -> dict[str, Any]:
        """Wait for asynchronous preprocessing (202 answers, Geti ≥ 2.10) before scenes are posted.

        Not exercised by the emulator, which preprocesses synchronously and answers FINISHED.
        """
        deadline = time.monotonic() + max(60.0, self.http.timeout[1])
        url = self.d.media(dpath, m.kind, str(doc["id"]))
        while ((doc.get("preprocessing") or {}).get("status") or "FINISHED").upper() in ("SCHEDULED", "IN_PROGRESS"):
            if time.monotonic() > deadline:
                raise PluginError(f"{m.dataset}/{m.filename}: still being preprocessed by the cluster; --resume later")
            time.sleep(0.5)
            doc = self.http.get_json(url)
        if ((doc.get("preprocessing") or {}).get("status") or "").upper() == "FAILED":
            why = (doc.get("preprocessing") or {}).get("message") or "no reason given"
            raise InputError(f"{m.dataset}/{m.filename}: the cluster could not process it: {why}")
        return doc

    def _look(self, key: tuple[str, str, str, int], what: str) -> dict[str, Any] | None:
        """The look-up after an unknown outcome; a miss means the upload is sent again, so it is remembered."""
        found = self._lookup(*key)
        if found is None:
            with self._lock:
                self._suspects.setdefault(key, what)
        return found

    def _lookup(self, dpath: str, kind: str, stem: str, size: int) -> dict[str, Any] | None:
        """After an upload with an unknown outcome: the media it may have created, if any."""
        for doc in self.d.iter_media(self.http, dpath, kind, name=stem):
            info = doc.get("media_information") or {}
            with self._lock:
                if doc.get("name") == stem and info.get("size") == size and str(doc["id"]) not in self._claimed:
                    self._claimed.add(str(doc["id"]))
                    return doc
        return None

    def remove_duplicates(self) -> list[str]:
        """Remove the copies uploads with an unknown outcome left (see the module docstring); what was removed."""
        removed = []
        with self._lock:
            suspects = dict(self._suspects)
        for (dpath, kind, stem, size), what in suspects.items():
            with self._lock:
                before = {mid for entries in self._existing.get((dpath, kind), {}).values() for _, mid, _ in entries}
            for doc in self.d.iter_media(self.http, dpath, kind, name=stem):
                mid = str(doc["id"])
                if doc.get("name") != stem or (doc.get("media_information") or {}).get("size") != size:
                    continue
                with self._lock:
                    ours = mid in self._claimed or mid in before
                if not ours:
                    self.http.request("DELETE", self.d.media(dpath, kind, mid))
                    removed.append(f"{what}: removed a second copy ({kind} {mid}) that an upload whose answer "
                                   "was lost had stored")
        return removed

    def find_existing(self, dpath: str, kind: str, stem: str, size: int | None) -> dict[str, Any] | None:
        """Media already in the target dataset with this name (and size, when known)."""
        with self._lock:
            index = self._existing.get((dpath, kind))
            if index is None:
                index = {}
                for doc in self.d.iter_media(self.http, dpath, kind):
                    size_of = (doc.get("media_information") or {}).get("size")
                    index.setdefault(doc["name"], []).append((size_of, str(doc["id"]), doc))
                self._existing[(dpath, kind)] = index
            for size_of, mid, doc in index.get(stem, []):
                if (size is None or size_of == size) and mid not in self._claimed:
                    self._claimed.add(mid)
                    return doc
        return None
