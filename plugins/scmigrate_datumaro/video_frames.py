"""A video's annotated frames as image files, for the dataset formats that hold images only.

The video is decoded once, in presentation order (the order a cluster counts frame indices in),
with PyAV; each wanted frame is saved as a PNG (lossless: the frame is not compressed a second
time) as soon as it is decoded, so one decoded frame at a time is in memory whatever the video's
length. Decoding stops after the last wanted frame. Seeking to each frame instead (as the
emulator's thumbnail does for one frame) would decode from the previous keyframe every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from scmigrate.errors import InputError

__all__ = ["FRAME_EXTENSION", "frame_stem", "save_frames"]

FRAME_EXTENSION = ".png"


def frame_stem(video_stem: str, index: int) -> str:
    """The name a frame is written under: traced back to its video and index (as the SDK names frame files)."""
    return f"{video_stem}_frame_{index}"


def save_frames(video: Path, wanted: Iterable[int], target: Callable[[int], Path], what: str) -> dict[int, Path]:
    """Save frames ``wanted`` of ``video`` at ``target(index)``; ``{index: file}``.

    ``InputError`` naming ``what`` when the file is not a readable video or ends before a wanted frame.
    """
    import av

    todo = set(wanted)
    if not todo:
        return {}
    last = max(todo)
    saved: dict[int, Path] = {}
    decoded = 0
    try:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            for index, frame in enumerate(container.decode(stream)):
                decoded = index + 1
                if index in todo:
                    path = target(index)
                    frame.to_image().save(path, "PNG")
                    saved[index] = path
                if index >= last:
                    break
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        raise InputError(f"{what}: not a readable video ({exc.__class__.__name__})") from None
    missing = sorted(todo - saved.keys())
    if missing:
        raise InputError(f"{what}: frame {missing[0]} is annotated but the video has {decoded} frames")
    return saved
