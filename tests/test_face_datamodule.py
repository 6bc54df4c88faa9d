"""The face datamodule on hand-made FaceImage records and tiny JPEGs: identity-disjoint splits, pinned
test identities, pair-list faults, generated pairs, gallery and probes, crops, batches, artefacts."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from aihub_bench.data.face import (
    FaceDataModule,
    assert_identities_disjoint,
    crop_square,
    generate_pairs,
)
from aihub_bench.data.splits import LeakageError
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.records import FaceImage, FacePair

IDENTITIES = [f"1900{i:04d}" for i in range(1, 11)]
EXPRESSIONS = ["E01", "E02"]
CAMERAS = ["C4", "C5", "C6", "C7"]
SIZE = 40  # pixels of each synthetic photo


def _faces(root: Path, identities: list[str] = IDENTITIES) -> list[FaceImage]:
    """8 images per identity (2 expressions x 4 cameras, S001/L1), one grey level per identity; the
    E01 images carry a face box."""
    images = []
    for n, identity in enumerate(identities):
        for expression in EXPRESSIONS:
            for camera in CAMERAS:
                key = f"{identity}/S001/L1/{expression}/{camera}.jpg"
                path = root / "High" / key
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(np.full((SIZE, SIZE, 3), 20 * n, dtype=np.uint8)).save(path, quality=95)
                box = (10.0, 8.0, 20.0, 24.0) if expression == "E01" else None
                images.append(
                    FaceImage(path, identity, "S001", "L1", expression, camera, key, "High", SIZE, SIZE, box)
                )
    return images


def _reader(images: list[FaceImage], root: Path, policy: ErrorPolicy) -> list[FaceImage]:
    return list(images)


def _module(root: Path, images: list[FaceImage] | None = None, **kwargs: Any) -> FaceDataModule:
    options: dict[str, Any] = {
        "split": {"val_fraction": 0.2, "test_fraction": 0.2, "seed": 3},
        "protocol": {"generated_pairs": {"positives_per_identity": 3, "conditions": None, "seed": 0}},
        "image_size": 24,
        "batch_size": 4,
        "num_workers": 0,
    }
    options.update(kwargs)
    reader = partial(_reader, _faces(root) if images is None else images)
    return FaceDataModule(reader=reader, name="kface", root=str(root), **options)


def _write_pairs(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _key(identity: str, camera: str = "C4", expression: str = "E01") -> str:
    return f"{identity}/S001/L1/{expression}/{camera}.jpg"


# -- splits -------------------------------------------------------------------------------------
def test_identities_are_split_disjointly_and_train_labels_follow_sorted_identities(tmp_path: Path) -> None:
    dm = _module(tmp_path)
    dm.setup()
    sides = {name: set(dm.identities(name)) for name in ("train", "val", "test")}
    assert (len(sides["train"]), len(sides["val"]), len(sides["test"])) == (6, 2, 2)
    assert set.union(*sides.values()) == set(IDENTITIES)
    assert not (
        sides["train"] & sides["val"] or sides["train"] & sides["test"] or sides["val"] & sides["test"]
    )
    for name, ids in sides.items():
        assert {im.identity for im in dm.splits[name]} == ids
        assert len(dm.splits[name]) == 8 * len(ids)
    assert dm.model_kwargs() == {"num_identities": 6, "train_identities": sorted(sides["train"])}
    assert dm.labels == {identity: i for i, identity in enumerate(sorted(sides["train"]))}


def test_an_identity_on_two_sides_is_a_leakage_error(tmp_path: Path) -> None:
    images = _faces(tmp_path, IDENTITIES[:3])
    assert_identities_disjoint({"train": images[:8], "val": images[8:16], "test": images[16:]})
    with pytest.raises(LeakageError, match=IDENTITIES[0]):
        assert_identities_disjoint({"train": images[:4], "val": images[8:16], "test": images[4:8]})


def test_a_test_identity_file_pins_the_test_identities(tmp_path: Path) -> None:
    ids_file = tmp_path / "test_ids.txt"
    ids_file.write_text(f"{IDENTITIES[1]}\n{IDENTITIES[7]}\n99999999\n", encoding="utf-8")
    dm = _module(tmp_path, split={"val_fraction": 0.2, "test_identities": str(ids_file)})
    dm.setup()
    assert dm.identities("test") == [IDENTITIES[1], IDENTITIES[7]]
    assert dm.policy.stats["test_identities_not_found"] == 1
    assert len(dm.identities("train")) + len(dm.identities("val")) == 8 and dm.identities("val")

    ids_file.write_text("99999999\n88888888\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="none of the 2 identities") as err:
        _module(tmp_path, split={"test_identities": str(ids_file)}).setup()
    assert err.value.path == str(ids_file)


def test_a_pair_list_pins_the_test_identities_and_is_the_test_protocol(tmp_path: Path) -> None:
    a, b, c = IDENTITIES[2], IDENTITIES[5], IDENTITIES[8]
    lines = [f"{_key(a)} {_key(a, 'C5')} 1", f"{_key(b, 'C6')} {_key(b, 'C7')} 1", f"{_key(a)} {_key(c)} 0"]
    pairs_file = _write_pairs(tmp_path / "pairs.txt", lines)
    dm = _module(tmp_path, split={"val_fraction": 0.3}, protocol={"pairs": str(pairs_file)})
    dm.setup()
    assert dm.identities("test") == [a, b, c]
    assert dm.pairs("test") == [
        FacePair(_key(a), _key(a, "C5"), True),
        FacePair(_key(b, "C6"), _key(b, "C7"), True),
        FacePair(_key(a), _key(c), False),
    ]
    assert {im.key for im in dm.splits["test"]} >= {k for p in dm.pairs("test") for k in (p.key_a, p.key_b)}
    assert dm.pairs("val")  # val pairs are still generated


def test_the_short_pair_form_uses_the_protocol_conditions(tmp_path: Path) -> None:
    a, b = IDENTITIES[0], IDENTITIES[4]
    pairs_file = _write_pairs(tmp_path / "short.txt", [f"{a} C4 {a} C6 1", f"{a} C5 {b} C7 0"])
    protocol = {
        "pairs": str(pairs_file),
        "pair_form": "short",
        "pair_conditions": {"accessory": "S001", "light": "L1", "expression": "E02"},
    }
    dm = _module(tmp_path, protocol=protocol)
    dm.setup()
    assert dm.pairs("test") == [
        FacePair(_key(a, "C4", "E02"), _key(a, "C6", "E02"), True),
        FacePair(_key(a, "C5", "E02"), _key(b, "C7", "E02"), False),
    ]


# -- pair-list faults ---------------------------------------------------------------------------
def test_a_pair_naming_a_missing_image_is_an_error_or_a_counted_skip(tmp_path: Path) -> None:
    a, b = IDENTITIES[2], IDENTITIES[5]
    lines = [f"{_key(a)} {_key(a, 'C5')} 1", f"{_key(a)} {_key(b, 'C9')} 0", f"{_key(a, 'C6')} {_key(b)} 0"]
    pairs_file = _write_pairs(tmp_path / "pairs.txt", lines)
    with pytest.raises(BadInputError, match="excluded by the reader's condition filters") as err:
        _module(tmp_path, protocol={"pairs": str(pairs_file)}).setup()
    assert err.value.kind == "missing_image" and err.value.path == str(pairs_file)
    assert _key(b, "C9") in err.value.reason

    dm = _module(tmp_path, protocol={"pairs": str(pairs_file)}, on_error="skip")
    dm.setup()
    assert dm.pairs("test") == [
        FacePair(_key(a), _key(a, "C5"), True),
        FacePair(_key(a, "C6"), _key(b), False),
    ]
    assert dm.policy.counts["missing_image"] == 1
    dm.write_artifacts(tmp_path / "run")
    report = json.loads((tmp_path / "run" / "data_report.json").read_text(encoding="utf-8"))
    assert report["pairs_skipped"] == 1
    assert report["skipped_by_kind"]["missing_image"] == 1


def test_a_pair_naming_a_train_or_val_identity_is_an_identity_leak(tmp_path: Path) -> None:
    ids_file = tmp_path / "test_ids.txt"
    ids_file.write_text(f"{IDENTITIES[0]}\n{IDENTITIES[1]}\n", encoding="utf-8")
    leaked = IDENTITIES[6]
    lines = [
        f"{_key(IDENTITIES[0])} {_key(IDENTITIES[0], 'C5')} 1",
        f"{_key(IDENTITIES[1])} {_key(leaked)} 0",
    ]
    pairs_file = _write_pairs(tmp_path / "pairs.txt", lines)
    options: dict[str, Any] = {
        "split": {"val_fraction": 0.2, "test_identities": str(ids_file)},
        "protocol": {"pairs": str(pairs_file)},
    }
    with pytest.raises(
        BadInputError, match=f"identity {leaked} is in the (train|val) split and in the pair list"
    ) as err:
        _module(tmp_path, **options).setup()
    assert err.value.kind == "identity_leak" and err.value.path == str(pairs_file)

    dm = _module(tmp_path, on_error="skip", **options)
    dm.setup()
    assert dm.pairs("test") == [FacePair(_key(IDENTITIES[0]), _key(IDENTITIES[0], "C5"), True)]
    assert dm.policy.counts["identity_leak"] == 1
    assert leaked not in dm.identities("test")


# -- generated pairs ----------------------------------------------------------------------------
def test_generated_pairs_are_balanced_unique_and_deterministic(tmp_path: Path) -> None:
    images = _faces(tmp_path, IDENTITIES[:5])
    pairs = generate_pairs(images, positives_per_identity=4, seed=7)
    positives = [p for p in pairs if p.same]
    negatives = [p for p in pairs if not p.same]
    assert len(positives) == len(negatives) == 20
    assert pairs == positives + negatives  # positives first, as the public lists
    assert len({frozenset((p.key_a, p.key_b)) for p in pairs}) == len(pairs)
    assert all(p.key_a != p.key_b for p in pairs)
    identity = {im.key: im.identity for im in images}
    assert all((identity[p.key_a] == identity[p.key_b]) == p.same for p in pairs)
    per_identity = [sum(identity[p.key_a] == i for p in positives) for i in IDENTITIES[:5]]
    assert per_identity == [4] * 5
    assert generate_pairs(list(reversed(images)), positives_per_identity=4, seed=7) == pairs
    assert generate_pairs(images, positives_per_identity=4, seed=8) != pairs


def test_generated_pairs_respect_the_condition_filter(tmp_path: Path) -> None:
    images = _faces(tmp_path, IDENTITIES[:4])
    conditions = {"accessory": "S001", "light": "L1", "expression": "E01", "camera": ["C4", "C5", "C6"]}
    pairs = generate_pairs(images, positives_per_identity=10, seed=0, conditions=conditions)
    used = {k for p in pairs for k in (p.key_a, p.key_b)}
    by_key = {im.key: im for im in images}
    assert used and all(
        by_key[k].expression == "E01" and by_key[k].camera in ("C4", "C5", "C6") for k in used
    )
    # 3 matching images per identity: all 3 positive pairs of each, and as many negatives
    assert sum(p.same for p in pairs) == 12 and len(pairs) == 24
    with pytest.raises(ValueError, match="factors"):
        generate_pairs(images, 2, 0, conditions={"pose": "C7"})


def test_pairs_of_many_images_are_drawn_at_random_still_unique_and_balanced() -> None:
    # 200 images per identity: too many candidate pairs to list, so they are drawn one by one
    images = [
        FaceImage(Path(f"{i}_{n}.jpg"), identity, "S001", f"L{n % 30 + 1}", "E01", f"C{n // 30 + 1}",
                  f"{identity}/S001/L{n % 30 + 1}/E01/C{n // 30 + 1}.jpg")
        for i, identity in enumerate(IDENTITIES[:3])
        for n in range(200)
    ]  # fmt: skip
    pairs = generate_pairs(images, positives_per_identity=50, seed=1)
    assert sum(p.same for p in pairs) == 150 and len(pairs) == 300
    assert len({frozenset((p.key_a, p.key_b)) for p in pairs}) == 300
    assert all((p.key_a[:8] == p.key_b[:8]) == p.same for p in pairs)
    assert generate_pairs(images, positives_per_identity=50, seed=1) == pairs


def test_max_samples_keeps_whole_identities_and_the_pinned_ones(tmp_path: Path) -> None:
    ids_file = tmp_path / "test_ids.txt"
    ids_file.write_text(f"{IDENTITIES[9]}\n{IDENTITIES[8]}\n", encoding="utf-8")
    dm = _module(tmp_path, max_samples=48, split={"val_fraction": 0.5, "test_identities": str(ids_file)})
    dm.setup()
    kept = [i for name in ("train", "val", "test") for i in dm.identities(name)]
    assert len(kept) == 6 and {IDENTITIES[8], IDENTITIES[9]} <= set(kept)
    assert sum(len(part) for part in dm.splits.values()) == 48
    assert dm.policy.stats["identities_over_max_samples"] == 4


# -- gallery and probes -------------------------------------------------------------------------
def test_gallery_and_probes_count_identities_without_a_gallery_image(tmp_path: Path) -> None:
    ids_file = tmp_path / "test_ids.txt"
    ids_file.write_text(f"{IDENTITIES[3]}\n{IDENTITIES[4]}\n{IDENTITIES[5]}\n", encoding="utf-8")
    gallery_key = _key(IDENTITIES[4], "C7", "E01")
    images = [im for im in _faces(tmp_path) if im.key != gallery_key]
    gallery_condition = {"accessory": "S001", "light": "L1", "expression": "E01", "camera": "C7"}
    dm = _module(
        tmp_path,
        images,
        split={"val_fraction": 0.3, "test_identities": str(ids_file)},
        protocol={"gallery": gallery_condition},
    )
    dm.setup()
    assert dm.gallery("test") == [_key(IDENTITIES[3], "C7"), _key(IDENTITIES[5], "C7")]
    probes = dm.probes("test")
    assert len(probes) == 2 * 7
    assert not any(p.startswith(IDENTITIES[4]) for p in probes)
    assert not set(probes) & set(dm.gallery("test"))
    assert dm.policy.stats["test_identities_without_gallery_image"] == 1
    assert dm.split_sizes()["test"]["identities_without_gallery_image"] == 1


# -- crops and batches --------------------------------------------------------------------------
def test_crop_centres_on_the_face_box_with_its_margin() -> None:
    image = np.zeros((80, 100, 3), dtype=np.uint8)
    image[25, 45] = 255  # 5 px right and below the box's corner (40, 20)
    tight = crop_square(image, (40.0, 20.0, 20.0, 16.0), margin=0.0, center_fraction=1.0)
    # side max(20, 16) = 20, centred on (50, 28): x from 40, y from 18
    assert tight.shape == (20, 20, 3) and tight[7, 5, 0] == 255 and tight.sum() == 3 * 255
    wide = crop_square(image, (40.0, 20.0, 20.0, 16.0), margin=0.5, center_fraction=1.0)
    # side 20 * 2 = 40 from (30, 8)
    assert wide.shape == (40, 40, 3) and wide[17, 15, 0] == 255


def test_crop_without_a_box_is_a_centred_square_and_pads_outside_the_image() -> None:
    image = np.full((80, 100, 3), 200, dtype=np.uint8)
    image[40, 50] = 7  # the centre
    centred = crop_square(image, None, margin=0.3, center_fraction=0.5)
    assert centred.shape == (40, 40, 3) and centred[20, 20, 0] == 7
    edge = crop_square(image, (90.0, 0.0, 10.0, 10.0), margin=0.5, center_fraction=1.0)
    # side 20 centred on (95, 5): columns 85..104 and rows -5..14; what lies outside is black
    assert edge.shape == (20, 20, 3)
    assert (edge[:5] == 0).all() and (edge[:, 15:] == 0).all() and (edge[5:, :15] == 200).all()


def test_batches_hold_crops_labels_and_conditions(tmp_path: Path) -> None:
    dm = _module(tmp_path, augment={"hflip": 1.0})
    dm.setup()
    batch = next(iter(dm.train_dataloader()))
    assert batch["image"].shape == (4, 3, 24, 24) and batch["image"].dtype == torch.float32
    assert batch["label"].dtype == torch.int64
    assert [dm.labels[i] for i in batch["identity"]] == batch["label"].tolist()
    assert batch["image"].min() >= -1.0 and batch["image"].max() <= 1.0
    val = next(iter(dm.val_dataloader()))
    assert (val["label"] == -1).all()
    assert set(val) == {"image", "label", "key", "identity", "accessory", "light", "expression", "camera"}
    first = dm.splits["val"][0]
    assert val["key"][0] == first.key and val["camera"][0] == first.camera and val["light"][0] == "L1"
    # a photo of one grey level stays that level after crop and resize (the box lies inside)
    grey = 20 * IDENTITIES.index(first.identity)
    assert torch.allclose(val["image"][0], torch.full((3, 24, 24), grey / 127.5 - 1.0), atol=0.05)


def test_unknown_options_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="augment knows"):
        _module(tmp_path, augment={"cutout": 0.5})
    with pytest.raises(ValueError, match="protocol knows"):
        _module(tmp_path, protocol={"pair_list": "x.txt"})
    with pytest.raises(ValueError, match="pair_form"):
        _module(tmp_path, protocol={"pair_form": "csv"})


# -- artefacts ----------------------------------------------------------------------------------
def test_write_artifacts_saves_identity_pair_and_gallery_lists(tmp_path: Path) -> None:
    from aihub_bench.datasets.kface.pairs import read_identity_list, read_pair_list

    dm = _module(tmp_path)
    dm.setup()
    run = tmp_path / "run"
    dm.write_artifacts(run)
    policy = ErrorPolicy("raise")
    for name in ("train", "val", "test"):
        assert read_identity_list(run / f"identities_{name}.txt", policy) == dm.identities(name)
    for name in ("val", "test"):
        assert read_pair_list(run / f"pairs_{name}.txt", policy, form="paths") == dm.pairs(name)
    assert (run / "gallery_test.txt").read_text(encoding="utf-8").split() == dm.gallery("test")
    report = json.loads((run / "data_report.json").read_text(encoding="utf-8"))
    sizes = report["split_sizes"]
    assert sizes["train"] == {"images": 48, "identities": 6}
    assert sizes["test"]["images"] == 16
    assert (sizes["test"]["gallery"], sizes["test"]["probes"]) == (2, 14)  # the E01/C7 image of each
    assert sizes["val"]["positive_pairs"] == sizes["val"]["negative_pairs"] == 6
    assert report["pairs_skipped"] == 0 and report["test_pairs_source"] == "generated"
