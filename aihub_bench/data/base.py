"""What every datamodule shares: where its files come from and how its splits become loaders.

``dataset.root`` is a real download; without it the synthetic twin is generated (cached) and read
by the very same reader, so nothing downstream can tell the two apart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from torch.utils.data import DataLoader, Dataset


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

    def dataset(self, split: str) -> Dataset:
        raise NotImplementedError

    def model_kwargs(self) -> dict[str, Any]:
        """What the task is sized by (its ``class_names``; keypoint datasets give their skeleton)."""
        return {"class_names": list(getattr(self, "class_names", []))}

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        dataset = self.dataset(split)
        return DataLoader(
            dataset,
            batch_size=self.batch_size if split == "train" else self.eval_batch_size,
            shuffle=shuffle,
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
