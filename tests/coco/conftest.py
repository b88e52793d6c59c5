"""Fixtures for the coco: source tests: generated datasets (real images) and a reader helper."""

from __future__ import annotations

import pytest

from scmigrate.api import RunOptions
from scmigrate.testing.coco import CocoFixture, make_coco


def _open_coco(location: str, images: str | None = None, **kw):
    """Open a coco: location the way the engine does, with ``--images`` when given."""
    from scmigrate_datumaro import CocoSource

    extra = {"images": images} if images is not None else {}
    return CocoSource().open(location, RunOptions(extra=extra, **kw))


def _read_all(reader) -> dict:
    """Every item by key, resolved."""
    return {it.key: it.resolve() for it in reader.items()}


@pytest.fixture
def open_coco():
    return _open_coco


@pytest.fixture
def read_all():
    return _read_all


@pytest.fixture(scope="module")
def coco40(tmp_path_factory) -> CocoFixture:
    return make_coco(tmp_path_factory.mktemp("coco40"), 40, seed=11)
