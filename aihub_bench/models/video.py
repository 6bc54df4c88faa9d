"""Video classifiers: ``(B, 3, T, H, W)`` clips -> ``(B, K)`` logits.

Two kinds, chosen by ``backbone``:

- a torchvision video network (:data:`TORCHVISION_VIDEO`: ``r3d_18``, ``mc3_18``, ``r2plus1d_18``,
  ``mvit_v1_b``, ``s3d``) with its last layer replaced for ``num_classes`` (after a dropout);
  ``pretrained=True`` loads its Kinetics-400 weights (``KINETICS400_V1``) through torchvision's
  weights API, with a clear error offline. ``mvit_v1_b`` takes exactly 16 frames of 224×224 and
  ``s3d`` at least 16 frames of at least 224×224 (their pooling is sized for Kinetics clips);
- any timm 2D model (``small`` = the smallest one used in tests) applied to each frame, its pooled
  features combined over time by a temporal head (TSN-style): ``mean`` (average), ``max``, or
  ``conv`` (a 1-D convolution over time, ReLU, then the average: it sees the order of the frames).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from aihub_bench.models.timm_backbone import create_timm_model

TORCHVISION_VIDEO = ("r3d_18", "mc3_18", "r2plus1d_18", "mvit_v1_b", "s3d")
TEMPORAL_HEADS = ("mean", "max", "conv")
# (frames, height, width) a network needs: exactly (mvit's positional embedding) or at least (s3d's pooling)
EXACT_INPUT = {"mvit_v1_b": (16, 224, 224)}
MIN_INPUT = {"s3d": (16, 224, 224)}


def _kinetics_weights(name: str) -> Any:
    """The ``KINETICS400_V1`` weights enum member of torchvision's video model ``name``."""
    from torchvision.models import get_model_weights

    return get_model_weights(name).KINETICS400_V1


def _torchvision_builder(name: str) -> Callable[..., nn.Module]:
    from torchvision.models import video

    builder: Callable[..., nn.Module] = getattr(video, name)
    return builder


def _replace_head(net: nn.Module, name: str, num_classes: int, dropout: float) -> None:
    """Swap the Kinetics classifier of ``net`` for a ``num_classes`` one behind a dropout."""
    if name == "mvit_v1_b":  # head = Sequential(Dropout, Linear)
        linear = net.get_submodule("head.1")
        assert isinstance(linear, nn.Linear)
        net.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(linear.in_features, num_classes))
    elif name == "s3d":  # classifier = Sequential(Dropout, Conv3d 1x1x1), averaged over space-time after
        conv = net.get_submodule("classifier.1")
        assert isinstance(conv, nn.Conv3d)
        net.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Conv3d(conv.in_channels, num_classes, kernel_size=1, bias=True)
        )
    else:  # the ResNet-3D family: fc = Linear
        fc = net.get_submodule("fc")
        assert isinstance(fc, nn.Linear)
        net.fc = nn.Sequential(nn.Dropout(dropout), nn.Linear(fc.in_features, num_classes))


class TorchvisionVideoNet(nn.Module):
    """A torchvision video network that names the clip size it needs instead of failing deep inside."""

    def __init__(self, net: nn.Module, name: str) -> None:
        super().__init__()
        self.net, self.name = net, name

    def _check(self, clips: torch.Tensor) -> None:
        size = tuple(clips.shape[2:])
        exact, least = EXACT_INPUT.get(self.name), MIN_INPUT.get(self.name)
        if exact is not None and size != exact:
            raise ValueError(f"{self.name} takes clips of exactly {exact} (frames, H, W), got {size}")
        if least is not None and any(s < m for s, m in zip(size, least, strict=True)):
            raise ValueError(f"{self.name} takes clips of at least {least} (frames, H, W), got {size}")

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        self._check(clips)
        logits: torch.Tensor = self.net(clips)
        return logits


def torchvision_video_net(
    name: str, num_classes: int, pretrained: bool, dropout: float
) -> TorchvisionVideoNet:
    """torchvision's ``name`` (Kinetics-400 weights when ``pretrained``) with a ``num_classes`` head."""
    weights = _kinetics_weights(name) if pretrained else None
    try:
        net = _torchvision_builder(name)(weights=weights)
    except (OSError, RuntimeError) as err:
        if not pretrained:
            raise
        raise RuntimeError(
            f"could not fetch pretrained weights for {name!r} ({err}). Run once with network access "
            "(weights are cached by torch hub), or set model.net.pretrained=false."
        ) from err
    _replace_head(net, name, num_classes, dropout)
    return TorchvisionVideoNet(net, name)


class FrameFeatures(nn.Module):
    """A 2D backbone on every frame, its pooled features combined over time: ``(B, 3, T, H, W) -> (B, F)``.

    ``num_features`` is F. Shared by :class:`FrameTemporalNet` and the multimodal image encoder.
    """

    def __init__(self, backbone: nn.Module, features: int, temporal: str) -> None:
        super().__init__()
        if temporal not in TEMPORAL_HEADS:
            raise ValueError(f"model.net.temporal must be one of {TEMPORAL_HEADS}, got {temporal!r}")
        self.backbone, self.temporal, self.num_features = backbone, temporal, features
        self.temporal_conv = (
            nn.Sequential(nn.Conv1d(features, features, kernel_size=3, padding=1), nn.ReLU(inplace=True))
            if temporal == "conv"
            else None
        )

    def pooled(self, clips: torch.Tensor) -> torch.Tensor:
        """The ``(B, F)`` features of ``(B, 3, T, H, W)`` clips."""
        batch, channels, frames, height, width = clips.shape
        images = clips.transpose(1, 2).reshape(batch * frames, channels, height, width)
        features = self.backbone(images).reshape(batch, frames, -1)  # (B, T, F)
        if self.temporal == "max":
            return features.amax(dim=1)
        if self.temporal_conv is not None:
            convolved: torch.Tensor = self.temporal_conv(features.transpose(1, 2))
            return convolved.mean(dim=2)
        return features.mean(dim=1)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        return self.pooled(clips)


def timm_frame_backbone(backbone: str, pretrained: bool) -> tuple[nn.Module, int]:
    """timm's ``backbone`` without its classifier (pooled features out) and its feature size."""
    net = create_timm_model(backbone, pretrained, num_classes=0)
    features = int(getattr(net, "num_features", 0))
    if features < 1:
        raise ValueError(f"model.net.backbone={backbone!r} does not report its pooled feature size")
    return net, features


class FrameTemporalNet(FrameFeatures):
    """:class:`FrameFeatures` followed by a dropout and a linear classifier."""

    def __init__(
        self, backbone: nn.Module, features: int, num_classes: int, temporal: str, dropout: float
    ) -> None:
        super().__init__(backbone, features, temporal)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(features, num_classes)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.classifier(self.dropout(self.pooled(clips)))
        return logits


def video_classifier(
    num_classes: int,
    backbone: str = "r3d_18",
    pretrained: bool = False,
    temporal: str = "mean",
    dropout: float = 0.0,
) -> nn.Module:
    """A video classifier ``(B, 3, T, H, W) -> (B, num_classes)`` (see the module docstring).

    ``temporal`` applies to timm backbones only; an unknown one is a ValueError either way.
    """
    if num_classes < 1 or not 0 <= dropout < 1:
        raise ValueError(f"need num_classes >= 1 and 0 <= dropout < 1, got {num_classes=}, {dropout=}")
    if temporal not in TEMPORAL_HEADS:
        raise ValueError(f"model.net.temporal must be one of {TEMPORAL_HEADS}, got {temporal!r}")
    if backbone in TORCHVISION_VIDEO:
        return torchvision_video_net(backbone, num_classes, pretrained, dropout)
    net, features = timm_frame_backbone(backbone, pretrained)
    return FrameTemporalNet(net, features, num_classes, temporal, dropout)
