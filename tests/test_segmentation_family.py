"""The segmentation family on a tiny in-memory dataset: masks from polygons and colour masks, bad input,
grouped splits, batches, a model that overfits, and an evaluator that scores what metrics/ scores."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from PIL import Image

from aihub_bench import distributed
from aihub_bench.data import segmentation as seg_data
from aihub_bench.data.segmentation import SegmentationDataModule, class_palette
from aihub_bench.data.splits import LeakageError
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.masks import IGNORE_INDEX, colour_mask, paint_polygons, read_palette_png
from aihub_bench.metrics.segmentation import confusion_matrix, segmentation_scores
from aihub_bench.metrics.segmentation_evaluator import SegmentationEvaluator
from aihub_bench.models.segmentation import build_deeplabv3
from aihub_bench.records import SegmentationSample, SegmentRegion
from aihub_bench.tasks.segmentation import SEGMENTATION, SegmentationTask, full_size_predictions

CLASSES = ["background", "road", "walk"]
COLOURS = {"background": [0, 0, 0], "road": [255, 128, 255], "walk": [0, 0, 255]}
LOOKS = np.array([[90, 90, 90], [200, 60, 60], [60, 60, 200]], dtype=np.uint8)  # image colour per class
HEIGHT, WIDTH = 36, 52
INPUT = (32, 48)  # [height, width]: fine enough for the overfitting test's stride-8 model


def _regions(i: int) -> list[SegmentRegion]:
    """A road on the left and a walk square painted over it (listed first, but with the higher z)."""
    x = 4 + i % 5
    walk = np.array([[x, 6], [x + 9, 6], [x + 9, 15], [x, 15]], dtype=np.float32)
    road = np.array([[0, 0], [18, 0], [18, HEIGHT], [0, HEIGHT]], dtype=np.float32)
    return [
        SegmentRegion("walk", [walk], z_order=2, label="walk"),
        SegmentRegion("road", [road], z_order=1, label="road"),
    ]


def _painted(sample: SegmentationSample) -> np.ndarray:
    shapes = [(CLASSES.index(r.class_name), r.parts) for r in sample.painting_order()]
    return paint_polygons((sample.height, sample.width), shapes)


def _write_dataset(root: Path, n: int, groups: int) -> list[SegmentationSample]:
    rng = np.random.default_rng(0)
    palette = [tuple(COLOURS[c]) for c in CLASSES]
    samples = []
    for i in range(n):
        sample = SegmentationSample(
            root / f"img_{i:02d}.png",
            WIDTH,
            HEIGHT,
            regions=_regions(i),
            mask_path=root / f"img_{i:02d}_mask.png",
            image_id=i,
            group=f"walk_{i % groups}",
            meta={"mask_agreement": 1.0 - i / 100},
        )
        index = _painted(sample)
        noise = rng.integers(-12, 13, size=(HEIGHT, WIDTH, 3))
        Image.fromarray(np.clip(LOOKS[index] + noise, 0, 255).astype(np.uint8)).save(sample.image_path)
        Image.fromarray(colour_mask(index, palette)).save(sample.mask_path)
        samples.append(sample)
    return samples


@pytest.fixture()
def samples(tmp_path: Path) -> list[SegmentationSample]:
    return _write_dataset(tmp_path, n=12, groups=6)


def _datamodule(root: Path, samples: list[SegmentationSample], **kwargs: Any) -> SegmentationDataModule:
    def reader(root: Path, policy: ErrorPolicy) -> list[SegmentationSample]:
        return list(samples)

    options: dict[str, Any] = {
        "class_names": CLASSES,
        "root": str(root),
        "mask_colours": COLOURS,
        "input_size": INPUT,
        "batch_size": 2,
        "eval_batch_size": 3,
        "num_workers": 0,
        "split": {"val_fraction": 1 / 6, "test_fraction": 1 / 6, "seed": 0},
    }
    options.update(kwargs)
    dm = SegmentationDataModule(reader, **options)
    dm.setup()
    return dm


def _report(dm: SegmentationDataModule, run_dir: Path) -> dict[str, Any]:
    run_dir.mkdir(exist_ok=True)
    dm.write_artifacts(run_dir)
    return json.loads((run_dir / "data_report.json").read_text())


# -- masks and batches -------------------------------------------------------------------------
def test_polygons_are_painted_in_z_order_and_served_at_the_input_size(
    tmp_path: Path, samples: list[SegmentationSample]
) -> None:
    dm = _datamodule(tmp_path, samples)
    batch = next(iter(dm.test_dataloader()))
    first = dm.splits["test"][0]
    full = batch["mask_full"][0]
    assert np.array_equal(full, _painted(first))
    walk_left = int(first.image_id % 5 + 4)  # the walk square (z 2) lies over the road (z 1)
    assert full[10, walk_left + 1] == CLASSES.index("walk") and full[10, 1] == CLASSES.index("road")
    assert batch["image"].shape == (2, 3, *INPUT) and batch["image"].dtype == torch.float32
    assert batch["mask"].shape == (2, *INPUT) and batch["mask"].dtype == torch.int64
    nearest = np.asarray(Image.fromarray(full).resize(INPUT[::-1], Image.Resampling.NEAREST))
    assert (batch["mask"][0].numpy() == nearest).mean() > 0.9  # same classes, nearest-neighbour resized
    assert set(batch["mask"].unique().tolist()) <= {0, 1, 2}
    assert batch["image_path"][0] == str(first.image_path) and batch["image_id"].tolist()[0] == first.image_id
    assert abs(float(batch["image"].mean())) < 2  # ImageNet-normalised, not 0-255
    assert "mask_full" not in next(iter(dm.train_dataloader()))


def test_colour_masks_decode_to_the_painted_classes(
    tmp_path: Path, samples: list[SegmentationSample]
) -> None:
    dm = _datamodule(tmp_path, samples, target="mask")
    item = dm.dataset("val")[0]
    assert np.array_equal(item["mask_full"], _painted(dm.splits["val"][0]))
    report = _report(dm, tmp_path / "run")
    assert "mask_unknown_colour_pixels" not in report["stats"] and "mask_unknown_colours" not in report


def test_unknown_colours_are_ignored_and_counted(tmp_path: Path, samples: list[SegmentationSample]) -> None:
    rgb = np.asarray(Image.open(samples[3].mask_path)).copy()
    rgb[:2, :5] = (12, 34, 56)
    Image.fromarray(rgb).save(samples[3].mask_path)
    dm = _datamodule(tmp_path, samples, target="mask")
    mask, unknown = dm.masks(samples[3])
    assert unknown == {(12, 34, 56): 10} and (mask[:2, :5] == IGNORE_INDEX).all()
    assert (mask != IGNORE_INDEX).sum() == HEIGHT * WIDTH - 10
    report = _report(dm, tmp_path / "run")
    assert report["stats"]["mask_unknown_colour_pixels"] == 10
    assert report["stats"]["masks_with_unknown_colours"] == 1
    assert report["mask_unknown_colours"] == {"12,34,56": 10}
    assert report["skipped_total"] == 0 and sum(report["split_sizes"].values()) == 12


def test_a_mask_of_another_size_than_its_image_is_named(
    tmp_path: Path, samples: list[SegmentationSample]
) -> None:
    Image.new("RGB", (WIDTH + 2, HEIGHT)).save(samples[5].mask_path)
    with pytest.raises(
        BadInputError, match=f"mask is {WIDTH + 2}x{HEIGHT} but its image img_05.png is {WIDTH}x{HEIGHT}"
    ) as err:
        _datamodule(tmp_path, samples, target="mask")
    assert err.value.kind == "mask_size_mismatch" and err.value.path == str(samples[5].mask_path)


def test_an_unknown_region_class_raises_or_is_skipped_and_counted(
    tmp_path: Path, samples: list[SegmentationSample]
) -> None:
    assert samples[7].regions is not None
    samples[7].regions.append(SegmentRegion("kerb", [np.array([[0, 0], [3, 0], [3, 3]])], label="kerb"))
    with pytest.raises(BadInputError, match="region class 'kerb'") as err:
        _datamodule(tmp_path, samples)
    assert err.value.kind == "unknown_class" and err.value.path == str(samples[7].image_path)
    dm = _datamodule(tmp_path, samples, on_error="skip")
    kept = [s for split in dm.splits.values() for s in split]
    assert len(kept) == 11 and samples[7] not in kept
    report = _report(dm, tmp_path / "run")
    assert report["skipped_by_kind"] == {"unknown_class": 1}
    assert report["examples"][0]["path"] == str(samples[7].image_path)


def test_a_missing_mask_file_is_counted_under_skip(tmp_path: Path, samples: list[SegmentationSample]) -> None:
    assert samples[2].mask_path is not None
    samples[2].mask_path.unlink()
    dm = _datamodule(tmp_path, samples, target="mask", on_error="skip")
    assert dm.policy.counts == {"missing_mask": 1}
    assert sum(len(v) for v in dm.splits.values()) == 11


def test_groups_never_cross_a_split_and_a_leaky_split_is_refused(
    tmp_path: Path, samples: list[SegmentationSample], monkeypatch: pytest.MonkeyPatch
) -> None:
    dm = _datamodule(tmp_path, samples)
    sides: dict[str, set[str]] = {}
    for split, members in dm.splits.items():
        for s in members:
            sides.setdefault(s.group, set()).add(split)
    assert len(sides) == 6 and all(len(v) == 1 for v in sides.values())
    assert {k: len(v) for k, v in dm.splits.items()} == {"train": 8, "val": 2, "test": 2}

    def by_image(groups: list, strata: list, *args: Any) -> list[str]:  # the bug guarded against
        return [("train", "val", "test", "train")[i % 4] for i in range(len(groups))]

    monkeypatch.setattr(seg_data, "stratified_group_split", by_image)
    with pytest.raises(LeakageError):
        _datamodule(tmp_path, samples)


def test_the_stratum_is_the_majority_non_background_class(
    tmp_path: Path, samples: list[SegmentationSample], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list] = []
    real = seg_data.stratified_group_split

    def recording(groups: list, strata: list, *args: Any) -> list[str]:
        seen.append(list(strata))
        return real(groups, strata, *args)

    monkeypatch.setattr(seg_data, "stratified_group_split", recording)
    samples[0].regions = [r for r in samples[0].regions or [] if r.class_name == "walk"]
    samples[1].regions = []
    _datamodule(tmp_path, samples)
    assert seen[0][:3] == [("walk",), ("background",), ("road",)]


def test_hflip_moves_image_and_mask_together(tmp_path: Path, samples: list[SegmentationSample]) -> None:
    plain = _datamodule(tmp_path, samples).dataset("train")[0]
    flipped = _datamodule(tmp_path, samples, augment={"hflip": 1.0}).dataset("train")[0]
    assert torch.equal(flipped["mask"], plain["mask"].flip(-1))
    assert torch.allclose(flipped["image"], plain["image"].flip(-1))


def test_palette_uses_the_mask_colours_and_generates_distinct_others(
    tmp_path: Path, samples: list[SegmentationSample]
) -> None:
    dm = _datamodule(tmp_path, samples, mask_colours={"walk": [0, 0, 255]})
    kwargs = dm.model_kwargs()
    assert kwargs["class_names"] == CLASSES
    assert kwargs["palette"][0] == [0, 0, 0] and kwargs["palette"][2] == [0, 0, 255]
    many = class_palette([f"c{i}" for i in range(30)], {"c3": [0, 0, 0]})
    assert len({tuple(c) for c in many}) == 30 and many[3] == [0, 0, 0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "mask", "mask_colours": None}, "needs dataset.mask_colours"),
        ({"target": "mask", "mask_colours": {"road": [1, 2, 3], "walk": [1, 2, 3]}}, "one colour"),
        ({"mask_colours": {"kerb": [1, 2, 3]}}, r"not in dataset.class_names: \['kerb'\]"),
        ({"mask_colours": {"road": [1, 2]}}, r"must be \[r, g, b\]"),
        ({"target": "depth"}, "dataset.target must be one of"),
        ({"augment": {"rotate": 0.5}}, "not \\['rotate'\\]"),
        ({"split": {"strategy": "holdout"}}, "split.strategy must be 'random'"),
    ],
)
def test_bad_options_are_named(
    tmp_path: Path, samples: list[SegmentationSample], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _datamodule(tmp_path, samples, **kwargs)


def test_data_report_has_pixel_shares_and_the_mask_agreement(
    tmp_path: Path, samples: list[SegmentationSample]
) -> None:
    dm = _datamodule(tmp_path, samples)
    report = _report(dm, tmp_path / "run")
    for split in ("train", "val", "test"):
        assert sum(report["pixel_share"][split].values()) == pytest.approx(1, abs=1e-5)
    train = np.sum([np.bincount(_painted(s).ravel(), minlength=3) for s in dm.splits["train"]], axis=0)
    assert report["pixel_share"]["train"]["walk"] == pytest.approx(train[2] / train.sum(), abs=1e-6)
    agreement = report["mask_agreement"]
    assert agreement["count"] == 12 and agreement["min"] == pytest.approx(0.89)
    assert agreement["mean"] == pytest.approx(np.mean([1 - i / 100 for i in range(12)]))
    assert [w["image"] for w in agreement["worst"][:2]] == [
        str(samples[11].image_path),
        str(samples[10].image_path),
    ]
    assert len(agreement["worst"]) == 10
    splits = json.loads((tmp_path / "run" / "splits.json").read_text())
    assert sorted(splits["test"]) == sorted(str(s.image_path) for s in dm.splits["test"])


# -- model, task, evaluator ----------------------------------------------------------------------
def _task() -> SegmentationTask:
    def optimizer(params: Any) -> torch.optim.Optimizer:
        return torch.optim.Adam(params, lr=1e-2)

    def net(num_classes: int) -> torch.nn.Module:
        return build_deeplabv3(num_classes, backbone="small", output_stride=8, head_channels=16)

    return SegmentationTask(net=net, optimizer=optimizer, class_names=CLASSES, palette=list(COLOURS.values()))


@pytest.fixture()
def one_thread() -> Any:
    """Tiny tensors: thread hand-offs cost more than they save on a shared 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_the_task_overfits_two_images_and_its_evaluator_scores_what_the_metrics_score(
    tmp_path: Path, samples: list[SegmentationSample], one_thread: None
) -> None:
    torch.manual_seed(0)
    dm = _datamodule(tmp_path, samples)
    task = _task()
    assert task.family is SEGMENTATION
    batch = next(iter(dm.train_dataloader()))
    assert task.batch_units(batch) == 2
    optimizer = task.configure_optimizers()
    task.train()
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = task.training_loss(batch)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.4 * losses[0]

    run_dir = tmp_path / "run"
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(run_dir),
    )
    logged = trainer.test(task, datamodule=dm, verbose=False)[0]

    task.eval()
    matrix = np.zeros((3, 3), dtype=np.int64)
    predicted: dict[str, np.ndarray] = {}
    with torch.no_grad():
        for test_batch in dm.test_dataloader():
            sizes = [m.shape for m in test_batch["mask_full"]]
            for gt, pred, path in zip(
                test_batch["mask_full"],
                full_size_predictions(task(test_batch["image"]), sizes),
                test_batch["image_path"],
                strict=True,
            ):
                matrix += confusion_matrix(gt, pred, 3)
                predicted[Path(path).stem] = pred
    expected = segmentation_scores(matrix, CLASSES)
    assert {k: logged[f"test/{k}"] for k in expected} == pytest.approx(expected, abs=1e-6)
    assert logged["test/images"] == 2

    for stem, pred in predicted.items():
        written = read_palette_png(run_dir / "predictions_test" / f"{stem}.png")
        assert np.array_equal(written, pred)
    assert sorted(p.stem for p in (run_dir / "predictions_test").iterdir()) == sorted(predicted)
    with (run_dir / "confusion_matrix_test.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0][1:] == CLASSES and [[int(v) for v in r[1:]] for r in rows[1:]] == matrix.tolist()
    assert (run_dir / "segmentation_test.png").stat().st_size > 1000


def test_class_weights_weigh_the_cross_entropy_and_ignored_pixels_do_not_count() -> None:
    logits = torch.randn(1, 3, 4, 5, requires_grad=True)
    mask = torch.randint(0, 3, (1, 4, 5))
    mask[0, 0] = IGNORE_INDEX
    weighted = SegmentationTask(
        net=lambda num_classes: torch.nn.Identity(),
        optimizer=torch.optim.SGD,
        class_names=CLASSES,
        class_weights=[0.0, 1.0, 1.0],
    )
    kept = (mask != IGNORE_INDEX) & (mask != 0)
    per_pixel = torch.nn.functional.cross_entropy(logits, mask.clamp(max=2), reduction="none")
    assert weighted.pixel_loss(logits, mask).item() == pytest.approx(per_pixel[kept].mean().item(), rel=1e-5)
    nothing = weighted.pixel_loss(logits, torch.full_like(mask, IGNORE_INDEX))
    assert nothing.item() == 0.0 and nothing.requires_grad
    with pytest.raises(ValueError, match="2 values for 3 classes"):
        SegmentationTask(
            net=lambda num_classes: torch.nn.Identity(),
            optimizer=torch.optim.SGD,
            class_names=CLASSES,
            class_weights=[1.0, 1.0],
        )


def _evaluator_inputs() -> list[tuple[dict[str, Any], list[np.ndarray]]]:
    rng = np.random.default_rng(1)
    batches = []
    for b in range(3):
        gts = [rng.integers(0, 3, size=(5 + b, 7)).astype(np.uint8) for _ in range(2)]
        gts[0][0, :3] = IGNORE_INDEX
        preds = [np.where(rng.random(g.shape) < 0.7, g % 3, 1).astype(np.uint8) for g in gts]
        batches.append(({"mask_full": gts, "image_path": [f"/d/b{b}_{i}.png" for i in range(2)]}, preds))
    return batches


def test_two_ranks_give_the_single_process_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    def make() -> SegmentationEvaluator:
        return SegmentationEvaluator(CLASSES, list(COLOURS.values()), figure_images=0)

    inputs = _evaluator_inputs()
    single = make()
    for batch, preds in inputs:
        single.process(batch, preds)
    expected = single.evaluate()
    rank0, rank1 = make(), make()
    for i, (batch, preds) in enumerate(inputs):
        (rank0 if i % 2 == 0 else rank1).process(batch, preds)
    monkeypatch.setattr(distributed, "gather_lists", lambda items, interleave=False: items + rank1._items)
    assert rank0.evaluate() == pytest.approx(expected)
    assert expected["images"] == 6 and expected["mIoU"] > 0


def test_the_evaluator_refuses_a_palette_of_another_length() -> None:
    with pytest.raises(ValueError, match="2 palette colours for 3 classes"):
        SegmentationEvaluator(CLASSES, [[0, 0, 0], [1, 1, 1]])
