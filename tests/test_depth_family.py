"""The depth family on tiny stereo sets written here: what the datamodule serves (depth = fx·B/d on valid
pixels, holes kept, crops, confidence, flips), bad sets raised or counted, the loss, a task that
overfits two images, and the evaluator against metrics/depth."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from PIL import Image

from aihub_bench.data.depth import DepthDataModule, DepthDataset, collate_depth, depth_augment
from aihub_bench.data.transforms import normalise_image
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.disparity import write_disparity_png
from aihub_bench.metrics.depth import depth_errors, mean_over_images
from aihub_bench.metrics.depth_evaluator import DepthEvaluator
from aihub_bench.models.depth import build_unet_depth
from aihub_bench.records import DepthSample
from aihub_bench.tasks.depth import DepthTask, silog_loss

WIDTH, HEIGHT = 32, 24  # the disparity window of every set
FX, BASELINE, SCALE = 70.0, 0.12, 256.0


def _left(seed: int, height: int) -> np.ndarray:
    """An RGB picture whose red channel is the row number (so a crop is visible) and the rest noise."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (height, WIDTH, 3), dtype=np.uint8)
    image[..., 0] = np.arange(height, dtype=np.uint8)[:, None] * 5
    return image


def _disparity(seed: int) -> np.ndarray:
    """Disparity in pixels of a ground plane (growing down the rows) with a box, in multiples of 1/256 so
    the PNG keeps it exactly (1..20 px), with holes (0)."""
    rng = np.random.default_rng(100 + seed)
    rows = np.linspace(1.0, 14.0, HEIGHT)[:, None] * np.ones((1, WIDTH))
    left = 2 + seed % 4 * 5
    rows[4:14, left : left + 10] = 18.0 - seed
    disparity = np.rint(rows * SCALE) / SCALE
    disparity[rng.random((HEIGHT, WIDTH)) < 0.25] = 0.0
    return disparity


def write_set(
    root: Path,
    i: int,
    crop_top: int = 0,
    confidence: bool = False,
    disparity_size: tuple[int, int] | None = None,
) -> DepthSample:
    """One set under ``root``: left PNG (``crop_top`` extra rows above and below the window when > 0),
    16-bit disparity PNG (``disparity_size`` = (w, h) to make it the wrong size), optional confidence."""
    left_path = root / f"left_{i}.png"
    Image.fromarray(_left(i, HEIGHT + 2 * crop_top)).save(left_path)
    disparity = _disparity(i)
    if disparity_size is not None:
        disparity = np.resize(disparity, disparity_size[::-1])
    disparity_path = write_disparity_png(root / f"disp16_{i}.png", disparity, SCALE)
    confidence_path = None
    if confidence:
        confidence_path = root / f"confidence_{i}.png"
        keep = np.ones((HEIGHT, WIDTH), dtype=np.uint8) * 255
        keep[:, : WIDTH // 2] = 0  # the left half is not confident
        Image.fromarray(keep).save(confidence_path)
    return DepthSample(
        left_path=left_path,
        disparity_path=disparity_path,
        width=WIDTH,
        height=HEIGHT,
        fx=FX,
        baseline_m=BASELINE,
        disparity_scale=SCALE,
        crop_top=crop_top,
        confidence_path=confidence_path,
        image_id=i,
        group=f"walk{i}",
    )


@pytest.fixture
def sets(tmp_path: Path) -> list[DepthSample]:
    """Six sets: 0 plain, 1 a raw frame under a crop (crop_top 5), 2 with a confidence map, 3-5 plain."""
    return [write_set(tmp_path, i, crop_top=5 if i == 1 else 0, confidence=i == 2) for i in range(6)]


def _datamodule(samples: list[DepthSample], **kwargs) -> DepthDataModule:
    def reader(root: Path, policy: ErrorPolicy) -> list[DepthSample]:
        return list(samples)

    split = {"val_fraction": 0.2, "test_fraction": 0.2, "seed": 0}
    dm = DepthDataModule(reader, root=str(samples[0].left_path.parent), num_workers=0, split=split, **kwargs)
    dm.setup()
    return dm


# -- what is served --------------------------------------------------------------------------------
def test_depth_is_fx_times_baseline_over_disparity_and_holes_stay_invalid(sets: list[DepthSample]) -> None:
    item = DepthDataset(sets, (HEIGHT, WIDTH), use_confidence=False, full_resolution=True)[0]
    disparity = _disparity(0)
    holes = disparity == 0
    assert torch.equal(item["valid"][0], torch.from_numpy(~holes))
    expected = FX * BASELINE / disparity[~holes]
    np.testing.assert_allclose(item["depth"][0].numpy()[~holes], expected, rtol=1e-6)
    np.testing.assert_allclose(item["depth_full"][~holes], expected, rtol=1e-6)
    assert np.array_equal(item["valid_full"], ~holes)


def test_the_left_image_is_cropped_to_the_disparity_window(sets: list[DepthSample]) -> None:
    item = DepthDataset(sets, (HEIGHT, WIDTH), use_confidence=False, full_resolution=False)[1]
    window = _left(1, HEIGHT + 10)[5 : 5 + HEIGHT]
    assert torch.allclose(item["image"], normalise_image(window / 255.0), atol=1e-6)
    assert "depth_full" not in item


def test_resizing_picks_pixels_never_blends_across_holes(sets: list[DepthSample]) -> None:
    """Half size, nearest (exact): output pixel (r, c) is source pixel (2r + 1, 2c + 1)."""
    item = DepthDataset(sets, (HEIGHT // 2, WIDTH // 2), use_confidence=False, full_resolution=True)[0]
    disparity = _disparity(0)[1::2, 1::2]
    assert torch.equal(item["valid"][0], torch.from_numpy(disparity > 0))
    valid = disparity > 0
    np.testing.assert_allclose(item["depth"][0].numpy()[valid], FX * BASELINE / disparity[valid], rtol=1e-6)
    assert item["depth_full"].shape == (HEIGHT, WIDTH)  # the metrics' resolution is the ground truth's


def test_use_confidence_ands_the_confidence_map(sets: list[DepthSample]) -> None:
    positive = _disparity(2) > 0
    plain = DepthDataset(sets, (HEIGHT, WIDTH), use_confidence=False, full_resolution=True)[2]
    confident = DepthDataset(sets, (HEIGHT, WIDTH), use_confidence=True, full_resolution=True)[2]
    assert np.array_equal(plain["valid_full"], positive)
    expected = positive.copy()
    expected[:, : WIDTH // 2] = False
    assert np.array_equal(confident["valid_full"], expected)
    assert torch.equal(confident["valid"][0], torch.from_numpy(expected))


def test_a_flip_flips_depth_and_validity_with_the_image(sets: list[DepthSample]) -> None:
    plain = DepthDataset(sets, (HEIGHT, WIDTH), False, False)[0]
    flipped = DepthDataset(sets, (HEIGHT, WIDTH), False, False, augment=depth_augment(hflip=1.0))[0]
    for key in ("image", "depth", "valid"):
        assert torch.equal(flipped[key], plain[key].flip(-1)), key


def test_batches_stack_the_input_maps_and_list_the_full_ones(sets: list[DepthSample]) -> None:
    dataset = DepthDataset(sets, (16, 24), use_confidence=False, full_resolution=True)
    batch = collate_depth([dataset[0], dataset[1]])
    assert batch["image"].shape == (2, 3, 16, 24) and batch["image"].dtype == torch.float32
    assert (
        batch["depth"].shape == batch["valid"].shape == (2, 1, 16, 24) and batch["valid"].dtype == torch.bool
    )
    assert [m.shape for m in batch["depth_full"]] == [(HEIGHT, WIDTH)] * 2
    assert batch["image_id"].tolist() == [0, 1] and batch["left_path"] == [str(s.left_path) for s in sets[:2]]


# -- bad sets --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "kind", "named"),
    [
        ("disparity_size", "size_mismatch", "disp16_6.png"),
        ("short_left", "size_mismatch", "left_6.png"),
        ("eight_bit", "disparity_not_16bit", "disp16_6.png"),
    ],
)
def test_a_bad_set_is_named_in_raise_mode_and_counted_in_skip_mode(
    sets: list[DepthSample], tmp_path: Path, fault: str, kind: str, named: str
) -> None:
    bad = write_set(tmp_path, 6, disparity_size=(WIDTH - 2, HEIGHT) if fault == "disparity_size" else None)
    if fault == "short_left":
        Image.fromarray(_left(6, HEIGHT - 3)).save(bad.left_path)
    if fault == "eight_bit":
        Image.fromarray((_disparity(6) * 10).astype(np.uint8)).save(bad.disparity_path)
    with pytest.raises(BadInputError) as raised:
        _datamodule([*sets, bad])
    assert raised.value.kind == kind and Path(raised.value.path).name == named
    dm = _datamodule([*sets, bad], on_error="skip")
    assert dm.policy.counts == {kind: 1}
    assert sum(len(v) for v in dm.splits.values()) == len(sets)
    assert bad not in [s for v in dm.splits.values() for s in v]


def test_the_datamodule_splits_by_group_and_reports_train_depth(
    sets: list[DepthSample], tmp_path: Path
) -> None:
    dm = _datamodule(sets, input_size=(12, 16), augment={"hflip": 0.5})
    assert {k: len(v) for k, v in dm.splits.items()} == {"train": 4, "val": 1, "test": 1}
    assert dm.model_kwargs() == {}
    dm.write_artifacts(tmp_path)
    report = json.loads((tmp_path / "data_report.json").read_text())
    train = dm.splits["train"]
    depths = np.concatenate(
        [FX * BASELINE / _disparity(s.image_id)[_disparity(s.image_id) > 0] for s in train]
    )
    assert report["split_sizes"] == {"train": 4, "val": 1, "test": 1}
    assert report["depth_train"]["maps"] == 4
    assert report["depth_train"]["depth_m"]["median"] == pytest.approx(np.median(depths), abs=1e-4)
    assert report["depth_train"]["valid_share"] == pytest.approx(len(depths) / (4 * WIDTH * HEIGHT))
    assert sorted(g for v in json.loads((tmp_path / "splits.json").read_text()).values() for g in v) == [
        f"walk{i}" for i in range(6)
    ]
    with pytest.raises(ValueError, match="unknown keys"):
        DepthDataModule(lambda root, policy: [], augment={"rotate": 0.5})


# -- loss, model, task -----------------------------------------------------------------------------
def test_silog_loss_is_the_bts_formula_and_scale_invariant_at_lambda_one() -> None:
    gen = torch.Generator().manual_seed(0)
    gt = torch.rand(2, 1, 5, 6, generator=gen) * 10 + 1
    pred = gt * torch.exp(torch.randn(2, 1, 5, 6, generator=gen) * 0.3)
    mask = torch.rand(2, 1, 5, 6, generator=gen) > 0.3
    d = (pred.log() - gt.log())[mask]
    expected = 10 * torch.sqrt((d**2).mean() - 0.85 * d.mean() ** 2)
    assert silog_loss(pred, gt, mask) == pytest.approx(float(expected), rel=1e-5)
    assert silog_loss(3 * pred, gt, mask, variance_focus=1.0) == pytest.approx(
        float(silog_loss(pred, gt, mask, variance_focus=1.0)), rel=1e-4
    )


@pytest.mark.usefixtures("one_thread")
def test_the_network_gives_bounded_depth_at_the_input_size_for_any_size() -> None:
    net = build_unet_depth(max_depth=25.0, backbone="small", decoder_channels=[32, 16, 16, 8])
    with torch.no_grad():
        out = net(torch.randn(2, 3, 50, 70))
    assert out.shape == (2, 1, 50, 70)
    assert float(out.min()) > 0 and float(out.max()) < 25.0
    with torch.autocast("cpu", dtype=torch.bfloat16), torch.no_grad():
        assert net(torch.randn(2, 3, 64, 64)).dtype == torch.float32  # depth is not quantised to bf16
    with pytest.raises(ValueError, match="one width per skip"):
        build_unet_depth(max_depth=25.0, backbone="small", decoder_channels=[32, 16])


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny maps: one thread is faster than two fighting over a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _task(**kwargs) -> DepthTask:
    net = partial(build_unet_depth, backbone="small", decoder_channels=[32, 16, 16, 8])
    optimizer = partial(torch.optim.AdamW, lr=3e-3)
    return DepthTask(net=net, optimizer=optimizer, max_depth=30.0, figure_images=2, **kwargs)


@pytest.mark.parametrize("loss", ["silog", "l1"])
@pytest.mark.usefixtures("one_thread")
def test_a_task_overfits_two_images(sets: list[DepthSample], loss: str) -> None:
    torch.manual_seed(0)
    task = _task(loss=loss)
    dataset = DepthDataset(sets[:2], (24, 32), use_confidence=False, full_resolution=False)
    batch = collate_depth([dataset[0], dataset[1]])
    optimizer = torch.optim.AdamW(task.parameters(), lr=3e-3)
    losses = []
    for _ in range(25):
        loss_value = task.training_loss(batch)
        optimizer.zero_grad()
        loss_value.backward()
        optimizer.step()
        losses.append(loss_value.item())
    assert task.batch_units(batch) == 2
    assert losses[-1] < 0.5 * losses[0], losses


@pytest.mark.usefixtures("one_thread")
def test_fit_and_test_write_the_metrics_the_csv_and_the_figure(
    sets: list[DepthSample], tmp_path: Path
) -> None:
    pl.seed_everything(0)
    dm = _datamodule(sets, input_size=(24, 32), batch_size=2, eval_batch_size=2)
    task = _task()
    trainer = pl.Trainer(
        max_epochs=2,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
    )
    trainer.fit(task, datamodule=dm)
    assert {"train/loss_epoch", "val/loss", "val/abs_rel"} <= set(trainer.callback_metrics)
    trainer.test(task, datamodule=dm)
    metrics = trainer.callback_metrics
    assert {"test/abs_rel", "test/sq_rel", "test/rmse", "test/rmse_log", "test/delta1", "test/images"} <= set(
        metrics
    )
    with (tmp_path / "depth_metrics_test.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["image_id"]) for r in rows] == [s.image_id for s in dm.splits["test"]]
    assert float(rows[0]["abs_rel"]) == pytest.approx(float(metrics["test/abs_rel"]), rel=1e-5)
    with Image.open(tmp_path / "depth_test.png") as figure:
        assert figure.width > 500


def test_the_evaluator_gives_the_means_of_metrics_depth(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    gts, valids, preds = [], [], []
    for shape in ((20, 30), (12, 30), (20, 30)):  # sizes differ: scored at each ground truth's own
        gt = rng.uniform(0.5, 50.0, shape).astype(np.float32)
        valids.append(rng.random(shape) > 0.2)
        gts.append(np.where(valids[-1], gt, 0.0).astype(np.float32))
        preds.append((gt * rng.uniform(0.7, 1.4, shape)).astype(np.float32))
    evaluator = DepthEvaluator(min_depth=1.0, max_depth=40.0, figure_images=2)
    images = torch.randn(3, 3, 8, 12)
    evaluator.process(
        {
            "depth_full": gts[:2],
            "valid_full": valids[:2],
            "image_id": torch.tensor([7, 8]),
            "left_path": ["a.png", "b.png"],
            "image": images[:2],
        },
        preds[:2],
    )
    evaluator.process(
        {
            "depth_full": gts[2:],
            "valid_full": valids[2:],
            "image_id": torch.tensor([9]),
            "left_path": ["c.png"],
            "image": images[2:],
        },
        preds[2:],
    )
    metrics = evaluator.evaluate()
    per_image = [depth_errors(p, g, v, 1.0, 40.0) for p, g, v in zip(preds, gts, valids, strict=True)]
    expected = mean_over_images(per_image)
    assert metrics == pytest.approx(expected)
    assert metrics["images"] == 3
    written = evaluator.write(tmp_path)
    assert [p.name for p in written] == ["depth_metrics_test.csv", "depth_test.png"]
    with written[0].open() as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["rmse"]) for r in rows] == pytest.approx([e["rmse"] for e in per_image])
    assert [r["left_path"] for r in rows] == ["a.png", "b.png", "c.png"]
