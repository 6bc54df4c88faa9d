"""Every bad-input case of the X-ray reader: raise naming file and reason, or skip the image and count it."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from aihub_bench.datasets.xray import read_xray, write_synthetic_xray
from aihub_bench.errors import BadInputError, ErrorPolicy

N_PER_MAKER = 2 * 4  # 2 classes x 4 subsets x 1 image
N_IMAGES = 2 * N_PER_MAKER
SMITH_COCO = "Annotation/Train/CoCo/coco_smith.json"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("xray_bad")
    return write_synthetic_xray(
        out,
        classes=["Knife", "Laptop"],
        makers=["Astrophysics", "Smith"],
        images_per_subset=1,
        image_size=64,
        seed=1,
    )


@pytest.fixture
def ds(pristine, tmp_path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "ds"))


def _load(root: Path, rel: str = SMITH_COCO) -> dict:
    return json.loads((root / rel).read_text(encoding="utf-8"))


def _save(root: Path, data: dict, rel: str = SMITH_COCO) -> None:
    (root / rel).write_text(json.dumps(data), encoding="utf-8")


def _target(data: dict) -> tuple[dict, list[dict]]:
    """The Smith Multiple_Categories image (several objects) and its annotations."""
    image = next(im for im in data["images"] if "\\Multiple_Categories\\" in im["path"])
    anns = [a for a in data["annotations"] if a["image_id"] == image["id"]]
    assert len(anns) >= 2
    return image, anns


def _image_path(root: Path, image: dict) -> Path:
    maker, folder, subset, name = image["path"].split("\\")[-4:]
    return root / maker / folder / subset / name


def _edit(fn: Callable[[dict, dict, list[dict]], None]) -> Callable[[Path], str]:
    """Mutation of the target image's COCO entries; returns the image's file name."""

    def mutate(root: Path) -> str:
        data = _load(root)
        image, anns = _target(data)
        fn(data, image, anns)
        _save(root, data)
        return image["file_name"]

    return mutate


def _delete_image(root: Path) -> str:
    image, _ = _target(_load(root))
    _image_path(root, image).unlink()
    return image["file_name"]


def _truncate_image(root: Path) -> str:
    image, _ = _target(_load(root))
    path = _image_path(root, image)
    path.write_bytes(path.read_bytes()[:-100])
    return image["file_name"]


def _broken_json(root: Path) -> str:
    text = (root / SMITH_COCO).read_text(encoding="utf-8")
    (root / SMITH_COCO).write_text(text[: len(text) // 2], encoding="utf-8")
    return "coco_smith.json"


def _unknown_category(data: dict, image: dict, anns: list[dict]) -> None:
    data["categories"].append({"id": 500, "name": "Teapot", "supercategory": "Prohibited"})
    anns[0]["category_id"] = 500


def _move_to_teapot(root: Path) -> str:
    """The image sits in (and its path names) a class folder that is no X-ray class."""
    data = _load(root)
    image, _ = _target(data)
    old = _image_path(root, image)
    image["path"] = image["path"].replace("\\Knife\\", "\\Teapot\\")
    new = _image_path(root, image)
    new.parent.mkdir(parents=True)
    old.rename(new)
    _save(root, data)
    return image["file_name"]


@dataclass
class Case:
    id: str
    mutate: Callable[[Path], str]
    kind: str
    reason: str
    read_in_skip_mode: int = N_IMAGES - 1


COCO_CASES = [
    Case("missing_image", _delete_image, "missing_image", "image file not found"),
    Case("truncated_png", _truncate_image, "unreadable_image", "unreadable image"),
    Case("size_mismatch", _edit(lambda d, im, a: im.update(width=65)), "size_mismatch", "image is 64x64 but annotation says 65x64"),
    Case("malformed_json", _broken_json, "malformed_json", "cannot read the JSON", N_PER_MAKER),
    Case("polygon_2_points", _edit(lambda d, im, a: a[1].update(segmentation=[[1, 1, 9, 9]])), "bad_polygon", "has 2 points, needs at least 3"),
    Case("polygon_rle", _edit(lambda d, im, a: a[0].update(segmentation={"counts": [], "size": [64, 64]})), "bad_polygon", "not a list of numbers"),
    Case("polygon_zero_area", _edit(lambda d, im, a: a[0].update(segmentation=[[1, 1, 5, 5, 9, 9]])), "bad_polygon", "zero area"),
    Case("no_polygon", _edit(lambda d, im, a: a[0].update(segmentation=[])), "bad_polygon", "no polygon"),
    Case("box_outside", _edit(lambda d, im, a: a[0].update(bbox=[40, 40, 30, 10])), "box_outside_image", "outside the 64x64 image"),
    Case("polygon_outside", _edit(lambda d, im, a: a[0]["segmentation"][0].extend([80.0, 10.0])), "box_outside_image", "outside the 64x64 image"),
    Case("zero_area_box", _edit(lambda d, im, a: a[0].update(bbox=[10, 10, 0, 5])), "zero_area_box", "has zero area"),
    Case("bbox_not_numbers", _edit(lambda d, im, a: a[0].update(bbox=[10, 10, "5", 5])), "bad_box", "is not four numbers"),
    Case("unknown_class", _edit(_unknown_category), "unknown_class", "unknown class 'Teapot'"),
    Case("unknown_category_id", _edit(lambda d, im, a: a[0].update(category_id=9999)), "unknown_class", "unknown class 'category id 9999'"),
    Case("path_escape", _edit(lambda d, im, a: im.update(file_name="../../../../../../../../etc/passwd")), "path_escape", "escapes the dataset root"),
    Case("file_name_with_folders", _edit(lambda d, im, a: im.update(file_name="/etc/passwd")), "bad_file_name", "must not contain folders"),
    Case("bad_size", _edit(lambda d, im, a: im.update(height=0)), "bad_image_entry", "is not a positive integer size"),
    Case("unknown_class_folder", _move_to_teapot, "unknown_class", "class folder 'Teapot'"),
]  # fmt: skip


@pytest.mark.parametrize("case", COCO_CASES, ids=[c.id for c in COCO_CASES])
def test_coco_bad_input_raises_naming_file_and_reason(ds, case):
    name = case.mutate(ds)
    with pytest.raises(BadInputError) as info:
        read_xray(ds)
    message = str(info.value)
    assert name in message and case.reason in message, message
    assert info.value.kind == case.kind


@pytest.mark.parametrize("case", COCO_CASES, ids=[c.id for c in COCO_CASES])
def test_coco_bad_input_skips_the_whole_image_and_counts_it(ds, case):
    pristine_groups = {s.group: len(s.labels) for s in read_xray(ds)}
    name = case.mutate(ds)
    policy = ErrorPolicy("skip")
    got = read_xray(ds, policy=policy)
    assert len(got) == case.read_in_skip_mode
    report = policy.report()
    assert report["skipped_by_kind"] == {case.kind: 1}
    assert name in report["examples"][0]["path"] + report["examples"][0]["reason"]
    assert report["stats"]["images_read"] == len(got)
    # Never a partially read image: every kept image has all its objects.
    assert all(pristine_groups[s.group] == len(s.labels) for s in got)
    assert all(name != s.meta["file_name"] for s in got)


def test_box_within_tolerance_is_clipped_not_skipped(ds):
    data = _load(ds)
    image, anns = _target(data)
    x, y, w, h = anns[0]["bbox"]
    anns[0]["bbox"] = [-0.8, y, x + w + 0.8, h]  # 0.8 px left of the image
    anns[0]["segmentation"][0][0] = -0.8
    _save(ds, data)
    got = {s.meta["file_name"]: s for s in read_xray(ds)}
    sample = got[image["file_name"]]
    assert sample.boxes[0][0] == 0.0
    assert min(p[:, 0].min() for p in sample.polygons[0]) == 0.0
    assert len(sample.labels) == len(anns)


@pytest.mark.parametrize("on_error", ["raise", "skip"])
def test_image_without_annotations_is_kept_and_counted(ds, on_error):
    data = _load(ds)
    image, anns = _target(data)
    data["annotations"] = [a for a in data["annotations"] if a["image_id"] != image["id"]]
    _save(ds, data)
    policy = ErrorPolicy(on_error)
    got = {s.meta["file_name"]: s for s in read_xray(ds, policy=policy)}
    assert len(got) == N_IMAGES
    empty = got[image["file_name"]]
    assert empty.labels == [] and empty.boxes.shape == (0, 4) and empty.polygons == []
    assert policy.report()["stats"]["images_without_objects"] == 1
    assert policy.skipped == 0


def test_orphan_annotation(ds):
    data = _load(ds)
    data["annotations"].append({**data["annotations"][0], "id": 99999, "image_id": 4242})
    _save(ds, data)
    with pytest.raises(BadInputError, match=r"coco_smith.json: annotation 99999 refers to image_id 4242"):
        read_xray(ds)
    policy = ErrorPolicy("skip")
    assert len(read_xray(ds, policy=policy)) == N_IMAGES  # no image lost: the orphan has none
    assert policy.report()["skipped_by_kind"] == {"orphan_annotation": 1}


def test_image_listed_twice(ds):
    data = _load(ds)
    image, _ = _target(data)
    data["images"].append({**image, "id": 777})
    _save(ds, data)
    with pytest.raises(
        BadInputError, match=f"image {image['file_name']} is already annotated in coco_smith.json"
    ):
        read_xray(ds)
    policy = ErrorPolicy("skip")
    assert len(read_xray(ds, policy=policy)) == N_IMAGES
    assert policy.report()["skipped_by_kind"] == {"duplicate_image": 1}


def test_ambiguous_file_name_without_path(ds):
    data = _load(ds)
    image, _ = _target(data)
    original = _image_path(ds, image)
    del image["path"]
    _save(ds, data)
    assert len(read_xray(ds)) == N_IMAGES  # found by file name alone
    shutil.copy(original, ds / "Smith/Laptop/Single_Default" / image["file_name"])
    with pytest.raises(BadInputError, match=f"image {image['file_name']}: 2 files with this name") as info:
        read_xray(ds)
    assert info.value.kind == "ambiguous_image"


# ---------------------------------------------------------------- VOC


def _voc_file(root: Path) -> Path:
    return sorted((root / "Annotation/Train/Pascal/Smith").glob("*.xml"))[0]


def _voc_edit(old: str, new: str) -> Callable[[Path], str]:
    def mutate(root: Path) -> str:
        path = _voc_file(root)
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")
        return path.name

    return mutate


def _voc_box(root: Path, box: tuple[int, int, int, int]) -> str:
    path = _voc_file(root)
    text = path.read_text(encoding="utf-8")
    start, end = text.index("<bndbox>"), text.index("</bndbox>")
    tags = "".join(f"<{k}>{v}</{k}>" for k, v in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True))
    path.write_text(text[:start] + f"<bndbox>{tags}" + text[end:], encoding="utf-8")
    return path.name


def _voc_delete_image(root: Path) -> str:
    name = _voc_file(root).stem + ".png"
    next(root.rglob(name)).unlink()
    return name


VOC_CASES = [
    Case("malformed_xml", _voc_edit("</annotation>", "</annotatio"), "malformed_xml", "malformed XML"),
    Case("unsafe_xml", _voc_edit("<annotation>", '<!DOCTYPE a [<!ENTITY x "y">]><annotation>'), "unsafe_xml", "refused unsafe XML"),
    Case("missing_field", _voc_edit("size>", "sise>"), "malformed_xml", "missing <size>"),
    Case("unknown_class", _voc_edit("<name>Knife</name>", "<name>Teapot</name>"), "unknown_class", "unknown class 'Teapot'"),
    Case("box_outside", lambda r: _voc_box(r, (10, 10, 70, 20)), "box_outside_image", "outside the 64x64 image"),
    Case("zero_area_box", lambda r: _voc_box(r, (10, 10, 10, 20)), "zero_area_box", "has zero area"),
    Case("missing_image", _voc_delete_image, "missing_image", "image file not found"),
]  # fmt: skip


@pytest.mark.parametrize("case", VOC_CASES, ids=[c.id for c in VOC_CASES])
def test_voc_bad_input(ds, case):
    name = case.mutate(ds)
    with pytest.raises(BadInputError) as info:
        read_xray(ds, annotations="voc")
    assert name in str(info.value) and case.reason in str(info.value), str(info.value)
    assert info.value.kind == case.kind
    policy = ErrorPolicy("skip")
    got = read_xray(ds, annotations="voc", policy=policy)
    assert len(got) == N_IMAGES - 1
    assert policy.report()["skipped_by_kind"] == {case.kind: 1}
    assert all(Path(name).stem != s.image_path.stem for s in got)


def test_no_annotation_files_is_a_configuration_error(tmp_path):
    (tmp_path / "Smith").mkdir()
    with pytest.raises(FileNotFoundError, match="no coco annotation files match"):
        read_xray(tmp_path, policy=ErrorPolicy("skip"))


def test_verify_images_header_and_none_still_report_missing_files(ds):
    _truncate_image(ds)
    with pytest.raises(BadInputError, match="unreadable image"):
        read_xray(ds)  # full is the default: every pixel is decoded
    for mode in ("header", "none"):  # truncation goes unnoticed by design
        assert len(read_xray(ds, verify_images=mode)) == N_IMAGES
    name = _delete_image(ds)
    for mode in ("header", "none"):
        with pytest.raises(BadInputError, match=f"{name}: image file not found"):
            read_xray(ds, verify_images=mode)


def test_verify_images_none_opens_no_image(ds):
    _edit(lambda d, im, a: im.update(width=65))(ds)
    with pytest.raises(BadInputError, match="image is 64x64 but annotation says 65x64"):
        read_xray(ds, verify_images="header")
    assert len(read_xray(ds, verify_images="none")) == N_IMAGES


@pytest.mark.parametrize(
    ("value", "hint"), [(True, "use full instead of true"), (False, "header instead of false")]
)
def test_verify_images_as_a_bool_says_what_to_use_instead(ds, value, hint):
    with pytest.raises(ValueError, match=hint):
        read_xray(ds, verify_images=value)
    with pytest.raises(ValueError, match=r"one of \['none', 'header', 'full'\], got 'fast'"):
        read_xray(ds, verify_images="fast")


# ---------------------------------------------------------------- bbox vs polygon, whole files, links


def _move_bbox_away(data: dict) -> str:
    """Put the target's first bbox in the opposite corner, far from its polygon."""
    image, anns = _target(data)
    x, y, w, h = anns[0]["bbox"]
    anns[0]["bbox"] = [image["width"] - x - w, image["height"] - y - h, w, h]
    return image["file_name"]


def test_bbox_far_from_its_polygon_is_refused_unless_the_check_is_off(ds):
    data = _load(ds)
    name = _move_bbox_away(data)
    _save(ds, data)
    with pytest.raises(
        BadInputError, match=f"image {name}, annotation .* does not match its polygon"
    ) as info:
        read_xray(ds)
    assert info.value.kind == "bbox_polygon_mismatch"
    assert len(read_xray(ds, bbox_polygon_tolerance=None)) == N_IMAGES


def test_bbox_a_little_larger_than_its_polygon_is_accepted(ds):
    """Overlapped parts cut from a polygon [C] leave the box larger: fine while IoU stays high."""
    data = _load(ds)
    image, anns = _target(data)
    x, y, w, h = anns[0]["bbox"]
    anns[0]["bbox"] = [x, y, w + 0.25 * w, h]  # wider by a quarter: edge far off, IoU 0.8
    _save(ds, data)
    assert 0.25 * w > 2.0  # beyond the default edge tolerance, so the IoU floor decides
    assert len(read_xray(ds)) == N_IMAGES
    with pytest.raises(BadInputError) as info:
        read_xray(ds, bbox_polygon_min_iou=0.9)
    assert info.value.kind == "bbox_polygon_mismatch"


@pytest.mark.parametrize("option", [{"bbox_polygon_tolerance": -1.0}, {"bbox_polygon_min_iou": 1.5}])
def test_bbox_check_options_are_validated(ds, option):
    with pytest.raises(ValueError, match=next(iter(option))):
        read_xray(ds, **option)


def test_whole_file_dropped_in_skip_mode_counts_its_images(ds):
    data = _load(ds)
    data["images"][0]["width"] = "64"  # a structure error: the file cannot be trusted
    _save(ds, data)
    policy = ErrorPolicy("skip")
    assert len(read_xray(ds, policy=policy)) == N_IMAGES - N_PER_MAKER
    report = policy.report()
    assert report["skipped_by_kind"] == {"malformed_json": N_PER_MAKER}
    assert report["stats"]["images_dropped_with_file"] == N_PER_MAKER
    assert report["stats"]["annotation_files_dropped"] == 1
    assert len(report["examples"]) == 1 and "dropped with the 8 image(s)" in report["examples"][0]["reason"]


def test_unparsable_file_counts_once_and_is_noted_as_dropped(ds):
    _broken_json(ds)
    policy = ErrorPolicy("skip")
    assert len(read_xray(ds, policy=policy)) == N_IMAGES - N_PER_MAKER
    report = policy.report()
    assert report["skipped_by_kind"] == {"malformed_json": 1}
    assert report["stats"]["annotation_files_dropped"] == 1
    assert "images_dropped_with_file" not in report["stats"]


def _link_knife_folder_outside(root: Path, outside: Path) -> None:
    shutil.move(root / "Smith/Knife", outside)
    (root / "Smith/Knife").symlink_to(outside, target_is_directory=True)


def test_links_outside_the_root_are_read_when_allowed(ds, tmp_path):
    _link_knife_folder_outside(ds, tmp_path / "elsewhere")
    with pytest.raises(BadInputError) as info:
        read_xray(ds)
    assert info.value.kind == "link_outside_root" and "/Smith/Knife/" in info.value.path
    assert len(read_xray(ds, allow_outside_links=True)) == N_IMAGES


def test_lookup_by_name_does_not_walk_into_folders_linked_outside(ds, tmp_path):
    data = _load(ds)
    image, _ = _target(data)  # lives in Smith/Knife/Multiple_Categories
    del image["path"]
    _save(ds, data)
    _link_knife_folder_outside(ds, tmp_path / "elsewhere")
    policy = ErrorPolicy("skip")
    read_xray(ds, policy=policy)
    report = policy.report()
    assert report["skipped_by_kind"] == {"link_outside_root": 3, "missing_image": 1}  # 3 found by path
    missing = next(e for e in report["examples"] if e["kind"] == "missing_image")
    assert image["file_name"] in missing["path"]
    assert re.search(r"not found anywhere.*not searched: 1 folder\(s\) linked outside", missing["reason"])
    assert report["stats"]["folder_links_outside_root"] == 1
    got = {s.meta["file_name"] for s in read_xray(ds, allow_outside_links=True)}
    assert image["file_name"] in got


def test_an_annotation_glob_with_two_globstars_is_a_configuration_error(ds):
    with pytest.raises(ValueError, match="use one '\\*\\*'"):
        read_xray(ds, annotations="voc", voc_glob="Annotation/**/Pascal/**/*.xml")


def test_voc_folder_linked_inside_or_allowed_is_read_not_skipped(ds, tmp_path):
    """pathlib's ``**`` does not enter linked folders; the reader does, by the link policy."""
    pascal = ds / "Annotation/Train/Pascal"
    shutil.move(pascal / "Smith", ds / "Smith_voc")
    (pascal / "Smith").symlink_to(ds / "Smith_voc", target_is_directory=True)  # stays inside the root
    assert len(read_xray(ds, annotations="voc")) == N_IMAGES
    shutil.move(ds / "Smith_voc", tmp_path / "Smith_voc")
    (pascal / "Smith").unlink()
    (pascal / "Smith").symlink_to(tmp_path / "Smith_voc", target_is_directory=True)
    assert len(read_xray(ds, annotations="voc", allow_outside_links=True)) == N_IMAGES
    with pytest.raises(BadInputError, match="none of the folder.s annotation files is read") as info:
        read_xray(ds, annotations="voc")
    assert info.value.kind == "link_outside_root"
