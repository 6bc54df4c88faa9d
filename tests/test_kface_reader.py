"""The K-Face reader and twin: layout, condition filters, resolution folders, annotations, learnability."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aihub_bench.datasets.kface import SPEC, read_kface, write_synthetic_kface
from aihub_bench.datasets.kface.annotation import AnnotationFormat, read_annotation
from aihub_bench.datasets.kface.synth import canonical_params
from aihub_bench.errors import BadInputError, ErrorPolicy

SMOKE = dict(SPEC.smoke)
FIRST = f"{SMOKE['first_id']:08d}"
TINY = {
    "identities": 2,
    "accessories": ["S001", "S003"],
    "lights": ["L1", "L7"],
    "expressions": ["E01"],
    "cameras": ["C4", "C7"],
    "image_size": 64,
}  # 2 x 8 images; annotations in <id>/S001/L1/E01


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smoke twin (read-only)."""
    return write_synthetic_kface(tmp_path_factory.mktemp("kface") / "twin", **SMOKE)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A small twin each test may change."""
    return write_synthetic_kface(tmp_path / "tiny", **TINY)


def _leaf(root: Path, identity: str = FIRST, s: str = "S001", light: str = "L1", e: str = "E01") -> Path:
    return root / "High" / identity / s / light / e


# ------------------------------------------------------------------------------------------ twin


def test_the_smoke_twin_reads_back_whole_with_its_counts(smoke: Path) -> None:
    policy = ErrorPolicy("raise")
    images = read_kface(smoke, policy)
    assert len(images) == SPEC.smoke_samples == 16 * 2 * 2 * 2 * 3
    assert [im.key for im in images] == sorted(im.key for im in images)
    stats = policy.report()["stats"]
    assert stats["identities"] == 16 and stats["images_read"] == len(images)
    for factor, option in (("accessory", "accessories"), ("light", "lights"), ("expression", "expressions")):
        for code in SMOKE[option]:
            assert stats[f"images/{factor}/{code}"] == len(images) // len(SMOKE[option])
    assert stats["images/camera/C7"] == len(images) // 3
    first = images[0]
    assert first.key == f"{FIRST}/S001/L1/E01/C10.jpg" and first.resolution == "High"
    assert first.image_path == smoke / "High" / first.key
    assert (first.width, first.height) == (SMOKE["image_size"],) * 2
    assert first.group == first.identity == FIRST
    assert first.conditions == {"accessory": "S001", "light": "L1", "expression": "E01", "camera": "C10"}
    # annotations: every S001/L1 image has its own; the others share it (the rig is fixed)
    annotated = 16 * 2 * 3
    assert stats["annotations_read"] == annotated and stats["face_box_shared"] == len(images) - annotated
    assert all(
        im.face_box is not None and im.landmarks is not None and len(im.landmarks) == 7 for im in images
    )
    assert policy.skipped == 0


def test_twin_images_all_differ(smoke: Path) -> None:
    digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(smoke.rglob("*.jpg"))]
    assert len(digests) == SPEC.smoke_samples and len(set(digests)) == len(digests)


def _pixels(path: Path, size: int = 24) -> np.ndarray:
    a = np.asarray(Image.open(path).convert("RGB").resize((size, size)), dtype=np.float32).ravel()
    return (a - a.mean()) / (a.std() + 1e-6)


def test_twin_is_learnable_by_raw_pixel_nearest_neighbour_across_cameras(smoke: Path) -> None:
    """S001/L1/E01: gallery C7, probes C4 and C10 (45° yaw): identity beats the camera by far."""
    images = read_kface(smoke, ErrorPolicy(), accessories=["S001"], lights=["L1"], expressions=["E01"])
    gallery = [im for im in images if im.camera == "C7"]
    probes = [im for im in images if im.camera != "C7"]
    g = np.stack([_pixels(im.image_path) for im in gallery])
    p = np.stack([_pixels(im.image_path) for im in probes])
    nearest = ((p[:, None] - g[None]) ** 2).sum(-1).argmin(1)
    rank1 = np.mean([gallery[j].identity == im.identity for j, im in zip(nearest, probes, strict=True)])
    chance = 1 / len(gallery)
    assert rank1 >= 5 * chance, rank1
    # the same identity's images are not copies of one another
    same_id = [_pixels(im.image_path) for im in images if im.identity == FIRST]
    assert min(np.abs(a - b).mean() for i, a in enumerate(same_id) for b in same_id[i + 1 :]) > 0.05


def test_canonical_params_require_the_gallery_condition_and_8_digit_ids() -> None:
    with pytest.raises(ValueError, match="cameras must include C7"):
        canonical_params({"cameras": ["C4", "C10"]})
    with pytest.raises(ValueError, match="not valid|non-empty list of light codes"):
        canonical_params({"lights": ["L1", "L31"]})
    with pytest.raises(ValueError, match="8-digit ids"):
        canonical_params({"first_id": 99_999_990, "identities": 20})
    assert canonical_params({"cameras": ["C10", "C7", "C7"]})["cameras"] == ["C7", "C10"]


# ------------------------------------------------------------------------------------------ filters


def test_include_and_exclude_filters(smoke: Path) -> None:
    def keys(**options: object) -> list[str]:
        return [im.key for im in read_kface(smoke, ErrorPolicy(), **options)]  # type: ignore[arg-type]

    every = keys()
    assert len(keys(accessories=["S001"])) == len(every) // 2
    no_dark = keys(exclude_lights=["L7"])
    assert len(no_dark) == len(every) // 2 and not any("/L7/" in k for k in no_dark)
    frontal = keys(expressions=["E01"], cameras=["C7"])
    assert len(frontal) == 16 * 2 * 2 and all(k.endswith("/E01/C7.jpg") for k in frontal)
    assert len(keys(exclude_cameras=["C4", "C10"], exclude_accessories=["S003"])) == 16 * 2 * 2
    first_three = keys(max_identities=3)
    assert len(first_three) == 3 * 24 and {k[:8] for k in first_three} == {
        f"{19062421 + i}" for i in range(3)
    }
    for option, codes, message in (
        ("lights", ["L31"], "lights: \\['L31'\\] are not light codes"),
        ("exclude_cameras", ["C0"], "exclude_cameras: \\['C0'\\] are not camera codes"),
        ("accessories", ["S1"], "are not accessory codes"),
    ):
        with pytest.raises(ValueError, match=message):
            read_kface(smoke, ErrorPolicy(), **{option: codes})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="leave no expression code"):
        read_kface(smoke, ErrorPolicy(), expressions=["E01"], exclude_expressions=["E01"])


# ------------------------------------------------------------------------------------------ layout


def test_both_resolution_spellings_and_a_root_at_the_resolution_folder(tmp_path: Path) -> None:
    root = write_synthetic_kface(tmp_path / "twin", **TINY, resolution_dir="High_Resolution")
    images = read_kface(root, ErrorPolicy())
    assert len(images) == 16 and {im.resolution for im in images} == {"High_Resolution"}
    assert len(read_kface(root / "High_Resolution", ErrorPolicy())) == 16
    write_synthetic_kface(tmp_path / "twin", **TINY, resolution_dir="High")  # both: the first listed wins
    assert {im.resolution for im in read_kface(root, ErrorPolicy())} == {"High"}
    assert {im.resolution for im in read_kface(root, ErrorPolicy(), resolution_dirs=["High_Resolution"])} == {
        "High_Resolution"
    }
    (tmp_path / "empty" / "docs").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no resolution folder \\(High, High_Resolution\\)"):
        read_kface(tmp_path / "empty", ErrorPolicy())


def test_unknown_code_is_named_or_counted(tiny: Path) -> None:
    folder = _leaf(tiny).parent.parent  # <id>/S001
    renamed = folder.rename(folder.with_name("S007"))
    with pytest.raises(BadInputError) as raised:
        read_kface(tiny, ErrorPolicy("raise"))
    assert raised.value.kind == "unknown_condition" and raised.value.path == str(renamed)
    assert "unknown accessory code 'S007'" in raised.value.reason
    policy = ErrorPolicy("skip")
    assert len(read_kface(tiny, policy)) == 16 - 4
    assert policy.report()["skipped_by_kind"] == {"unknown_condition": 4}


def test_id_pattern_other_folders_and_extension_case(tiny: Path) -> None:
    (tiny / "High" / "README").mkdir()
    (tiny / "High" / "notes.txt").write_text("x", encoding="utf-8")
    image = _leaf(tiny, s="S003", light="L7") / "C4.jpg"
    image.rename(image.with_suffix(".JPG"))
    policy = ErrorPolicy("raise")
    images = read_kface(tiny, policy)
    assert len(images) == 16
    upper = next(im for im in images if im.image_path.suffix == ".JPG")
    assert upper.key == f"{FIRST}/S003/L7/E01/C4.jpg"
    assert policy.stats["folders_not_matching_id_pattern"] == 1 and policy.stats["other_files"] == 1
    assert len(read_kface(tiny, ErrorPolicy(), id_pattern=r"^\d{8}$|^README$")) == 16


def test_index_cache_reuses_scanned_folders(tiny: Path, tmp_path: Path) -> None:
    cold, warm = ErrorPolicy(), ErrorPolicy()
    first = read_kface(tiny, cold, cache_dir=tmp_path / "cache")
    again = read_kface(tiny, warm, cache_dir=tmp_path / "cache")
    assert [(im.key, im.face_box, im.width) for im in again] == [
        (im.key, im.face_box, im.width) for im in first
    ]
    assert cold.stats["index_cache_folders_parsed"] == 8 and warm.stats["index_cache_folders_reused"] == 8


# ------------------------------------------------------------------------------------------ annotations


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_annotation_lines_boxes_then_landmarks_blank_lines_ignored(tmp_path: Path) -> None:
    text = "10 20 30 40\n\n 1 2 3 4\n5 6\n7.5, 8.5\n"
    parsed = read_annotation(_write(tmp_path / "C7.txt", text), AnnotationFormat())
    assert parsed.boxes == ((10, 20, 30, 40), (1, 2, 3, 4)) and parsed.landmarks == ((5, 6), (7.5, 8.5))
    xyxy = read_annotation(tmp_path / "C7.txt", AnnotationFormat(box_format="xyxy"))
    assert xyxy.boxes[0] == (10, 20, 20, 20)
    fmt = AnnotationFormat(name="{stem}_box.txt")
    assert (
        fmt.file_name("C7") == "C7_box.txt"
        and fmt.stem_of("C7_box.txt") == "C7"
        and fmt.stem_of("C7.txt") is None
    )
    with pytest.raises(ValueError, match="box_format"):
        AnnotationFormat(box_format="cxcywh")
    with pytest.raises(ValueError, match="'face' box"):
        AnnotationFormat(box_order=("left_eye",))


def test_face_box_landmarks_and_named_boxes_from_the_txt(tiny: Path) -> None:
    txt = _leaf(tiny) / "C7.txt"
    _write(txt, "8 6 40 50\n20 20 5 4\n\n32 33\n" + "1 1\n" * 6)
    image = next(im for im in read_kface(tiny, ErrorPolicy()) if im.key == f"{FIRST}/S001/L1/E01/C7.jpg")
    assert image.face_box == (8, 6, 40, 50) and image.landmarks is not None and image.landmarks[0] == (32, 33)
    assert image.meta["boxes"] == {"face": (8, 6, 40, 50), "left_eye": (20, 20, 5, 4)}
    assert image.meta["annotation"] == str(txt) and image.meta["annotation_shared"] is False


def test_boxes_outside_the_image_are_clipped_and_counted(tiny: Path) -> None:
    _write(_leaf(tiny) / "C7.txt", "-4 10 30 70\n100 100 5 5\n")  # the 64 px image: clipped; wholly outside
    policy = ErrorPolicy()
    image = next(
        im
        for im in read_kface(tiny, policy, share_annotations=False)
        if im.key.endswith("S001/L1/E01/C7.jpg")
    )
    assert image.face_box == (0, 10, 26, 54) and "left_eye" not in image.meta["boxes"]
    assert policy.stats["boxes_clipped"] == 1 and policy.stats["boxes_outside_image"] == 1


def test_a_bad_annotation_line_raises_or_drops_only_the_annotation(tiny: Path) -> None:
    txt = _write(_leaf(tiny) / "C7.txt", "1 2 3 4\n1 2 3\n")
    with pytest.raises(BadInputError) as raised:
        read_kface(tiny, ErrorPolicy("raise"))
    assert raised.value.path == str(txt) and raised.value.reason.startswith("line 2: 3 values")
    policy = ErrorPolicy("skip")
    images = read_kface(tiny, policy, share_annotations=False)
    assert len(images) == 16
    image = next(im for im in images if im.key.endswith(f"{FIRST}/S001/L1/E01/C7.jpg"))
    assert image.face_box is None and "boxes" not in image.meta
    assert (
        policy.report()["skipped_by_kind"] == {"bad_annotation": 1}
        and policy.stats["annotations_dropped"] == 1
    )


def test_annotations_are_shared_across_conditions_of_one_camera(tiny: Path) -> None:
    _write(_leaf(tiny) / "C4.txt", "5 6 30 40\n")
    policy = ErrorPolicy()
    images = {im.key: im for im in read_kface(tiny, policy)}
    dark = images[f"{FIRST}/S003/L7/E01/C4.jpg"]
    assert dark.face_box == (5, 6, 30, 40) and dark.meta["annotation_shared"] is True
    assert dark.meta["annotation"] == str(_leaf(tiny) / "C4.txt")
    assert policy.stats["face_box_shared"] == 16 - 4  # every image outside S001/L1
    # the reference folder is read even when the filters keep S001 out of the walk
    only = read_kface(tiny, ErrorPolicy(), accessories=["S003"], lights=["L7"])
    assert next(im for im in only if im.key == dark.key).face_box == (5, 6, 30, 40)
    unshared = {im.key: im for im in read_kface(tiny, ErrorPolicy(), share_annotations=False)}
    assert unshared[dark.key].face_box is None
    assert all(im.face_box is None for im in read_kface(tiny, ErrorPolicy(), annotations=False))


def test_an_annotation_without_its_image_names_the_missing_image(tiny: Path) -> None:
    image = _leaf(tiny) / "C7.jpg"
    image.unlink()
    with pytest.raises(BadInputError, match="the annotation C7.txt has no image beside it") as raised:
        read_kface(tiny, ErrorPolicy("raise"))
    assert raised.value.path == str(image) and raised.value.kind == "missing_image"
    policy = ErrorPolicy("skip")
    images = read_kface(tiny, policy)
    assert len(images) == 15 and policy.report()["skipped_by_kind"] == {"missing_image": 1}
    # its (valid) annotation still serves the other conditions of that camera
    assert next(im for im in images if im.key == f"{FIRST}/S003/L1/E01/C7.jpg").face_box is not None


def test_images_below_the_expression_folder_are_wrong_depth(tiny: Path) -> None:
    """An image folder one level too deep is counted per image; the rest is read."""
    extra = _leaf(tiny) / "extra"
    extra.mkdir()
    shutil.copy(_leaf(tiny) / "C4.jpg", extra / "C4.jpg")
    policy = ErrorPolicy("skip")
    assert len(read_kface(tiny, policy)) == 16
    assert policy.report()["skipped_by_kind"] == {"wrong_depth": 1}
