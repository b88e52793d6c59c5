"""Fixtures for the datumaro: source tests; the datasets themselves come from ``dmdata``."""

from __future__ import annotations

import pytest

from scmigrate.api import RunOptions


def _open(location: str, **kw):
    from scmigrate_datumaro import DatumaroSource

    return DatumaroSource().open(location, RunOptions(**kw))


@pytest.fixture
def open_dm():
    return _open


@pytest.fixture
def read_all():
    return lambda reader: {it.key: it.resolve() for it in reader.items()}
