"""A backup of one 20 MiB media into ``REPO`` over a slow link, to be killed mid-upload:
``python repo_big_blob_proc.py REPO``. The slowness is the link's (each part waits before it goes),
not scmigrate's: the parent sees the multipart upload on the server, then kills this process."""

from __future__ import annotations

import random
import sys
import time

import s3fs.core
from repo_helpers import project

from scmigrate.engine.facade import transfer
from scmigrate.model import Media
from scmigrate.testing import make_item, make_registry, memory_plugin, put_memory

SIZE = 20 << 20


def big_item() -> object:
    data = random.Random(7).randbytes(SIZE)  # incompressible: the blob is as big as the media
    media = Media(key="big", kind="image", name="big", filename="big.png", width=64, height=48, source_id="big")
    return make_item(media, data, [])


if __name__ == "__main__":
    plain = s3fs.core.S3File._upload_chunk

    def slow_link(self: object, final: bool = False) -> object:
        time.sleep(1.0)
        return plain(self, final)

    s3fs.core.S3File._upload_chunk = slow_link  # type: ignore[method-assign]
    put_memory("big", project(), [big_item()])
    transfer("memory:big", sys.argv[1], registry=make_registry(memory_plugin, load_installed=True), quiet=True)
