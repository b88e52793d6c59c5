"""Fixtures for the emulator tests: one real emulator process (HTTPS) per session, real media files."""

from __future__ import annotations

import pytest
from emulator_helpers import Api, Geti3, video_bytes

import sc_emulator


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


@pytest.fixture(scope="session")
def geti3_cluster(tmp_path_factory: pytest.TempPathFactory):
    """One Geti 3.x emulator (HTTPS by default, UI catch-all and resumable uploads on)."""
    with sc_emulator.running(tmp_path_factory.mktemp("geti3"), dialect="geti3") as running:
        yield running


@pytest.fixture()
def g3(geti3_cluster) -> Geti3:
    return Geti3(geti3_cluster)
