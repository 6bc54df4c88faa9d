"""X-ray synthetic twin -> reader round trip, layout, determinism and caching."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aihub_bench.datasets import xray
from aihub_bench.datasets.registry import ensure_twin
from aihub_bench.datasets.xray import (
    MAKERS,
    SUBSETS,
    XRAY_CLASSES,
    clean_class_name,
    read_xray,
    write_synthetic_xray,
)
from aihub_bench.datasets.xray import synth as synth_mod
from aihub_bench.datasets.xray.layout import CLASS_FOLDERS, lookup_class, parse_image_path
from aihub_bench.errors import ErrorPolicy

CLASSES = ["Knife", "Laptop", "PrtableGas", "SupplymentaryBattery"]
PARAMS = {"classes": CLASSES, "images_per_subset": 1, "image_size": 96, "seed": 3}
N_IMAGES = len(MAKERS) * len(CLASSES) * len(SUBSETS)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return write_synthetic_xray(tmp_path_factory.mktemp("xray"), **PARAMS)


@pytest.fixture(scope="module")
def samples(root):
    return read_xray(root)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- names


def test_class_names_and_typo_map():
    assert len(CLASS_FOLDERS) == 39 and len(set(XRAY_CLASSES)) == 39
    assert clean_class_name("LapTop") == "Laptop"
    assert clean_class_name("PrtableGas") == "PortableGas"
    assert clean_class_name("SupplymentaryBattery") == "SupplementaryBattery"
    assert clean_class_name("  laptop ") == "Laptop"
    assert clean_class_name("electronic cigarettes (liquid)") == "Electronic cigarettes(Liquid)"
    assert clean_class_name("Throwing Knife") == "Throwing Knife"
    assert clean_class_name("Teapot") == "Teapot" and lookup_class("Teapot") is None
    assert "PortableGas" in XRAY_CLASSES and "PrtableGas" not in XRAY_CLASSES


def test_every_class_has_a_distinct_look():
    assert set(synth_mod.LOOKS) == set(CLASS_FOLDERS)
    assert len(set(synth_mod.LOOKS.values())) == len(CLASS_FOLDERS)


# ---------------------------------------------------------------- layout


def test_layout_is_the_real_one(root):
    top = {p.name for p in root.iterdir()}
    assert top == {*MAKERS, "Annotation"}
    pngs = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png"))
    assert len(pngs) == N_IMAGES
    name = r"H_\d{4}\.\d{2}-\d{4}_\d{2}_\d{3}\.png"
    pattern = re.compile(
        rf"({'|'.join(MAKERS)})/({'|'.join(map(re.escape, CLASSES))})/({'|'.join(SUBSETS)})/{name}"
    )
    assert all(pattern.fullmatch(p) for p in pngs), pngs[:3]
    assert len({Path(p).name for p in pngs}) == N_IMAGES  # file names are unique across the tree
    cocos = sorted(p.relative_to(root).as_posix() for p in (root / "Annotation").rglob("*.json"))
    assert cocos == [f"Annotation/Train/CoCo/coco_{m.lower()}.json" for m in MAKERS]
    xmls = sorted(p.relative_to(root).as_posix() for p in (root / "Annotation").rglob("*.xml"))
    assert xmls == sorted(f"Annotation/Train/Pascal/{p.split('/')[0]}/{Path(p).stem}.xml" for p in pngs)
    with Image.open(root / pngs[0]) as im:
        assert (im.format, im.mode, im.size) == ("PNG", "RGB", (96, 96))


def test_coco_files_look_like_the_release(root):
    seen_names = {}
    for maker in MAKERS:
        data = json.loads(
            (root / f"Annotation/Train/CoCo/coco_{maker.lower()}.json").read_text(encoding="utf-8")
        )
        for im in data["images"]:
            assert set(im) == {"id", "file_name", "width", "height", "path"}
            assert im["path"].startswith(f"D:\\view\\{maker}\\") and im["path"].endswith(
                "\\" + im["file_name"]
            )
            loc = parse_image_path(im["path"])
            assert (root / loc.relative).is_file()
        ann = data["annotations"][0]
        assert set(ann) == {"id", "image_id", "category_id", "bbox", "area", "iscrowd", "segmentation"}
        assert ann["iscrowd"] == 0 and len(ann["segmentation"]) == 1 and len(ann["segmentation"][0]) >= 6
        ids = [c["id"] for c in data["categories"]]
        assert sorted(ids) != list(range(1, len(ids) + 1))  # sparse
        seen_names[maker] = {c["name"]: c["id"] for c in data["categories"]}
    assert "LapTop" in seen_names["Rapiscan"] and "Laptop" in seen_names["Smith"]
    assert all("PrtableGas" in names for names in seen_names.values())
    assert seen_names["Astrophysics"]["Knife"] != seen_names["Smith"]["Knife"]  # ids differ per maker
    assert list(seen_names["Astrophysics"]) != list(seen_names["Smith"])  # and so does their order


# ---------------------------------------------------------------- round trip


def test_every_image_is_read_with_its_layout_meta(root, samples):
    assert len(samples) == N_IMAGES
    assert {s.image_path for s in samples} == set(root.rglob("*.png"))
    assert [s.image_id for s in samples] == list(range(1, N_IMAGES + 1))
    assert [s.group for s in samples] == sorted(s.group for s in samples)
    for s in samples:
        assert s.group == s.image_path.relative_to(root).as_posix()
        maker, folder, subset, name = s.group.split("/")
        assert s.meta == {
            "maker": maker,
            "class_folder": clean_class_name(folder),
            "subset": subset,
            "annotation_file": f"Annotation/Train/CoCo/coco_{maker.lower()}.json",
            "file_name": name,
        }
        assert (s.width, s.height) == (96, 96)


def test_labels_are_clean_and_scenes_follow_the_subset(samples):
    clean = {clean_class_name(c) for c in CLASSES}
    assert {lab for s in samples for lab in s.labels} == clean
    for s in samples:
        assert s.meta["class_folder"] in s.labels  # the folder's class is always present
        if s.meta["subset"].startswith("Single"):
            assert len(s.labels) == 1
        else:
            assert 2 <= len(s.labels) <= 4 and len(set(s.labels)) == len(s.labels)


def test_boxes_are_tight_around_polygons_and_objects_are_large(samples):
    for s in samples:
        assert s.has_masks and len(s.polygons) == len(s.boxes)
        for box, parts in zip(s.boxes, s.polygons, strict=True):
            pts = np.concatenate(parts)
            np.testing.assert_allclose(box, [*pts.min(0), *pts.max(0)], atol=0.11)
            assert 0 <= box[0] < box[2] <= 96 and 0 <= box[1] < box[3] <= 96
            assert max(box[2] - box[0], box[3] - box[1]) >= 0.15 * 96


def test_objects_are_visible_where_annotated(samples):
    """Pixels inside a Single_Default object differ from the background (the twin is learnable)."""
    for s in samples:
        if s.meta["subset"] != "Single_Default":
            continue
        img = np.asarray(Image.open(s.image_path), dtype=np.float32)
        x1, y1, x2, y2 = s.boxes[0].astype(int)
        corner = img[:4, :4].reshape(-1, 3).mean(0)
        darkest = np.abs(img[y1:y2, x1:x2] - corner).sum(-1).max()
        assert darkest > 60, s.group


def test_voc_reader_agrees_with_coco(root, samples):
    voc = read_xray(root, annotations="voc")
    assert [s.group for s in voc] == [s.group for s in samples]
    for v, c in zip(voc, samples, strict=True):
        assert v.polygons is None
        assert v.labels == c.labels
        np.testing.assert_allclose(v.boxes, c.boxes, atol=1.0)
        assert (
            v.meta["annotation_file"] == f"Annotation/Train/Pascal/{v.meta['maker']}/{v.image_path.stem}.xml"
        )


def test_voc_location_is_a_parameter(root, tmp_path):
    copy = tmp_path / "ds"
    shutil.copytree(root, copy)
    (copy / "Annotation/Train/Pascal/Smith").rename(copy / "voc")
    # Images are found through the VOC <path>, not through where the XML lies.
    got = read_xray(copy, annotations="voc", voc_glob="voc/*.xml")
    assert len(got) == len(CLASSES) * len(SUBSETS) and {s.meta["maker"] for s in got} == {"Smith"}


def test_filters(root):
    got = read_xray(root, makers=["rapiscan"], classes=["PortableGas", "LapTop"], subsets=["Single_Other"])
    assert len(got) == 2
    assert {(s.meta["maker"], s.meta["class_folder"], s.meta["subset"]) for s in got} == {
        ("Rapiscan", "PortableGas", "Single_Other"),
        ("Rapiscan", "Laptop", "Single_Other"),
    }
    with pytest.raises(ValueError, match="unknown X-ray maker 'Siemens'"):
        read_xray(root, makers=["Siemens"])


def test_stats_are_counted(root):
    policy = ErrorPolicy("skip")
    got = read_xray(root, policy=policy)
    stats = policy.report()["stats"]
    assert stats["images_read"] == len(got) == N_IMAGES
    assert stats["objects_read"] == sum(len(s.labels) for s in got)
    assert stats["annotation_files_read"] == 3
    assert all(stats[f"images_read/{m}"] == N_IMAGES // 3 for m in MAKERS)
    assert policy.report()["skipped_total"] == 0


def test_missing_path_key_falls_back_to_the_file_name_index(root, tmp_path):
    copy = tmp_path / "ds"
    shutil.copytree(root, copy)
    coco = copy / "Annotation/Train/CoCo/coco_smith.json"
    data = json.loads(coco.read_text(encoding="utf-8"))
    for im in data["images"]:
        del im["path"]
    coco.write_text(json.dumps(data), encoding="utf-8")
    got = read_xray(copy, makers=["Smith"])
    assert len(got) == N_IMAGES // 3 and {s.meta["maker"] for s in got} == {"Smith"}


# ---------------------------------------------------------------- determinism and caching


def test_same_seed_gives_byte_identical_files(root, tmp_path):
    again = write_synthetic_xray(tmp_path / "again", **PARAMS)
    assert _tree(again) == _tree(root)


def test_other_seed_gives_other_images(root, tmp_path):
    other = _tree(write_synthetic_xray(tmp_path / "other", **{**PARAMS, "seed": 4}))
    base = _tree(root)
    assert other.keys() == base.keys()
    assert sum(other[k] != base[k] for k in base if k.endswith(".png")) == N_IMAGES


def test_default_class_list_and_rectangular_size(tmp_path):
    out = write_synthetic_xray(tmp_path / "d", makers=["Smith"], images_per_subset=1, image_size=(64, 80))
    got = read_xray(out)
    assert len(got) == 10 * len(SUBSETS)
    assert len({s.meta["class_folder"] for s in got}) == 10
    assert {(s.height, s.width) for s in got} == {(64, 80)}  # image_size is [height, width]


def test_ensure_synthetic_generates_once_then_reuses(tmp_path, monkeypatch):
    params = {"classes": ["Gun"], "makers": ["Smith"], "images_per_subset": 1, "image_size": 64}
    first = ensure_twin("xray", tmp_path, **params)
    assert first.parent == tmp_path and first.name.startswith("xray-synth-")
    assert len(read_xray(first)) == len(SUBSETS)
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temp dir left behind

    @functools.wraps(write_synthetic_xray)  # the registry binds arguments to the writer's signature
    def boom(*args, **kwargs):
        raise AssertionError("regenerated a cached twin")

    monkeypatch.setattr(xray, "SPEC", dataclasses.replace(xray.SPEC, writer=boom))
    assert ensure_twin("xray", tmp_path, **params) == first
    assert ensure_twin("xray", tmp_path, **{**params, "classes": ["gun"]}) == first  # same normalised params
    with pytest.raises(AssertionError, match="regenerated"):
        ensure_twin("xray", tmp_path, **{**params, "seed": 1})
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # a failed generation leaves nothing


def test_ensure_synthetic_survives_a_lost_race(tmp_path, monkeypatch):
    """Another process finishes first: our rename fails, we return its copy and clean up."""
    params = {"classes": ["Gun"], "makers": ["Smith"], "images_per_subset": 1, "image_size": 64}
    real_write = write_synthetic_xray

    @functools.wraps(real_write)
    def racing_write(out_dir, **kwargs):
        out = real_write(out_dir, **kwargs)
        winner = tmp_path / Path(out_dir).name[1:].rsplit("-", 1)[0]  # ".<final>-<random>" -> "<final>"
        real_write(winner, **kwargs)  # the other process renames into place first
        (winner / "winner").write_text("x")
        return out

    monkeypatch.setattr(xray, "SPEC", dataclasses.replace(xray.SPEC, writer=racing_write))
    got = ensure_twin("xray", tmp_path, **params)
    assert (got / "winner").is_file()
    assert [p.name for p in tmp_path.iterdir()] == [got.name]


# ---------------------------------------------------------------- 16-bit images


def test_16_bit_greyscale_png_is_scaled_not_clipped_to_white(root, tmp_path):
    """A 16-bit greyscale PNG passes the reader's check and reaches the model scaled (value / 257)."""
    from aihub_bench.data.detection import DetectionDataset

    ds = Path(shutil.copytree(root, tmp_path / "ds"))
    first = read_xray(ds)[0]
    grey = (np.arange(first.width, dtype=np.uint16)[None, :] * 200).repeat(first.height, axis=0)
    Image.fromarray(grey).save(first.image_path)  # mode I;16: values 0 .. 19000 of 65535
    assert Image.open(first.image_path).mode.startswith("I")
    sample = next(s for s in read_xray(ds) if s.image_path == first.image_path)
    image, _ = DetectionDataset([sample], sorted(set(sample.labels)), with_masks=False)[0]
    assert image.shape == (3, first.height, first.width)
    expected = np.rint(grey / 257.0) / 255.0
    np.testing.assert_allclose(image[0].numpy(), expected, atol=1e-6)
    assert float(image.max()) < 0.3  # Pillow's convert("RGB") would have made almost all of it 1.0
