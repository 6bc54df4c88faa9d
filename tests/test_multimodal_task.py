"""The multimodal task: heads from the config or derived from the data, one cross-entropy per head
summed (weighted), clear errors for heads that do not fit the data, and an evaluator per head."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import pytest
import torch
from torch import nn

from aihub_bench.models.multimodal import multimodal_classifier
from aihub_bench.tasks.multimodal import MultimodalClassificationTask, default_heads

TARGETS = {"emotion": ["neutral", "happy", "sad"]}


class _MeanNet(nn.Module):
    """Per head: the mean of a few batch features → logits (enough to check the plumbing)."""

    def __init__(self, heads: Mapping[str, Mapping[str, Any]], targets: Mapping[str, list[str]]) -> None:
        super().__init__()
        self.heads = nn.ModuleDict(
            {name: nn.Linear(2, len(targets[spec["target"]])) for name, spec in heads.items()}
        )

    def forward(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        features = torch.stack([batch["text"].float().mean(1), batch["image"].mean((1, 2, 3, 4))], dim=1)
        return {name: head(features) for name, head in self.heads.items()}


def _net(heads: Any, targets: Any, vocab_size: int, pad_id: int) -> nn.Module:
    return _MeanNet(heads, targets)


def _task(**kwargs: Any) -> MultimodalClassificationTask:
    options: dict[str, Any] = {
        "net": _net,
        "optimizer": partial(torch.optim.SGD, lr=0.1),
        "targets": TARGETS,
        "vocab_size": 50,
        "inputs": ["text", "image"],
    }
    options.update(kwargs)
    return MultimodalClassificationTask(**options)


def _batch() -> dict[str, Any]:
    return {
        "text": torch.randint(0, 50, (4, 6)),
        "image": torch.randn(4, 3, 2, 8, 8),
        "labels": {"emotion": torch.tensor([0, 1, 2, 1])},
        "key": ["a#t0", "a#t1", "b#t0", "b#t1"],
    }


def test_default_heads_one_per_input_and_a_fused_one() -> None:
    assert default_heads(["emotion"], ["text", "image"]) == {
        "text": {"inputs": ["text"], "target": "emotion"},
        "image": {"inputs": ["image"], "target": "emotion"},
        "fused": {"inputs": ["text", "image"], "target": "emotion"},
    }
    assert default_heads(["gender", "age"], ["image"]) == {
        "gender": {"inputs": ["image"], "target": "gender"},
        "age": {"inputs": ["image"], "target": "age"},
    }
    assert list(default_heads(["emotion", "intent"], ["text", "dialogue"])) == [
        "emotion_text",
        "emotion_dialogue",
        "emotion_fused",
        "intent_text",
        "intent_dialogue",
        "intent_fused",
    ]


def test_training_loss_is_the_weighted_sum_of_the_heads_cross_entropies() -> None:
    task = _task(head_weights={"image": 2.0})
    assert list(task.heads) == ["text", "image", "fused"] and task.primary == "fused"
    batch = _batch()
    outputs = task(batch)
    labels = batch["labels"]["emotion"]
    expected = sum(
        w * nn.functional.cross_entropy(outputs[h], labels)
        for h, w in (("text", 1.0), ("image", 2.0), ("fused", 1.0))
    )
    torch.testing.assert_close(task.training_loss(batch), expected)
    assert task.batch_units(batch) == 4


def test_label_smoothing_reaches_every_head() -> None:
    task = _task(heads={"text": {"inputs": ["text"], "target": "emotion"}}, label_smoothing=0.2)
    batch = _batch()
    expected = nn.functional.cross_entropy(
        task(batch)["text"], batch["labels"]["emotion"], label_smoothing=0.2
    )
    torch.testing.assert_close(task.training_loss(batch), expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"heads": {"x": {"inputs": ["text"], "target": "intent"}}}, "model.heads.x.target='intent'"),
        ({"primary": "nope"}, "model.primary='nope'"),
        ({"head_weights": {"nope": 1.0}}, "unknown heads ['nope']"),
        ({"heads": {}}, "model.heads is empty"),
        ({"inputs": []}, "names no inputs"),
        ({"targets": {"emotion": ["only"]}}, "at least 2 classes"),
    ],
)
def test_heads_that_do_not_fit_the_data_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _task(**kwargs)


def test_evaluator_scores_each_head_and_the_primary_one_unprefixed() -> None:
    task = _task(primary="text", display_names={"emotion": ["중립 (neutral)", "기쁨 (happy)", "슬픔 (sad)"]})
    evaluator = task.make_evaluator("test")
    batch = _batch()
    outputs = {h: torch.zeros(4, 3) for h in task.heads}
    outputs["text"][torch.arange(4), torch.tensor([0, 1, 2, 0])] = 1.0  # 3 of 4 right
    evaluator.process(batch, outputs)
    metrics = evaluator.evaluate()
    assert metrics["text/accuracy"] == pytest.approx(0.75)
    assert metrics["accuracy"] == metrics["text/accuracy"]
    assert metrics["image/accuracy"] == pytest.approx(0.25)  # all predicted "neutral"
    assert set(metrics) >= {"fused/macro_f1", "image/macro_f1", "text/macro_f1", "macro_f1"}


def test_the_real_net_factory_builds_from_the_task() -> None:
    """The config's partial gets heads, targets, vocab size and pad id from the task (no other key)."""
    net = partial(multimodal_classifier, backbone="resnet10t", text={"size": "tiny"})
    task = _task(net=net, heads={"text": {"inputs": ["text"], "target": "emotion"}})
    batch = _batch()
    batch["text_mask"] = torch.ones(4, 6, dtype=torch.bool)
    assert task(batch)["text"].shape == (4, 3)
