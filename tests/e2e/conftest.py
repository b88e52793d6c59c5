"""End-to-end fixtures: two real emulated clusters (HTTPS), generated datasets, and a recipe runner.

The recipes in ``examples/`` are run as real subprocesses, the way a user runs them: with the
token in ``SCMIGRATE_TOKEN`` (URL form) or in the config file written by ``scmigrate clusters add
--token-stdin`` (named form), never on a command line. The emulators and datasets are made once
per module (per xdist worker) to keep the suite fast; each test reads its own project.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
RECIPE_TIMEOUT = 120


@dataclass
class Env:
    """Where a recipe runs: the clusters, the config file and the environment for subprocesses."""

    tmp: Path
    a: Any  # sc_emulator.RunningEmulator (URL form: token in SCMIGRATE_TOKEN)
    b: Any  # named "cluster-b" in the config (its token stored by `clusters add --token-stdin`)
    config: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        for key in ("SCMIGRATE_TOKEN", "SCMIGRATE_LOAD_PLUGINS", "SCMIGRATE_STRICT_PLUGINS"):
            env.pop(key, None)
        env.update(SCMIGRATE_CONFIG=str(self.config), XDG_STATE_HOME=str(self.tmp / "state"),
                   XDG_CONFIG_HOME=str(self.tmp / "xdg-config"), PYTHONUNBUFFERED="1")
        env.update(extra)
        return env

    def run(self, recipe: str, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        """``python examples/<recipe>.py ARGS`` in a subprocess; with ``check``, a failure shows its output."""
        proc = subprocess.run([sys.executable, str(EXAMPLES / f"{recipe}.py"), *args], cwd=self.tmp,
                              env=self.env(**env), capture_output=True, text=True, timeout=RECIPE_TIMEOUT, check=False)
        for token in (self.a.token, self.b.token):  # a secret never shows in what a user sees
            assert token not in proc.stdout and token not in proc.stderr, f"{recipe} printed a token"
        if check:
            assert proc.returncode == 0, f"{recipe} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        return proc

    def on_a(self, recipe: str, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        """A recipe against cluster A given as a URL, its token in SCMIGRATE_TOKEN, its CA bundle passed."""
        return self.run(recipe, *args, "--cluster", self.a.url, "--ca-bundle", self.a.ca_bundle,
                        SCMIGRATE_TOKEN=self.a.token, **kw)

    def scmigrate(self, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scmigrate", *args], cwd=self.tmp, env=self.env(**env),
                              input=stdin, capture_output=True, text=True, timeout=RECIPE_TIMEOUT, check=False)


@pytest.fixture(scope="module")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    from sc_emulator import running

    tmp = tmp_path_factory.mktemp("e2e")
    with running(tmp / "cluster-a", tls=True) as a, running(tmp / "cluster-b", tls=True) as b:
        env = Env(tmp, a, b, tmp / "config.json")
        added = env.scmigrate("clusters", "add", "cluster-b", "--url", b.url, "--ca-bundle", b.ca_bundle,
                              "--token-stdin", stdin=b.token + "\n")
        assert added.returncode == 0, added.stderr
        yield env


@pytest.fixture(scope="module")
def coco(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """16 images: dogs, cars, cats and people; polygons, boxes without outline, RLE crowd masks."""
    from scmigrate.testing.coco import make_coco

    fx = make_coco(tmp_path_factory.mktemp("coco"), images=16, seed=3)
    names = [{o.category for o in im.objects} for im in fx.images]
    # the recipes' assertions are only meaningful if the data has what they select, and what they drop
    assert sum("dog" in n for n in names) >= 4 and sum("dog" not in n for n in names) >= 4
    assert any(o.kind == "rle" and o.category == "dog" for o in fx.objects())
    assert any(n >= {"dog", "car"} for n in names) and any("car" in n and "dog" not in n for n in names)
    return fx
