"""The folders plugin as core sees it: entry point, registration, claims, conformance."""

from __future__ import annotations

import subprocess
import sys

import pytest
from folders_gen import make_class_tree, make_sdk_folder, make_vitens

import scmigrate_folders
from scmigrate.api import RunOptions
from scmigrate.plugins import make_plugin_manager
from scmigrate.registry import Registry
from scmigrate.testing import check_source_conformance


def test_registered_through_the_entry_point():
    pm = make_plugin_manager(load=True)
    registry = Registry(pm)
    for name, cls in (("vitens", scmigrate_folders.VitensSource), ("folders", scmigrate_folders.ClassFoldersSource),
                      ("sdk-folder", scmigrate_folders.SdkFolderSource)):
        assert registry.sources[name].cls is cls
        assert registry.sources[name].plugin == "folders"
    assert type(registry.resolve_source("vitens:/x")) is scmigrate_folders.VitensSource
    assert type(registry.resolve_source("sdk-folder:/x")) is scmigrate_folders.SdkFolderSource
    assert "sdk-coordinates" in {opt.name for opt in registry.plugin_options()}


def test_importing_the_plugin_is_cheap():
    code = ("import sys, scmigrate_folders; "
            "print(sorted(m for m in ('PIL', 'av', 'datumaro', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("source, make, expected", [
    (scmigrate_folders.VitensSource, make_vitens, {"items": 4, "scenes": 3, "annotations": 6}),
    (scmigrate_folders.ClassFoldersSource, make_class_tree, {"items": 6, "scenes": 5, "annotations": 5}),
    (scmigrate_folders.SdkFolderSource, make_sdk_folder, {"items": 6, "scenes": 6, "annotations": 6}),
])
def test_conformance(tmp_path, source, make, expected):
    make(tmp_path)
    with source().open(f"{source.name}:{tmp_path}", RunOptions()) as reader:
        assert check_source_conformance(reader) == expected
