"""Named clusters: file location, 0600 permissions, atomic writes, tokens never shown."""

from __future__ import annotations

import json
import os
import stat

import pytest

from scmigrate import config
from scmigrate.config import ClusterConfig, get_cluster, list_clusters, remove_cluster, save_cluster
from scmigrate.errors import InputError

SECRET = "tok-3f9a-very-secret"


def test_location_follows_xdg_and_override(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config.config_path() == tmp_path / "xdg" / "scmigrate" / "config.json"
    monkeypatch.setenv("SCMIGRATE_CONFIG", str(tmp_path / "mine.json"))
    assert config.config_path() == tmp_path / "mine.json"


def test_save_is_0600_and_round_trips(tmp_path):
    path = save_cluster(ClusterConfig("a", "https://sc.example/", workspace="W"), token=SECRET)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    cfg = get_cluster("a")
    assert cfg.url == "https://sc.example" and cfg.workspace == "W" and cfg.token() == SECRET
    assert json.loads(path.read_text())["clusters"]["a"]["token"] == SECRET
    assert [c.name for c in list_clusters()] == ["a"]
    assert not [p for p in path.parent.iterdir() if p.name != "config.json"]  # no temp file left


def test_token_never_in_repr_or_public(monkeypatch):
    save_cluster(ClusterConfig("a", "https://x"), token=SECRET)
    cfg = get_cluster("a")
    assert SECRET not in repr(cfg) and SECRET not in str(cfg) and SECRET not in json.dumps(cfg.public())
    assert cfg.public()["token"] == "stored"


def test_token_from_env(monkeypatch):
    save_cluster(ClusterConfig("b", "https://x", token_env="MY_TOKEN"))
    assert get_cluster("b").token() is None
    monkeypatch.setenv("MY_TOKEN", SECRET)
    assert get_cluster("b").token() == SECRET
    assert get_cluster("b").public()["token"] == "from $MY_TOKEN"


def test_remove_and_missing():
    save_cluster(ClusterConfig("a", "https://x"))
    assert remove_cluster("a") is True and remove_cluster("a") is False
    assert get_cluster("a") is None


def test_bad_input_is_one_clear_error(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="must start with https://"):
        save_cluster(ClusterConfig("a", "sc.example"))
    for name in ("a:b", "prod.scz", "a b", "a/b", "", "-x"):  # each would be claimed as another location
        with pytest.raises(InputError, match="cluster name"):
            save_cluster(ClusterConfig(name, "https://x"))
    save_cluster(ClusterConfig("Prod_2-eu", "https://x"))
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    monkeypatch.setenv("SCMIGRATE_CONFIG", str(bad))
    with pytest.raises(InputError, match=r"bad.json: the config file is not valid JSON \(line 1\)"):
        get_cluster("a")
