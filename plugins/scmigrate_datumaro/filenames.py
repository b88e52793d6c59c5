"""The pieces of an image's file name in a dataset, as ``PurePosixPath`` makes them, without one.

A dataset names every image by a relative path; the sources want its parts, its name, its stem and
its POSIX form, several times per image. Building the path object costs ~3 µs each time, more
than the rest of an image's check, and for almost every name the plain string operations below
give the same answer. Where they might not (an empty or "." part, a trailing "/" or "."), pathlib
decides. ``tests/coco/test_coco_names.py`` compares both over awkward names.
"""

from __future__ import annotations

from pathlib import PurePosixPath

__all__ = ["path_name", "path_stem", "plain_parts", "posix_key"]


def plain_parts(name: str) -> list[str] | None:
    """The parts of ``name`` (``\\`` read as ``/``) when they are what ``PurePosixPath`` would make
    of it, unchanged (no empty or "." part, so nothing absolute either); else None."""
    parts = name.replace("\\", "/").split("/")
    return None if "" in parts or "." in parts else parts


def posix_key(name: str) -> str:
    """``name`` as a POSIX relative path: ``PurePosixPath(name.replace("\\", "/")).as_posix()``."""
    if plain_parts(name) is not None:
        return name.replace("\\", "/")
    return PurePosixPath(name.replace("\\", "/")).as_posix()


def path_name(filename: str) -> str:
    """``PurePosixPath(filename).name``."""
    last = filename.rpartition("/")[2]
    return last if last not in ("", ".") else PurePosixPath(filename).name


def path_stem(filename: str) -> str:
    """``PurePosixPath(filename).stem``."""
    name = path_name(filename)
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name
