"""LightningModule for face recognition: a margin-softmax (ArcFace / CosFace) trained embedding,
evaluated by 1:1 verification on pair lists and 1:N identification against a gallery.

Training sees the train identities only: the net maps a face crop to an embedding, a
:class:`~aihub_bench.models.face.MarginHead` over the train identities adds the angular (ArcFace) or
cosine (CosFace) margin to the true identity's logit, and the loss is the cross-entropy of those
logits. The head is dropped at evaluation: val and test identities are disjoint from the train ones,
so an image is only ever its L2-normalised embedding (with ``flip_test`` the sum of the image's and its
mirror image's embeddings, as insightface evaluates). The evaluator
(:class:`~aihub_bench.metrics.face_evaluator.FaceEvaluator`) scores the split's pairs by cosine
similarity and ranks every probe against the gallery, overall and per capture condition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from aihub_bench.metrics.face_evaluator import FaceEvaluator
from aihub_bench.models.face import MarginHead
from aihub_bench.tasks.base import ReportColumn, TaskFamily, loss_columns, value
from aihub_bench.tasks.evaluation import EvaluatingTask
from aihub_bench.tasks.optim import configure_optimization

FACE_RECOGNITION = TaskFamily(
    name="face_recognition",
    title="Face recognition",
    unit="img",
    headline=("test/verification_accuracy", "test/TAR@FAR=1e-3", "test/rank1"),
    report_columns=(
        ReportColumn("verification acc.", (value("test/verification_accuracy"),)),
        ReportColumn("AUC", (value("test/roc_auc"),)),
        ReportColumn("EER", (value("test/eer"),)),
        ReportColumn("TAR@FAR=1e-2", (value("test/TAR@FAR=1e-2"),)),
        ReportColumn("TAR@FAR=1e-3", (value("test/TAR@FAR=1e-3"),)),
        ReportColumn("rank-1", (value("test/rank1"),)),
        ReportColumn("rank-5", (value("test/rank5"),)),
        ReportColumn("pairs", (value("test/pairs", digits=0),)),
        *loss_columns(),
    ),
    report_note="Test identities are disjoint from the training identities. Verification accuracy: the "
    "10-fold threshold protocol on the pair list; TAR@FAR: true-accept rate at the false-accept rate (a "
    "FAR below 1 / negative pairs cannot be resolved); rank-1 / rank-5: 1:N identification of every probe "
    "against one gallery image per identity.",
)

HEAD_KINDS = ("arcface", "cosface")
TRAIN_IDENTITIES_KEY = "face_train_identities"  # in the checkpoint


class FaceRecognitionTask(EvaluatingTask):
    """Trains ``net`` (a factory ``net() -> nn.Module`` mapping ``(B, 3, H, W)`` to ``(B, D)``
    embeddings) with a margin head over ``num_identities`` train identities.

    ``head``: the :class:`MarginHead` keywords (``kind`` arcface | cosface, ``scale``, ``margin``).
    ``margin_warmup_steps``: the margin grows linearly from 0 over that many optimisation steps (a
    from-scratch ArcFace with the full margin at step 0 often never leaves its first plateau).
    """

    family = FACE_RECOGNITION
    evaluator: FaceEvaluator

    def __init__(
        self,
        net: Callable[..., nn.Module],
        optimizer: Callable[..., torch.optim.Optimizer],
        num_identities: int,
        head: Mapping[str, Any] | None = None,
        train_identities: Sequence[str] = (),
        scheduler: dict[str, Any] | None = None,
        margin_warmup_steps: int = 0,
        flip_test: bool = True,
        monitor: str = "val/verification_accuracy",
        monitor_mode: str = "max",
    ) -> None:
        super().__init__()
        if num_identities < 2:
            raise ValueError(f"face recognition needs at least 2 training identities, got {num_identities}")
        head_kwargs = dict(head or {})
        kind = head_kwargs.get("kind", "arcface")
        if kind not in HEAD_KINDS:
            raise ValueError(f"model.head.kind={kind!r}: expected one of {HEAD_KINDS}")
        if margin_warmup_steps < 0:
            raise ValueError(f"model.margin_warmup_steps={margin_warmup_steps}: must be at least 0")
        self.save_hyperparameters(ignore=["net", "optimizer", "train_identities"])
        # kept in the checkpoint: a later evaluation on another split must not test on them
        self.train_identities = [str(i) for i in train_identities]
        self.net = net()
        embedding_dim = int(getattr(self.net, "embedding_dim", 0))
        if embedding_dim < 1:
            raise ValueError(f"model.net builds a {type(self.net).__name__} without an `embedding_dim`")
        self.head = MarginHead(embedding_dim=embedding_dim, num_classes=num_identities, **head_kwargs)
        self.full_margin = float(self.head.margin)
        self.optimizer_factory = optimizer

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """L2-normalised embeddings ``(B, D)``."""
        return F.normalize(self.net(images).float(), dim=1)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """The evaluation embedding: with ``flip_test``, of the image and its mirror image summed."""
        embedding = self.net(images).float()
        if self.hparams.flip_test:
            embedding = embedding + self.net(torch.flip(images, dims=[3])).float()
        return F.normalize(embedding, dim=1)

    def current_margin(self) -> float:
        steps = self.hparams.margin_warmup_steps
        if not steps or not self.training:
            return self.full_margin
        return self.full_margin * min(1.0, (self.global_step + 1) / steps)

    def training_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        labels = batch["label"]
        if bool((labels < 0).any()):
            raise ValueError("a training batch holds an image without a train identity label")
        self.head.set_margin(self.current_margin())
        logits = self.head(self.net(batch["image"]), labels)
        return F.cross_entropy(logits.float(), labels)

    def batch_units(self, batch: dict[str, Any]) -> int:
        return len(batch["image"])

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self.logged_training_loss(batch, self.batch_units(batch))

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint[TRAIN_IDENTITIES_KEY] = list(self.train_identities)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.train_identities = list(checkpoint.get(TRAIN_IDENTITIES_KEY, self.train_identities))
        # evaluating on another split may count other train identities; the head is not used then
        weight = checkpoint.get("state_dict", {}).get("head.weight")
        if weight is not None and weight.shape != self.head.weight.shape:
            self.head = MarginHead(
                embedding_dim=int(weight.shape[1]),
                num_classes=int(weight.shape[0]),
                **dict(self.hparams.head or {}),
            ).to(self.head.weight.device)

    def check_unseen(self, identities: Sequence[str], split: str) -> None:
        """Refuse to evaluate on identities the model was trained on (a split other than training's)."""
        seen = sorted(set(identities) & set(self.train_identities))
        if seen:
            raise ValueError(
                f"the {split} split holds {len(seen)} identities this model was trained on (e.g. "
                f"{', '.join(seen[:3])}): evaluate on the training run's split "
                "(dataset.split.test_identities=<run>/identities_test.txt) or on a pair list over those"
            )

    def make_evaluator(self, split: str) -> FaceEvaluator:
        datamodule = self.datamodule
        self.check_unseen(datamodule.identities(split), split)
        return FaceEvaluator(
            pairs=datamodule.pairs(split),
            gallery=datamodule.gallery(split),
            probes=datamodule.probes(split),
            split=split,
            condition_names=getattr(datamodule, "condition_names", None),
        )

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self.evaluator.process(batch, self.embed(batch["image"]).detach().cpu())

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self.evaluator.process(batch, self.embed(batch["image"]).detach().cpu())

    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)
