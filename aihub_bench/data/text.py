"""Text recognition and syllable classification data: vocabularies, protocol splits, padded batches.

A :class:`~aihub_bench.records.TextSample` is a whole cropped image or (text in the wild) a box of a
photo, cropped when its item is loaded. Two targets:

- ``text``: the image, greyscale when asked, is resized to ``image_height`` keeping its aspect ratio
  (width between ``min_width`` and ``max_width``) and its NFC text encoded by a :class:`Charset`
  (ids 1..N, 0 is the CTC blank). CTC needs a frame per label id plus one between two equal ids, and
  the recogniser emits one frame per ``width_stride`` pixels: a narrower image is widened to that
  many frames (counted, ``stats.images_widened_for_ctc``), and a sample needing more frames than
  ``max_width`` gives is dropped at setup (counted, ``stats.<split>_label_longer_than_frames``).
- ``syllable``: the image is resized to ``image_size`` and its one character is a class of the label
  space: ``present`` (the syllables of the train split; val/test samples of another class are
  counted and dropped) or ``hangul`` (the 11,172 modern syllables; anything else is counted and
  dropped before splitting).

Vocabulary (``charset``, target ``text``): ``train`` = the characters of the train split, sorted by
code point; ``hangul`` = the 11,172 syllables plus the characters of the train split; a list =
exactly those characters. The last id is always the unknown character U+FFFD: val/test characters
outside the vocabulary map to it and are counted (``unknown_characters`` in ``data_report.json``).

Splits (``split.strategy``):

- ``random``: stratified by ``stratify_by`` (``subset``, ``kind``, ``font`` or a ``meta`` key), grouped
  by the sample's ``group`` (the image: a photo's boxes stay together).
- ``unseen_font``: grouped by font, so no font is on two sides (asserted); ``test_fonts`` pins the
  test fonts. Samples without a font (handwriting) cannot be held out by font: they are split at
  random, grouped by image, with the same fractions.
- ``writer``: grouped by ``meta["writer"]`` (asserted); samples without a writer are split grouped by
  image. Data in which no sample names its writer is an error.

Batches: ``image`` ``(B, C, H, W)`` in [-1, 1], right-padded with white (1.0) to the widest image,
``widths`` ``(B,)`` before padding; target ``text``: ``targets`` (the label ids, concatenated) and
``target_lengths`` ``(B,)``; target ``syllable``: ``label`` ``(B,)``; and the lists ``text`` (NFC),
``subset``, ``kind``, ``font`` ("" when unknown) and ``image_path``.
"""

from __future__ import annotations

import logging
import math
import random
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import albumentations as A
import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from aihub_bench.data.base import SplitDataModule
from aihub_bench.data.splits import (
    SPLITS,
    assert_no_leakage,
    check_non_empty,
    holdout_split,
    partition,
    stratified_group_split,
)
from aihub_bench.data.transforms import SeededCompose, augment_probabilities
from aihub_bench.errors import BadInputError, ErrorPolicy, OnError
from aihub_bench.formats.images import load_rgb, read_image_header
from aihub_bench.records import TextSample
from aihub_bench.run_dir import write_json

log = logging.getLogger(__name__)

Reader = Callable[..., list[TextSample]]
BLANK_ID = 0
UNKNOWN_CHARACTER = "\ufffd"
HANGUL_SYLLABLES: tuple[str, ...] = tuple(chr(c) for c in range(0xAC00, 0xD7A4))  # the 11,172 modern ones
TARGETS = ("text", "syllable")
STRATEGIES = ("random", "unseen_font", "writer")
CHARSETS = ("train", "hangul")
LABEL_SPACES = ("present", "hangul")
AUGMENTATIONS = ("affine", "brightness_contrast", "blur")
PAD_VALUE = 1.0  # white, once normalised to [-1, 1]: the background of printed and handwritten text
UNKNOWN_LISTED = 20  # characters listed under unknown_characters.<split>.top in data_report.json


class Charset:
    """Characters <-> label ids: id ``i`` (1-based) is ``characters[i - 1]``, id 0 the CTC blank, and
    the last id the unknown character U+FFFD (appended when ``characters`` lacks it).

    ``encode`` maps a character outside the set to :attr:`unknown_id` and counts it in
    :attr:`unknown_counts`.
    """

    def __init__(self, characters: Iterable[str]) -> None:
        chars = [str(c) for c in characters]
        bad = [c for c in chars if len(c) != 1]
        if bad:
            raise ValueError(f"a charset lists single characters, got {bad[:5]}")
        repeated = sorted(c for c, n in Counter(chars).items() if n > 1)
        if repeated:
            raise ValueError(f"the charset lists {repeated[:5]} more than once")
        if UNKNOWN_CHARACTER in chars[:-1]:
            raise ValueError("the unknown character U+FFFD may only be the charset's last character")
        if not chars or chars[-1] != UNKNOWN_CHARACTER:
            chars.append(UNKNOWN_CHARACTER)
        self.characters = chars
        self.index = {c: i for i, c in enumerate(chars, start=1)}
        self.unknown_counts: Counter[str] = Counter()

    @property
    def size(self) -> int:
        """Classes of the recogniser: the blank and every character, the unknown one included."""
        return len(self.characters) + 1

    @property
    def unknown_id(self) -> int:
        return len(self.characters)

    def __contains__(self, character: object) -> bool:
        return character in self.index and character != UNKNOWN_CHARACTER

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``'s characters (after NFC); unknown ones are counted."""
        ids = []
        for character in unicodedata.normalize("NFC", text):
            i = self.index.get(character)
            if i is None:
                self.unknown_counts[character] += 1
                i = self.unknown_id
            ids.append(i)
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids`` (blanks skipped); an id outside the charset is a ``ValueError``."""
        out = []
        for i in ids:
            if i == BLANK_ID:
                continue
            if not 0 < i < self.size:
                raise ValueError(f"label id {i} is outside the charset (1..{self.size - 1})")
            out.append(self.characters[i - 1])
        return "".join(out)


def build_alphabet(charset: str | Sequence[str], train_texts: Iterable[str]) -> list[str]:
    """The characters of the vocabulary (without the unknown one) for ``dataset.charset``."""
    if isinstance(charset, str):
        seen = {c for text in train_texts for c in text} - {UNKNOWN_CHARACTER}
        if charset == "train":
            return sorted(seen)
        if charset == "hangul":
            return sorted(seen | set(HANGUL_SYLLABLES))
        raise ValueError(
            f"dataset.charset must be one of {CHARSETS} or a list of characters, got {charset!r}"
        )
    return [str(c) for c in charset if str(c) != UNKNOWN_CHARACTER]


def ctc_frames_needed(ids: Sequence[int]) -> int:
    """The fewest CTC frames that can emit ``ids``: one per id, plus a blank between two equal ids."""
    return len(ids) + sum(1 for a, b in zip(ids, ids[1:], strict=False) if a == b)


def text_augment(affine: float = 0.0, brightness_contrast: float = 0.0, blur: float = 0.0) -> A.Compose:
    """Training augmentation of a text image; each value is its transform's probability (0 = off):
    a small rotation (±3°) and shear (±8°) with the border repeated, brightness/contrast, a
    gaussian blur."""
    ops: list[A.BasicTransform] = []
    if affine > 0:
        ops.append(A.Affine(rotate=(-3, 3), shear=(-8, 8), border_mode=cv2.BORDER_REPLICATE, p=affine))
    if brightness_contrast > 0:
        ops.append(A.RandomBrightnessContrast(0.2, 0.2, p=brightness_contrast))
    if blur > 0:
        ops.append(A.GaussianBlur(blur_limit=(3, 5), p=blur))
    return SeededCompose(ops)


def crop_box(image: np.ndarray, bbox: tuple[float, float, float, float] | None, path: Path) -> np.ndarray:
    """The pixels of ``bbox`` = ``(x, y, w, h)`` (the whole image for ``None``), rounded outwards."""
    if bbox is None:
        return image
    x, y, w, h = bbox
    height, width = image.shape[:2]
    x0, y0 = max(0, math.floor(x)), max(0, math.floor(y))
    x1, y1 = min(width, math.ceil(x + w)), min(height, math.ceil(y + h))
    if x1 <= x0 or y1 <= y0:
        raise BadInputError(
            path, f"box {list(bbox)} lies outside the {width}x{height} image", "box_outside_image"
        )
    return image[y0:y1, x0:x1]


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``(H, W, C)`` uint8 resized to ``(height, width, C)`` (area-averaged when shrinking)."""
    shrinking = width * height < image.shape[0] * image.shape[1]
    out = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return out[:, :, None] if out.ndim == 2 else out


def load_text_image(sample: TextSample, grayscale: bool) -> np.ndarray:
    """The sample's pixels, ``(H, W, 1)`` greyscale or ``(H, W, 3)`` RGB uint8, cropped to its box."""
    image = crop_box(load_rgb(sample.image_path), sample.bbox, sample.image_path)
    if grayscale:
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)[:, :, None]
    return image


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """``(H, W, C)`` uint8 -> ``(C, H, W)`` float in [-1, 1]."""
    array = np.ascontiguousarray(image.transpose(2, 0, 1)).astype(np.float32)
    return torch.from_numpy(array / 127.5 - 1.0)


class TextDataset(Dataset):
    """``(sample, target ids, width)`` -> one item of the batch layout in the module docstring.

    ``targets[i]`` is the label ids of the text (target ``text``) or ``[class index]`` (``syllable``);
    ``sizes[i]`` is the ``(height, width)`` the image is resized to.
    """

    def __init__(
        self,
        samples: Sequence[TextSample],
        targets: Sequence[Sequence[int]],
        sizes: Sequence[tuple[int, int]],
        target: str,
        grayscale: bool,
        augment: A.Compose | None = None,
    ) -> None:
        if not len(samples) == len(targets) == len(sizes):
            raise ValueError("samples, targets and sizes must have the same length")
        self.samples = list(samples)
        self.targets = [list(t) for t in targets]
        self.sizes = list(sizes)
        self.target = target
        self.grayscale = grayscale
        self.augment = augment

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> dict[str, Any]:
        s = self.samples[i]
        height, width = self.sizes[i]
        image = resize(load_text_image(s, self.grayscale), height, width)
        if self.augment is not None:
            image = self.augment(image=image)["image"]
        item: dict[str, Any] = {
            "image": to_tensor(image),
            "text": s.text,
            "subset": s.subset,
            "kind": s.kind,
            "font": str(s.meta.get("font") or ""),
            "image_path": str(s.image_path),
        }
        if self.target == "text":
            item["targets"] = torch.tensor(self.targets[i], dtype=torch.int64)
        else:
            item["label"] = self.targets[i][0]
        return item


def collate_text(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Right-pads the images with white to the widest one and stacks them; see the module docstring."""
    widths = [int(it["image"].shape[-1]) for it in items]
    channels, height = items[0]["image"].shape[:2]
    images = torch.full((len(items), channels, height, max(widths)), PAD_VALUE)
    for b, it in enumerate(items):
        images[b, :, :, : widths[b]] = it["image"]
    batch: dict[str, Any] = {"image": images, "widths": torch.tensor(widths, dtype=torch.int64)}
    if "targets" in items[0]:
        batch["targets"] = torch.cat([it["targets"] for it in items])
        batch["target_lengths"] = torch.tensor([len(it["targets"]) for it in items], dtype=torch.int64)
    if "label" in items[0]:
        batch["label"] = torch.tensor([it["label"] for it in items], dtype=torch.int64)
    for key in ("text", "subset", "kind", "font", "image_path"):
        batch[key] = [it[key] for it in items]
    return batch


def image_group(sample: TextSample) -> str:
    """The leakage unit of a random split: the sample's group, else its image."""
    return sample.group or sample.image_id or str(sample.image_path)


def sample_attribute(sample: TextSample, key: str) -> Hashable:
    """``subset`` and ``kind`` of the record, any other key from its ``meta`` (``None`` when absent)."""
    if key in ("subset", "kind"):
        return str(getattr(sample, key))
    value = sample.meta.get(key)
    return value if isinstance(value, Hashable) else repr(value)


def _font(sample: TextSample) -> str:
    return str(sample.meta.get("font") or "")


def assert_fonts_disjoint(samples: Sequence[TextSample], sides: Sequence[str]) -> None:
    """:class:`~aihub_bench.data.splits.LeakageError` if a font is on two sides (samples without a
    font are not checked)."""
    with_font = [(_font(s), side) for s, side in zip(samples, sides, strict=True) if _font(s)]
    assert_no_leakage([f for f, _ in with_font], [side for _, side in with_font])


class TextDataModule(SplitDataModule):
    """Reads OCR records, splits them by protocol, builds the vocabulary on the train split and serves
    padded batches (see the module docstring for every option)."""

    collate_fn = staticmethod(collate_text)

    def __init__(
        self,
        reader: Reader,
        name: str = "ocr",
        root: str | None = None,
        synthetic: Callable[[], str | Path] | None = None,
        on_error: OnError = "raise",
        target: str = "text",
        kinds: Sequence[str] | None = None,
        charset: str | Sequence[str] = "train",
        label_space: str = "present",
        image_height: int = 32,
        min_width: int = 16,
        max_width: int = 1024,
        width_stride: int = 4,
        image_size: Sequence[int] = (64, 64),
        grayscale: bool = True,
        augment: Mapping[str, float] | None = None,
        split: Mapping[str, Any] | None = None,
        batch_size: int = 32,
        eval_batch_size: int | None = None,
        num_workers: int = 2,
        max_samples: int | None = None,
    ) -> None:
        super().__init__()
        self.reader, self.synthetic, self.root, self.name = reader, synthetic, root, name
        self.policy = ErrorPolicy(on_error)
        if target not in TARGETS:
            raise ValueError(f"dataset.target must be one of {TARGETS}, got {target!r}")
        self.target = target
        self.kinds = list(kinds) if kinds else None
        if isinstance(charset, str) and charset not in CHARSETS:
            raise ValueError(
                f"dataset.charset must be one of {CHARSETS} or a list of characters, got {charset!r}"
            )
        self.charset_cfg: str | list[str] = charset if isinstance(charset, str) else [str(c) for c in charset]
        if label_space not in LABEL_SPACES:
            raise ValueError(f"dataset.label_space must be one of {LABEL_SPACES}, got {label_space!r}")
        self.label_space = label_space
        self.image_height, self.width_stride = int(image_height), int(width_stride)
        self.min_width, self.max_width = int(min_width), int(max_width)
        if self.image_height < 8 or self.width_stride < 1 or not 1 <= self.min_width <= self.max_width:
            raise ValueError(
                "need image_height >= 8, width_stride >= 1 and 1 <= min_width <= max_width, got "
                f"{image_height=}, {width_stride=}, {min_width=}, {max_width=}"
            )
        size = [int(v) for v in image_size]
        if len(size) != 2 or min(size) < 8:
            raise ValueError(f"dataset.image_size must be [height, width] of at least 8 px, got {size}")
        self.image_size = (size[0], size[1])
        self.grayscale = bool(grayscale)
        self.augment_cfg = augment_probabilities(augment, AUGMENTATIONS)
        self.split_cfg: dict[str, Any] = {
            "strategy": "random",
            "stratify_by": ["subset"],
            "val_fraction": 0.1,
            "test_fraction": 0.1,
            "seed": 0,
            "test_fonts": None,
        }
        self.split_cfg.update(split or {})
        for key in ("stratify_by", "test_fonts"):  # plain lists (Hydra passes its own list type)
            value = self.split_cfg[key]
            self.split_cfg[key] = [str(v) for v in value] if value else ([] if key == "stratify_by" else None)
        if self.split_cfg["strategy"] not in STRATEGIES:
            raise ValueError(
                f"split.strategy must be one of {STRATEGIES}, got {self.split_cfg['strategy']!r}"
            )
        if self.split_cfg["test_fonts"] and self.split_cfg["strategy"] != "unseen_font":
            raise ValueError("split.test_fonts pins the test fonts of split.strategy=unseen_font only")
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.max_samples = max_samples
        self.splits: dict[str, list[TextSample]] = {}
        self.targets: dict[str, list[list[int]]] = {}  # per split, aligned with self.splits
        self.charset: Charset | None = None
        self.class_names: list[str] = []
        self.unknown_characters: dict[str, Counter[str]] = {}

    # -- data preparation -------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        root = self.resolved_root()
        log.info("Reading %s from %s", self.name, root)
        samples = sorted(
            self.reader(root=root, policy=self.policy),
            key=lambda s: (s.subset, s.image_id, str(s.image_path), s.bbox or (), s.text),
        )
        samples = self._select(samples)
        if not samples:
            raise ValueError(f"no usable samples found under {root} (see data_report.json)")
        sides = self._assign_splits(samples)
        splits = partition(samples, sides)
        if self.target == "text":
            self._encode_text(splits)
        else:
            self._encode_syllables(splits)
        check_non_empty(self.splits, len(samples), "samples", self.split_cfg)
        log.info("Split sizes: %s", {k: len(v) for k, v in self.splits.items()})

    def _select(self, samples: list[TextSample]) -> list[TextSample]:
        """The wanted kinds, the syllable target's single characters, then ``max_samples`` of them."""
        if self.kinds:
            kept = [s for s in samples if s.kind in self.kinds]
            self.policy.count("samples_of_other_kinds", len(samples) - len(kept))
            samples = kept
        if self.target == "syllable":
            kept = [s for s in samples if len(s.text) == 1]
            self.policy.count("not_a_single_character", len(samples) - len(kept))
            samples = kept
            if self.label_space == "hangul":
                space = set(HANGUL_SYLLABLES)
                kept = [s for s in samples if s.text in space]
                self.policy.count("outside_label_space", len(samples) - len(kept))
                samples = kept
        if self.max_samples and len(samples) > self.max_samples:
            # a seeded subsample, not the first N: sorted records would lose whole subsets
            picked = random.Random(self.split_cfg["seed"]).sample(range(len(samples)), self.max_samples)
            samples = [samples[i] for i in sorted(picked)]
        return samples

    def _assign_splits(self, samples: Sequence[TextSample]) -> list[str]:
        cfg = self.split_cfg
        keys = list(cfg.get("stratify_by") or ())
        strata = [tuple(sample_attribute(s, k) for k in keys) for s in samples]
        strategy = cfg["strategy"]
        if strategy == "random":
            groups = [image_group(s) for s in samples]
            sides = stratified_group_split(
                groups, strata, cfg["val_fraction"], cfg["test_fraction"], cfg["seed"]
            )
            assert_no_leakage(groups, sides)
            return sides
        key = "font" if strategy == "unseen_font" else "writer"
        owner = [str(s.meta.get(key) or "") for s in samples]
        if not any(owner):
            raise ValueError(
                f"split.strategy={strategy} needs meta[{key!r}], but none of the {len(samples)} samples "
                f"has one (subsets: {sorted({s.subset for s in samples})})"
            )
        self.policy.count(f"samples_without_{key}", sum(1 for o in owner if not o))
        owned = [i for i, o in enumerate(owner) if o]
        loose = [i for i, o in enumerate(owner) if not o]
        sides = [""] * len(samples)
        owned_sides = self._owner_sides([owner[i] for i in owned], [strata[i] for i in owned], key)
        loose_sides = stratified_group_split(
            [image_group(samples[i]) for i in loose],
            [strata[i] for i in loose],
            cfg["val_fraction"],
            cfg["test_fraction"],
            cfg["seed"],
        )
        for i, side in zip(owned + loose, owned_sides + loose_sides, strict=True):
            sides[i] = side
        assert_no_leakage([owner[i] for i in owned], [sides[i] for i in owned])
        return sides

    def _owner_sides(self, owners: list[str], strata: list[tuple[Hashable, ...]], key: str) -> list[str]:
        """Sides for samples grouped by their font or writer; ``test_fonts`` pins the test fonts."""
        cfg = self.split_cfg
        distinct = sorted(set(owners))
        pinned = list(cfg.get("test_fonts") or []) if key == "font" else []
        if pinned:
            unknown = sorted(set(pinned) - set(distinct))
            if unknown:
                raise ValueError(
                    f"split.test_fonts names fonts not in the data: {unknown}; fonts: {distinct}"
                )
            if len(set(distinct) - set(pinned)) < 2:
                raise ValueError(
                    f"split.test_fonts={pinned} leaves fewer than two fonts for train and val (fonts: {distinct})"
                )
            return holdout_split(
                owners, strata, [o in pinned for o in owners], cfg["val_fraction"], cfg["seed"]
            )
        if len(distinct) < 3:
            raise ValueError(
                f"split.strategy={cfg['strategy']} needs at least 3 distinct {key}s (one per side), "
                f"found {len(distinct)}: {distinct}"
            )
        return stratified_group_split(owners, strata, cfg["val_fraction"], cfg["test_fraction"], cfg["seed"])

    def _encode_text(self, splits: dict[str, list[TextSample]]) -> None:
        """Vocabulary from the train split, label ids for every split, and the CTC width check."""
        alphabet = build_alphabet(self.charset_cfg, (s.text for s in splits["train"]))
        self.charset = Charset(alphabet)
        most_frames = self.max_width // self.width_stride
        for name in SPLITS:
            before = self.charset.unknown_counts.copy()
            kept: list[TextSample] = []
            targets: list[list[int]] = []
            for s in splits[name]:
                ids = self.charset.encode(s.text)
                if ctc_frames_needed(ids) > most_frames:
                    self.policy.count(f"{name}_label_longer_than_frames")
                    continue
                if not self._known_size(s):
                    continue
                if ctc_frames_needed(ids) * self.width_stride > max(self.natural_width(s), self.min_width):
                    self.policy.count("images_widened_for_ctc")
                kept.append(s)
                targets.append(ids)
            self.unknown_characters[name] = self.charset.unknown_counts - before
            self.splits[name], self.targets[name] = kept, targets
        unknown = self.unknown_characters
        if unknown["val"] or unknown["test"]:
            log.warning(
                "%d val and %d test characters are outside the vocabulary (mapped to U+FFFD); "
                "see unknown_characters in data_report.json",
                unknown["val"].total(),
                unknown["test"].total(),
            )

    def _known_size(self, sample: TextSample) -> bool:
        """Fill in an image's size from its header when the record lacks it; a bad image is handled
        by the error policy (False when skipped)."""
        if sample.bbox is not None or (sample.width > 0 and sample.height > 0):
            return True
        try:
            sample.width, sample.height = read_image_header(sample.image_path)
        except BadInputError as err:
            self.policy.handle(err)
            return False
        self.policy.count("image_sizes_read_from_header")
        return True

    def _encode_syllables(self, splits: dict[str, list[TextSample]]) -> None:
        """Class names from the label space; val/test samples of a class outside it are dropped (counted)."""
        if self.label_space == "hangul":
            self.class_names = list(HANGUL_SYLLABLES)
        else:
            self.class_names = sorted({s.text for s in splits["train"]})
        index = {c: i for i, c in enumerate(self.class_names)}
        for name in SPLITS:
            kept = [s for s in splits[name] if s.text in index]
            dropped = len(splits[name]) - len(kept)
            if dropped:
                self.policy.count(f"{name}_class_not_in_train", dropped)
                log.warning("%d %s samples have a class absent from the train split: dropped", dropped, name)
            self.splits[name] = kept
            self.targets[name] = [[index[s.text]] for s in kept]

    def natural_width(self, sample: TextSample) -> int:
        """The image's (or box's) width at ``image_height`` with its aspect ratio kept."""
        width, height = (sample.bbox[2], sample.bbox[3]) if sample.bbox else (sample.width, sample.height)
        return max(1, round(width * self.image_height / height))

    def image_width(self, sample: TextSample, ids: Sequence[int]) -> int:
        """The width a text image is resized to: its natural width, at least ``min_width`` and the
        frames CTC needs for ``ids``, at most ``max_width``."""
        needed = ctc_frames_needed(ids) * self.width_stride
        return min(max(self.natural_width(sample), self.min_width, needed), self.max_width)

    # -- what the task and the run directory get ------------------------------------------------
    def model_kwargs(self) -> dict[str, Any]:
        if self.target == "text":
            assert self.charset is not None, "setup() first"
            return {"alphabet": list(self.charset.characters), "class_names": []}
        return {"alphabet": [], "class_names": list(self.class_names)}

    def split_sizes(self) -> dict[str, dict[str, Any]]:
        """Samples per split, in all and by subset, kind and font."""
        return {
            name: {
                "samples": len(part),
                "subset": dict(sorted(Counter(s.subset for s in part).items())),
                "kind": dict(sorted(Counter(s.kind for s in part).items())),
                "font": dict(sorted(Counter(_font(s) for s in part if _font(s)).items())),
            }
            for name, part in self.splits.items()
        }

    def write_artifacts(self, run_dir: str | Path) -> None:
        """``data_report.json`` (skips, counts, split sizes, vocabulary, unknown characters),
        ``vocab.json`` (the alphabet or the class names) and ``splits.json`` (groups per split)."""
        run_dir = Path(run_dir)
        report = self.policy.report()
        report["dataset"] = self.name
        report["target"] = self.target
        report["split"] = dict(self.split_cfg)
        report["split_sizes"] = self.split_sizes()
        if self.target == "text":
            assert self.charset is not None
            report["charset"] = {
                "source": self.charset_cfg if isinstance(self.charset_cfg, str) else "list",
                "characters": len(self.charset.characters),
            }
            report["unknown_characters"] = {
                name: {
                    "total": counts.total(),
                    "distinct": len(counts),
                    "top": dict(counts.most_common(UNKNOWN_LISTED)),
                }
                for name, counts in self.unknown_characters.items()
            }
            vocab: dict[str, Any] = {
                "target": "text",
                "blank_id": BLANK_ID,
                "unknown": UNKNOWN_CHARACTER,
                "alphabet": list(self.charset.characters),
            }
        else:
            report["label_space"] = {"source": self.label_space, "classes": len(self.class_names)}
            vocab = {"target": "syllable", "class_names": list(self.class_names)}
        write_json(run_dir / "data_report.json", report)
        write_json(run_dir / "vocab.json", vocab)
        groups = self._split_groups()
        write_json(run_dir / "splits.json", {k: sorted(set(v)) for k, v in groups.items()})

    def _split_groups(self) -> dict[str, list[str]]:
        strategy = self.split_cfg["strategy"]
        key = {"unseen_font": "font", "writer": "writer"}.get(strategy)
        return {
            name: [str(s.meta.get(key) or image_group(s)) if key else image_group(s) for s in part]
            for name, part in self.splits.items()
        }

    # -- loaders ----------------------------------------------------------------------------
    def dataset(self, split: str) -> TextDataset:
        samples, targets = self.splits[split], self.targets[split]
        if self.target == "text":
            sizes = [
                (self.image_height, self.image_width(s, t)) for s, t in zip(samples, targets, strict=True)
            ]
        else:
            sizes = [self.image_size] * len(samples)
        augment = text_augment(**self.augment_cfg) if split == "train" and self.augment_cfg else None
        return TextDataset(samples, targets, sizes, self.target, self.grayscale, augment)
