"""File-system helpers shared by the folder sources: locations, media files, sizes, JSON.

Pillow and PyAV are imported inside the functions that need them, so that importing the
plugin (``claims()``) stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from scmigrate.errors import InputError
from scmigrate.imagesize import image_size as read_image_size
from scmigrate.model import Media

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jfif", ".png", ".bmp", ".tif", ".tiff", ".webp"})
VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm"})


def directory_of(location: str, scheme: str) -> Path:
    """The directory named by ``<scheme>:DIR``; an ``InputError`` if it is not a readable directory."""
    prefix = scheme + ":"
    if not location.startswith(prefix) or not location[len(prefix):]:
        raise InputError(f"{location}: expected {scheme}:DIR")
    path = Path(location[len(prefix):]).expanduser()
    if not path.exists():
        raise InputError(f"{location}: no such directory")
    if not path.is_dir():
        raise InputError(f"{location}: not a directory")
    return path


def visible(path: Path) -> bool:
    """Whether a directory entry is a user's file (not ``.DS_Store``, ``.git``, ``._x`` ...)."""
    return not path.name.startswith(".")


def is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS and visible(path)


def is_video(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in VIDEO_EXTENSIONS and visible(path)


def sorted_entries(folder: Path) -> list[Path]:
    """The visible entries of ``folder`` in name order (so every run yields items in the same order)."""
    return sorted((p for p in folder.iterdir() if visible(p)), key=lambda p: p.name)


def opener(path: Path) -> Callable[[], BinaryIO]:
    """A callable returning a fresh binary stream of ``path`` each time (``Item.open``)."""

    def _open() -> BinaryIO:
        return open(path, "rb")

    return _open


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` read from the image header; ``InputError`` naming the file if unreadable."""
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with f:
        return read_image_size(f, str(path))


def video_info(path: Path) -> dict[str, Any]:
    """Width, height, fps, frame count and duration of a video, read with PyAV."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 0) or None
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            frames = int(stream.frames or 0)
            if not frames and fps and duration:
                frames = int(round(fps * duration))
            return {
                "width": int(stream.codec_context.width),
                "height": int(stream.codec_context.height),
                "fps": fps,
                "frame_count": frames or None,
                "duration": duration,
            }
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        raise InputError(f"{path}: not a readable video ({exc.__class__.__name__})") from None


def _filename(path: Path, name: str | None) -> str:
    """The file name a sink uploads under: a cluster names the media after it, so a ``name`` given
    (an SDK name without its ``_<media id>`` suffix) must be the file name's stem too."""
    return f"{name}{path.suffix}" if name else path.name


def image_media(path: Path, root: Path, dataset: str = "Dataset", name: str | None = None,
                source_id: str | None = None) -> Media:
    """A ``Media`` for an image file; the key is its path relative to ``root`` (unique, stable)."""
    width, height = image_size(path)
    return Media(
        key=path.relative_to(root).as_posix(),
        kind="image",
        name=name or path.stem,
        filename=_filename(path, name),
        dataset=dataset,
        size=path.stat().st_size,
        width=width,
        height=height,
        source_id=source_id,
    )


def video_media(path: Path, root: Path, dataset: str = "Dataset", name: str | None = None,
                source_id: str | None = None) -> Media:
    """A ``Media`` for a video file, with its size, fps and frame count read by PyAV."""
    info = video_info(path)
    return Media(
        key=path.relative_to(root).as_posix(),
        kind="video",
        name=name or path.stem,
        filename=_filename(path, name),
        dataset=dataset,
        size=path.stat().st_size,
        source_id=source_id,
        **info,
    )


def load_json(path: Path) -> Any:
    """Parse a JSON file; a malformed one is an ``InputError`` naming the file and the position."""
    try:
        with open(path, "rb") as fh:
            return json.loads(fh.read())
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid JSON (not UTF-8 text)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None


def number(value: Any, where: str) -> float:
    """A coordinate as float; anything else (strings, None, booleans) is an ``InputError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def examples(names: Iterable[str], limit: int = 3) -> str:
    """``"a, b, c and 4 more"`` for notes that name files without flooding the screen."""
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
