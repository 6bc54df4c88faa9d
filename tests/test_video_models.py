"""Video classifiers: torchvision video networks with a new head, timm 2D backbones with a temporal
head (mean / max / conv), clip-size checks, training signal, and opt-in weights failing clearly."""

from __future__ import annotations

from urllib.error import URLError

import pytest
import torch
from torch import nn

from aihub_bench.models.video import FrameTemporalNet, TorchvisionVideoNet, video_classifier

CLIP = (2, 3, 4, 32, 32)  # (B, 3, T, H, W)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def test_r3d_18_gives_one_logit_per_class_and_its_head_is_sized_for_them() -> None:
    model = video_classifier(5, backbone="r3d_18", dropout=0.2).eval()
    assert isinstance(model, TorchvisionVideoNet)
    head = model.net.fc
    assert isinstance(head[0], nn.Dropout) and head[0].p == 0.2
    assert (head[1].in_features, head[1].out_features) == (512, 5)
    with torch.no_grad():
        assert model(torch.randn(*CLIP)).shape == (2, 5)


@pytest.mark.parametrize("backbone", ["mc3_18", "r2plus1d_18", "mvit_v1_b", "s3d"])
def test_every_torchvision_video_network_gets_a_head_of_num_classes(backbone: str) -> None:
    model = video_classifier(6, backbone=backbone, dropout=0.3)
    last = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv3d))][-1]
    assert (last.out_features if isinstance(last, nn.Linear) else last.out_channels) == 6
    dropouts = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    assert dropouts[-1].p == 0.3


@pytest.mark.parametrize("temporal", ["mean", "max", "conv"])
def test_a_timm_backbone_with_each_temporal_head_gives_one_logit_per_class(temporal: str) -> None:
    model = video_classifier(7, backbone="small", temporal=temporal).eval()
    assert isinstance(model, FrameTemporalNet)
    assert model.classifier.out_features == 7
    assert model.classifier.in_features == model.backbone.num_features
    with torch.no_grad():
        assert model(torch.randn(*CLIP)).shape == (2, 7)


def test_the_conv_head_sees_frame_order_and_the_mean_head_does_not() -> None:
    clip = torch.randn(*CLIP)
    reversed_clip = clip.flip(dims=(2,))
    with torch.no_grad():
        mean = video_classifier(3, backbone="small", temporal="mean").eval()
        torch.testing.assert_close(mean(clip), mean(reversed_clip), rtol=1e-4, atol=1e-5)
        conv = video_classifier(3, backbone="small", temporal="conv").eval()
        assert not torch.allclose(conv(clip), conv(reversed_clip), rtol=1e-4, atol=1e-5)


def test_an_unknown_temporal_head_or_backbone_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="temporal must be one of"):
        video_classifier(3, backbone="small", temporal="lstm")
    with pytest.raises(ValueError, match="not a timm model"):
        video_classifier(3, backbone="no_such_net")


def test_mvit_names_the_clip_size_it_needs() -> None:
    model = video_classifier(3, backbone="mvit_v1_b").eval()
    with pytest.raises(ValueError, match=r"exactly \(16, 224, 224\)"):
        model(torch.randn(1, 3, 8, 112, 112))


@pytest.mark.parametrize("backbone", ["r3d_18", "small"])
def test_gradients_reach_the_backbone(backbone: str) -> None:
    model = video_classifier(4, backbone=backbone)
    loss = nn.functional.cross_entropy(model(torch.randn(*CLIP)), torch.tensor([0, 3]))
    loss.backward()
    first = next(p for name, p in model.named_parameters() if "conv" in name or "stem" in name)
    assert first.grad is not None and first.grad.abs().sum() > 0


def test_a_small_timm_model_overfits_four_clips_with_distinct_labels() -> None:
    clips, labels = torch.randn(4, 3, 4, 32, 32), torch.arange(4)
    model = video_classifier(4, backbone="small", temporal="conv")
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(30):
        optimiser.zero_grad()
        loss = nn.functional.cross_entropy(model(clips), labels)
        loss.backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        assert model(clips).argmax(dim=1).tolist() == labels.tolist()


def test_kinetics_weights_offline_fail_with_a_message_saying_how_to_turn_them_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from torchvision.models import _api

    def offline(*args: object, **kwargs: object) -> None:
        raise URLError("no network")

    monkeypatch.setattr(_api, "load_state_dict_from_url", offline)
    with pytest.raises(RuntimeError, match="could not fetch pretrained weights for 'r3d_18'") as caught:
        video_classifier(3, backbone="r3d_18", pretrained=True)
    assert "model.net.pretrained=false" in str(caught.value)
