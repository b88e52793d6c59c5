"""A slow backup of the test project into a repository, to be killed: ``python repo_backup_proc.py REPO``."""

from __future__ import annotations

import sys
import time

from repo_helpers import item, project

from scmigrate.engine.facade import transfer
from scmigrate.testing import make_registry, memory_plugin, put_memory


def slow(it: object) -> None:
    time.sleep(0.15)  # a slow source: the parent has time to kill the backup half way


if __name__ == "__main__":
    items = [item(i) for i in range(12)]
    for it in items:
        it.load = slow
    put_memory("live", project(), items)
    transfer("memory:live", sys.argv[1], registry=make_registry(memory_plugin, load_installed=True), quiet=True,
             workers=1)
