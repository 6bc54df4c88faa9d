"""Every config combination users are told about composes and builds; the task-family contract is
the only place that knows which task is which."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path

import hydra
import pytest
from omegaconf import DictConfig

import aihub_bench
import aihub_bench.tasks
from aihub_bench.fit import build_task
from aihub_bench.tasks.base import FamilyTask, TaskFamily, family_of_class
from tests.conftest import CONFIGS, compose_config

PACKAGE = Path(aihub_bench.__file__).resolve().parent
EXPERIMENTS = sorted(p.stem for p in (CONFIGS / "experiment").glob("*.yaml"))


def family_of_config(cfg: DictConfig) -> TaskFamily:
    return family_of_class(hydra.utils.get_class(cfg.model._target_))


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_with_smoke_builds_a_small_model(
    experiment: str, tmp_path: Path, synth_cache: Path
) -> None:
    """The task as a run builds it: sized by the datamodule (class names, skeleton, tokenizers) of
    the smoke twin, so no test keeps its own table of what each task's network needs."""
    cfg = compose_config([f"experiment={experiment}", "debug=smoke"], tmp_path / "run", synth_cache)
    assert cfg.model.net.backbone in ("small", "tiny") and cfg.trainer.max_epochs <= 3
    datamodule = hydra.utils.instantiate(cfg.dataset)
    datamodule.prepare_data()
    datamodule.setup()
    task = build_task(cfg, datamodule)
    assert isinstance(task, FamilyTask) and task.family is family_of_config(cfg)
    assert sum(p.numel() for p in task.parameters()) < 40e6  # the smallest backbones, not R50


def _classification_at_real_size(cfg: DictConfig) -> None:
    assert min(cfg.dataset.image_size) >= 384  # full-size inputs, not the twin's
    assert cfg.callbacks.model_checkpoint.monitor == "val/loss" and cfg.cv.folds in (5, 10)


def _translation_at_real_size(cfg: DictConfig) -> None:
    assert cfg.model.net.backbone == "base" and cfg.dataset.vocab.size == 32000
    assert cfg.callbacks.model_checkpoint.monitor == "val/bleu"


def _keypoints_at_real_size(cfg: DictConfig) -> None:
    assert list(cfg.dataset.input_size) == [256, 192] and cfg.model.net.backbone == "resnet50"  # [h, w]
    assert cfg.dataset.val_sample == 200000  # as the builders validated
    assert cfg.callbacks.model_checkpoint.monitor == "val/PCK@0.2"


def _detection_at_real_size(cfg: DictConfig) -> None:
    assert cfg.dataset.input_min_size == 800 and cfg.dataset.input_max_size == 1333
    assert cfg.callbacks.model_checkpoint.monitor == "val/bbox_mAP"


def _segmentation_at_real_size(cfg: DictConfig) -> None:
    assert list(cfg.dataset.input_size) == [540, 960] and cfg.model.net.backbone == "resnet50"  # [h, w]
    assert cfg.callbacks.model_checkpoint.monitor == "val/mIoU"


def _depth_at_real_size(cfg: DictConfig) -> None:
    assert list(cfg.dataset.input_size) == [288, 960] and cfg.dataset.band_rows == 592  # the release's band
    assert cfg.model.net.backbone == "resnet50" and cfg.callbacks.model_checkpoint.monitor == "val/abs_rel"


# what a real root switches to, per family name (a family without an entry gets the shared checks)
REAL_ROOT_CHECKS: dict[str, Callable[[DictConfig], None]] = {
    "classification": _classification_at_real_size,
    "translation": _translation_at_real_size,
    "keypoints": _keypoints_at_real_size,
    "detection": _detection_at_real_size,
    "segmentation": _segmentation_at_real_size,
    "depth": _depth_at_real_size,
}


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_composes_for_a_real_root(experiment: str, tmp_path: Path) -> None:
    cfg = compose_config([f"experiment={experiment}", "dataset.root=/data/real"], tmp_path / "run", tmp_path)
    assert cfg.dataset.root == "/data/real"
    assert str(cfg.callbacks.model_checkpoint.monitor).startswith("val/")
    family = family_of_config(cfg)
    REAL_ROOT_CHECKS.get(family.name, lambda cfg: None)(cfg)


# -- no module keeps a table of task class names -----------------------------------------------------
def task_classes() -> dict[str, str]:
    """``{class name: defining module}`` of every task class of aihub_bench (the tasks package imported)."""
    for info in pkgutil.iter_modules(aihub_bench.tasks.__path__, "aihub_bench.tasks."):
        importlib.import_module(info.name)
    found: dict[str, str] = {}
    todo = FamilyTask.__subclasses__()  # the base itself may be named: it is the contract
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("aihub_bench."):  # not the tests' own
            found[cls.__name__] = cls.__module__
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    nodes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, nodes)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def class_name_literals(source: str, names: set[str]) -> list[tuple[int, str]]:
    """(line, literal) of the string literals (docstrings aside) that name one of ``names``."""
    if not names:
        return []
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
    tree = ast.parse(source)
    skip = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and pattern.search(node.value)
    ]


def test_class_name_scanner_finds_a_table_and_ignores_docstrings() -> None:
    source = '''"""Reads DetectionTask runs."""
FAMILIES = {"DetectionTask": "detection", "x": "y"}


def family(name):
    """The family of a TranslationTask."""
    return name.endswith("PoseTask") or f"{name}" == "aihub_bench.tasks.detection.DetectionTask"
'''
    found = class_name_literals(source, {"DetectionTask", "PoseTask", "TranslationTask"})
    assert found == [(2, "DetectionTask"), (7, "PoseTask"), (7, "aihub_bench.tasks.detection.DetectionTask")]


def test_no_module_keeps_a_table_of_task_class_names() -> None:
    """bench, report, regress, cli, metrics ... read the task-family contract (tasks/base.py); only the
    module that defines a task class names it."""
    classes = task_classes()
    assert {"DetectionTask", "ClassificationTask", "HeatmapPoseTask", "KeypointRCNNTask"} <= set(classes)
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "configs":
            continue
        module = "aihub_bench." + ".".join(relative.with_suffix("").parts)
        names = {name for name, defined_in in classes.items() if defined_in != module}
        offenders += [
            f"{relative}:{line}: {text!r}" for line, text in class_name_literals(path.read_text(), names)
        ]
    assert not offenders, "task class names outside their modules:\n" + "\n".join(offenders)


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


def test_a_non_square_twin_sizes_the_model_input_by_height_and_width(tmp_path: Path) -> None:
    """``synthetic.image_size`` is [height, width]: the shorter side (height) is the min size."""
    cfg = compose_config(["dataset=korean_objects"], tmp_path / "run", tmp_path)
    assert list(cfg.dataset.synthetic.image_size) == [192, 256]
    assert (cfg.dataset.input_min_size, cfg.dataset.input_max_size) == (192, 256)


def test_one_experiment_holds_the_twin_and_the_real_schedule(tmp_path: Path) -> None:
    """``${if_synthetic:TWIN,REAL}`` reads ``dataset.root``; an override of the key itself still wins."""
    twin = compose_config(["experiment=xray_maskrcnn"], tmp_path / "a", tmp_path)
    real = compose_config(["experiment=xray_maskrcnn", "dataset.root=/data/xray"], tmp_path / "b", tmp_path)
    assert (twin.trainer.max_epochs, twin.model.net.backbone, twin.model.net.v2) == (8, "small", False)
    assert (real.trainer.max_epochs, real.model.net.backbone, real.model.net.v2) == (26, "resnet50", True)
    assert (twin.dataset.input_min_size, real.dataset.input_min_size) == (192, 800)  # dataset config too
    pinned = compose_config(
        ["experiment=xray_maskrcnn", "dataset.root=/data/xray", "trainer.max_epochs=3"],
        tmp_path / "c",
        tmp_path,
    )
    assert pinned.trainer.max_epochs == 3 and pinned.model.net.backbone == "resnet50"


def test_no_experiment_is_a_twin_only_copy() -> None:
    """Twin and real schedules share one file; near-copies inherit a base in experiment/base/, which is
    not an experiment itself and serves at least two."""
    assert not [e for e in EXPERIMENTS if "synthetic" in e], EXPERIMENTS
    texts = {e: (CONFIGS / "experiment" / f"{e}.yaml").read_text() for e in EXPERIMENTS}
    bases = sorted(p.stem for p in (CONFIGS / "experiment" / "base").glob("*.yaml"))
    assert "fundus_wide_10fold" in bases
    for base in bases:
        users = [e for e, text in texts.items() if f"- base/{base}\n" in text]
        assert len(users) >= 2, (base, users)
    assert {e for e, t in texts.items() if "- base/fundus_wide_10fold" in t} == {
        f"fundus_wide_{d}_10fold" for d in ("amd", "dmr", "rvo")
    }


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
