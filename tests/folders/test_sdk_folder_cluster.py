"""An SDK download folder restored to an emulated cluster (real HTTP): the media keep their names."""

from __future__ import annotations

from pathlib import Path

import pytest
from folders_gen import make_sdk_folder

from scmigrate.engine.facade import transfer
from scmigrate.testing import memory_target


def test_repeated_names_are_restored_on_the_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from sc_emulator import running
    from scmigrate.config import ClusterConfig, save_cluster
    from scmigrate.plugins import make_plugin_manager
    from scmigrate.registry import Registry
    from scmigrate.testing import memory_plugin

    root = tmp_path / "download"
    make_sdk_folder(root)
    registry = Registry(make_plugin_manager(load=True, plugins=[memory_plugin]))
    monkeypatch.setenv("SCMIGRATE_CONFIG", str(tmp_path / "config.json"))
    with running(tmp_path / "emu") as emu:
        monkeypatch.setenv("TOKEN_SC", emu.token)
        save_cluster(ClusterConfig(name="sc", url=emu.url, token_env="TOKEN_SC"))
        sent = transfer(f"sdk-folder:{root}", "sc", quiet=True, workers=2, registry=registry)
        assert sent.complete and not sent.failures, sent.to_dict()
        back = transfer("sc", "memory:restored", project="Pets", quiet=True, workers=2, registry=registry)
        assert back.complete, back.to_dict()
    names = sorted((it.media.dataset, it.media.name) for it in memory_target("restored").items.values())
    # the SDK wrote twin_<id>.jpg twice; the cluster shows "twin" twice again, as before the backup
    assert names == [("Dataset", "alpha"), ("Dataset", "bare"), ("Dataset", "clip"), ("Dataset", "twin"),
                     ("Testing set 1", "none"), ("Testing set 1", "twin")]
