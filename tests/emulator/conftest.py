"""Fixtures for the emulator tests: one real emulator process (HTTPS) per session, real media files."""

from __future__ import annotations

import pytest

import sc_emulator
from emulator_helpers import Api, video_bytes


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    with sc_emulator.running(tmp_path_factory.mktemp("cluster"), tls=True) as running:
        yield running


@pytest.fixture()
def api(cluster) -> Api:
    return Api(cluster)


@pytest.fixture(scope="session")
def video_file(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return video_bytes(tmp_path_factory.mktemp("video") / "clip.mp4")
