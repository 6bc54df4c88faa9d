"""The 인도 보행 surface reader and twin: class sets, z-order painting, masks by name, mask agreement."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

import aihub_bench.configs
from aihub_bench.datasets.sidewalk.layout import parse_name
from aihub_bench.datasets.sidewalk_surface import (
    SPEC,
    read_sidewalk_surface,
    write_synthetic_sidewalk_surface,
)
from aihub_bench.datasets.sidewalk_surface.layout import (
    ATTRIBUTES,
    IMAGE_PATTERN,
    LABEL_ATTRIBUTE_CLASSES,
    LABEL_CLASSES,
    MASK_COLOURS,
    mask_colour_table,
    paint_labels,
)
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.masks import decode_colour_mask, paint_polygons, read_colour_mask
from aihub_bench.records import SegmentationSample

SMOKE = dict(SPEC.smoke)
FRAMES = SMOKE["sequences"] * SMOKE["frames_per_sequence"]
COLOURS = mask_colour_table(MASK_COLOURS)
DATASET_CONFIGS = Path(aihub_bench.configs.__file__).parent / "dataset"


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_sidewalk_surface(tmp_path_factory.mktemp("surface") / "twin", **SMOKE)


@pytest.fixture(scope="module")
def samples(twin: Path) -> list[SegmentationSample]:
    return read_sidewalk_surface(twin, ErrorPolicy("raise"))


def _copy(twin: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(twin, tmp_path / "copy"))


def _shipped(sample: SegmentationSample) -> np.ndarray:
    assert sample.mask_path is not None
    return decode_colour_mask(read_colour_mask(sample.mask_path), COLOURS)[0]


def test_twin_reads_back_whole_grouped_by_walk(twin: Path, samples: list[SegmentationSample]) -> None:
    assert len(samples) == FRAMES
    assert [s.image_id for s in samples] == list(range(1, FRAMES + 1))
    assert Counter(s.group for s in samples) == dict.fromkeys(
        {s.group for s in samples}, SMOKE["frames_per_sequence"]
    )
    for s in samples:
        name = parse_name(s.image_path.name, IMAGE_PATTERN)
        assert name is not None and s.group == s.meta["sequence"] == name.sequence and len(s.group) == 6
        assert s.meta["frame"] == name.number and s.meta["task"].endswith(".xml")
        assert s.mask_path is not None and s.mask_path.name.endswith(
            f"_mask_{name.sequence}_{name.number}.png"
        )
        assert (s.width, s.height) == (SMOKE["image_size"][1], SMOKE["image_size"][0])
        assert s.regions and all(r.class_name == r.label for r in s.regions)


def test_dataset_configs_list_the_layout_class_sets() -> None:
    def class_names(config: str) -> list[str]:
        return yaml.safe_load((DATASET_CONFIGS / f"{config}.yaml").read_text(encoding="utf-8"))["class_names"]

    assert class_names("sidewalk_surface") == list(LABEL_CLASSES) == list(SPEC.metadata.class_names)
    assert class_names("sidewalk_surface_attributes") == list(LABEL_ATTRIBUTE_CLASSES)
    assert len(LABEL_ATTRIBUTE_CLASSES) == 22 and len(LABEL_CLASSES) == 7
    reader = yaml.safe_load((DATASET_CONFIGS / "sidewalk_surface.yaml").read_text(encoding="utf-8"))["reader"]
    assert {k: tuple(v) for k, v in reader["mask_colours"].items()} == MASK_COLOURS


def test_label_attribute_class_set(twin: Path, samples: list[SegmentationSample]) -> None:
    detailed = read_sidewalk_surface(
        twin, ErrorPolicy("raise"), class_set="label_attribute", unknown_attribute="error"
    )
    regions = [r for s in detailed for r in s.regions or []]
    assert {r.class_name for r in regions} <= set(LABEL_ATTRIBUTE_CLASSES)
    for r in regions:
        assert r.class_name == (f"{r.label}/{r.attribute}" if ATTRIBUTES[r.label] else r.label)
    # the same regions as the label set, only finer classes
    assert [r.label for r in regions] == [r.label for s in samples for r in s.regions or []]
    assert len({r.class_name for r in regions}) > len({r.label for r in regions})
    with pytest.raises(ValueError, match="class_set=label_attribute needs unknown_attribute=error"):
        read_sidewalk_surface(twin, class_set="label_attribute")
    with pytest.raises(ValueError, match="class_set must be one of"):
        read_sidewalk_surface(twin, class_set="attribute")


def test_painting_in_z_order_reproduces_the_shipped_mask(samples: list[SegmentationSample]) -> None:
    """The twin writes each image's polygons in shuffled order: only z_order painting gives its mask."""
    file_order_differs = 0
    for s in samples:
        shipped = _shipped(s)
        assert np.array_equal(paint_labels(s.painting_order(), s.height, s.width), shipped), s.image_path.name
        as_listed = paint_polygons(
            (s.height, s.width), [(LABEL_CLASSES.index(r.label), r.parts) for r in s.regions or []]
        )
        file_order_differs += not np.array_equal(as_listed, shipped)
    assert file_order_differs >= FRAMES // 2


def test_mask_agreement_is_one_on_the_twin_and_falls_with_a_tampered_mask(twin: Path, tmp_path: Path) -> None:
    policy = ErrorPolicy("raise")
    checked = read_sidewalk_surface(twin, policy, mask_agreement="all")
    assert [s.meta["mask_agreement"] for s in checked] == [1.0] * FRAMES
    stats = policy.report()["stats"]
    assert stats["masks_checked_for_agreement"] == FRAMES and stats["mask_pixels_disagreeing"] == 0

    root = _copy(twin, tmp_path)
    target = checked[5]
    assert target.mask_path is not None
    mask_path = root / target.mask_path.relative_to(twin)
    rgb = read_colour_mask(mask_path)
    painted = paint_labels(target.regions or [], target.height, target.width)
    rgb[:20, :30] = (12, 34, 56)  # a colour no label has
    rgb[-20:, -40:] = MASK_COLOURS["caution_zone"]
    Image.fromarray(rgb).save(mask_path)
    caution = LABEL_CLASSES.index("caution_zone")
    wrong = 20 * 30 + int(np.count_nonzero(painted[-20:, -40:] != caution))

    policy = ErrorPolicy("raise")
    again = {s.image_path.name: s for s in read_sidewalk_surface(root, policy, mask_agreement="all")}
    share = again[target.image_path.name].meta["mask_agreement"]
    assert share == pytest.approx(1 - wrong / painted.size)
    assert [n for n, s in again.items() if s.meta["mask_agreement"] < 1] == [target.image_path.name]
    stats = policy.report()["stats"]
    assert stats["mask_pixels_disagreeing"] == wrong and stats["masks_disagreeing_with_polygons"] == 1
    assert (
        stats["agreement_unknown_colour_pixels"] == 600 and stats["agreement_masks_with_unknown_colours"] == 1
    )
    assert again[target.image_path.name].meta["mask_unknown_colours"] == {"12,34,56": 600}


def test_mask_agreement_checks_as_many_images_as_asked(twin: Path) -> None:
    for asked, checked in ((0, 0), (5, 5), (1000, FRAMES), ("all", FRAMES)):
        policy = ErrorPolicy("raise")
        read = read_sidewalk_surface(twin, policy, mask_agreement=asked)
        assert sum("mask_agreement" in s.meta for s in read) == checked
        assert policy.report()["stats"].get("masks_checked_for_agreement", 0) == checked
    spread = [s.image_id for s in read_sidewalk_surface(twin, mask_agreement=3) if "mask_agreement" in s.meta]
    assert spread == [1, FRAMES // 2, FRAMES]
    with pytest.raises(ValueError, match="mask_agreement must be"):
        read_sidewalk_surface(twin, mask_agreement="some")


def test_masks_are_found_by_sequence_and_frame_anywhere_and_may_be_required(
    twin: Path, tmp_path: Path
) -> None:
    root = _copy(twin, tmp_path)
    masks = sorted(root.rglob("*_mask_*.png"))
    elsewhere = root / "all_masks" / masks[0].name
    elsewhere.parent.mkdir()
    masks[0].rename(elsewhere)
    masks[1].unlink()
    orphan = root / "all_masks" / masks[0].name.replace("_mask_003001_", "_mask_009999_")
    shutil.copy(elsewhere, orphan)

    policy = ErrorPolicy("raise")
    read = read_sidewalk_surface(root, policy, mask_agreement="all")
    assert elsewhere in {s.mask_path for s in read}
    assert sum(s.mask_path is None for s in read) == 1 and len(read) == FRAMES
    stats = policy.report()["stats"]
    assert stats["images_without_mask"] == 1 and stats["masks_without_image"] == 1

    with pytest.raises(BadInputError, match="no colour mask") as raised:
        read_sidewalk_surface(root, require_masks=True)
    assert masks[1].name.replace("_mask_", "_raw_").replace(".png", ".jpg") == Path(raised.value.path).name
    policy = ErrorPolicy("skip")
    assert len(read_sidewalk_surface(root, policy, require_masks=True)) == FRAMES - 1
    assert policy.report()["skipped_by_kind"] == {"missing_mask": 1}


def test_unknown_attributes_are_counted_for_labels(twin: Path, tmp_path: Path) -> None:
    root = _copy(twin, tmp_path)
    xml = sorted(root.rglob("*_output_*.xml"))[0]
    text = xml.read_text(encoding="utf-8")
    values = text.count('<attribute name="attribute">')
    xml.write_text(
        text.replace('<attribute name="attribute">', '<attribute name="attribute">x_'), encoding="utf-8"
    )
    policy = ErrorPolicy("raise")
    read = read_sidewalk_surface(root, policy)
    assert len(read) == FRAMES and policy.report()["stats"]["unknown_attribute_values"] == values
    assert any(
        r.attribute.startswith("x_") and r.class_name == r.label for s in read for r in s.regions or []
    )
    policy = ErrorPolicy("skip")
    strict = read_sidewalk_surface(root, policy, class_set="label_attribute", unknown_attribute="error")
    assert len(strict) == FRAMES - SMOKE["frames_per_task"]
    assert policy.report()["skipped_by_kind"] == {"unknown_attribute": SMOKE["frames_per_task"]}


def test_mask_colours_are_validated_and_may_colour_attributes_apart() -> None:
    table = mask_colour_table({**MASK_COLOURS, "caution_zone/manhole": (9, 9, 9)})
    assert table[(9, 9, 9)] == table[MASK_COLOURS["caution_zone"]] == LABEL_CLASSES.index("caution_zone")
    bad = {
        "neither a surface label": {**MASK_COLOURS, "pavement": (1, 2, 3)},
        "neither a surface label nor a label/attribute": {**MASK_COLOURS, "sidewalk/marble": (1, 2, 3)},
        "is given to two labels": {**MASK_COLOURS, "alley": MASK_COLOURS["roadway"]},
        "needs the 'background' colour": {k: v for k, v in MASK_COLOURS.items() if k != "background"},
        r"must be \[r, g, b\]": {**MASK_COLOURS, "sidewalk": (0, 0, 256)},
    }
    for message, colours in bad.items():
        with pytest.raises(ValueError, match=message):
            mask_colour_table(colours)


def test_twin_options_are_checked() -> None:
    with pytest.raises(ValueError, match="sequences"):
        write_synthetic_sidewalk_surface("/nonexistent", sequences=0)
    with pytest.raises(ValueError, match="image_size"):
        write_synthetic_sidewalk_surface("/nonexistent", image_size=[50, 80])
