"""CRNN shapes and width stride, the CTC decoders on hand-built log-probs, a tiny CRNN that overfits four
rendered Korean words, and the syllable classifier."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont

from aihub_bench.data.text import Charset
from aihub_bench.models.text import crnn, ctc_beam_decode, ctc_greedy_decode, syllable_classifier

WORDS = ["가방", "나무꾼", "학교", "바다"]


def _log_probs(rows: list[list[float]]) -> torch.Tensor:
    """``(T, 1, C)`` log-probs from per-frame probabilities of one sample."""
    probs = torch.tensor(rows, dtype=torch.float64)
    return (probs / probs.sum(dim=1, keepdim=True)).log().unsqueeze(1)


def _label_log_prob(log_probs: torch.Tensor, label: list[int]) -> float:
    """log P(label | frames), summed over every CTC path, by torch's CTC loss (an independent check)."""
    frames = log_probs.shape[0]
    loss = F.ctc_loss(
        log_probs.float(),
        torch.tensor([label], dtype=torch.long).reshape(1, -1)
        if label
        else torch.zeros(1, 0, dtype=torch.long),
        torch.tensor([frames]),
        torch.tensor([len(label)]),
        blank=0,
        reduction="sum",
    )
    return -float(loss)


# -- CRNN ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("height", "width"), [(32, 128), (32, 36), (48, 100), (64, 256)])
def test_crnn_emits_one_frame_per_four_pixels_at_any_height(height: int, width: int) -> None:
    net = crnn(num_classes=7, backbone="small", hidden=16, layers=1)
    assert net.width_stride == 4
    out = net(torch.randn(2, 1, height, width))
    assert out.shape == (math.ceil(width / 4), 2, 7)
    assert torch.allclose(out.exp().sum(dim=-1), torch.ones(out.shape[:2]), atol=1e-5)  # log-probs


def test_crnn_adapts_a_backbone_whose_stages_are_nested_blocks() -> None:
    net = crnn(num_classes=4, backbone="lcnet_050", hidden=8, layers=1)  # stages are blocks.0, blocks.1, ...
    assert net(torch.randn(1, 1, 32, 80)).shape == (20, 1, 4)


def test_crnn_with_widths_ignores_the_padding() -> None:
    torch.manual_seed(0)
    net = crnn(num_classes=5, backbone="small", hidden=16, layers=2).eval()
    image = torch.randn(1, 1, 32, 64)
    padded = torch.cat([image, torch.ones(1, 1, 32, 64)], dim=3)
    batch = torch.cat([padded, torch.randn(1, 1, 32, 128)])
    with torch.no_grad():
        alone = net(image, torch.tensor([64]))
        together = net(batch, torch.tensor([64, 128]))
        unpacked = net(batch)
    assert together.shape == (32, 2, 5)
    # the CNN sees the padding only through its last columns' receptive field; the LSTM never does
    assert torch.allclose(alone[:12, 0], together[:12, 0], atol=1e-4)
    assert not torch.allclose(alone[:12, 0], unpacked[:12, 0], atol=1e-4)


def test_crnn_refuses_backbones_it_cannot_adapt() -> None:
    with pytest.raises(ValueError, match="not a timm model"):
        crnn(5, backbone="resnet_does_not_exist")
    with pytest.raises(ValueError, match="no stage at stride 4"):
        crnn(5, backbone="vit_tiny_patch16_224")
    with pytest.raises(ValueError, match="could not be made to keep the width"):
        crnn(5, backbone="convnext_atto")  # its stride-2 downsampling convolutions have 2x2 kernels
    with pytest.raises(ValueError, match="blank and at least one character"):
        crnn(1, backbone="small")


def test_syllable_classifier_scores_every_class() -> None:
    net = syllable_classifier(num_classes=11, backbone="small", in_chans=1)
    assert net(torch.randn(3, 1, 64, 64)).shape == (3, 11)
    assert syllable_classifier(4, backbone="small", in_chans=3)(torch.randn(2, 3, 48, 48)).shape == (2, 4)


# -- decoders ----------------------------------------------------------------------------------
def test_greedy_decoding_collapses_repeats_and_removes_blanks() -> None:
    # frames: a a _ a b b _ _ b  (0 = blank, 1 = a, 2 = b) -> a a b b
    best = [1, 1, 0, 1, 2, 2, 0, 0, 2]
    rows = [[0.9 if c == k else 0.05 for c in range(3)] for k in best]
    assert ctc_greedy_decode(_log_probs(rows), torch.tensor([9])) == [[1, 1, 2, 2]]
    assert ctc_greedy_decode(_log_probs(rows), torch.tensor([5])) == [[1, 1, 2]]  # frames past the length


def test_greedy_decoding_of_a_batch_reads_each_sample_to_its_length() -> None:
    first = _log_probs([[0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.8, 0.1, 0.1]])
    second = _log_probs([[0.1, 0.1, 0.8], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1]])
    batch = torch.cat([first, second], dim=1)
    assert ctc_greedy_decode(batch, torch.tensor([3, 2])) == [[1, 2], [2]]
    with pytest.raises(ValueError, match="lengths"):
        ctc_greedy_decode(batch, torch.tensor([3]))


def test_beam_of_one_equals_greedy_on_peaked_frames() -> None:
    rng = np.random.default_rng(0)
    best = rng.integers(0, 6, size=20)
    rows = [[0.9 if c == k else 0.1 / 5 for c in range(6)] for k in best]
    log_probs = _log_probs(rows)
    greedy = ctc_greedy_decode(log_probs, torch.tensor([20]))
    assert ctc_beam_decode(log_probs, torch.tensor([20]), beam_width=1) == greedy
    assert ctc_beam_decode(log_probs, torch.tensor([20]), beam_width=5) == greedy
    assert len(greedy[0]) > 5


def test_beam_search_finds_the_label_whose_paths_sum_highest() -> None:
    # each frame: blank 0.5, a 0.4, b 0.1. Best path: blank blank -> "" (0.25); but "a" has the
    # paths "a a", "a _", "_ a": 0.16 + 0.2 + 0.2 = 0.56
    log_probs = _log_probs([[0.5, 0.4, 0.1], [0.5, 0.4, 0.1]])
    greedy = ctc_greedy_decode(log_probs, torch.tensor([2]))[0]
    beam = ctc_beam_decode(log_probs, torch.tensor([2]), beam_width=3)[0]
    assert greedy == [] and beam == [1]
    assert _label_log_prob(log_probs, beam) > _label_log_prob(log_probs, greedy)
    assert math.isclose(math.exp(_label_log_prob(log_probs, [1])), 0.56, rel_tol=1e-5)


def test_beam_search_agrees_with_the_exact_best_label_on_random_frames() -> None:
    """On short random sequences the exhaustive best labelling (torch's CTC probability of every
    label up to length 3) is what a wide beam returns."""
    rng = np.random.default_rng(3)
    classes = 3
    labels = [[]] + [[a] for a in (1, 2)] + [[a, b] for a in (1, 2) for b in (1, 2)]
    labels += [[a, b, c] for a in (1, 2) for b in (1, 2) for c in (1, 2)]
    for _ in range(5):
        log_probs = _log_probs(rng.dirichlet(np.ones(classes), size=4).tolist())
        exact = max(labels, key=lambda label: _label_log_prob(log_probs, label))
        assert ctc_beam_decode(log_probs, torch.tensor([4]), beam_width=16) == [exact]


def test_beam_search_keeps_repeated_characters_apart_only_across_a_blank() -> None:
    rows = [[0.02, 0.96, 0.02], [0.96, 0.02, 0.02], [0.02, 0.96, 0.02], [0.02, 0.96, 0.02]]
    assert ctc_beam_decode(_log_probs(rows), torch.tensor([4]), beam_width=4) == [[1, 1]]
    with pytest.raises(ValueError, match="beam_width"):
        ctc_beam_decode(_log_probs(rows), torch.tensor([4]), beam_width=0)


# -- learning ----------------------------------------------------------------------------------
def _korean_font() -> Path:
    """NanumGothic from the koreanize-matplotlib package (a dependency), found without importing it."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    assert spec is not None and spec.origin is not None, "koreanize-matplotlib is a dependency"
    return Path(spec.origin).parent / "fonts" / "NanumGothic.ttf"


def _render(word: str, font: ImageFont.FreeTypeFont) -> torch.Tensor:
    """Black text on white at height 32, ``(1, 32, W)`` in [-1, 1], W a multiple of 4."""
    left, top, right, bottom = font.getbbox(word)
    width = 4 * math.ceil((right - left + 8) / 4)
    image = Image.new("L", (width, 32), 255)
    ImageDraw.Draw(image).text((4 - left, (32 - (bottom - top)) // 2 - top), word, fill=0, font=font)
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 127.5 - 1.0).unsqueeze(0)


@pytest.fixture()
def one_thread() -> Iterator[None]:
    """Small convolutions run fastest on one thread, and on a busy machine two spinning threads are
    ten times slower than one (measured: 0.13 s against 1.5 s a step)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_a_tiny_crnn_overfits_four_rendered_words(one_thread: None) -> None:
    torch.manual_seed(0)
    font = ImageFont.truetype(str(_korean_font()), 24)
    charset = Charset(sorted(set("".join(WORDS))))
    images = [_render(w, font) for w in WORDS]
    widths = torch.tensor([im.shape[-1] for im in images])
    batch = torch.ones(len(images), 1, 32, int(widths.max()))
    for b, im in enumerate(images):
        batch[b, :, :, : im.shape[-1]] = im
    targets = torch.tensor([i for w in WORDS for i in charset.encode(w)])
    target_lengths = torch.tensor([len(w) for w in WORDS])

    net = crnn(charset.size, backbone="small", hidden=64, layers=1)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    losses: list[float] = []
    read: list[str] = []
    for step in range(1, 101):  # the words are read after about 60 steps
        net.train()
        log_probs = net(batch, widths)
        lengths = net.output_lengths(widths, log_probs.shape[0])
        loss = F.ctc_loss(log_probs, targets, lengths, target_lengths, zero_infinity=True)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 10 == 0:
            net.eval()
            with torch.no_grad():
                log_probs = net(batch, widths)
            decoded = ctc_greedy_decode(log_probs, net.output_lengths(widths, log_probs.shape[0]))
            read = [charset.decode(ids) for ids in decoded]
            if read == WORDS:
                break
    assert losses[-1] < losses[0] / 2, (losses[0], losses[-1])
    assert read == WORDS
