"""What every datamodule shares: where its files come from and how its splits become loaders.

``dataset.root`` is a real download; without it the synthetic twin is generated (cached) and read
by the very same reader, so nothing downstream can tell the two apart.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator, Mapping, Sized
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
import torch.distributed as dist
from omegaconf import OmegaConf
from omegaconf.errors import ConfigKeyError
from torch.utils.data import DataLoader, Dataset, Sampler


def resolve_root(root: str | Path | None, synthetic: Callable[[], str | Path] | None, name: str) -> Path:
    """The dataset root: ``root`` when given (must be a folder), else the folder ``synthetic()`` writes."""
    if root:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"dataset.root={root} is not a directory")
        return path
    if synthetic is None:
        raise ValueError(f"dataset {name!r} has no synthetic twin; set dataset.root")
    return Path(synthetic())


class EpochShuffle(Sampler[int]):
    """Shuffles the train split with a permutation fixed by (seed, epoch) and, as each epoch starts,
    re-seeds the global RNGs (augmentations, dropout) from the same pair.

    Epoch ``e`` therefore sees the same batches and augmentations whether the run got there without
    a break or was resumed from a checkpoint saved at the end of epoch ``e - 1`` (Lightning calls
    :meth:`set_epoch`; on a resume the datamodule sets the restored epoch). Exact with
    ``num_workers=0``; worker processes draw their own seeds when they start.
    """

    def __init__(self, size: int, seed: int | None = None) -> None:
        self.size = size
        self.seed = int(os.environ.get("PL_GLOBAL_SEED", 0)) if seed is None else seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[int]:
        epoch_seed = (self.seed * 1_000_003 + self.epoch) % 2**32
        self.epoch += 1  # the next pass, unless Lightning sets it first
        random.seed(epoch_seed)
        np.random.seed(epoch_seed)
        torch.manual_seed(epoch_seed)
        generator = torch.Generator().manual_seed(epoch_seed)
        yield from torch.randperm(self.size, generator=generator).tolist()


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


class SplitDataModule(pl.LightningDataModule):
    """Base of the task datamodules: root resolution and train/val/test loaders over ``splits``.

    Subclasses set ``root``, ``synthetic``, ``name``, ``splits`` (split -> samples), ``batch_size``,
    ``eval_batch_size`` and ``num_workers``, implement ``dataset(split)`` and may set ``collate_fn``.
    """

    collate_fn: Callable[[list[Any]], Any] | None = None
    root: str | None
    synthetic: Callable[[], str | Path] | None
    name: str
    splits: dict[str, list[Any]]
    batch_size: int
    eval_batch_size: int
    num_workers: int

    def resolved_root(self) -> Path:
        return resolve_root(self.root, self.synthetic, self.name)

    def prepare_data(self) -> None:
        self.resolved_root()  # generates the synthetic twin once, before workers/ranks read it

    def setup(self, stage: str | None = None) -> None:
        """Read the samples and fill ``splits`` (Lightning's hook; ``stage`` is not needed)."""

    def dataset(self, split: str) -> Dataset:
        raise NotImplementedError

    def write_artifacts(self, run_dir: str | Path) -> None:
        """Write what the run directory keeps of the data (split lists, vocabularies); none here."""

    def model_kwargs(self) -> dict[str, Any]:
        """What the task is sized by (its ``class_names``; keypoint datasets give their skeleton)."""
        return {"class_names": list(getattr(self, "class_names", []))}

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        """Train: :class:`EpochShuffle`; under DDP a plain shuffled loader, which Lightning turns into
        a shuffled DistributedSampler (seeded per epoch too). Val/test under DDP: each sample on
        exactly one rank (no padding duplicates); tasks gather the results."""
        dataset = self.dataset(split)
        assert isinstance(dataset, Sized), f"{type(dataset).__name__} has no len()"
        sampler: Sampler[int] | None = None
        if shuffle and not _distributed():
            sampler = EpochShuffle(len(dataset))
            trainer = self.trainer
            if trainer is not None:
                sampler.set_epoch(trainer.current_epoch)  # a resumed run starts at its restored epoch
        elif not shuffle and _distributed():
            from pytorch_lightning.overrides.distributed import UnrepeatedDistributedSampler

            sampler = UnrepeatedDistributedSampler(dataset, shuffle=False)
        return DataLoader(
            dataset,
            batch_size=self.batch_size if split == "train" else self.eval_batch_size,
            sampler=sampler,
            shuffle=shuffle and sampler is None,
            num_workers=self.num_workers,
            collate_fn=self.collate_fn,
            persistent_workers=self.num_workers > 0,
            # a trailing batch of one sample breaks BatchNorm layers in training
            drop_last=split == "train" and len(dataset) > self.batch_size,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader | list[DataLoader]:
        return self._loader("test", shuffle=False)


def merge_options(
    defaults: Mapping[str, Any], given: Mapping[str, Any] | None, option: str
) -> dict[str, Any]:
    """``defaults`` updated by ``given`` (nested dicts merged, Hydra configs accepted) as plain
    Python; a key ``defaults`` lacks is a ValueError naming ``dataset.<option>``."""
    base = OmegaConf.create(dict(defaults))
    OmegaConf.set_struct(base, True)
    try:
        merged = OmegaConf.merge(base, given or {})
    except ConfigKeyError as err:
        raise ValueError(f"dataset.{option} knows {sorted(defaults)}: {err.msg}") from err
    plain = OmegaConf.to_container(merged, resolve=True)
    assert isinstance(plain, dict)
    return {str(k): v for k, v in plain.items()}
