"""Where a repository's lock lives: ``.scmigrate.lock`` for the whole repository, whatever the project.

Backups, ``forget`` and ``prune`` all take it, so a prune never removes a blob that a running
backup has just stored and will name in its snapshot. In a local folder it is a file locked with
``flock``; in object storage, a folder of lock objects (:mod:`scmigrate.engine.lock_objects`).
Its name starts with a dot, so a new repository's emptiness check does not see it.
"""

from __future__ import annotations

import os

from scmigrate.storage import storage_for

__all__ = ["LOCK_NAME", "repo_lock_file"]

LOCK_NAME = ".scmigrate.lock"


def repo_lock_file(path: str) -> str:
    """The lock of the repository at ``path``: a local file, or a URL where the storage is an object store."""
    storage = storage_for(path)
    local = storage.lock_path()
    if local is None:
        return storage.url(LOCK_NAME)
    if os.path.isdir(local) or not os.path.exists(local):
        return os.path.join(local, LOCK_NAME)
    return local
