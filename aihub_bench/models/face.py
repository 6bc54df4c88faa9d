"""Face recognition models: a timm embedder and the margin heads (ArcFace, CosFace) it is trained with.

The embedder is a globally pooled timm backbone followed by insightface's "E" output layer
(BatchNorm -> Dropout -> Linear -> BatchNorm); its embedding is not normalised (verification and
identification normalise it). The head scores an embedding against one weight row per training
identity by cosine similarity and, in training, penalises the true identity's score with a margin:

- ArcFace (Deng et al. 2019): ``s * cos(theta + m)`` for the target class; past ``theta = pi - m``,
  where ``cos(theta + m)`` would rise again, insightface's fallback ``cos(theta) - m * sin(m)``;
- CosFace (Wang et al. 2018): ``s * (cos(theta) - m)`` for the target class.

Every other class gets ``s * cos(theta)``; rows labelled -1 get no margin.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from aihub_bench.models.timm_backbone import create_timm_model

HEAD_KINDS = ("arcface", "cosface")
IGNORE_LABEL = -1
_COS_EPS = 1e-7  # keeps sin(theta) = sqrt(1 - cos^2) differentiable at cos = +-1


class FaceEmbedder(nn.Module):
    """``(B, 3, H, W)`` -> ``(B, embedding_dim)``: timm backbone (global pooling, no classifier) then
    BatchNorm1d -> Dropout -> Linear -> BatchNorm1d."""

    def __init__(self, backbone: nn.Module, features: int, embedding_dim: int, dropout: float) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = nn.Sequential(
            nn.BatchNorm1d(features),
            nn.Dropout(dropout),
            nn.Linear(features, embedding_dim),
            nn.BatchNorm1d(embedding_dim),
        )
        self.embedding_dim = embedding_dim

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.neck(self.backbone(images))


def face_embedder(
    backbone: str = "resnet18", embedding_dim: int = 512, pretrained: bool = False, dropout: float = 0.0
) -> FaceEmbedder:
    """A :class:`FaceEmbedder` on the timm model ``backbone`` (``small`` = the smallest one used in
    tests; ``pretrained=True`` downloads ImageNet weights, with a clear error offline)."""
    if embedding_dim < 1 or not 0 <= dropout < 1:
        raise ValueError(f"need embedding_dim >= 1 and 0 <= dropout < 1, got {embedding_dim=}, {dropout=}")
    net = create_timm_model(backbone, pretrained, num_classes=0)
    features = int(getattr(net, "num_features", 0))
    if features < 1:
        raise ValueError(f"model.net.backbone={backbone!r} does not report its pooled feature size")
    return FaceEmbedder(net, features, embedding_dim, dropout)


class MarginHead(nn.Module):
    """Cosine classifier over ``num_classes`` identities with an ArcFace or CosFace margin on the
    target class (see the module docstring)."""

    def __init__(
        self,
        embedding_dim: int,
        num_classes: int,
        kind: str = "arcface",
        scale: float = 64.0,
        margin: float = 0.5,
    ) -> None:
        super().__init__()
        if kind not in HEAD_KINDS:
            raise ValueError(f"model.head.kind must be one of {HEAD_KINDS}, got {kind!r}")
        if num_classes < 1 or scale <= 0:
            raise ValueError(f"need num_classes >= 1 and scale > 0, got {num_classes=}, {scale=}")
        self.kind, self.scale = kind, float(scale)
        self.set_margin(margin)
        # insightface (partial_fc) initialises the class centres with N(0, 0.01)
        self.weight = nn.Parameter(torch.normal(0.0, 0.01, (num_classes, embedding_dim)))

    def set_margin(self, margin: float) -> None:
        """Change the margin (a margin warm-up raises it from 0 during the first steps)."""
        if margin < 0 or (self.kind == "arcface" and margin >= math.pi / 2):
            raise ValueError(
                f"the {self.kind} margin must be >= 0 (an ArcFace angle below pi/2), got {margin}"
            )
        self.margin = float(margin)

    def cosine(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``(B, num_classes)`` cosine similarity of each embedding to each class centre."""
        return F.linear(F.normalize(embeddings, dim=1), F.normalize(self.weight, dim=1)).clamp(-1.0, 1.0)

    def logits(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``s * cos(theta)`` for every class, no margin (evaluation)."""
        return self.scale * self.cosine(embeddings)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Training logits: the margin applied to each row's ``labels`` class (none for -1)."""
        cos = self.cosine(embeddings)
        rows = torch.nonzero(labels != IGNORE_LABEL, as_tuple=True)[0]
        if rows.numel() == 0:
            return self.scale * cos
        cols = labels[rows].long()
        target = cos[rows, cols]
        if self.kind == "cosface":
            adjusted = target - self.margin
        else:
            sin = torch.sqrt((1.0 - target * target).clamp_min(_COS_EPS))
            with_margin = target * math.cos(self.margin) - sin * math.sin(self.margin)  # cos(theta + m)
            past_limit = target <= math.cos(math.pi - self.margin)  # theta >= pi - m
            adjusted = torch.where(past_limit, target - self.margin * math.sin(self.margin), with_margin)
        out = cos.index_put((rows, cols), adjusted)
        return self.scale * out
