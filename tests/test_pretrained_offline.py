"""Opt-in pretrained weights fail clearly offline, for every model built on a timm backbone through
``models/timm_backbone.create_timm_model`` (the message names the weights and the way out)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

BUILDERS = {
    "crnn": "from aihub_bench.models.text import crnn; crnn(10, backbone='resnet18', pretrained=True)",
    "face_embedder": "from aihub_bench.models.face import face_embedder; face_embedder('resnet18', pretrained=True)",
    "video_classifier": "from aihub_bench.models.video import video_classifier; video_classifier(3, 'resnet18', True)",
    "multimodal_image_encoder": "from aihub_bench.models.multimodal import ImageEncoder; ImageEncoder('resnet18', True)",
}


@pytest.mark.slow
@pytest.mark.parametrize("code", BUILDERS.values(), ids=BUILDERS.keys())
def test_pretrained_weights_offline_fail_with_a_clear_message(code: str) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode != 0
    assert "could not fetch pretrained weights for 'resnet18'" in result.stderr
    assert "model.net.pretrained=false" in result.stderr
