"""Generators of the folders the folder sources read: real images (Pillow) and videos (PyAV).

Each generator writes a folder with the awkward cases the sources must handle and returns
what a correct reader must find, so tests compare against facts written here, not computed by
the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from scmigrate.testing import video_bytes

MEDIA_ID_A = "64f0a1b2c3d4e5f6a7b8c9d0"
MEDIA_ID_B = "64f0a1b2c3d4e5f6a7b8c9d1"


def write_image(path: Path, width: int, height: int, seed: int = 0) -> Path:
    """A real image with a few drawn colonies; format from the suffix (.jpg, .png, ...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.new("RGB", (width, height), (20 + seed * 37 % 200, 40, 60))
    draw = ImageDraw.Draw(im)
    for k in range(3):
        cx, cy = (k + 1) * width // 4, (k + 1) * height // 4
        draw.ellipse((cx - 4, cy - 4, cx + 4, cy + 4), fill=(230, 220, 90))
    im.save(path)
    return path


def write_video(path: Path, width: int = 64, height: int = 48, frames: int = 10, fps: int = 5) -> Path:
    """A real short H.264 MP4 written with PyAV (a moving square)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(video_bytes(width, height, frames, fps))
    return path


def write_json(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1))
    return path


# --------------------------------------------------------------------------- Vitens


def vitens_point(x: float, y: float, r: float) -> dict[str, Any]:
    return {"type": "point", "geometry": {"points": [{"x": x, "y": y, "r": r}]}}


def vitens_polygon(*points: tuple[float, float]) -> dict[str, Any]:
    return {"type": "polygon", "geometry": {"points": [{"x": x, "y": y} for x, y in points]}}


def vitens_doc(*entries: tuple[list[dict[str, Any]], list[str]]) -> dict[str, Any]:
    """``{"data": [...]}`` from ``(shapes, label names)`` pairs."""
    return {"data": [{"shapes": shapes, "labels": [{"name": n} for n in names], "id": i}
                     for i, (shapes, names) in enumerate(entries)]}


def make_vitens(root: Path) -> dict[str, Any]:
    """A Vitens folder with pixel and normalised files, a merged pair, an unannotated image,
    an unknown shape type, an image stem that is a prefix of another, and an orphan file."""
    images, anns = root / "images", root / "annotations"
    write_image(images / "plate_1.jpg", 200, 100, 1)
    write_image(images / "plate_1_b.png", 100, 50, 2)  # stem "plate_1" is a prefix of this one
    write_image(images / "plate_2.jpg", 80, 60, 3)
    write_image(images / "blank.jpg", 40, 40, 4)  # no annotation file
    # pixel coordinates, two entries with different labels, plus a shape type the format lacks
    write_json(anns / "plate_1_countA.json", vitens_doc(
        ([vitens_point(50, 40, 5), vitens_point(150, 60, 10)], ["colony"]),
        ([vitens_polygon((10, 10), (30, 10), (30, 30)), {"type": "line", "geometry": {"points": []}}],
         ["debris"]),
    ))
    # a second file for the same image: merged
    write_json(anns / "plate_1_countB.json", vitens_doc(([vitens_point(100, 50, 2)], ["colony"])))
    # normalised coordinates (every value ≤ 1) for a 100×50 image
    write_json(anns / "plate_1_b_x.json", vitens_doc(
        ([vitens_point(0.5, 0.5, 0.1)], ["colony"]),
        ([vitens_polygon((0.1, 0.2), (0.9, 0.2), (0.5, 0.8))], ["debris"]),
    ))
    # annotated as empty: the file exists, without shapes
    write_json(anns / "plate_2_empty.json", {"data": []})
    write_json(anns / "ghost_1.json", vitens_doc(([vitens_point(1, 1, 1)], ["colony"])))
    return {
        "keys": ["images/blank.jpg", "images/plate_1.jpg", "images/plate_1_b.png", "images/plate_2.jpg"],
        "labels": ["colony", "debris"],
        "plate_1": [("ELLIPSE", (45.0, 35.0, 10.0, 10.0)), ("ELLIPSE", (140.0, 50.0, 20.0, 20.0)),
                    ("POLYGON", [(10.0, 10.0), (30.0, 10.0), (30.0, 30.0)]), ("ELLIPSE", (98.0, 48.0, 4.0, 4.0))],
        # 100×50 image: circle centre (50, 25); radius 0.1 scaled like x (by the width) → 10 px,
        # so the circle stays round: a 20×20 box
        "plate_1_b": [("ELLIPSE", (40.0, 15.0, 20.0, 20.0)),
                      ("POLYGON", [(10.0, 10.0), (90.0, 10.0), (50.0, 40.0)])],
    }


# --------------------------------------------------------------------------- classification folder


def make_class_tree(root: Path) -> dict[str, Any]:
    """animal/{cat,dog}/..., vehicle/..., an image at the root, a text file, an empty class."""
    write_image(root / "animal" / "cat" / "c1.jpg", 60, 40, 1)
    write_image(root / "animal" / "cat" / "c2.png", 30, 30, 2)
    write_image(root / "animal" / "dog" / "d1.jpg", 50, 70, 3)
    write_image(root / "animal" / "a1.jpg", 20, 20, 4)  # only the parent class
    write_image(root / "vehicle" / "v1.jpg", 64, 32, 5)
    write_image(root / "loose.jpg", 16, 16, 6)  # no class
    (root / "vehicle" / "README.txt").write_text("not an image")
    (root / "plant").mkdir()
    (root / ".hidden").mkdir()
    write_image(root / ".hidden" / "x.jpg", 8, 8)
    return {
        "labels": {"animal": (None, "Classes"), "cat": ("animal", "animal"), "dog": ("animal", "animal"),
                   "plant": (None, "Classes"), "vehicle": (None, "Classes")},
        "images": {"animal/a1.jpg": ("animal", 20, 20), "animal/cat/c1.jpg": ("cat", 60, 40),
                   "animal/cat/c2.png": ("cat", 30, 30), "animal/dog/d1.jpg": ("dog", 50, 70),
                   "loose.jpg": (None, 16, 16), "vehicle/v1.jpg": ("vehicle", 64, 32)},
    }


# --------------------------------------------------------------------------- SDK download folder


def sdk_project_doc() -> dict[str, Any]:
    """A detection → classification chain, labels and parents by name, two datasets."""
    return {
        "name": "Pets",
        "pipeline": {
            "tasks": [
                {"title": "Dataset", "task_type": "dataset"},
                {"title": "Detection", "task_type": "detection", "labels": [
                    {"name": "pet", "color": "#ff0000ff", "group": "pet", "parent_id": None, "hotkey": "ctrl+1",
                     "is_empty": False, "is_anomalous": False},
                    {"name": "Nothing here", "color": "#000000ff", "group": "No object", "parent_id": None,
                     "hotkey": "", "is_empty": True, "is_anomalous": False}]},
                {"title": "Crop", "task_type": "crop"},
                {"title": "Classification", "task_type": "classification", "labels": [
                    {"name": "cat", "color": "#00ff00ff", "group": "species", "parent_id": "pet", "hotkey": "",
                     "is_empty": False, "is_anomalous": False},
                    {"name": "dog", "color": "#0000ffff", "group": "species", "parent_id": "pet", "hotkey": "",
                     "is_empty": False, "is_anomalous": False}]},
            ],
            "connections": [{"from": "Dataset", "to": "Detection"}, {"from": "Detection", "to": "Crop"},
                            {"from": "Crop", "to": "Classification"}],
        },
        "datasets": [{"name": "Dataset", "use_for_training": True},
                     {"name": "Testing set 1", "use_for_training": False}],
    }


def sdk_box(x: float, y: float, w: float, h: float, *labels: str) -> dict[str, Any]:
    return {"labels": [{"name": n, "color": "#ff0000ff", "probability": 1.0,
                        "source": {"user_id": "u1", "model_id": None, "model_storage_id": None}} for n in labels],
            "shape": {"type": "RECTANGLE", "x": x, "y": y, "width": w, "height": h}, "labels_to_revisit": []}


def sdk_scene(*annotations: dict[str, Any]) -> dict[str, Any]:
    return {"annotations": list(annotations), "kind": "annotation", "labels_to_revisit_full_scene": [],
            "annotation_state_per_task": [], "modified": "2024-05-01T10:00:00+00:00"}


def make_sdk_folder(root: Path, normalised: bool = False) -> dict[str, Any]:
    """A download folder with two datasets, a repeated name (media id suffixes), an image without
    annotations, an image annotated as empty (empty label), a video with two annotated frames,
    a models/ folder and an orphan annotation file. ``normalised`` writes SC 1.x coordinates."""
    def box(x: float, y: float, w: float, h: float, W: int, H: int, *labels: str) -> dict[str, Any]:
        if normalised:
            return sdk_box(x / W, y / H, w / W, h / H, *labels)
        return sdk_box(x, y, w, h, *labels)

    write_json(root / "project.json", sdk_project_doc())
    img = root / "images"
    write_image(img / "Dataset" / "alpha.jpg", 200, 100, 1)
    write_image(img / "Dataset" / f"twin_{MEDIA_ID_A}.jpg", 80, 80, 2)
    write_image(img / "Testing set 1" / f"twin_{MEDIA_ID_B}.jpg", 40, 32, 3)  # a cluster refuses sides < 32
    write_image(img / "Dataset" / "bare.jpg", 32, 32, 4)
    write_image(img / "Testing set 1" / "none.jpg", 50, 50, 5)
    write_video(root / "videos" / "Dataset" / "clip.mp4", 64, 48, 10, 5)
    ann = root / "annotations"
    write_json(ann / "alpha.json", sdk_scene(box(20, 10, 100, 50, 200, 100, "pet", "cat"),
                                             box(150, 50, 50, 50, 200, 100, "pet", "dog")))
    write_json(ann / f"twin_{MEDIA_ID_A}.json", sdk_scene(box(0, 0, 40, 40, 80, 80, "pet", "dog")))
    write_json(ann / f"twin_{MEDIA_ID_B}.json", sdk_scene(box(10, 5, 20, 10, 40, 32, "pet")))
    write_json(ann / "none.json", sdk_scene(box(0, 0, 50, 50, 50, 50, "Nothing here")))
    write_json(ann / "clip_frame_0.json", sdk_scene(box(0, 8, 32, 16, 64, 48, "pet", "cat")))
    write_json(ann / "clip_frame_5.json", sdk_scene(box(16, 12, 32, 24, 64, 48, "pet")))
    write_json(ann / "deleted_image.json", sdk_scene(box(1, 1, 2, 2, 10, 10, "pet")))
    write_json(root / "models" / "model.json", {"name": "not read"})
    return {
        "keys": ["images/Dataset/alpha.jpg", "images/Dataset/bare.jpg", f"images/Dataset/twin_{MEDIA_ID_A}.jpg",
                 "images/Testing set 1/none.jpg", f"images/Testing set 1/twin_{MEDIA_ID_B}.jpg",
                 "videos/Dataset/clip.mp4"],
        "boxes": {
            "images/Dataset/alpha.jpg": [((20, 10, 100, 50), ["pet", "cat"]), ((150, 50, 50, 50), ["pet", "dog"])],
            f"images/Dataset/twin_{MEDIA_ID_A}.jpg": [((0, 0, 40, 40), ["pet", "dog"])],
            f"images/Testing set 1/twin_{MEDIA_ID_B}.jpg": [((10, 5, 20, 10), ["pet"])],
            "images/Testing set 1/none.jpg": [],  # its file: the empty label on the image, read as annotated empty
            "images/Dataset/bare.jpg": None,
        },
        "frames": {0: ((0, 8, 32, 16), ["pet", "cat"]), 5: ((16, 12, 32, 24), ["pet"])},
    }
