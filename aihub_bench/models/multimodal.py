"""Multimodal classifiers: named heads, each reading its own inputs (text, dialogue, image) through its
own encoders and predicting one target.

- :class:`TextEncoder`: a BERT encoder built from a config, from scratch (the vocabulary is the run's
  own subword one), sized by name (:data:`TEXT_SIZES`); ``(ids, mask, segments) -> (B, F)``, the mean
  of the last hidden state over the real tokens. ``segments`` (0 context, 1 current turn) are BERT's
  token types.
- :class:`ImageEncoder`: a timm 2D backbone on every frame of ``(B, 3, T, H, W)`` crops, pooled over
  time (``mean`` / ``max`` / ``conv``, shared with :mod:`aihub_bench.models.video`) -> ``(B, F)``.
- :class:`MultimodalClassifier`: ``forward(batch) -> {head: (B, K_target) logits}``. A head with one
  input is a dropout and a linear layer on its features; a head with several (late fusion) concatenates
  them, then dropout, ``Linear(ΣF, fusion_hidden)``, GELU, dropout, ``Linear(K)``. No encoder is shared
  between heads, so the text, image and fused models of one run are trained independently (a fair
  comparison of modalities in one run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from transformers import BertConfig, BertModel

from aihub_bench.models.video import FrameFeatures, timm_frame_backbone

# hidden size, layers, attention heads, feed-forward width
TEXT_SIZES: dict[str, tuple[int, int, int, int]] = {
    "tiny": (64, 2, 2, 128),  # smoke runs and tests
    "small": (128, 2, 4, 256),  # CPU runs on the synthetic twin
    "base": (256, 4, 4, 1024),  # the release on a GPU
}
TEXT_OPTIONS = ("size", "max_positions", "dropout", "pretrained")
# a head's input name -> the batch keys it reads, in the encoder's argument order
INPUT_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("text", "text_mask"),
    "dialogue": ("dialogue", "dialogue_mask", "dialogue_segments"),
    "image": ("image",),
}


class TextEncoder(nn.Module):
    """A randomly initialised BERT encoder: ``(ids, mask, segments=None) -> (B, F)``, the masked mean of
    its last hidden state (padding never changes the result). ``num_features`` is F."""

    def __init__(
        self,
        vocab_size: int,
        pad_id: int,
        size: str = "small",
        max_positions: int = 256,
        dropout: float = 0.1,
        pretrained: bool = False,
    ) -> None:
        super().__init__()
        if pretrained:
            raise ValueError(
                "model.net.text.pretrained=true: the text encoder is trained from scratch (its vocabulary "
                "is the run's own subword one); set model.net.text.pretrained=false"
            )
        if size not in TEXT_SIZES:
            raise ValueError(f"model.net.text.size must be one of {sorted(TEXT_SIZES)}, got {size!r}")
        if not 0 <= pad_id < vocab_size:
            raise ValueError(f"need 0 <= pad_id < vocab_size, got {pad_id=}, {vocab_size=}")
        if max_positions < 1 or not 0 <= dropout < 1:
            raise ValueError(
                f"model.net.text needs max_positions >= 1 and 0 <= dropout < 1, got {max_positions=}, {dropout=}"
            )
        hidden, layers, heads, ffn = TEXT_SIZES[size]
        config = BertConfig(
            vocab_size=vocab_size,
            hidden_size=hidden,
            num_hidden_layers=layers,
            num_attention_heads=heads,
            intermediate_size=ffn,
            hidden_dropout_prob=dropout,
            attention_probs_dropout_prob=dropout,
            max_position_embeddings=max_positions,
            type_vocab_size=2,
            pad_token_id=pad_id,
        )
        self.bert = BertModel(config, add_pooling_layer=False)
        self.max_positions, self.num_features = max_positions, hidden

    def forward(
        self, ids: torch.Tensor, mask: torch.Tensor, segments: torch.Tensor | None = None
    ) -> torch.Tensor:
        if ids.ndim != 2 or mask.shape != ids.shape:
            raise ValueError(
                f"ids and mask must both be (B, L), got {tuple(ids.shape)} and {tuple(mask.shape)}"
            )
        if ids.shape[1] > self.max_positions:
            raise ValueError(
                f"{ids.shape[1]} tokens exceed model.net.text.max_positions={self.max_positions}; raise it "
                "or lower the datamodule's max_length / context_max_length"
            )
        hidden = self.bert(
            input_ids=ids, attention_mask=mask.long(), token_type_ids=segments
        ).last_hidden_state
        weights = mask.to(hidden.dtype).unsqueeze(-1)
        pooled: torch.Tensor = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
        return pooled


class ImageEncoder(FrameFeatures):
    """timm's ``backbone`` (``small`` = the tests' smallest) on every frame, pooled over time by
    ``temporal``: ``(B, 3, T, H, W) -> (B, F)``. ``pretrained`` (ImageNet) is opt-in and fails clearly
    offline."""

    def __init__(self, backbone: str = "small", pretrained: bool = False, temporal: str = "mean") -> None:
        net, features = timm_frame_backbone(backbone, pretrained)
        super().__init__(net, features, temporal)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        if clips.ndim != 5 or clips.shape[1] != 3:
            raise ValueError(f"image crops must be (B, 3, T, H, W), got {tuple(clips.shape)}")
        return self.pooled(clips)


Encoder = TextEncoder | ImageEncoder


@dataclass(frozen=True)
class HeadSpec:
    """One head of the config: its name, the inputs it reads (in order) and the target it predicts."""

    name: str
    inputs: tuple[str, ...]
    target: str


def parse_heads(heads: Mapping[str, Any], targets: Mapping[str, Sequence[str]]) -> list[HeadSpec]:
    """``model.net.heads`` checked: a non-empty mapping of names to ``{inputs: [...], target: t}`` with
    known, distinct inputs and a target among ``targets``; a ValueError naming the head otherwise."""
    if not isinstance(heads, Mapping) or not heads:
        raise ValueError("model.net.heads must map at least one head name to {inputs: [...], target: ...}")
    specs = []
    for name, spec in heads.items():
        where = f"model.net.heads.{name}"
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"{where}: a head name must be a non-empty string without '.'")
        if not isinstance(spec, Mapping) or set(spec) != {"inputs", "target"}:
            keys = sorted(spec) if isinstance(spec, Mapping) else type(spec).__name__
            raise ValueError(f"{where} must have exactly the keys inputs and target, got {keys}")
        inputs, target = spec["inputs"], spec["target"]
        if isinstance(inputs, str) or not isinstance(inputs, Sequence) or not inputs:
            raise ValueError(
                f"{where}.inputs must be a non-empty list of {sorted(INPUT_KEYS)}, got {inputs!r}"
            )
        unknown = [i for i in inputs if i not in INPUT_KEYS]
        if unknown or len(set(inputs)) != len(inputs):
            raise ValueError(
                f"{where}.inputs must be distinct names among {sorted(INPUT_KEYS)}, got {list(inputs)}"
            )
        if target not in targets:
            raise ValueError(
                f"{where}.target={target!r} is not one of the dataset's targets {sorted(targets)}"
            )
        if not targets[target]:
            raise ValueError(f"{where}.target={target!r} has no classes")
        specs.append(HeadSpec(name, tuple(str(i) for i in inputs), str(target)))
    return specs


def _classifier(
    features: int, num_classes: int, fused: bool, dropout: float, fusion_hidden: int
) -> nn.Module:
    if not fused:
        return nn.Sequential(nn.Dropout(dropout), nn.Linear(features, num_classes))
    return nn.Sequential(
        nn.Dropout(dropout),
        nn.Linear(features, fusion_hidden),
        nn.GELU(),
        nn.Dropout(dropout),
        nn.Linear(fusion_hidden, num_classes),
    )


class MultimodalHead(nn.Module):
    """One head: an encoder per input (its own), their features concatenated, a classifier."""

    def __init__(
        self,
        spec: HeadSpec,
        encoders: Mapping[str, Encoder],
        num_classes: int,
        dropout: float,
        fusion_hidden: int,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.encoders = nn.ModuleDict({name: encoders[name] for name in spec.inputs})
        features = sum(encoders[name].num_features for name in spec.inputs)
        self.classifier = _classifier(features, num_classes, len(spec.inputs) > 1, dropout, fusion_hidden)

    def forward(self, batch: Mapping[str, Any]) -> torch.Tensor:
        features = []
        for name, encoder in self.encoders.items():
            missing = [key for key in INPUT_KEYS[name] if key not in batch]
            if missing:
                raise ValueError(
                    f"head {self.spec.name!r} reads input {name!r} but the batch lacks {missing} "
                    "(add it to the datamodule's inputs)"
                )
            features.append(encoder(*(batch[key] for key in INPUT_KEYS[name])))
        logits: torch.Tensor = self.classifier(torch.cat(features, dim=1))
        return logits


class MultimodalClassifier(nn.Module):
    """Independent heads over one batch: ``forward(batch) -> {head: (B, K) logits}``."""

    def __init__(self, heads: Mapping[str, MultimodalHead]) -> None:
        super().__init__()
        self.specs = {name: head.spec for name, head in heads.items()}
        self.heads = nn.ModuleDict(dict(heads))

    @property
    def head_targets(self) -> dict[str, str]:
        """Head name -> the target it predicts."""
        return {name: spec.target for name, spec in self.specs.items()}

    @property
    def inputs(self) -> set[str]:
        """The inputs (text, dialogue, image) some head reads."""
        return {name for spec in self.specs.values() for name in spec.inputs}

    def forward(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        return {name: self.heads[name](batch) for name in self.specs}


def _text_options(text: Mapping[str, Any] | None) -> dict[str, Any]:
    options = dict(text or {})
    unknown = sorted(set(options) - set(TEXT_OPTIONS))
    if unknown:
        raise ValueError(f"model.net.text: unknown options {unknown}; known are {list(TEXT_OPTIONS)}")
    return options


def multimodal_classifier(
    heads: Mapping[str, Any],
    targets: Mapping[str, Sequence[str]],
    vocab_size: int | None,
    pad_id: int,
    backbone: str = "small",
    pretrained: bool = False,
    temporal: str = "mean",
    text: Mapping[str, Any] | None = None,
    dropout: float = 0.1,
    fusion_hidden: int = 256,
) -> MultimodalClassifier:
    """A :class:`MultimodalClassifier` with one head per entry of ``heads`` (``{name: {inputs, target}}``)
    predicting ``targets[target]`` classes. ``backbone`` / ``pretrained`` / ``temporal`` configure every
    image encoder, ``text`` (``size``, ``max_positions``, ``dropout``) every text encoder."""
    specs = parse_heads(heads, targets)
    if not 0 <= dropout < 1 or fusion_hidden < 1:
        raise ValueError(
            f"need 0 <= model.net.dropout < 1 and fusion_hidden >= 1, got {dropout=}, {fusion_hidden=}"
        )
    text_options = _text_options(text)
    built = {}
    for spec in specs:
        encoders: dict[str, Encoder] = {}
        for name in spec.inputs:
            if name == "image":
                encoders[name] = ImageEncoder(backbone, pretrained, temporal)
            elif vocab_size is None:
                raise ValueError(
                    f"head {spec.name!r} reads {name!r}: a text vocabulary (vocab_size) is needed"
                )
            else:
                encoders[name] = TextEncoder(vocab_size, pad_id, **text_options)
        built[spec.name] = MultimodalHead(spec, encoders, len(targets[spec.target]), dropout, fusion_hidden)
    return MultimodalClassifier(built)
