"""Keypoint datamodule on the human-motion twin: take-grouped splits, crops, targets, decoding."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

from aihub_bench.data.keypoints import KeypointDataModule
from aihub_bench.data.splits import LeakageError
from aihub_bench.datasets.human_motion import mpii16_skeleton, read_human_motion
from aihub_bench.datasets.registry import ensure_twin
from aihub_bench.tasks.keypoints import HeatmapPoseTask

TWIN = {"takes_per_scenario": 3, "cameras": 3, "frames_per_clip": 3, "image_size": (96, 128)}


@pytest.fixture(scope="module")
def twin_root(synth_cache: Path) -> Path:
    return ensure_twin("human_motion", synth_cache, **TWIN)


def _datamodule(root: Path, tmp_path: Path, **kwargs) -> KeypointDataModule:
    reader = partial(read_human_motion, frame_cache_dir=tmp_path / "frames")
    dm = KeypointDataModule(
        reader, mpii16_skeleton(), root=str(root), input_size=(96, 64), batch_size=4, **kwargs
    )
    dm.setup()
    return dm


def test_every_camera_view_of_a_take_stays_on_one_side(twin_root: Path, tmp_path: Path) -> None:
    dm = _datamodule(twin_root, tmp_path)
    sides: dict[str, set[str]] = {}
    for split, frames in dm.splits.items():
        for s in frames:
            sides.setdefault(s.group, set()).add(split)
    assert all(len(v) == 1 for v in sides.values())
    cameras = {s.meta["camera"] for s in dm.splits["test"]}
    assert cameras == {1, 2, 3}, "a test take should bring all its camera views"
    assert len(sides) == 4 * TWIN["takes_per_scenario"]
    assert {s.meta["action"] for s in dm.splits["train"]} == {1, 2, 3, 4}


def test_a_leaky_split_is_refused(twin_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import aihub_bench.data.keypoints as keypoints

    def by_image(groups, strata, *args):  # the bug the assertion guards against: split by frame
        return ["train", "val", "test"] * (len(groups) // 3) + ["train"] * (len(groups) % 3)

    monkeypatch.setattr(keypoints, "stratified_group_split", by_image)
    with pytest.raises(LeakageError):
        _datamodule(twin_root, tmp_path)


def test_val_sample_draws_a_seeded_subset_of_val_frames(twin_root: Path, tmp_path: Path) -> None:
    full = _datamodule(twin_root, tmp_path)
    a = _datamodule(twin_root, tmp_path, val_sample=5)
    b = _datamodule(twin_root, tmp_path, val_sample=5)
    assert len(a.splits["val"]) == 5 < len(full.splits["val"])
    assert [s.image_id for s in a.splits["val"]] == [s.image_id for s in b.splits["val"]]
    assert {s.image_id for s in a.splits["val"]} <= {s.image_id for s in full.splits["val"]}
    assert [s.image_id for s in a.splits["test"]] == [s.image_id for s in full.splits["test"]]


def test_visible_only_supervises_flag_two_joints_only(twin_root: Path, tmp_path: Path) -> None:
    every = _datamodule(twin_root, tmp_path).dataset("train")
    visible = _datamodule(twin_root, tmp_path, visible_only=True).dataset("train")
    occluded_seen = False
    for i in range(len(every)):
        a, b = every[i], visible[i]
        flags = a["keypoints"][:, 2]
        assert torch.all(b["weight"][flags != 2] == 0)
        assert torch.all(a["weight"][flags == 0] == 0)
        occluded_seen |= bool(((flags == 1) & (a["weight"] > 0)).any())
    assert occluded_seen, "flag-1 joints are supervised by default"


def test_topdown_items_have_the_model_shapes(twin_root: Path, tmp_path: Path) -> None:
    dm = _datamodule(
        twin_root, tmp_path, augment={"hflip": 0.5, "scale": 0.2, "rotation": 20, "rotation_p": 0.5}
    )
    batch = next(iter(dm.train_dataloader()))
    assert batch["image"].shape == (4, 3, 96, 64)  # input_size is [height, width]
    assert batch["heatmap"].shape == (4, 16, 24, 16) and batch["weight"].shape == (4, 16)
    assert batch["inverse"].shape == (4, 2, 3) and batch["keypoints"].shape == (4, 16, 3)


def test_image_mode_serves_whole_frames_for_keypoint_rcnn(twin_root: Path, tmp_path: Path) -> None:
    dm = _datamodule(twin_root, tmp_path, mode="image")
    images, targets = next(iter(dm.val_dataloader()))
    sample = dm.splits["val"][0]
    assert images[0].shape == (3, sample.height, sample.width)
    assert targets[0]["keypoints"].shape == (len(sample.boxes), 16, 3)
    assert set(targets[0]["keypoints"][..., 2].unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(targets[0]["keypoints_gt"], torch.from_numpy(sample.keypoints))


class Oracle(torch.nn.Module):
    """A model that returns each batch's target heatmaps."""

    def __init__(self, batches: list[dict]) -> None:
        super().__init__()
        self.targets = {id(b["image"]): b["heatmap"] for b in batches}

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.targets[id(images)]


def test_perfect_heatmaps_decode_to_the_ground_truth_in_frame_coordinates(
    twin_root: Path, tmp_path: Path
) -> None:
    """The whole chain (crop, encode, decode, flip test, inverse affine) loses under a pixel."""
    dm = _datamodule(twin_root, tmp_path)
    skeleton = mpii16_skeleton()
    batches = list(dm.test_dataloader())
    task = HeatmapPoseTask(
        net=lambda num_joints: Oracle(batches),
        optimizer=partial(torch.optim.AdamW),
        flip_test=False,
        **skeleton.as_kwargs(),
    )
    task.log = lambda *args, **kwargs: None
    for batch in batches:
        task._evaluate(batch, "test")
    rows = task.evaluator.rows
    gt = np.stack([r[0] for r in rows])
    pred = np.stack([r[1] for r in rows])
    labelled = (gt[..., 2] > 0) & (pred[..., 2] > 0.5)  # joints with a target peak in the crop
    offset = (pred[..., :2] - gt[..., :2])[labelled]
    error = np.linalg.norm(offset, axis=-1)
    assert np.abs(offset.mean(axis=0)).max() < 0.25, f"systematic offset {offset.mean(axis=0)} px"
    # heatmaps are 1/4 of the crop: the quarter-pixel refinement leaves up to ~1 frame px per axis
    assert labelled.sum() > 100 and error.max() < 2.5 and error.mean() < 0.9, (error.mean(), error.max())
    metrics = task.evaluator.evaluate()
    assert metrics["PCK@0.2"] > 0.95 and metrics["OKS_AP50"] > 0.9


def test_a_frame_whose_size_disagrees_with_its_annotation_names_the_file(
    twin_root: Path, tmp_path: Path
) -> None:
    from aihub_bench.errors import BadInputError

    dm = _datamodule(twin_root, tmp_path)
    sample = dm.splits["train"][0]
    sample.width += 10
    with pytest.raises(BadInputError, match=sample.image_path.name):
        dm.dataset("train")[0]


def test_visible_only_still_evaluates_people_with_only_occluded_joints(
    twin_root: Path, tmp_path: Path
) -> None:
    dm = _datamodule(twin_root, tmp_path, visible_only=True)
    dm.instances = {}
    person = dm.splits["test"][0].keypoints[0]
    person[:, 2] = np.where(person[:, 2] > 0, 1, 0)  # every labelled joint occluded
    assert (dm.splits["test"][0], 0) in dm._instances("test", dm.splits["test"][:1])
    assert dm._instances("train", dm.splits["test"][:1]) == []
    assert dm.policy.stats["train_people_without_usable_joints"] == 1
