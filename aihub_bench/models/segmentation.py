"""DeepLabV3 (Chen et al. 2017): a timm encoder and torchvision's ASPP head, logits at the input size.

The encoder's deepest feature map (stride ``output_stride``: timm dilates the last stages for 16 or
8) goes through torchvision's DeepLabV3 head: ASPP (a 1x1 convolution, three atrous 3x3
convolutions and image pooling), a 3x3 convolution and a 1x1 classifier; the logits are upsampled
bilinearly to the input, as torchvision's ``DeepLabV3`` does. Built from scratch unless
``pretrained=true`` (ImageNet weights for the encoder through timm).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from timm.models import FeatureInfo
from torch import nn
from torchvision.models.segmentation.deeplabv3 import ASPP, DeepLabHead

from aihub_bench.models.timm_backbone import create_timm_model

OUTPUT_STRIDES = (8, 16, 32)


def deeplab_head(
    in_channels: int, num_classes: int, atrous_rates: Sequence[int], channels: int = 256
) -> nn.Sequential:
    """torchvision's ``DeepLabHead``; at another width than its fixed 256 the same layers, narrower."""
    rates = [int(r) for r in atrous_rates]
    if channels == 256:
        return DeepLabHead(in_channels, num_classes, rates)
    return nn.Sequential(
        ASPP(in_channels, rates, out_channels=channels),
        nn.Conv2d(channels, channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(channels),
        nn.ReLU(),
        nn.Conv2d(channels, num_classes, 1),
    )


class DeepLabV3(nn.Module):
    """``forward(images (B, 3, H, W))`` -> logits ``(B, K, H, W)``."""

    def __init__(self, encoder: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.encoder(images)[-1]
        logits = self.head(features)
        return F.interpolate(logits, size=images.shape[-2:], mode="bilinear", align_corners=False)


def build_deeplabv3(
    num_classes: int,
    backbone: str = "resnet50",
    pretrained: bool = False,
    output_stride: int = 16,
    atrous_rates: Sequence[int] = (6, 12, 18),
    head_channels: int = 256,
) -> DeepLabV3:
    """A :class:`DeepLabV3` on a timm encoder (``small`` = resnet10t). ``output_stride`` 8 or 16 dilates
    the encoder's last stages where timm supports it (ResNets do); 32 leaves it as it is.
    ``pretrained=true`` fetches ImageNet weights once through timm; offline it fails with a message
    saying how to turn it off."""
    if output_stride not in OUTPUT_STRIDES:
        raise ValueError(f"model.net.output_stride must be one of {OUTPUT_STRIDES}, got {output_stride}")
    kwargs = {"output_stride": output_stride} if output_stride != 32 else {}
    try:
        encoder = create_timm_model(backbone, pretrained, features_only=True, out_indices=(-1,), **kwargs)
    except TypeError as err:  # timm passes output_stride to the model class, which may not take it
        raise ValueError(
            f"backbone {backbone!r} cannot dilate to output_stride={output_stride} ({err}); "
            "set model.net.output_stride=32 or pick a ResNet-like backbone"
        ) from err
    info = encoder.feature_info  # set by timm on features_only models (nn.Module does not declare it)
    assert isinstance(info, FeatureInfo)
    reduction = int(info.reduction()[-1])
    if reduction != output_stride:
        raise ValueError(
            f"backbone {backbone!r} ends at stride {reduction}, not the requested output_stride={output_stride}"
        )
    head = deeplab_head(int(info.channels()[-1]), num_classes, atrous_rates, head_channels)
    return DeepLabV3(encoder, head)
