"""Media metadata, thumbnails and decoded video frames, computed from the stored bytes.

Images are read with Pillow (only the header is parsed to get the size), videos with PyAV. The limits
are the real server's code constants: images 32–20000 px per side; videos at least 32 px, at most
7680×4320 and 3 hours.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PIL import Image

# The emulator only reads headers or decodes images it was asked to store; the pixel limit that
# guards against decompression bombs is the explicit 20000 px check below.
Image.MAX_IMAGE_PIXELS = None

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".jfif", ".webp")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v")
MIN_SIDE, MAX_IMAGE_SIDE = 32, 20000
MAX_VIDEO_W, MAX_VIDEO_H, MAX_VIDEO_SECONDS = 7680, 4320, 10800
THUMB_SIZE = 256

_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "BMP": "image/bmp", "TIFF": "image/tiff",
                "WEBP": "image/webp", "MPO": "image/jpeg"}
_VIDEO_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".avi": "video/x-msvideo",
                ".mkv": "video/x-matroska", ".mov": "video/quicktime", ".webm": "video/webm"}


_VIDEO_CONTAINERS = {"mov", "mp4", "m4v", "avi", "matroska", "webm"}


class MediaError(ValueError):
    """The bytes are not acceptable media; the message is shown to the client (415 invalid_media)."""


@dataclass
class ImageInfo:
    width: int
    height: int
    content_type: str


@dataclass
class VideoInfo:
    width: int
    height: int
    content_type: str
    frame_count: int
    fps: float
    duration: float


def probe_image(path: Path) -> ImageInfo:
    """Size and content type of an image file; MediaError if unreadable or outside the size limits."""
    try:
        with Image.open(path) as img:
            width, height = img.size
            fmt = img.format or ""
    except Exception as exc:  # Pillow raises many types for broken files
        raise MediaError(f"The file could not be read as an image ({type(exc).__name__}).") from exc
    if fmt not in _IMAGE_TYPES:
        raise MediaError(f"Unsupported image format {fmt or 'unknown'}.")
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_IMAGE_SIDE:
        raise MediaError(f"Image size {width}x{height} is outside the allowed range: each side must be "
                         f"between {MIN_SIDE} and {MAX_IMAGE_SIDE} pixels.")
    return ImageInfo(width, height, _IMAGE_TYPES[fmt])


def probe_video(path: Path, extension: str) -> VideoInfo:
    """Width, height, fps, frame count and duration of a video; MediaError if unreadable or too large."""
    import av  # heavy; only needed for videos

    try:
        with av.open(str(path)) as container:
            # FFmpeg also opens still images (png_pipe, image2...) as one-frame "videos": accept containers only.
            if not set(container.format.name.split(",")) & _VIDEO_CONTAINERS:
                raise MediaError(f"The file is not a video container (detected: {container.format.name}).")
            if not container.streams.video:
                raise MediaError("The file contains no video stream.")
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            rate = stream.average_rate or stream.guessed_rate or Fraction(0)
            fps = float(rate)
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            else:
                duration = 0.0
            frames = stream.frames
            if not frames:
                # Containers without a frame count in the header: count the packets once.
                frames = sum(1 for packet in container.demux(stream) if packet.size)
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(f"The file could not be read as a video ({type(exc).__name__}).") from exc
    if fps <= 0 or frames <= 0:
        raise MediaError("The video has no frames.")
    if duration <= 0:
        duration = frames / fps
    if min(width, height) < MIN_SIDE or width > MAX_VIDEO_W or height > MAX_VIDEO_H:
        raise MediaError(f"Video resolution {width}x{height} is not supported (at least {MIN_SIDE} px, "
                         f"at most {MAX_VIDEO_W}x{MAX_VIDEO_H}).")
    if duration > MAX_VIDEO_SECONDS:
        raise MediaError(f"Video is {duration:.0f} s long; the maximum is {MAX_VIDEO_SECONDS} s.")
    return VideoInfo(width, height, _VIDEO_TYPES.get(extension, "video/mp4"), frames, fps, duration)


def jpeg_bytes(img: Image.Image, max_side: int | None = None) -> bytes:
    """Encode a Pillow image as JPEG, optionally shrunk to ``max_side``."""
    img = img.convert("RGB")
    if max_side:
        img.thumbnail((max_side, max_side))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def image_thumbnail(path: Path) -> bytes:
    with Image.open(path) as img:
        img.draft("RGB", (THUMB_SIZE, THUMB_SIZE))  # lets JPEG decode at reduced scale
        return jpeg_bytes(img, THUMB_SIZE)


def video_frame(path: Path, index: int, fps: float) -> Image.Image:
    """Decode frame ``index`` (0-based) of a video: seek to the keyframe before it, then decode forward."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        time_base = stream.time_base or Fraction(1, 1000)
        start = stream.start_time or 0
        target = start + int(round(index / fps / time_base)) if fps else start
        if index > 0:
            container.seek(target, stream=stream, backward=True, any_frame=False)
        last = None
        for position, frame in enumerate(container.decode(stream)):
            last = frame
            pts = frame.pts if frame.pts is not None else start
            if index == 0 or pts >= target - (0.5 / fps / time_base):
                return frame.to_image()
            if position > 100000:
                break
        if last is None:
            raise MediaError(f"Frame {index} could not be decoded.")
        return last.to_image()
