"""``aihub-bench bench``: training throughput, data-loader throughput, peak memory and the framework's
overhead against a plain PyTorch loop doing the same computation.

    aihub-bench bench dataset=xray_voc model=fasterrcnn model.net.backbone=small --steps 20

What is measured (one JSON file and one Markdown table line per run):

* **loader**: the train loader alone (read, decode, augment, collate) for ``--loader-batches``
  batches after 2 warm-up batches, at each ``--workers`` value;
* **lightning**: ``trainer.fit`` of the task through the configured trainer, with validation,
  checkpointing and the progress bar off (the task's own ``training_step`` with its ``self.log``
  calls, the configured logger and the other callbacks stay: that is what a real run pays);
* **plain**: the same model (built with the same seed: identical initial weights), the same
  loader, optimiser, schedule, gradient clipping and precision, as a hand-written PyTorch loop
  whose loss is the task's own ``training_loss(batch)`` (the one ``training_step`` calls);
* **ratio** = lightning / plain throughput, each the median of ``--repeats`` rounds of one run
  of each loop (the first round runs plain first, the next lightning first, and so on), target
  ``>= 0.95``; and the **peak memory** of each phase.

Both loops are timed the same way: the clock starts when the last warm-up step ends and stops when
the last timed step ends, so data loading, device moves, logging and everything else between two
steps counts (on CUDA the device is synchronised at both ends of every step). Both loops seed the
global RNGs right before their first batch is drawn, so they shuffle alike; with ``num_workers=0``,
no augmentation and ``trainer.deterministic=true`` they compute step for step the same losses
(``tests/test_benchmark.py`` checks it). With augmentation on, the flips differ from run to run
(albumentations draws from a generator of its own, not seeded by the global seed); they cost the
same either way.

On a shared CPU machine, ``--threads 1`` avoids oversubscribed threads, which can make every step
several times slower and the comparison noisy.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import json
import logging
import math
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from aihub_bench.data.base import SplitDataModule
from aihub_bench.extras import check_config
from aihub_bench.fit import build
from aihub_bench.fit import build_task as build_configured_task
from aihub_bench.tasks.base import FamilyTask, TaskFamily, family_of_class

log = logging.getLogger(__name__)

TARGET_RATIO = 0.95
LOADER_WARMUP_BATCHES = 2
PRECISIONS = ("32-true", "bf16-mixed")
_PRECISION_ALIASES = {"32": "32-true", "bf16": "bf16-mixed"}
# trainer callbacks the benchmark drops (checkpointing and the progress bar are off)
_DROPPED_CALLBACKS = ("ModelCheckpoint", "ProgressBar")


# -- the task's family: its training loss and what a batch counts (tasks/base.py) --------------------
UnitCounter = Callable[[Any], int | torch.Tensor]  # a task's batch_units


class UnsupportedTaskError(TypeError, ValueError):
    """The task declares no family, or its family has no ``training_loss`` (see tasks/base.py)."""


def family_of_task_class(task_class: type) -> TaskFamily:
    """The family of a task class that the plain loop can train, or :class:`UnsupportedTaskError`."""
    try:
        family = family_of_class(task_class)
    except TypeError as err:
        raise UnsupportedTaskError(f"aihub-bench bench cannot train {task_class.__name__}: {err}") from None
    if not issubclass(task_class, FamilyTask) or task_class.training_loss is FamilyTask.training_loss:
        raise UnsupportedTaskError(
            f"aihub-bench bench cannot train {task_class.__name__}: it is no FamilyTask with its own "
            "training_loss(batch) (see aihub_bench/tasks/base.py)"
        )
    return family


def task_family(task: pl.LightningModule) -> TaskFamily:
    """The family of ``task`` (see :func:`family_of_task_class`)."""
    return family_of_task_class(type(task))


def as_family_task(task: pl.LightningModule) -> FamilyTask:
    """``task``, checked to be one the plain loop can train (:class:`UnsupportedTaskError` if not)."""
    task_family(task)
    assert isinstance(task, FamilyTask)  # checked by task_family; narrows the type
    return task


# -- setup ------------------------------------------------------------------------------------------
@dataclass
class BenchOptions:
    """The benchmark's own knobs (the model and data come from the Hydra overrides)."""

    overrides: list[str] = field(default_factory=list)
    steps: int | None = None  # timed steps (default: 5 on CPU, 50 on CUDA)
    warmup: int | None = None  # untimed steps first (default: 2 on CPU, 10 on CUDA)
    repeats: int = 3
    loader_batches: int | None = None  # default: 10 on CPU, 50 on CUDA
    workers: list[int] = field(default_factory=lambda: [0, 1, 2])
    precision: str | None = None  # None: the trainer config's
    channels_last: bool = False
    compile: bool = False
    out: Path | None = None
    seed: int | None = None  # None: the config's seed
    threads: int | None = None  # torch intra-op threads for both loops (None: torch's default)


@dataclass
class BenchSetup:
    """A composed config, its group choices and the datamodule (read and split once for all phases)."""

    cfg: DictConfig
    choices: dict[str, Any]
    datamodule: SplitDataModule
    run_root: Path


def build_from_overrides(overrides: Sequence[str], run_root: Path) -> BenchSetup:
    """Compose ``train.yaml`` with ``overrides`` (as ``aihub-bench train`` would) and set up the data.

    Lightning's run directories (CSV logs) go under ``run_root``; relative paths resolve from the
    current directory, as under ``@hydra.main`` (``paths.root_dir``).
    """
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig

    from aihub_bench.overrides import quote_non_ascii

    run_root = Path(run_root).resolve()
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="aihub_bench.configs", version_base="1.3"):
        cfg = compose(
            config_name="train",
            overrides=quote_non_ascii([*overrides, f"hydra.run.dir={run_root}"]),
            return_hydra_config=True,
        )
    HydraConfig.instance().set_config(cfg)
    choices = OmegaConf.to_container(cfg.hydra.runtime.choices)
    raw_paths = OmegaConf.to_container(cfg.paths, resolve=False)
    assert isinstance(choices, dict) and isinstance(raw_paths, dict)
    with open_dict(cfg):
        if str(raw_paths.get("root_dir", "")).startswith("${hydra:"):
            cfg.paths.root_dir = os.getcwd()  # what ${hydra:runtime.cwd} is under @hydra.main
        cfg.paths.output_dir = str(run_root)
        del cfg["hydra"]  # as under @hydra.main, the job config does not carry the hydra node
    _check_single_device(cfg)
    check_config(cfg)
    datamodule = hydra.utils.instantiate(cfg.dataset)
    datamodule.prepare_data()
    datamodule.setup()
    return BenchSetup(cfg, {str(k): v for k, v in choices.items()}, datamodule, run_root)


def _check_single_device(cfg: DictConfig) -> None:
    trainer = cfg.trainer
    strategy = str(trainer.get("strategy") or "auto")
    devices = trainer.get("devices", 1)
    if "ddp" in strategy or devices not in (1, "1", "auto") or int(trainer.get("num_nodes") or 1) != 1:
        raise ValueError(
            f"aihub-bench bench measures one device; the trainer config has strategy={strategy}, "
            f"devices={devices} (use trainer=default or trainer=gpu)"
        )
    if int(trainer.get("accumulate_grad_batches") or 1) != 1:
        raise ValueError("aihub-bench bench compares one optimiser step per batch: accumulate_grad_batches=1")


def resolve_precision(cfg: DictConfig, override: str | None) -> str:
    """``--precision`` or the trainer config's, as one of :data:`PRECISIONS`."""
    value = str(override or cfg.trainer.get("precision") or "32-true")
    value = _PRECISION_ALIASES.get(value, value)
    if value not in PRECISIONS:
        raise ValueError(f"aihub-bench bench supports precision {' or '.join(PRECISIONS)}, got {value!r}")
    return value


def resolve_device(cfg: DictConfig) -> torch.device:
    """The device Lightning picks for ``trainer.accelerator`` (cpu, gpu/cuda, or auto)."""
    accelerator = str(cfg.trainer.get("accelerator") or "auto")
    if accelerator == "cpu":
        return torch.device("cpu")
    if accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ValueError(f"trainer.accelerator={accelerator}, but CUDA is not available")
        return torch.device("cuda", 0)
    if accelerator == "auto":
        return torch.device("cpu")
    raise ValueError(f"aihub-bench bench runs on cpu or cuda, not trainer.accelerator={accelerator}")


def seed_all(seed: int) -> None:
    """``random``, NumPy and torch (all devices), as ``pl.seed_everything`` (also sets PL_GLOBAL_SEED)."""
    pl.seed_everything(seed, workers=False, verbose=False)


def apply_torch_flags(cfg: DictConfig) -> None:
    """What Lightning's Trainer sets globally from ``deterministic`` and ``benchmark`` (its
    ``_set_torch_flags``), so the plain loop runs under the same kernels."""
    deterministic = cfg.trainer.get("deterministic")
    benchmark = cfg.trainer.get("benchmark")
    if deterministic and benchmark is None:
        benchmark = False
    if benchmark is not None:
        torch.backends.cudnn.benchmark = bool(benchmark)
    if deterministic == "warn":
        torch.use_deterministic_algorithms(True, warn_only=True)
    elif isinstance(deterministic, bool):
        torch.use_deterministic_algorithms(deterministic)
    if deterministic:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"


def prepare_model(task: pl.LightningModule, channels_last: bool, compile_backbone: bool) -> str | None:
    """``--channels-last`` and ``--compile`` on a task's net; returns what was compiled (or ``None``)."""
    if channels_last:
        task.to(memory_format=torch.channels_last)
    if not compile_backbone:
        return None
    net = getattr(task, "net", None)
    backbone = getattr(net, "backbone", None)
    if net is None or not isinstance(backbone, torch.nn.Module):
        log.warning("--compile: %s has no net.backbone; nothing compiled", type(task).__name__)
        return None
    net.backbone = torch.compile(backbone)
    return "net.backbone"


def build_task(setup: BenchSetup, seed: int) -> FamilyTask:
    """A fresh task as ``fit.build`` makes it, its weights drawn right after seeding."""
    seed_all(seed)
    return as_family_task(build_configured_task(setup.cfg, setup.datamodule))


def to_device(batch: Any, device: torch.device, channels_last: bool = False) -> Any:
    """Tensors of a (nested) batch on ``device``; 4-d ones in channels_last when asked."""
    if isinstance(batch, torch.Tensor):
        tensor = batch.to(device, non_blocking=device.type == "cuda")
        if channels_last and tensor.dim() == 4:
            tensor = tensor.contiguous(memory_format=torch.channels_last)
        return tensor
    if isinstance(batch, dict):
        return {k: to_device(v, device, channels_last) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device, channels_last) for v in batch)
    return batch


def _detach_datamodule(datamodule: SplitDataModule) -> None:
    """Forget the last Lightning run's trainer (its loaders would start at that trainer's epoch)."""
    with contextlib.suppress(AttributeError):
        datamodule.trainer = None


# -- timing -----------------------------------------------------------------------------------------
class StepClock:
    """Wall-clock timing shared by both loops: call :meth:`start` / :meth:`end` around every step.

    The timed window runs from the end of the last warm-up step to the end of the last step, so it
    holds ``steps`` of everything that happens per step, data loading included. ``in_step_s`` is the
    time inside the steps only (start to end), for reference.
    """

    def __init__(self, warmup: int, steps: int, units: UnitCounter, device: torch.device) -> None:
        self.warmup, self.steps, self.count_units, self.device = warmup, steps, units, device
        self.done = 0
        self.t0: float | None = None
        self.t1: float | None = None
        self._started = 0.0
        self.in_step_s = 0.0
        self.units: list[int | torch.Tensor] = []
        self.losses: list[torch.Tensor] = []

    def _now(self) -> float:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return time.perf_counter()

    def start(self) -> None:
        self._started = self._now()
        if self.done == 0 and self.warmup == 0:
            self.t0 = self._started

    def end(self, loss: torch.Tensor, batch: Any) -> None:
        now = self._now()
        self.done += 1
        self.losses.append(loss.detach())
        if self.done > self.warmup:
            self.in_step_s += now - self._started
            self.units.append(self.count_units(batch))
        if self.done == self.warmup:
            self.t0 = now
        if self.done == self.warmup + self.steps:
            self.t1 = now

    def result(self) -> dict[str, Any]:
        if self.t0 is None or self.t1 is None:
            raise RuntimeError(f"only {self.done} of {self.warmup + self.steps} steps ran")
        seconds = self.t1 - self.t0
        units = int(sum(int(u) for u in self.units))
        return {
            "units_per_s": units / seconds,
            "seconds": seconds,
            "units": units,
            "steps": self.steps,
            "in_step_seconds": self.in_step_s,
            "losses": [float(v) for v in self.losses],
        }


class _LightningClock(pl.Callback):
    """Times ``trainer.fit`` with a :class:`StepClock`; seeds the RNGs before the loader is drawn from."""

    def __init__(self, clock: StepClock, seed: int) -> None:
        self.clock, self.seed = clock, seed
        self.estimated_stepping_batches: float | None = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        seed_all(self.seed)  # the fit loop creates and iterates the train loader after this hook
        self.estimated_stepping_batches = trainer.estimated_stepping_batches

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, i: int
    ) -> None:
        self.clock.start()

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, i: int
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        self.clock.end(loss, batch)


# -- phases -----------------------------------------------------------------------------------------
def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_mib(device: torch.device) -> float:
    """CUDA: the peak allocated since the last reset. CPU: this process's peak RSS so far (not per
    phase; loader worker processes are not counted)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _batches(loader: Any, per_epoch: int | float = math.inf) -> Generator[Any, None, None]:
    """Batches of ``loader``, epoch after epoch, at most ``per_epoch`` from each epoch."""
    while True:
        for i, batch in enumerate(loader):
            if i >= per_epoch:
                break
            yield batch


def loader_throughput(
    setup: BenchSetup, workers: int, batches: int, seed: int, device: torch.device, units: UnitCounter
) -> dict[str, Any]:
    """The train loader alone with ``workers`` worker processes: ``units(batch)`` per second over
    ``batches`` batches after :data:`LOADER_WARMUP_BATCHES` (worker start-up is not timed)."""
    datamodule = setup.datamodule
    _detach_datamodule(datamodule)
    saved = datamodule.num_workers
    datamodule.num_workers = workers
    try:
        loader = datamodule.train_dataloader()
    finally:
        datamodule.num_workers = saved
    reset_peak_memory(device)
    seed_all(seed)
    stream = _batches(loader)
    for _ in range(LOADER_WARMUP_BATCHES):
        next(stream)
    counted = 0
    start = time.perf_counter()
    for _ in range(batches):
        counted += int(units(next(stream)))
    seconds = time.perf_counter() - start
    stream.close()
    del stream, loader
    rate = counted / seconds
    return {
        "workers": workers,
        "batches": batches,
        "units": counted,
        "seconds": seconds,
        "units_per_s": rate,
        "units_per_s_per_worker": rate / max(workers, 1),
    }


def task_family_of_config(setup: BenchSetup) -> TaskFamily:
    """The family of the configured task, from its class (without building a model)."""
    return family_of_task_class(hydra.utils.get_class(setup.cfg.model._target_))


def _lightning_config(setup: BenchSetup, total_steps: int, precision: str, run_dir: Path) -> DictConfig:
    """The run's config with validation, checkpointing and the progress bar off and ``max_steps`` set."""
    cfg = copy.deepcopy(setup.cfg)
    with open_dict(cfg):
        cfg.paths.output_dir = str(run_dir)
        cfg.trainer.max_steps = total_steps
        cfg.trainer.max_epochs = -1  # max_steps decides, and the schedule spans exactly total_steps
        cfg.trainer.limit_val_batches = 0
        cfg.trainer.num_sanity_val_steps = 0
        cfg.trainer.enable_checkpointing = False
        cfg.trainer.enable_progress_bar = False
        cfg.trainer.precision = precision
        callbacks = cfg.get("callbacks") or {}
        for name in list(callbacks):
            target = str((callbacks[name] or {}).get("_target_", ""))
            if any(dropped in target for dropped in _DROPPED_CALLBACKS):
                del callbacks[name]
    return cfg


def build_lightning(
    setup: BenchSetup, seed: int, total_steps: int, precision: str, run_dir: Path
) -> tuple[FamilyTask, pl.Trainer]:
    """Task and trainer through ``fit.build`` (task weights drawn right after seeding)."""
    cfg = _lightning_config(setup, total_steps, precision, run_dir)
    seed_all(seed)
    _, task, trainer = build(cfg, setup.datamodule)
    return as_family_task(task), trainer


def lightning_throughput(
    setup: BenchSetup, opts: BenchOptions, seed: int, device: torch.device, run_dir: Path
) -> dict[str, Any]:
    """``trainer.fit`` for warm-up + timed steps; units/s over the timed steps."""
    warmup, steps = int(opts.warmup or 0), int(opts.steps or 0)
    precision = resolve_precision(setup.cfg, opts.precision)
    task, trainer = build_lightning(setup, seed, warmup + steps, precision, run_dir)
    compiled = prepare_model(task, opts.channels_last, opts.compile)
    if opts.channels_last:
        original = task.on_after_batch_transfer

        def channels_last_batch(batch: Any, dataloader_idx: int) -> Any:
            return to_device(original(batch, dataloader_idx), device, channels_last=True)

        # this one instance's hook, wrapped (a deliberate override of a bound method)
        task.on_after_batch_transfer = channels_last_batch  # type: ignore[method-assign]
    clock = StepClock(warmup, steps, task.batch_units, device)
    timer = _LightningClock(clock, seed)
    trainer.callbacks.append(timer)  # type: ignore[attr-defined]  # Lightning sets it at run time
    _detach_datamodule(setup.datamodule)
    reset_peak_memory(device)
    trainer.fit(task, datamodule=setup.datamodule)
    if trainer.strategy.root_device.type != device.type:
        raise RuntimeError(f"Lightning trained on {trainer.strategy.root_device}, the plain loop on {device}")
    result = clock.result()
    result.update(
        peak_mib=peak_memory_mib(device),
        schedule_total_steps=timer.estimated_stepping_batches,
        compiled=compiled,
        callbacks=[type(c).__name__ for c in trainer.callbacks if c is not timer],  # type: ignore[attr-defined]
        loggers=[type(lg).__name__ for lg in trainer.loggers],
    )
    del task, trainer
    _detach_datamodule(setup.datamodule)
    _release(device)
    return result


def _autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """Lightning's forward context for ``precision`` (its AMP plugin turns the weight-cast cache off)."""
    if precision == "bf16-mixed":
        return torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=False)
    return contextlib.nullcontext()


def _batches_per_epoch(length: int, limit: int | float | None) -> int | float:
    """Lightning's ``limit_train_batches`` rule (int: at most that many; float: that fraction)."""
    if limit is None:
        return length
    if isinstance(limit, int) and not isinstance(limit, bool):
        return min(length, limit)
    return int(length * float(limit))


def plain_throughput(
    setup: BenchSetup, opts: BenchOptions, seed: int, device: torch.device
) -> dict[str, Any]:
    """The same training as :func:`lightning_throughput`, written out in PyTorch."""
    from aihub_bench.tasks.optim import build_optimizer, warmup_cosine

    cfg = setup.cfg
    warmup, steps = int(opts.warmup or 0), int(opts.steps or 0)
    total = warmup + steps
    precision = resolve_precision(cfg, opts.precision)
    apply_torch_flags(cfg)

    task = build_task(setup, seed)
    compiled = prepare_model(task, opts.channels_last, opts.compile)
    task.to(device)
    task.train()
    # as tasks/optim.configure_optimization, with the total Lightning's max_steps gives
    optimizer = build_optimizer(task.optimizer_factory, task.parameters())
    schedule = task.hparams.get("scheduler")
    scheduler = warmup_cosine(optimizer, total, **schedule)["scheduler"] if schedule else None
    params = [p for group in optimizer.param_groups for p in group["params"]]
    clip_val = cfg.trainer.get("gradient_clip_val")
    clip_by_value = cfg.trainer.get("gradient_clip_algorithm") == "value"

    _detach_datamodule(setup.datamodule)
    loader = setup.datamodule.train_dataloader()
    per_epoch = _batches_per_epoch(len(loader), cfg.trainer.get("limit_train_batches"))
    clock = StepClock(warmup, steps, task.batch_units, device)
    reset_peak_memory(device)
    seed_all(seed)
    stream = _batches(loader, per_epoch)
    for _ in range(total):
        batch = next(stream)
        batch = to_device(batch, device, opts.channels_last)
        clock.start()
        optimizer.zero_grad(set_to_none=True)
        with _autocast(precision, device):
            loss = task.training_loss(batch)
        if not torch.isfinite(loss):  # the tasks' own guard
            raise FloatingPointError(f"non-finite training loss at step {clock.done}")
        loss.backward()
        if clip_val:
            if clip_by_value:
                torch.nn.utils.clip_grad_value_(params, clip_val)
            else:
                torch.nn.utils.clip_grad_norm_(params, clip_val)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        clock.end(loss, batch)
    stream.close()
    result = clock.result()
    result.update(peak_mib=peak_memory_mib(device), schedule_total_steps=total, compiled=compiled)
    del task, optimizer, scheduler, loader, stream
    _release(device)
    return result


def _release(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


# -- the whole benchmark ----------------------------------------------------------------------------
def _defaults(opts: BenchOptions, device: torch.device) -> BenchOptions:
    cuda = device.type == "cuda"
    opts = copy.copy(opts)
    opts.steps = opts.steps if opts.steps is not None else (50 if cuda else 5)
    opts.warmup = opts.warmup if opts.warmup is not None else (10 if cuda else 2)
    opts.loader_batches = opts.loader_batches if opts.loader_batches is not None else (50 if cuda else 10)
    if opts.steps < 1 or opts.warmup < 0 or opts.repeats < 1 or opts.loader_batches < 1:
        raise ValueError("--steps, --repeats and --loader-batches must be >= 1 and --warmup >= 0")
    if any(w < 0 for w in opts.workers):
        raise ValueError("--workers must be >= 0")
    return opts


def default_out(setup: BenchSetup) -> Path:
    """``<paths.log_dir>/bench/bench_<experiment or model>.json``."""
    stem = setup.choices.get("experiment") or setup.choices.get("model") or "run"
    return Path(setup.cfg.paths.log_dir) / "bench" / f"bench_{stem}.json"


def _cpu_name() -> str:
    """The CPU model (``/proc/cpuinfo`` on Linux), else what :mod:`platform` knows."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _environment(device: torch.device, precision: str) -> dict[str, Any]:
    return {
        "device": device.type,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else _cpu_name(),
        "torch": torch.__version__,
        "pytorch_lightning": pl.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "precision": precision,
        "cuda": torch.version.cuda if device.type == "cuda" else None,
    }


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    values = [r["units_per_s"] for r in runs]
    return {"median": statistics.median(values), "values": values, "runs": runs}


def run_benchmark(opts: BenchOptions) -> dict[str, Any]:
    """Loader throughput per worker count, then ``repeats`` rounds of (plain, lightning); the report
    (also written to ``opts.out``). ``opts.threads`` and the trainer's torch flags apply for the run only."""
    if opts.threads is not None and opts.threads < 1:
        raise ValueError("--threads must be >= 1")
    previous = (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
    )
    if opts.threads:
        torch.set_num_threads(opts.threads)
    try:
        return _run_benchmark(opts)
    finally:  # the global flags the trainer config (and --threads) set for the run
        torch.set_num_threads(previous[0])
        torch.use_deterministic_algorithms(previous[1], warn_only=previous[2])
        torch.backends.cudnn.benchmark = previous[3]


def _run_benchmark(opts: BenchOptions) -> dict[str, Any]:
    out = Path(opts.out) if opts.out else None
    run_root = (out.parent / f"{out.stem}_runs") if out else Path("logs/bench/runs")
    setup = build_from_overrides(opts.overrides, run_root)
    if out is None:
        out = default_out(setup)
        setup.run_root = out.parent / f"{out.stem}_runs"
    device = resolve_device(setup.cfg)
    opts = _defaults(opts, device)
    precision = resolve_precision(setup.cfg, opts.precision)
    seed = int(opts.seed if opts.seed is not None else (setup.cfg.get("seed") or 0))
    family = task_family_of_config(setup)
    memory: dict[str, float] = {}

    # what a batch counts is the task's to say (tasks/base.py): one task, built on the CPU, counts
    # the loader's batches (on CPU its weights count towards the loader phases' peak RSS)
    counter = build_task(setup, seed)
    loader = []
    assert opts.loader_batches is not None  # set by _defaults
    for workers in opts.workers:
        loader.append(
            loader_throughput(setup, workers, opts.loader_batches, seed, device, counter.batch_units)
        )
        memory[f"loader_{workers}w"] = peak_memory_mib(device)
        log.info("loader %dw: %.1f %s/s", workers, loader[-1]["units_per_s"], family.unit)
    del counter

    plain, lightning = [], []
    order: list[str] = []
    for r in range(opts.repeats):
        # alternate which loop goes first (plain, lightning | lightning, plain | ...): a machine that
        # speeds up or slows down during the run favours neither
        first_plain = r % 2 == 0
        for phase in ("plain", "lightning") if first_plain else ("lightning", "plain"):
            if phase == "plain":
                plain.append(plain_throughput(setup, opts, seed, device))
            else:
                run_dir = setup.run_root / f"lightning_{r}"
                lightning.append(lightning_throughput(setup, opts, seed, device, run_dir))
            order.append(phase)
        log.info(
            "round %d: plain %.3g, lightning %.3g %s/s",
            r,
            plain[-1]["units_per_s"],
            lightning[-1]["units_per_s"],
            family.unit,
        )
    memory["plain"] = max(p["peak_mib"] for p in plain)
    memory["lightning"] = max(p["peak_mib"] for p in lightning)

    report: dict[str, Any] = {
        "name": bench_name(setup),
        "overrides": list(opts.overrides),
        "family": family.name,
        "unit": family.unit,
        "config": {
            "dataset": setup.choices.get("dataset"),
            "model": setup.choices.get("model"),
            "experiment": setup.choices.get("experiment"),
            "debug": setup.choices.get("debug"),
            "backbone": OmegaConf.select(setup.cfg, "model.net.backbone", default=None),
            "batch_size": int(setup.datamodule.batch_size),
            "num_workers": int(setup.datamodule.num_workers),
            "input_min_size": OmegaConf.select(setup.cfg, "dataset.input_min_size", default=None),
            "input_max_size": OmegaConf.select(setup.cfg, "dataset.input_max_size", default=None),
            "precision": precision,
            "gradient_clip_val": setup.cfg.trainer.get("gradient_clip_val"),
            "deterministic": bool(setup.cfg.trainer.get("deterministic")),
            "seed": seed,
        },
        "settings": {
            "steps": opts.steps,
            "warmup": opts.warmup,
            "repeats": opts.repeats,
            "loader_batches": opts.loader_batches,
            "loader_warmup_batches": LOADER_WARMUP_BATCHES,
            "workers": list(opts.workers),
            "channels_last": opts.channels_last,
            "compile": opts.compile,
            "threads": opts.threads,
            "order": order,
        },
        "env": _environment(device, precision),
        "loader": loader,
        "plain": _summary(plain),
        "lightning": _summary(lightning),
        "peak_memory_mib": {
            **memory,
            "max": max(memory.values()),
            "kind": "torch.cuda.max_memory_allocated, reset before each phase"
            if device.type == "cuda"
            else "main process's peak RSS so far (ru_maxrss) after each phase, not per phase; "
            "loader workers not included",
        },
        "run_dirs": str(setup.run_root),
    }
    report["ratio"] = report["lightning"]["median"] / report["plain"]["median"]
    report["target"] = TARGET_RATIO
    report["verdict"] = "PASS" if report["ratio"] >= TARGET_RATIO else "BELOW"
    report["markdown"] = markdown_line(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    report["out"] = str(out)
    return report


def bench_name(setup: BenchSetup) -> str:
    """``xray_voc / fasterrcnn (small)`` (with the experiment's name when one was picked)."""
    dataset = setup.choices.get("dataset") or OmegaConf.select(setup.cfg, "dataset.name", default="?")
    name = f"{dataset} / {setup.choices.get('model')}"
    backbone = OmegaConf.select(setup.cfg, "model.net.backbone", default=None)
    if backbone:
        name += f" ({backbone})"
    if setup.choices.get("experiment"):
        name = f"{setup.choices['experiment']}: {name}"
    return name


def _rate(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def markdown_line(report: dict[str, Any]) -> str:
    """One Markdown table row: name, device, precision, batch size, both throughputs, ratio, loader, peak."""
    unit = f"{report['unit']}/s"
    env, cfg = report["env"], report["config"]
    loader = ", ".join(f"{row['workers']}w {_rate(row['units_per_s'])}" for row in report["loader"])
    peak = report["peak_memory_mib"]["max"]
    peak_text = f"{peak / 1024:.1f} GiB" if peak >= 1024 else f"{peak:.0f} MiB"
    device = env["device_name"] if env["device"] == "cuda" else "cpu"
    settings = report["settings"]
    precision = " ".join(
        [env["precision"]]
        + (["channels_last"] if settings["channels_last"] else [])
        + (["compile"] if settings["compile"] else [])
    )
    return (
        f"| {report['name']} | {device} | {precision} | bs {cfg['batch_size']} "
        f"| plain {_rate(report['plain']['median'])} {unit} "
        f"| lightning {_rate(report['lightning']['median'])} {unit} "
        f"| ratio {report['ratio']:.2f} {report['verdict']} | loader {loader} {unit} | peak {peak_text} |"
    )


def summary_text(report: dict[str, Any]) -> str:
    """What the command prints: raw values, the ratio against the target, and the Markdown line."""
    unit = f"{report['unit']}/s"
    plain, lightning = report["plain"], report["lightning"]

    def values(part: dict[str, Any]) -> str:
        return ", ".join(_rate(v) for v in part["values"])

    lines = [
        f"plain     {_rate(plain['median'])} {unit} (median of {values(plain)})",
        f"lightning {_rate(lightning['median'])} {unit} (median of {values(lightning)})",
        f"overhead ratio (lightning / plain): {report['ratio']:.3f} "
        f"(target >= {report['target']}): {report['verdict']}",
    ]
    for row in report["loader"]:
        lines.append(
            f"loader {row['workers']} workers: {_rate(row['units_per_s'])} {unit} "
            f"({_rate(row['units_per_s_per_worker'])} per {'worker' if row['workers'] else 'main process'})"
        )
    memory = report["peak_memory_mib"]
    lines.append(f"peak memory {memory['max']:.0f} MiB ({memory['kind']})")
    lines.append(report["markdown"])
    lines.append(f"written to {report['out']}")
    return "\n".join(lines)
