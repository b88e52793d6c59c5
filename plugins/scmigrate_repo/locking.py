"""Where a repository's lock lives: one file for the whole repository, whatever the project.

Backups, ``forget`` and ``prune`` all take it, so a prune never removes a blob that a running
backup has just stored and will name in its snapshot.
"""

from __future__ import annotations

import os

from scmigrate.storage import storage_for

__all__ = ["LOCK_NAME", "repo_lock_file"]

LOCK_NAME = ".scmigrate.lock"


def repo_lock_file(path: str) -> str | None:
    """The lock file of the repository at ``path``; None where the storage has no local path (object stores)."""
    local = storage_for(path).lock_path()
    if local is None:
        return None
    if os.path.isdir(local) or not os.path.exists(local):
        return os.path.join(local, LOCK_NAME)
    return local
