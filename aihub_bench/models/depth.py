"""Monocular depth network: a timm encoder and a light U-Net decoder with a bounded depth output.

The encoder gives every stage's feature map (timm ``features_only``); the decoder starts at the
deepest one and, stage by stage, upsamples bilinearly to the next shallower map's size, concatenates
it (the skip connection) and applies two 3x3 conv-BN-ReLU blocks. A last upsampling to the input size
and a 3x3 convolution give one channel ``x``; depth = ``max_depth * sigmoid(x)`` (as in BTS and
AdaBins), so predictions are positive and bounded. Any input size works (maps are resized to their
skip's size, not assumed to halve exactly).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from timm.models import FeatureInfo
from torch import nn

from aihub_bench.models.timm_backbone import create_timm_model


def conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class DecoderStage(nn.Module):
    """Upsample to the skip's size, concatenate the skip, two conv-BN-ReLU blocks."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int) -> None:
        super().__init__()
        self.fuse = nn.Sequential(
            conv_bn_relu(in_channels + skip_channels, out_channels), conv_bn_relu(out_channels, out_channels)
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.fuse(torch.cat([x, skip], dim=1))


class UNetDepth(nn.Module):
    """``forward(images (B, 3, H, W))`` -> depth in metres ``(B, 1, H, W)`` in ``(0, max_depth)``."""

    def __init__(
        self,
        encoder: nn.Module,
        encoder_channels: Sequence[int],
        decoder_channels: Sequence[int],
        max_depth: float,
    ) -> None:
        super().__init__()
        if len(decoder_channels) != len(encoder_channels) - 1:
            raise ValueError(
                f"model.net.decoder_channels needs one width per skip stage ({len(encoder_channels) - 1} "
                f"for this encoder), got {list(decoder_channels)}"
            )
        if max_depth <= 0:
            raise ValueError(f"model.max_depth must be positive, got {max_depth}")
        self.encoder = encoder
        self.max_depth = float(max_depth)
        stages = []
        channels = encoder_channels[-1]
        # deepest to shallowest skip: encoder_channels[-2], ..., encoder_channels[0]
        for skip, out in zip(reversed(encoder_channels[:-1]), decoder_channels, strict=True):
            stages.append(DecoderStage(channels, skip, out))
            channels = out
        self.decoder = nn.ModuleList(stages)
        self.head = nn.Conv2d(channels, 1, 3, padding=1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.encoder(images)
        x = features[-1]
        for stage, skip in zip(self.decoder, reversed(features[:-1]), strict=True):
            x = stage(x, skip)
        x = F.interpolate(x, size=images.shape[-2:], mode="bilinear", align_corners=False)
        # the output layer in float32: under bf16 autocast, depths up to 80 m would be quantised to ~0.3 m
        with torch.autocast(device_type=x.device.type, enabled=False):
            return self.max_depth * torch.sigmoid(self.head(x.float()))


def build_unet_depth(
    max_depth: float,
    backbone: str = "resnet50",
    pretrained: bool = False,
    decoder_channels: Sequence[int] = (256, 128, 64, 32),
) -> UNetDepth:
    """A :class:`UNetDepth` on any timm backbone with ``features_only`` support (``small`` =
    resnet10t); every stage's feature map is a skip. ``pretrained=true`` fetches ImageNet weights once
    through timm; offline it fails with a message saying how to turn it off."""
    encoder = create_timm_model(backbone, pretrained, features_only=True)
    info = encoder.feature_info  # set by timm on features_only models (nn.Module does not declare it)
    assert isinstance(info, FeatureInfo)
    return UNetDepth(encoder, [int(c) for c in info.channels()], list(decoder_channels), max_depth)
