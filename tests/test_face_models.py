"""The face embedder and the ArcFace / CosFace margin heads, checked against NumPy references written
from the formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from aihub_bench.models.face import MarginHead, face_embedder


def _reference_logits(
    embeddings: np.ndarray, weight: np.ndarray, labels: np.ndarray, kind: str, s: float, m: float
) -> np.ndarray:
    """The margin-head logits from the papers' formulas (insightface's fallback past pi - m)."""
    e = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    w = weight / np.linalg.norm(weight, axis=1, keepdims=True)
    cos = np.clip(e @ w.T, -1.0, 1.0)
    out = cos.copy()
    for row, label in enumerate(labels):
        if label < 0:
            continue
        c = cos[row, label]
        theta = math.acos(c)
        if kind == "cosface":
            out[row, label] = c - m
        elif theta + m < math.pi:
            out[row, label] = math.cos(theta + m)
        else:
            out[row, label] = c - m * math.sin(m)
    return s * out


def _float(array: np.ndarray) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float32)


def _head_with(weight: np.ndarray, kind: str, scale: float, margin: float) -> MarginHead:
    head = MarginHead(weight.shape[1], weight.shape[0], kind=kind, scale=scale, margin=margin)
    with torch.no_grad():
        head.weight.copy_(_float(weight))
    return head


@pytest.mark.parametrize("kind", ["arcface", "cosface"])
def test_margin_logits_match_the_formulas(kind: str) -> None:
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(5, 8))
    embeddings = rng.normal(size=(12, 8))
    # rows 0 and 1 sit opposite their class centre (theta near pi: ArcFace's fallback branch)
    embeddings[0] = -weight[2] + 0.01 * rng.normal(size=8)
    embeddings[1] = -weight[4]
    labels = np.array([2, 4, 0, 1, 2, 3, 4, 0, 1, -1, 3, 2])
    head = _head_with(weight, kind, 30.0, 0.5)
    got = head(_float(embeddings), torch.from_numpy(labels)).detach().numpy()
    expected = _reference_logits(embeddings, weight, labels, kind, 30.0, 0.5)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    if kind == "arcface":  # the fallback branch was exercised, and it is not cos(theta + m)
        theta = math.acos(expected[0, 2] / 30.0 + 0.5 * math.sin(0.5))
        assert theta + 0.5 > math.pi
        assert not math.isclose(expected[0, 2] / 30.0, math.cos(theta + 0.5), abs_tol=1e-3)


@pytest.mark.parametrize("kind", ["arcface", "cosface"])
def test_zero_margin_gives_scaled_cosine_and_logits_have_no_margin(kind: str) -> None:
    rng = np.random.default_rng(1)
    weight, embeddings = rng.normal(size=(4, 6)), rng.normal(size=(7, 6))
    labels = torch.tensor([0, 1, 2, 3, 0, 1, 2])
    cosine = F.normalize(_float(embeddings), dim=1) @ F.normalize(_float(weight), dim=1).T
    plain = _head_with(weight, kind, 64.0, 0.0)
    torch.testing.assert_close(plain(_float(embeddings), labels), 64.0 * cosine)
    margined = _head_with(weight, kind, 64.0, 0.4)
    torch.testing.assert_close(margined.logits(_float(embeddings)), 64.0 * cosine)
    with_margin = margined(_float(embeddings), labels)
    target = with_margin[torch.arange(7), labels]
    assert torch.all(target < 64.0 * cosine[torch.arange(7), labels])  # only the target class is penalised
    others = torch.ones_like(with_margin, dtype=torch.bool)
    others[torch.arange(7), labels] = False
    torch.testing.assert_close(with_margin[others], (64.0 * cosine)[others])


def test_embedder_output_and_gradients_reach_the_backbone() -> None:
    torch.manual_seed(0)
    net = face_embedder("small", embedding_dim=16, dropout=0.1)
    head = MarginHead(16, 3)
    embeddings = net(torch.randn(4, 3, 64, 64))
    assert embeddings.shape == (4, 16)
    assert not torch.allclose(embeddings.norm(dim=1), torch.ones(4))  # not normalised
    F.cross_entropy(head(embeddings, torch.tensor([0, 1, 2, 0])), torch.tensor([0, 1, 2, 0])).backward()
    first_conv = next(p for name, p in net.backbone.named_parameters() if "conv" in name)
    assert first_conv.grad is not None and first_conv.grad.abs().sum() > 0
    assert head.weight.grad is not None and head.weight.grad.abs().sum() > 0


def test_unknown_head_kind_and_backbone_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="arcface"):
        MarginHead(8, 3, kind="sphereface")
    with pytest.raises(ValueError, match="below pi/2"):
        MarginHead(8, 3, margin=2.0)
    head = MarginHead(8, 3, kind="cosface", margin=0.35)
    head.set_margin(0.1)
    assert head.margin == 0.1
    with pytest.raises(ValueError, match="must be >= 0"):
        head.set_margin(-0.1)
    with pytest.raises(ValueError, match="not a timm model"):
        face_embedder("no_such_net")


def test_small_embedder_and_arcface_head_overfit_four_identities() -> None:
    torch.manual_seed(0)
    images = torch.randn(4, 3, 32, 32)
    batch = images.repeat(2, 1, 1, 1) + 0.05 * torch.randn(8, 3, 32, 32)
    labels = torch.arange(4).repeat(2)
    net = face_embedder("small", embedding_dim=32)
    head = MarginHead(32, 4, kind="arcface", scale=16.0, margin=0.3)
    optimizer = torch.optim.Adam([*net.parameters(), *head.parameters()], lr=3e-3)
    losses = []
    for _ in range(24):
        loss = F.cross_entropy(head(net(batch), labels), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    net.eval()
    with torch.no_grad():
        assert torch.equal(head.logits(net(images)).argmax(dim=1), torch.arange(4))
