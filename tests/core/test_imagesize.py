"""scmigrate.imagesize reads the same size as Pillow, and leaves to Pillow what it does not know."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from scmigrate.errors import InputError
from scmigrate.imagesize import _jpeg, _png, image_size


def _encoded(fmt: str, size: tuple[int, int], mode: str = "RGB", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red").save(out, fmt, **save)
    return out.getvalue()


def _exif_with_thumbnail() -> bytes:
    """A JPEG whose APP1 segment holds a thumbnail JPEG of another size (its SOF must be skipped)."""
    thumb = _encoded("JPEG", (16, 12))
    exif = Image.Exif()
    exif[0x0110] = "scmigrate test"
    app1 = b"Exif\x00\x00" + exif.tobytes()[6:] + thumb
    body = _encoded("JPEG", (301, 199))
    return body[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + body[2:]


CASES = {
    "baseline jpeg": _encoded("JPEG", (641, 479)),
    "progressive jpeg": _encoded("JPEG", (320, 1024), progressive=True),
    "greyscale jpeg": _encoded("JPEG", (33, 7), mode="L"),
    "cmyk jpeg": _encoded("JPEG", (100, 50), mode="CMYK"),
    "jpeg with a thumbnail in its exif": _exif_with_thumbnail(),
    "png": _encoded("PNG", (5000, 3)),
    "palette png": _encoded("PNG", (17, 19), mode="P"),
    "gif": _encoded("GIF", (40, 30)),
    "bmp": _encoded("BMP", (12, 34)),
    "tiff": _encoded("TIFF", (9, 8)),
    "webp": _encoded("WEBP", (64, 48)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_size_as_pillow(name: str) -> None:
    data = CASES[name]
    with Image.open(io.BytesIO(data)) as im:
        want = im.size
    assert image_size(io.BytesIO(data), name) == want


def test_jpeg_and_png_are_read_without_pillow() -> None:
    # the fast path answers by itself for the two formats it knows (else the gain is gone)
    assert _jpeg(CASES["baseline jpeg"]) == (641, 479)
    assert _jpeg(CASES["jpeg with a thumbnail in its exif"]) == (301, 199)
    assert _png(CASES["png"]) == (5000, 3)
    assert _jpeg(CASES["png"]) is None and _png(CASES["baseline jpeg"]) is None


def test_a_frame_header_past_the_first_64_kib_is_left_to_pillow() -> None:
    body = _encoded("JPEG", (77, 66))
    comment = b"x" * 65533  # the largest a segment holds: the frame header starts past 64 KiB
    padded = body[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + body[2:]
    assert _jpeg(padded[: 64 << 10]) is None
    assert image_size(io.BytesIO(padded), "big-comment.jpg") == (77, 66)


@pytest.mark.parametrize("data, what", [
    (b"", "empty"),
    (b"not an image at all", "text"),
    (b"\xff\xd8\xff\xdb\x00", "a JPEG cut inside its first segment"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x00\x00\x00\x00\x05", "a PNG of width 0"),
])
def test_unreadable_is_one_line_naming_the_file(data: bytes, what: str) -> None:
    with pytest.raises(InputError) as err:
        image_size(io.BytesIO(data), f"dir/{what}.img")
    msg = str(err.value)
    assert msg.startswith(f"dir/{what}.img: not a readable image (") and "\n" not in msg
    assert "<_io." not in msg  # no file object's repr


@pytest.mark.parametrize("pillow_limit", ["default", None], ids=["pillow-default", "pillow-limit-off"])
def test_a_size_beyond_the_bomb_limit_is_refused_whatever_pillows_setting(pillow_limit, monkeypatch) -> None:
    # Pillow's limit is process-wide and other code switches it off (the emulator does): ours stays
    from PIL import Image

    if pillow_limit is None:
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    huge = bytearray(_encoded("PNG", (4, 4)))
    huge[16:24] = (100_000).to_bytes(4, "big") + (100_000).to_bytes(4, "big")  # 10 gigapixels
    with pytest.raises(InputError, match="huge.png: not a readable image") as err:
        image_size(io.BytesIO(bytes(huge)), "huge.png")
    assert "\n" not in str(err.value)


def test_a_bomb_only_pillow_can_size_is_refused_too(monkeypatch) -> None:
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    big = bytearray(_encoded("BMP", (4, 4)))
    big[18:26] = (20_000).to_bytes(4, "little") + (20_000).to_bytes(4, "little")  # 400 megapixels
    with pytest.raises(InputError, match=r"big.bmp: not a readable image \(20000x20000 is 400,000,000 pixels"):
        image_size(io.BytesIO(bytes(big)), "big.bmp")


def test_a_header_in_the_first_kilobytes_is_all_that_is_read(recording) -> None:
    # the whole 64 KiB was read (copied) for a header that ends a few hundred bytes in
    f = recording(CASES["baseline jpeg"] + bytes(100_000))
    assert image_size(f, "x") == (641, 479)
    assert sum(f.asked) <= 4096


def test_a_frame_header_past_the_first_read_is_still_found_without_pillow(recording) -> None:
    body = _encoded("JPEG", (123, 45))
    comment = b"x" * 20_000  # a COM segment pushes the SOF ~20 KB in
    data = body[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + body[2:]
    f = recording(data)
    assert image_size(f, "x") == (123, 45)
    assert len(f.asked) == 2 and sum(f.asked) == 64 << 10  # header walk over 64 KiB, no seek back for Pillow


@pytest.mark.parametrize("name", ["bmp", "tiff", "webp", "gif"])
def test_an_unbuffered_file_goes_to_pillow_buffered_and_stays_open(name: str, tmp_path) -> None:
    path = tmp_path / f"image.{name}"
    path.write_bytes(CASES[name])
    with Image.open(path) as im:
        want = im.size
    with open(path, "rb", buffering=0) as f:
        assert image_size(f, str(path)) == want
        assert not f.closed
        f.seek(0)
        assert f.read() == CASES[name]
