"""Every config combination users are told about composes and builds."""

from __future__ import annotations

from pathlib import Path

import hydra
import pytest

from tests.conftest import compose_config

CONFIGS = Path(__file__).resolve().parents[1] / "aihub_bench" / "configs"
EXPERIMENTS = sorted(p.stem for p in (CONFIGS / "experiment").glob("*.yaml"))


def _is_classification(cfg) -> bool:
    return cfg.model._target_.endswith("ClassificationTask")


def _is_keypoints(cfg) -> bool:
    return cfg.model._target_.startswith("aihub_bench.tasks.keypoints.")


# what each task family sizes its network by (the datamodule supplies it at run time)
NET_KWARGS = {
    "ClassificationTask": {},
    "DetectionTask": {"num_classes": 3},
    "HeatmapPoseTask": {"num_joints": 16},
    "KeypointRCNNTask": {"num_classes": 1, "num_keypoints": 16},
    "TranslationTask": {
        "source_vocab_size": 400,
        "target_vocab_size": 400,
        "pad_id": 0,
        "bos_id": 1,
        "eos_id": 2,
        "joint_vocab": True,
    },
}


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_with_smoke_builds_a_small_model(experiment: str, tmp_path: Path) -> None:
    cfg = compose_config([f"experiment={experiment}", "debug=smoke"], tmp_path / "run", tmp_path)
    assert cfg.model.net.backbone in ("small", "tiny") and cfg.trainer.max_epochs <= 3
    factory = hydra.utils.instantiate(cfg.model.net)
    net = factory(**NET_KWARGS[cfg.model._target_.rsplit(".", 1)[-1]])
    assert sum(p.numel() for p in net.parameters()) < 40e6  # the smallest backbones, not R50


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_composes_for_a_real_root(experiment: str, tmp_path: Path) -> None:
    cfg = compose_config([f"experiment={experiment}", "dataset.root=/data/real"], tmp_path / "run", tmp_path)
    if _is_classification(cfg):
        assert min(cfg.dataset.image_size) >= 384  # full-size inputs, not the twin's
        assert cfg.callbacks.model_checkpoint.monitor == "val/loss" and cfg.cv.folds in (5, 10)
    elif cfg.model._target_.endswith("TranslationTask"):
        assert cfg.model.net.backbone == "base" and cfg.dataset.vocab.size == 32000
        assert cfg.callbacks.model_checkpoint.monitor == "val/bleu"
    elif _is_keypoints(cfg):
        assert list(cfg.dataset.input_size) == [192, 256] and cfg.model.net.backbone == "resnet50"
        assert cfg.dataset.val_sample == 200000  # as the builders validated
        assert cfg.callbacks.model_checkpoint.monitor == "val/PCK@0.2"
    else:
        assert cfg.dataset.input_min_size == 800 and cfg.dataset.input_max_size == 1333
        assert cfg.callbacks.model_checkpoint.monitor == "val/bbox_mAP"


@pytest.mark.parametrize(
    ("experiment", "folds", "task"),
    [
        ("mammography_5fold", 5, None),
        ("fundus_general_10fold", 10, "general_glaucoma"),
        ("fundus_wide_amd_10fold", 10, "wide_amd"),
        ("fundus_wide_dmr_10fold", 10, "wide_dmr"),
        ("fundus_wide_rvo_10fold", 10, "wide_rvo"),
    ],
)
def test_cross_validation_experiments_pick_their_folds_and_task(
    experiment: str, folds: int, task: str | None, tmp_path: Path
) -> None:
    cfg = compose_config([f"experiment={experiment}"], tmp_path / "run", tmp_path)
    assert cfg.cv.folds == folds and cfg.optimized_metric == "cv/auc_mean"
    if task:
        assert cfg.dataset.reader.task == task and cfg.dataset.name == f"fundus_{task}"


def test_compressed_mammography_differs_only_by_jpeg_quality(tmp_path: Path) -> None:
    plain = compose_config(["experiment=mammography_5fold"], tmp_path / "a", tmp_path)
    compressed = compose_config(["experiment=mammography_5fold_compressed"], tmp_path / "b", tmp_path)
    assert plain.dataset.jpeg_quality is None and 1 <= compressed.dataset.jpeg_quality <= 100
    for key in ("reader", "synthetic", "split", "image_size"):
        assert plain.dataset[key] == compressed.dataset[key]
    assert plain.cv == compressed.cv and plain.model == compressed.model


def test_synthetic_default_sizes_the_model_input_to_the_twin(tmp_path: Path) -> None:
    cfg = compose_config([], tmp_path / "run", tmp_path)
    assert cfg.dataset.input_min_size == cfg.dataset.synthetic.image_size == 320


@pytest.mark.parametrize(("model", "mode"), [("simplebaseline", "topdown"), ("keypointrcnn", "image")])
def test_human_motion_models_pick_their_data_mode(model: str, mode: str, tmp_path: Path) -> None:
    cfg = compose_config(
        ["dataset=human_motion", f"model={model}", "debug=smoke"], tmp_path / "run", tmp_path
    )
    assert cfg.dataset.mode == cfg.model.data_mode == mode
    task_cls = hydra.utils.get_class(cfg.model._target_)
    other = "image" if mode == "topdown" else "topdown"
    with pytest.raises(ValueError, match=f"needs data_mode='{mode}'"):
        task_cls(
            net=None, optimizer=None, joint_names=["a"], flip_pairs=[], oks_sigmas=[0.1], data_mode=other
        )


@pytest.mark.parametrize("trainer", ["default", "cpu", "gpu", "ddp"])
def test_trainer_groups_compose(trainer: str, tmp_path: Path) -> None:
    cfg = compose_config([f"trainer={trainer}"], tmp_path / "run", tmp_path)
    assert cfg.trainer._target_ == "pytorch_lightning.Trainer"
    if trainer in ("gpu", "ddp"):
        assert cfg.trainer.precision == "bf16-mixed"


def test_oks_sigmas_are_set_on_the_dataset_skeleton(tmp_path: Path) -> None:
    sigmas = ",".join(["0.05"] * 16)
    cfg = compose_config(
        ["dataset=human_motion", "model=simplebaseline", f"dataset.skeleton.oks_sigmas=[{sigmas}]"],
        tmp_path / "run",
        tmp_path,
    )
    datamodule = hydra.utils.instantiate(cfg.dataset)
    assert datamodule.model_kwargs()["oks_sigmas"] == [0.05] * 16
    assert datamodule.model_kwargs()["joint_names"][9] == "head_top"


def test_domain_finetune_starts_from_the_base_checkpoint_and_its_vocabulary(tmp_path: Path) -> None:
    cfg = compose_config(
        [
            "experiment=nmt_domain_finetune",
            "finetune.base_ckpt=/runs/news/best.ckpt",
            "dataset.domain=한국문화",
        ],
        tmp_path / "run",
        tmp_path,
    )
    assert cfg.init_from == cfg.dataset.tokenizers_from == "/runs/news/best.ckpt"
    assert cfg.test_before is True and cfg.dataset.domain == "한국문화"
