"""Multimodal classifiers (aihub_bench.models.multimodal): head shapes, a text encoder blind to padding
and aware of dialogue segments, independent heads, late fusion, gradients, a tiny model that learns,
and clear errors for bad configs."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from omegaconf import OmegaConf
from torch import nn

from aihub_bench.models.multimodal import (
    TEXT_SIZES,
    ImageEncoder,
    MultimodalClassifier,
    TextEncoder,
    multimodal_classifier,
)

VOCAB, PAD = 40, 0
TARGETS = {"emotion": ["neutral", "happy", "sad", "angry"], "intent": ["request", "question", "statement"]}
HEADS = {
    "text": {"inputs": ["text"], "target": "emotion"},
    "image": {"inputs": ["image"], "target": "emotion"},
    "fused": {"inputs": ["text", "image"], "target": "emotion"},
    "dialogue": {"inputs": ["dialogue"], "target": "intent"},
}
TINY = {"size": "tiny", "max_positions": 32, "dropout": 0.0}


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def _batch(size: int = 3, length: int = 6, frames: int = 2, side: int = 32) -> dict[str, Any]:
    ids = torch.randint(4, VOCAB, (size, length))
    ids[0, length - 2 :] = PAD  # one shorter sample
    mask = ids != PAD
    segments = torch.zeros(size, length, dtype=torch.long)
    segments[:, length // 2 :] = 1
    return {
        "text": ids,
        "text_mask": mask,
        "dialogue": ids.clone(),
        "dialogue_mask": mask.clone(),
        "dialogue_segments": segments,
        "image": torch.randn(size, 3, frames, side, side),
    }


def _model(heads: dict[str, Any] = HEADS, **kwargs: Any) -> MultimodalClassifier:
    return multimodal_classifier(heads, TARGETS, VOCAB, PAD, text=TINY, **kwargs)


def test_each_head_gives_logits_over_its_targets_classes() -> None:
    model = _model().eval()
    with torch.no_grad():
        out = model(_batch())
    assert {name: tuple(logits.shape) for name, logits in out.items()} == {
        "text": (3, 4),
        "image": (3, 4),
        "fused": (3, 4),
        "dialogue": (3, 3),
    }
    assert model.head_targets == {
        "text": "emotion",
        "image": "emotion",
        "fused": "emotion",
        "dialogue": "intent",
    }
    assert model.inputs == {"text", "image", "dialogue"}


def test_a_config_from_omegaconf_builds_the_same_heads() -> None:
    heads = OmegaConf.create({"text": HEADS["text"], "fused": HEADS["fused"]})
    model = multimodal_classifier(heads, TARGETS, VOCAB, PAD, text=OmegaConf.create(TINY))
    assert model.head_targets == {"text": "emotion", "fused": "emotion"}


def test_a_single_input_head_is_dropout_and_linear_and_a_fused_head_an_mlp_over_both_encoders() -> None:
    model = _model(dropout=0.2, fusion_hidden=16)
    text_features = TEXT_SIZES["tiny"][0]
    text_head = model.heads["text"]
    assert [type(m) for m in text_head.classifier] == [nn.Dropout, nn.Linear]
    assert (text_head.classifier[1].in_features, text_head.classifier[1].out_features) == (text_features, 4)
    fused = model.heads["fused"]
    assert list(fused.encoders) == ["text", "image"]
    image_features = fused.encoders["image"].num_features
    assert [type(m) for m in fused.classifier] == [nn.Dropout, nn.Linear, nn.GELU, nn.Dropout, nn.Linear]
    assert fused.classifier[1].in_features == text_features + image_features
    assert (fused.classifier[1].out_features, fused.classifier[4].out_features) == (16, 4)
    assert fused.classifier[0].p == 0.2


def test_every_head_owns_its_encoders() -> None:
    model = _model()
    text_params = {id(p) for p in model.heads["text"].parameters()}
    fused_params = {id(p) for p in model.heads["fused"].parameters()}
    image_params = {id(p) for p in model.heads["image"].parameters()}
    assert (
        not text_params & fused_params and not image_params & fused_params and not text_params & image_params
    )


def test_the_text_encoder_ignores_padding() -> None:
    encoder = TextEncoder(VOCAB, PAD, size="tiny", max_positions=32).eval()
    ids = torch.randint(4, VOCAB, (2, 7))
    mask = torch.ones_like(ids, dtype=torch.bool)
    padded = torch.cat([ids, torch.full((2, 5), PAD)], dim=1)
    padded_mask = torch.cat([mask, torch.zeros(2, 5, dtype=torch.bool)], dim=1)
    with torch.no_grad():
        plain = encoder(ids, mask)
        assert plain.shape == (2, TEXT_SIZES["tiny"][0])
        torch.testing.assert_close(encoder(padded, padded_mask), plain, rtol=1e-4, atol=1e-5)


def test_dialogue_segments_change_the_text_features() -> None:
    encoder = TextEncoder(VOCAB, PAD, size="tiny", max_positions=32).eval()
    ids = torch.randint(4, VOCAB, (2, 8))
    mask = torch.ones_like(ids, dtype=torch.bool)
    segments = torch.zeros_like(ids)
    segments[:, 4:] = 1
    with torch.no_grad():
        assert not torch.allclose(encoder(ids, mask, segments), encoder(ids, mask), atol=1e-4)


def test_changing_the_image_changes_the_image_and_fused_heads_only() -> None:
    model = _model().eval()
    batch = _batch()
    other = {**batch, "image": torch.randn_like(batch["image"])}
    with torch.no_grad():
        before, after = model(batch), model(other)
    torch.testing.assert_close(after["text"], before["text"])
    torch.testing.assert_close(after["dialogue"], before["dialogue"])
    assert not torch.allclose(after["image"], before["image"], atol=1e-4)
    assert not torch.allclose(after["fused"], before["fused"], atol=1e-4)


def test_gradients_of_a_fused_head_reach_both_encoders() -> None:
    model = _model({"fused": HEADS["fused"]})
    loss = nn.functional.cross_entropy(model(_batch())["fused"], torch.tensor([0, 1, 3]))
    loss.backward()
    encoders = model.heads["fused"].encoders
    word_embeddings = encoders["text"].bert.embeddings.word_embeddings.weight
    first_conv = next(p for name, p in encoders["image"].backbone.named_parameters() if "conv" in name)
    for grad in (word_embeddings.grad, first_conv.grad):
        assert grad is not None and grad.abs().sum() > 0


def test_a_tiny_model_overfits_eight_random_samples() -> None:
    batch = _batch(size=8, length=6, frames=2, side=24)
    labels = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    model = _model({"text": HEADS["text"], "fused": HEADS["fused"]}, dropout=0.0)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(30):
        optimiser.zero_grad()
        out = model(batch)
        loss = nn.functional.cross_entropy(out["text"], labels) + nn.functional.cross_entropy(
            out["fused"], labels
        )
        loss.backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        out = model(batch)
    assert out["text"].argmax(dim=1).tolist() == labels.tolist()
    assert out["fused"].argmax(dim=1).tolist() == labels.tolist()


def test_the_image_encoder_pools_frames_by_its_temporal_head() -> None:
    clip = torch.randn(2, 3, 3, 32, 32)
    with torch.no_grad():
        mean, peak = ImageEncoder(temporal="mean").eval(), ImageEncoder(temporal="max").eval()
        peak.load_state_dict(mean.state_dict())
        frames = mean.backbone(clip.transpose(1, 2).reshape(6, 3, 32, 32)).reshape(2, 3, -1)
        torch.testing.assert_close(mean(clip), frames.mean(dim=1))
        torch.testing.assert_close(peak(clip), frames.amax(dim=1))
    with pytest.raises(ValueError, match=r"\(B, 3, T, H, W\)"):
        mean(torch.randn(2, 3, 32, 32))


def test_a_missing_batch_input_names_the_head_and_the_key() -> None:
    batch = _batch()
    del batch["dialogue_segments"]
    with pytest.raises(ValueError, match=r"head 'dialogue' reads input 'dialogue'.*dialogue_segments"):
        _model()(batch)


@pytest.mark.parametrize(
    ("heads", "message"),
    [
        ({}, "model.net.heads must map at least one head"),
        (
            {"text": {"inputs": ["audio"], "target": "emotion"}},
            r"model.net.heads.text.inputs must be distinct",
        ),
        (
            {"text": {"inputs": ["text", "text"], "target": "emotion"}},
            r"model.net.heads.text.inputs must be distinct",
        ),
        (
            {"text": {"inputs": [], "target": "emotion"}},
            r"model.net.heads.text.inputs must be a non-empty list",
        ),
        (
            {"text": {"inputs": "text", "target": "emotion"}},
            r"model.net.heads.text.inputs must be a non-empty list",
        ),
        ({"text": {"inputs": ["text"], "target": "age"}}, r"model.net.heads.text.target='age' is not one"),
        ({"text": {"inputs": ["text"]}}, r"model.net.heads.text must have exactly the keys"),
        ({"a.b": {"inputs": ["text"], "target": "emotion"}}, r"without '\.'"),
    ],
)
def test_a_bad_head_spec_is_a_clear_error(heads: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _model(heads)


def test_bad_text_options_are_clear_errors() -> None:
    with pytest.raises(ValueError, match=r"model.net.text.size must be one of \['base', 'small', 'tiny'\]"):
        multimodal_classifier(HEADS, TARGETS, VOCAB, PAD, text={"size": "huge"})
    with pytest.raises(ValueError, match=r"model.net.text: unknown options \['layers'\]"):
        multimodal_classifier(HEADS, TARGETS, VOCAB, PAD, text={"layers": 3})
    with pytest.raises(ValueError, match="trained from scratch.*model.net.text.pretrained=false"):
        multimodal_classifier(HEADS, TARGETS, VOCAB, PAD, text={"pretrained": True})
    with pytest.raises(ValueError, match="vocab_size"):
        multimodal_classifier({"text": HEADS["text"]}, TARGETS, None, PAD)


def test_an_image_only_model_needs_no_vocabulary() -> None:
    model = multimodal_classifier({"gender": {"inputs": ["image"], "target": "intent"}}, TARGETS, None, PAD)
    with torch.no_grad():
        assert model.eval()({"image": torch.randn(2, 3, 2, 32, 32)})["gender"].shape == (2, 3)


def test_text_longer_than_max_positions_names_the_option() -> None:
    encoder = TextEncoder(VOCAB, PAD, size="tiny", max_positions=8)
    ids = torch.randint(4, VOCAB, (1, 9))
    with pytest.raises(ValueError, match=r"9 tokens exceed model.net.text.max_positions=8"):
        encoder(ids, torch.ones_like(ids, dtype=torch.bool))
