"""Top-down heatmap pose estimator: a timm backbone and a SimpleBaseline deconvolution head.

Xiao et al., "Simple Baselines for Human Pose Estimation and Tracking" (ECCV 2018): the backbone's
last feature map (stride 32) goes through three 4x4 stride-2 transposed convolutions (each with
BatchNorm and ReLU) to stride 4, and a 1x1 convolution gives one heatmap per joint.
"""

from __future__ import annotations

import torch
from timm.models import FeatureInfo
from torch import nn

from aihub_bench.models.timm_backbone import create_timm_model


class SimpleBaselinePose(nn.Module):
    """``forward(images (B, 3, H, W))`` -> heatmaps ``(B, J, H / 4, W / 4)``."""

    def __init__(
        self, backbone: nn.Module, in_channels: int, num_joints: int, deconv_channels: int = 256
    ) -> None:
        super().__init__()
        self.backbone = backbone
        layers: list[nn.Module] = []
        channels = in_channels
        for _ in range(3):
            layers += [
                nn.ConvTranspose2d(channels, deconv_channels, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(deconv_channels),
                nn.ReLU(inplace=True),
            ]
            channels = deconv_channels
        self.deconv = nn.Sequential(*layers)
        self.final = nn.Conv2d(deconv_channels, num_joints, 1)
        for module in self.deconv.modules():
            if isinstance(module, nn.ConvTranspose2d):
                nn.init.normal_(module.weight, std=0.001)
        nn.init.normal_(self.final.weight, std=0.001)
        assert self.final.bias is not None
        nn.init.zeros_(self.final.bias)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.backbone(images)[-1]
        return self.final(self.deconv(features))


def build_simple_baseline(
    num_joints: int, backbone: str = "resnet50", pretrained: bool = False, deconv_channels: int = 256
) -> SimpleBaselinePose:
    """A :class:`SimpleBaselinePose` on any timm backbone with a stride-32 feature map (``small`` =
    :data:`SMALL_BACKBONE`). ``pretrained=true`` fetches ImageNet weights once through timm; offline it
    fails with a message saying how to turn it off."""
    net = create_timm_model(backbone, pretrained, features_only=True, out_indices=(-1,))
    info = net.feature_info  # set by timm on features_only models (nn.Module does not declare it)
    assert isinstance(info, FeatureInfo)
    reduction = info.reduction()[-1]
    if reduction != 32:
        raise ValueError(
            f"backbone {backbone!r} ends at stride {reduction}; the SimpleBaseline head needs 32"
        )
    return SimpleBaselinePose(net, int(info.channels()[-1]), num_joints, deconv_channels)
