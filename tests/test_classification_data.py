"""Classification datamodule, dataset and multi-view model on a tiny hand-made case list."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from aihub_bench.data.classification import (
    ClassificationDataModule,
    ClassificationDataset,
    fit_and_pad,
    jpeg_roundtrip,
    load_view,
)
from aihub_bench.data.folds import stratified_group_folds
from aihub_bench.data.splits import LeakageError
from aihub_bench.formats.dicom import write_dicom_image
from aihub_bench.models.classifier import build_classifier
from aihub_bench.records import ClassificationCase


def _png(path: Path, value: int, size: tuple[int, int] = (40, 20)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), value, np.uint8)).save(path)
    return path


def _cases(root: Path, n_persons: int = 12) -> list[ClassificationCase]:
    cases = []
    for p in range(n_persons):
        label = p % 2
        for eye in "LR":
            path = _png(root / f"p{p}_{eye}.png", 200 if label else 50)
            cases.append(
                ClassificationCase(f"p{p}_{eye}", label, {"fundus": path}, f"p{p}", "x", meta={"eye": eye})
            )
    return cases


def _module(cases: list[ClassificationCase], **kwargs) -> ClassificationDataModule:
    return ClassificationDataModule(
        reader=lambda root, policy: list(cases),
        root=str(cases[0].views["fundus"].parent),
        image_size=(32, 32),
        batch_size=4,
        **kwargs,
    )


def test_fit_and_pad_keeps_the_aspect_ratio_and_centres() -> None:
    image = np.ones((20, 40, 3), np.float32)
    out = fit_and_pad(image, 32, 32)
    assert out.shape == (32, 32, 3)
    rows = np.flatnonzero(out[:, 16, 0] > 0.5)
    assert (rows.min(), rows.max()) == (8, 23)  # 40x20 -> 32x16, 8 rows of padding each side
    assert out[0, 0, 0] == 0.0


def test_a_sixteen_bit_png_view_is_scaled_not_clipped_to_white(tmp_path: Path) -> None:
    """A 16-bit greyscale fundus PNG: value / 65535, not Pillow's clip to 255 (all white)."""
    grey = np.tile(np.array([0, 12850, 25700, 65535], np.uint16), (8, 2))  # 0, 50, 100, 255 in 8 bits
    path = tmp_path / "General_Normal_0001_L.png"
    Image.fromarray(grey).save(path)
    assert Image.open(path).mode.startswith("I")
    view = load_view(path)
    assert view.shape == (8, 8, 3) and view.dtype == np.float32
    np.testing.assert_allclose(view[0, :4, 0], [0.0, 50 / 255, 100 / 255, 1.0], atol=1e-6)
    assert np.all(view[..., 0] == view[..., 2])


def test_jpeg_roundtrip_is_lossy_and_lower_quality_loses_more() -> None:
    rng = np.random.default_rng(0)
    image = np.repeat(rng.random((64, 64, 1), dtype=np.float32), 3, axis=2)
    errors = [np.abs(jpeg_roundtrip(image, q) - image).mean() for q in (95, 50, 10)]
    assert 0 < errors[0] < errors[1] < errors[2]
    assert jpeg_roundtrip(image, 50).shape == image.shape


def test_dataset_masks_missing_views_and_uses_view_labels(tmp_path: Path) -> None:
    a = _png(tmp_path / "a.png", 100)
    b = tmp_path / "b.dcm"
    write_dicom_image(
        b, np.arange(30 * 20, dtype=np.uint16).reshape(30, 20) % 4096, photometric="MONOCHROME1"
    )
    case = ClassificationCase(
        "c1", 1, {"RCC": a, "LCC": b}, "c1", "malignant", view_labels={"RCC": 1, "LCC": 0}
    )
    item = ClassificationDataset([case], ["RCC", "LCC", "RMLO"], (32, 24))[0]
    assert item["images"].shape == (3, 3, 32, 24)
    assert item["view_mask"].tolist() == [True, True, False]
    assert item["view_labels"].tolist() == [1.0, 0.0, 0.0]
    assert torch.count_nonzero(item["images"][2]) == 0
    assert item["case_id"] == "c1" and item["label"] == 1.0


def test_holdout_split_keeps_persons_together_and_both_classes(tmp_path: Path) -> None:
    dm = _module(_cases(tmp_path), split={"val_fraction": 0.25, "test_fraction": 0.25})
    dm.setup()
    groups = {name: {c.group for c in part} for name, part in dm.splits.items()}
    assert not (groups["train"] & groups["test"]) and not (groups["val"] & groups["test"])
    assert all({c.label for c in part} == {0, 1} for part in dm.splits.values())
    assert dm.class_names == ["negative", "positive"] and dm.views == ["fundus"]


def test_use_fold_tests_exactly_one_fold_and_carves_val_from_the_rest(tmp_path: Path) -> None:
    cases = _cases(tmp_path, 20)
    dm = _module(cases, split={"val_fraction": 0.2})
    dm.read()
    fold_of = stratified_group_folds([c.label for c in dm.cases], [c.group for c in dm.cases], 5, seed=0)
    for fold in range(5):
        dm.use_fold(fold_of, fold)
        test_ids = {c.case_id for c in dm.splits["test"]}
        assert test_ids == {c.case_id for c, f in zip(dm.cases, fold_of, strict=True) if f == fold}
        assert dm.splits["val"] and not test_ids & {c.case_id for c in dm.splits["train"] + dm.splits["val"]}
        loaders = dm.test_dataloader()
        assert [len(loader.dataset) for loader in loaders] == [len(dm.splits["val"]), len(dm.splits["test"])]


def test_use_fold_refuses_folds_that_split_a_person(tmp_path: Path) -> None:
    dm = _module(_cases(tmp_path, 6))
    dm.read()
    fold_of = [i % 3 for i in range(len(dm.cases))]  # the two eyes of a person land in different folds
    with pytest.raises(LeakageError, match="appears in folds"):
        dm.use_fold(fold_of, 0)


def test_a_single_class_dataset_is_refused_clearly(tmp_path: Path) -> None:
    cases = [c for c in _cases(tmp_path) if c.label == 0]
    with pytest.raises(ValueError, match="needs both classes"):
        _module(cases).read()


def test_bad_jpeg_quality_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="jpeg_quality"):
        _module(_cases(tmp_path), jpeg_quality=0)


def test_multiview_model_ignores_missing_views() -> None:
    torch.manual_seed(0)
    net = build_classifier("small").eval()
    images = torch.randn(2, 4, 3, 32, 32)
    mask = torch.tensor([[True, True, True, False], [True, True, True, False]])
    changed = images.clone()
    changed[:, 3] = torch.randn(2, 3, 32, 32) * 10  # content of the missing view must not matter
    with torch.no_grad():
        case_a, views_a = net(images, mask)
        case_b, views_b = net(changed, mask)
    assert case_a.shape == (2,) and views_a.shape == (2, 4)
    assert torch.allclose(case_a, case_b) and torch.allclose(views_a, views_b)
    assert torch.all(views_a[:, 3] == 0)


def test_unknown_backbone_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not a timm model"):
        build_classifier("resnet_does_not_exist")


@pytest.mark.slow
def test_pretrained_weights_offline_fail_with_a_clear_message() -> None:
    import subprocess
    import sys

    code = "from aihub_bench.models.classifier import build_classifier; build_classifier('resnet18', pretrained=True)"
    env = {**__import__("os").environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode != 0
    assert "model.net.pretrained=false" in result.stderr


def test_jpeg_quality_reencodes_dicom_views_before_resizing(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    path = tmp_path / "v.dcm"
    write_dicom_image(path, (rng.random((64, 48)) * 4095).astype(np.uint16), bits_stored=12)
    case = ClassificationCase("c", 0, {"RCC": path}, "c", "normal")
    plain = ClassificationDataset([case], ["RCC"], (64, 48))[0]["images"]
    compressed = ClassificationDataset([case], ["RCC"], (64, 48), jpeg_quality=20)[0]["images"]
    assert compressed.shape == plain.shape
    difference = (compressed - plain).abs().mean().item()
    assert 0.01 < difference < 1.0  # lossy, but the same image
