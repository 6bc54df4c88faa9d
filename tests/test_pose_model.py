"""The SimpleBaseline pose model: heatmaps at 1/4 of the input, timm backbones, opt-in weights."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from aihub_bench.models.pose import build_simple_baseline


def test_heatmaps_are_a_quarter_of_the_input_per_joint() -> None:
    net = build_simple_baseline(16, backbone="small", deconv_channels=16)
    assert net(torch.rand(2, 3, 128, 96)).shape == (2, 16, 32, 24)


def test_an_unknown_backbone_names_the_option() -> None:
    with pytest.raises(ValueError, match="model.net.backbone='resnet_9000'"):
        build_simple_baseline(16, backbone="resnet_9000")


@pytest.mark.slow
def test_pretrained_weights_offline_fail_with_a_clear_message() -> None:
    code = "from aihub_bench.models.pose import build_simple_baseline; build_simple_baseline(16, 'resnet18', True)"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode != 0 and "model.net.pretrained=false" in result.stderr
