"""Text recognition and syllable classification models, and the CTC decoders.

CRNN (Shi et al. 2015): a timm CNN whose later stages keep the width (their stride-2 convolutions
and pools become ``(2, 1)``), so the feature map has one column per ``width_stride`` = 4 input
pixels while the height keeps halving; the rows are mean-pooled (any input height works), a
bidirectional LSTM reads the columns left to right and a linear layer scores every class per
column. Class 0 is the CTC blank.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import torch
from timm.models import FeatureInfo
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from aihub_bench.models.timm_backbone import create_timm_model

WIDTH_STRIDE = 4  # input pixels per output frame: a Korean syllable at height 32 spans ~8 frames
BLANK = 0
_PROBE_SIZE = (32, 64)  # (height, width) of the dummy input that measures the width stride


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    first, second = (int(v) for v in value)
    return first, second


def keep_width(module: nn.Module) -> None:
    """Turn a stride-2 convolution or pooling into stride ``(2, 1)``: the height still halves, the
    width no longer does (a pool whose kernel would then shrink the width gets a kernel width of 1).
    Other modules are left as they are."""
    if isinstance(module, nn.Conv2d) and _pair(module.stride) == (2, 2):
        module.stride = (2, 1)
    elif isinstance(module, nn.AvgPool2d | nn.MaxPool2d) and _pair(module.stride) == (2, 2):
        (kh, kw), (ph, pw) = _pair(module.kernel_size), _pair(module.padding)
        module.stride = (2, 1)
        if kw % 2 == 0 or pw != kw // 2:  # this kernel would not preserve the width at stride 1
            module.kernel_size, module.padding = (kh, 1), (ph, 0)


def keep_width_after(encoder: nn.Module, stage: str) -> None:
    """:func:`keep_width` on every module that comes after the module ``stage`` (and its children) in
    registration order, which is the forward order of timm's feature extractors. ``stage`` is a
    feature-info name (``layer1``, ``blocks.0``, ``stages.0``): timm flattens some to ``stages_0``."""
    names = [name for name, _ in encoder.named_modules()]
    found = next((n for n in (stage, stage.replace(".", "_")) if n in names), None)
    if found is None:
        raise ValueError(f"the encoder has no module {stage!r} (its stride-{WIDTH_STRIDE} stage)")
    after = False
    for name, module in encoder.named_modules():
        if name == found:
            after = True
        elif after and not name.startswith(found + "."):
            keep_width(module)


def text_encoder(backbone: str, in_chans: int, pretrained: bool) -> tuple[nn.Module, int, int]:
    """A timm ``features_only`` encoder (its deepest stage) whose stages after stride 4 keep the width.

    Returns ``(encoder, channels, width_stride)``; the stride is measured on a dummy input, so a
    backbone whose layers this cannot adapt is a ``ValueError`` rather than a silently short sequence.
    """
    encoder = create_timm_model(
        backbone, pretrained, features_only=True, out_indices=(-1,), in_chans=in_chans
    )
    info = encoder.feature_info  # set by timm on features_only models (nn.Module does not declare it)
    assert isinstance(info, FeatureInfo)
    names = [str(stage["module"]) for stage in info.info]  # every stage, not only the output one
    reductions = [int(stage["reduction"]) for stage in info.info]
    if WIDTH_STRIDE not in reductions:
        raise ValueError(
            f"model.net.backbone={backbone!r} has no stage at stride {WIDTH_STRIDE} "
            f"(its strides: {reductions}); pick a ResNet-like backbone"
        )
    keep_width_after(encoder, names[reductions.index(WIDTH_STRIDE)])

    was_training = encoder.training
    encoder.eval()
    with torch.no_grad():
        probe = encoder(torch.zeros(1, in_chans, *_PROBE_SIZE))[-1]
    encoder.train(was_training)
    width_stride = _PROBE_SIZE[1] // int(probe.shape[-1])
    if width_stride != WIDTH_STRIDE or _PROBE_SIZE[1] % int(probe.shape[-1]):
        raise ValueError(
            f"model.net.backbone={backbone!r}: its later stages could not be made to keep the width "
            f"(a {_PROBE_SIZE[1]}-pixel-wide input gave {probe.shape[-1]} columns, not "
            f"{_PROBE_SIZE[1] // WIDTH_STRIDE}); pick a ResNet-like backbone"
        )
    return encoder, int(info.channels()[-1]), width_stride


class CRNN(nn.Module):
    """``forward(images (B, C, H, W), widths (B,) | None)`` -> log-probs ``(T, B, num_classes)``,
    ``T = ceil(W / width_stride)``. With ``widths`` (each image's width before right-padding) the
    LSTM reads only each image's own frames, so padding never changes a prediction."""

    def __init__(
        self, encoder: nn.Module, channels: int, num_classes: int, hidden: int, layers: int, width_stride: int
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.width_stride = width_stride
        self.rnn = nn.LSTM(channels, hidden, num_layers=layers, bidirectional=True)
        self.classifier = nn.Linear(2 * hidden, num_classes)

    def output_lengths(self, widths: torch.Tensor, frames: int) -> torch.Tensor:
        """Frames that belong to each image: ``widths // width_stride``, between 1 and ``frames``."""
        return torch.div(widths, self.width_stride, rounding_mode="floor").clamp(1, frames).long()

    def forward(self, images: torch.Tensor, widths: torch.Tensor | None = None) -> torch.Tensor:
        columns = self.encoder(images)[-1].mean(dim=2)  # (B, channels, T): rows pooled away
        sequence = columns.permute(2, 0, 1)  # (T, B, channels)
        frames = sequence.shape[0]
        if widths is None:
            features, _ = self.rnn(sequence)
        else:
            lengths = self.output_lengths(widths, frames).cpu()
            packed = pack_padded_sequence(sequence, lengths, enforce_sorted=False)
            output, _ = self.rnn(packed)
            features, _ = pad_packed_sequence(output, total_length=frames)
        log_probs: torch.Tensor = self.classifier(features).log_softmax(dim=-1)
        return log_probs


def crnn(
    num_classes: int,
    backbone: str = "resnet18",
    hidden: int = 256,
    layers: int = 2,
    in_chans: int = 1,
    pretrained: bool = False,
) -> CRNN:
    """A :class:`CRNN` over ``num_classes`` (the blank included) on a timm backbone (``small`` =
    resnet10t). ``pretrained=true`` fetches ImageNet weights once through timm (adapted to
    ``in_chans``); offline it fails with a message saying how to turn it off."""
    if num_classes < 2:
        raise ValueError(f"a CTC recogniser needs the blank and at least one character, got {num_classes=}")
    encoder, channels, width_stride = text_encoder(backbone, in_chans, pretrained)
    return CRNN(encoder, channels, num_classes, hidden, layers, width_stride)


def syllable_classifier(
    num_classes: int, backbone: str = "resnet18", in_chans: int = 1, pretrained: bool = False
) -> nn.Module:
    """A timm image classifier: ``(B, in_chans, H, W)`` -> logits ``(B, num_classes)``."""
    if num_classes < 2:
        raise ValueError(f"a classifier needs at least two classes, got {num_classes=}")
    return create_timm_model(backbone, pretrained, num_classes=num_classes, in_chans=in_chans)


def _valid_frames(log_probs: torch.Tensor, lengths: torch.Tensor) -> list[np.ndarray]:
    """Each sample's ``(lengths[b], C)`` float64 log-probs (a padded frame is never decoded)."""
    if log_probs.ndim != 3 or lengths.shape != (log_probs.shape[1],):
        raise ValueError(
            f"expected log_probs (T, B, C) and lengths (B,), got {tuple(log_probs.shape)} and "
            f"{tuple(lengths.shape)}"
        )
    array = log_probs.detach().float().cpu().numpy().astype(np.float64)
    return [array[: int(n), b] for b, n in enumerate(lengths.tolist())]


def ctc_greedy_decode(log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
    """Best class per frame, repeats collapsed, blanks removed: one id list per sample."""
    decoded = []
    for frames in _valid_frames(log_probs, lengths):
        best = frames.argmax(axis=1) if len(frames) else np.zeros(0, dtype=np.int64)
        ids: list[int] = []
        previous = BLANK
        for c in best.tolist():
            if c != BLANK and c != previous:
                ids.append(int(c))
            previous = c
        decoded.append(ids)
    return decoded


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    high, low = (a, b) if a > b else (b, a)
    return high + math.log1p(math.exp(low - high))


def _prefix_beam_search(frames: np.ndarray, beam_width: int) -> list[int]:
    """CTC prefix beam search (Hannun et al. 2014) over one sample's ``(T, C)`` log-probs.

    Each prefix keeps two scores: paths ending in a blank and paths ending in its last character, so
    a repeated character is only a new character after a blank. Per frame only the ``beam_width``
    likeliest characters extend a prefix (11,172 syllables would be too slow otherwise); a prefix's
    own last character always keeps it alive.
    """
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -math.inf)}
    for row in frames:
        candidates = [int(c) for c in np.argsort(-row)[: beam_width + 1] if c != BLANK][:beam_width]
        scores: defaultdict[tuple[int, ...], list[float]] = defaultdict(lambda: [-math.inf, -math.inf])
        for prefix, (blank_end, char_end) in beams.items():
            total = _logaddexp(blank_end, char_end)
            same = scores[prefix]
            same[0] = _logaddexp(same[0], total + row[BLANK])
            last = prefix[-1] if prefix else None
            if last is not None:  # the last character repeated: the same prefix
                same[1] = _logaddexp(same[1], char_end + row[last])
            for c in candidates:
                extended = scores[prefix + (c,)]
                # after its own last character a character is new only when a blank came between
                source = blank_end if c == last else total
                extended[1] = _logaddexp(extended[1], source + row[c])
        ranked = sorted(scores.items(), key=lambda item: _logaddexp(*item[1]), reverse=True)
        beams = {prefix: (s[0], s[1]) for prefix, s in ranked[:beam_width]}
    best = max(beams.items(), key=lambda item: _logaddexp(*item[1]))[0]
    return list(best)


def ctc_beam_decode(log_probs: torch.Tensor, lengths: torch.Tensor, beam_width: int = 5) -> list[list[int]]:
    """The most probable labelling per sample (summed over all its CTC paths), by prefix beam search."""
    if beam_width < 1:
        raise ValueError(f"beam_width must be at least 1, got {beam_width}")
    return [_prefix_beam_search(frames, beam_width) for frames in _valid_frames(log_probs, lengths)]
