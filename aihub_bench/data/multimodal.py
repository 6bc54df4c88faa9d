"""Multimodal video data (멀티모달 영상): samples per speaking turn or per person, clip-grouped splits, a
subword vocabulary of the train scripts, and box crops read through a crop cache.

Samples (``sample``): ``turn`` gives one per :class:`~aihub_bench.records.SpeakingTurn` (targets
``emotion`` / ``intent``), ``person`` one per :class:`~aihub_bench.records.PersonTrack` (targets
``gender`` / ``age``). A sample whose label for a target is empty or not in that target's class list
is left out and counted (``samples_unlabelled/<target>``); with ``image`` among the inputs, so is one
without a box (``samples_without_boxes``), and a clip left without samples (``clips_without_samples``).
Class lists (``classes.<target>``): null is the layout's list for emotion, intent and gender, and the
ages present over all clips sorted by the number; or a list of names (its order is the class order).

Splits: clips, grouped by :attr:`~aihub_bench.records.ConversationClip.group` (the clip, or its
situation with the reader's ``group_by: situation``), stratified by the clip's most common label of
the first target, through :func:`~aihub_bench.data.splits.stratified_group_split`; the samples are
then asserted leakage-free. ``max_clips`` keeps the first clips by key (counted ``clips_over_max_clips``).

Text (``text`` / ``dialogue`` inputs, turns only): a subword vocabulary (:func:`~aihub_bench.data.subword.
train_vocab`, BPE by default: deterministic) trained in :meth:`MultimodalDataModule.setup` on the scripts
of the train clips' turns only. ``text`` is ``[bos] script [eos]`` cut to ``text.max_length`` tokens;
``dialogue`` is ``[bos] c1 [eos] c2 [eos] … script [eos]`` with the ``text.context_turns`` turns before
the current one in its clip (whatever their labels), cut from the left to ``text.context_max_length``
tokens (``[bos]`` kept first; the current turn, cut like ``text``, always whole), and
``dialogue_segments`` is 1 on the current turn's tokens and its ``[eos]``, 0 before.

Images (``image`` input): ``crop.frames`` crops per sample of its boxes (a turn: the speaker's boxes
inside the turn; a person: all its boxes), evenly spaced over them (repeated when there are fewer),
each box grown by ``crop.margin`` x its size, clipped to the frame, resized to ``crop.size`` [H, W].
Every clip's video is decoded once, at setup, into the crop cache
(:class:`~aihub_bench.formats.video.VideoCropCache` under ``crop.cache_dir``): one request per clip, the
union of its samples' boxes. A video that cannot be used is the ``BadInputError`` naming it, or with
``on_error=skip`` the clip's samples go (counted ``clips_unreadable``, ``samples_dropped``). Training
augmentation (``augment``: each transform's probability) flips all frames of a sample together or
changes their brightness and contrast alike, drawn from the NumPy RNG that
:class:`~aihub_bench.data.base.EpochShuffle` seeds per (seed, epoch).

Batches (dicts; only the inputs asked for): ``text`` long ``(B, L)`` padded with ``pad_id`` 0 and
``text_mask`` bool; ``dialogue``, ``dialogue_mask``, ``dialogue_segments`` ``(B, L2)``; ``image`` float
``(B, 3, T, H, W)`` (ImageNet mean/std); ``labels`` target -> long ``(B,)``; the lists ``key``
(``<clip key>#t<turn index>`` / ``<clip key>#p<person>``), ``clip``, ``person`` and ``script`` (empty
for persons).
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import albumentations as A
import numpy as np
import torch
from torch.utils.data import Dataset

from aihub_bench.data.base import SplitDataModule, merge_options
from aihub_bench.data.splits import (
    SPLITS,
    assert_no_leakage,
    check_non_empty,
    partition,
    stratified_group_split,
)
from aihub_bench.data.subword import MODELS, SubwordVocab, train_vocab
from aihub_bench.data.transforms import IMAGENET_MEAN, IMAGENET_STD, augment_probabilities
from aihub_bench.data.video import video_augment
from aihub_bench.errors import ErrorPolicy, OnError
from aihub_bench.records import ConversationClip, FrameBox
from aihub_bench.run_dir import write_json

if TYPE_CHECKING:
    from aihub_bench.formats.video import VideoCropCache

log = logging.getLogger(__name__)

Reader = Callable[..., list[ConversationClip]]
SAMPLES = ("turn", "person")
TARGETS: dict[str, tuple[str, ...]] = {"turn": ("emotion", "intent"), "person": ("gender", "age")}
INPUTS = ("text", "dialogue", "image")
TEXT_INPUTS = ("text", "dialogue")
AUGMENTATIONS = ("hflip", "brightness_contrast")
PAD_ID = SubwordVocab.pad_id
DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "aihub_bench_crop_cache"
# memory-mapped crop arrays a loader process keeps open (each holds a file descriptor)
OPEN_CLIPS = 32

DEFAULT_SPLIT: dict[str, Any] = {"val_fraction": 0.15, "test_fraction": 0.2, "seed": 0}
DEFAULT_TEXT: dict[str, Any] = {
    "vocab_size": 1000,
    "tokenizer": "bpe",
    "max_length": 64,
    "context_turns": 3,
    "context_max_length": 160,
}
DEFAULT_CROP: dict[str, Any] = {"frames": 4, "size": [64, 64], "margin": 0.1, "cache_dir": None}
DEFAULT_CLASSES: dict[str, Any] = {"emotion": None, "intent": None, "gender": None, "age": None}


@dataclass
class MultimodalSample:
    """One turn or person of a clip: its labels (target -> class index), its clip's leakage ``group``,
    the ``boxes`` whose crops are its frames and their rows ``crops`` in the clip's crop array, and its
    token ids."""

    key: str
    clip: str
    group: str
    person: str
    script: str
    labels: dict[str, int]
    turn: int | None = None  # the turn's position in its clip's turns
    boxes: tuple[FrameBox, ...] = ()
    crops: tuple[int, ...] = ()
    text: list[int] = field(default_factory=list)
    dialogue: list[int] = field(default_factory=list)
    segments: list[int] = field(default_factory=list)


def age_order(age: str) -> tuple[float, str]:
    """Sort key of an age group: its number (``"20s"`` -> 20), then the text; no number sorts last."""
    match = re.match(r"\d+", age)
    return (float(match.group()) if match else float("inf"), age)


def spread(boxes: Sequence[FrameBox], frames: int) -> tuple[FrameBox, ...]:
    """``frames`` of ``boxes`` evenly spaced from the first to the last (repeated when there are fewer)."""
    if not boxes:
        return ()
    picks = np.round(np.linspace(0, len(boxes) - 1, frames)).astype(int)
    return tuple(boxes[i] for i in picks)


def dialogue_ids(
    context: Sequence[Sequence[int]], current: Sequence[int], max_length: int, bos: int, eos: int
) -> tuple[list[int], list[int]]:
    """``[bos] c1 [eos] … current [eos]`` cut from the left to ``max_length`` (``[bos]`` stays first),
    and its segment ids: 1 on ``current`` and its ``[eos]``, 0 before."""
    body = [t for turn in context for t in (*turn, eos)]
    segments = [0] * len(body) + [1] * (len(current) + 1)
    body += [*current, eos]
    keep = max_length - 1
    return [bos, *body[-keep:]], [0, *segments[-keep:]]


def to_image_tensor(frames: np.ndarray) -> torch.Tensor:
    """``(T, H, W, 3)`` uint8 RGB -> ``(3, T, H, W)`` float, ImageNet mean/std normalised."""
    scaled = (frames.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
    return torch.from_numpy(np.ascontiguousarray(scaled.transpose(3, 0, 1, 2)))


def _padded(sequences: Sequence[Sequence[int]], value: int) -> torch.Tensor:
    width = max(1, max(len(s) for s in sequences))
    out = torch.full((len(sequences), width), value, dtype=torch.long)
    for row, seq in enumerate(sequences):
        out[row, : len(seq)] = torch.as_tensor(list(seq), dtype=torch.long)
    return out


LIST_KEYS = ("key", "clip", "person", "script")


def collate_multimodal(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Pads and stacks the inputs present in the items (see the module docstring)."""
    first = items[0]
    batch: dict[str, Any] = {key: [it[key] for it in items] for key in LIST_KEYS}
    batch["labels"] = {
        target: torch.tensor([it["labels"][target] for it in items], dtype=torch.int64)
        for target in first["labels"]
    }
    for name in TEXT_INPUTS:
        if name in first:
            ids = _padded([it[name] for it in items], PAD_ID)
            lengths = torch.tensor([len(it[name]) for it in items])
            batch[name] = ids
            batch[f"{name}_mask"] = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
    if "dialogue" in first:
        batch["dialogue_segments"] = _padded([it["dialogue_segments"] for it in items], 0)
    if "image" in first:
        batch["image"] = torch.stack([it["image"] for it in items])
    return batch


class MultimodalDataset(Dataset):
    """``samples[i]`` -> one item of the batch layout; crops read from the crop cache (each clip's
    array memory-mapped once per process, at most :data:`OPEN_CLIPS` at a time)."""

    def __init__(
        self,
        samples: Sequence[MultimodalSample],
        inputs: Sequence[str],
        crop_jobs: Mapping[str, tuple[Path, tuple[FrameBox, ...]]] | None = None,
        cache: VideoCropCache | None = None,
        augment: A.Compose | None = None,
    ) -> None:
        self.samples, self.inputs = list(samples), tuple(inputs)
        if "image" in self.inputs and (cache is None or crop_jobs is None):
            raise ValueError("image inputs need the crop cache and each clip's crop request")
        self.crop_jobs, self.cache, self.augment = dict(crop_jobs or {}), cache, augment
        self._open: OrderedDict[str, np.ndarray] = OrderedDict()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_open": OrderedDict()}  # worker processes map the crops themselves

    def __len__(self) -> int:
        return len(self.samples)

    def _crops(self, clip: str) -> np.ndarray:
        if clip in self._open:
            self._open.move_to_end(clip)
        else:
            assert self.cache is not None
            self._open[clip] = self.cache.get(*self.crop_jobs[clip])
            if len(self._open) > OPEN_CLIPS:
                self._open.popitem(last=False)
        return self._open[clip]

    def frames(self, i: int) -> np.ndarray:
        """Sample ``i``'s crops, ``(T, H, W, 3)`` uint8 RGB, before augmentation."""
        sample = self.samples[i]
        return np.asarray(self._crops(sample.clip)[list(sample.crops)])

    def __getitem__(self, i: int) -> dict[str, Any]:
        sample = self.samples[i]
        item: dict[str, Any] = {
            "key": sample.key,
            "clip": sample.clip,
            "person": sample.person,
            "script": sample.script,
            "labels": dict(sample.labels),
        }
        if "text" in self.inputs:
            item["text"] = sample.text
        if "dialogue" in self.inputs:
            item["dialogue"], item["dialogue_segments"] = sample.dialogue, sample.segments
        if "image" in self.inputs:
            frames = self.frames(i)
            if self.augment is not None:
                frames = np.stack(self.augment(images=frames)["images"])
            item["image"] = to_image_tensor(frames)
        return item


def _names(value: Any, option: str) -> list[str]:
    """A list option (a string is a list of one) as strings, each once."""
    names = [value] if isinstance(value, str) else [str(v) for v in (value or ())]
    if not names or len(set(names)) != len(names):
        raise ValueError(f"dataset.{option} must name at least one value, each once, got {names}")
    return names


class MultimodalDataModule(SplitDataModule):
    """Reads :class:`~aihub_bench.records.ConversationClip` records and serves turn or person samples
    (see the module docstring for every option)."""

    collate_fn = staticmethod(collate_multimodal)

    def __init__(
        self,
        reader: Reader,
        name: str = "multimodal",
        root: str | None = None,
        synthetic: Callable[[], str | Path] | None = None,
        sample: str = "turn",
        targets: Sequence[str] = ("emotion",),
        inputs: Sequence[str] = ("text", "image"),
        split: Mapping[str, Any] | None = None,
        text: Mapping[str, Any] | None = None,
        crop: Mapping[str, Any] | None = None,
        classes: Mapping[str, Any] | None = None,
        augment: Mapping[str, float] | None = None,
        batch_size: int = 32,
        eval_batch_size: int | None = None,
        num_workers: int = 2,
        on_error: OnError = "raise",
        max_clips: int | None = None,
    ) -> None:
        super().__init__()
        self.reader, self.synthetic, self.root, self.name = reader, synthetic, root, name
        self.policy = ErrorPolicy(on_error)
        if sample not in SAMPLES:
            raise ValueError(f"dataset.sample must be one of {SAMPLES}, got {sample!r}")
        self.sample = sample
        self.targets = _names(targets, "targets")
        wrong = [t for t in self.targets if t not in TARGETS[sample]]
        if wrong:
            raise ValueError(f"dataset.targets of sample={sample} are among {TARGETS[sample]}, not {wrong}")
        self.inputs = _names(inputs, "inputs")
        wrong = [i for i in self.inputs if i not in INPUTS]
        if wrong:
            raise ValueError(f"dataset.inputs are among {INPUTS}, not {wrong}")
        if sample == "person" and set(self.inputs) & set(TEXT_INPUTS):
            raise ValueError(
                f"dataset.inputs={self.inputs}: text and dialogue need sample=turn (a person has no script)"
            )
        self.split_cfg = merge_options(DEFAULT_SPLIT, split, "split")
        self.text_cfg = self._text_options(text)
        self.crop_cfg = self._crop_options(crop)
        self.classes_cfg = merge_options(DEFAULT_CLASSES, classes, "classes")
        self.augment_cfg = augment_probabilities(augment, AUGMENTATIONS)
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.max_clips = max_clips
        self.classes: dict[str, list[str]] = {}
        self.clips: dict[str, list[ConversationClip]] = {}
        self.splits: dict[str, list[MultimodalSample]] = {}
        self.vocab: SubwordVocab | None = None
        self.cache: VideoCropCache | None = None
        self.crop_jobs: dict[str, tuple[Path, tuple[FrameBox, ...]]] = {}

    @staticmethod
    def _text_options(text: Mapping[str, Any] | None) -> dict[str, Any]:
        cfg = merge_options(DEFAULT_TEXT, text, "text")
        if cfg["tokenizer"] not in MODELS:
            raise ValueError(f"dataset.text.tokenizer must be one of {MODELS}, got {cfg['tokenizer']!r}")
        if int(cfg["max_length"]) < 3 or int(cfg["context_turns"]) < 0:
            raise ValueError(f"dataset.text needs max_length >= 3 and context_turns >= 0, got {cfg}")
        if int(cfg["context_max_length"]) < int(cfg["max_length"]):
            raise ValueError(
                f"dataset.text.context_max_length ({cfg['context_max_length']}) must be at least "
                f"max_length ({cfg['max_length']}): the current turn is always kept whole"
            )
        return cfg

    @staticmethod
    def _crop_options(crop: Mapping[str, Any] | None) -> dict[str, Any]:
        cfg = merge_options(DEFAULT_CROP, crop, "crop")
        size = [int(v) for v in cfg["size"]]
        if len(size) != 2 or min(size) < 8:
            raise ValueError(f"dataset.crop.size must be [height, width] of at least 8 px, got {cfg['size']}")
        if int(cfg["frames"]) < 1 or float(cfg["margin"]) < 0:
            raise ValueError(f"dataset.crop needs frames >= 1 and margin >= 0, got {cfg}")
        cfg["size"] = size
        return cfg

    # -- data preparation -------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        root = self.resolved_root()
        log.info("Reading %s from %s", self.name, root)
        clips = self._cap(sorted(self.reader(root=root, policy=self.policy), key=lambda c: c.key))
        if not clips:
            raise ValueError(f"no usable clips found under {root} (see data_report.json)")
        self.classes = self._class_lists(clips)
        samples = {clip.key: self._samples_of(clip) for clip in clips}
        kept = [clip for clip in clips if samples[clip.key]]
        self.policy.count("clips_without_samples", len(clips) - len(kept))
        if "image" in self.inputs:
            kept = self._crop(kept, samples)
        if not kept:
            raise ValueError(
                f"none of the {len(clips)} clips under {root} has a usable {self.sample} sample for "
                f"targets {self.targets} and inputs {self.inputs} (see data_report.json)"
            )
        sides = self._assign_sides(kept, samples)
        self.clips = partition(kept, sides)
        check_non_empty(self.clips, len(kept), "clips", self.split_cfg)
        self.splits = {n: [s for clip in self.clips[n] for s in samples[clip.key]] for n in SPLITS}
        assert_no_leakage(
            [s.group for n in SPLITS for s in self.splits[n]], [n for n in SPLITS for _ in self.splits[n]]
        )
        if set(self.inputs) & set(TEXT_INPUTS):
            self._tokenise()
        log.info(
            "Clips per split: %s; %s samples: %s",
            {n: len(v) for n, v in self.clips.items()},
            self.sample,
            {n: len(v) for n, v in self.splits.items()},
        )

    def _cap(self, clips: list[ConversationClip]) -> list[ConversationClip]:
        if not self.max_clips or len(clips) <= self.max_clips:
            return clips
        self.policy.count("clips_over_max_clips", len(clips) - int(self.max_clips))
        return clips[: int(self.max_clips)]

    def _class_lists(self, clips: Sequence[ConversationClip]) -> dict[str, list[str]]:
        from aihub_bench.datasets.multimodal import layout

        defaults = {"emotion": layout.EMOTIONS, "intent": layout.INTENTS, "gender": layout.GENDERS}
        classes: dict[str, list[str]] = {}
        for target in self.targets:
            given = self.classes_cfg[target]
            if given is not None:
                classes[target] = _names(given, f"classes.{target}")
            elif target == "age":
                ages = {p.age for clip in clips for p in clip.persons if p.age}
                classes[target] = sorted(ages, key=age_order)
            else:
                classes[target] = list(defaults[target])
            if not classes[target]:
                raise ValueError(f"dataset.classes.{target}: no {target} labels found in the clips")
        return classes

    def _samples_of(self, clip: ConversationClip) -> list[MultimodalSample]:
        """The clip's labelled samples (the others counted), their crop boxes chosen."""
        frames = int(self.crop_cfg["frames"])
        samples = []
        # (key, person, script, label per target, turn position, boxes)
        candidates: list[tuple[str, str, str, dict[str, str], int | None, tuple[FrameBox, ...]]]
        if self.sample == "turn":
            candidates = [
                (
                    f"{clip.key}#t{turn.index}",
                    turn.speaker,
                    turn.script,
                    {"emotion": turn.emotion, "intent": turn.intent},
                    position,
                    turn.boxes,
                )
                for position, turn in enumerate(clip.turns)
            ]
        else:
            candidates = [
                (f"{clip.key}#p{p.person}", p.person, "", {"gender": p.gender, "age": p.age}, None, p.boxes)
                for p in clip.persons
            ]
        for key, person, script, labels, position, boxes in candidates:
            indices = {}
            for target in self.targets:
                if labels[target] in self.classes[target]:
                    indices[target] = self.classes[target].index(labels[target])
                else:
                    self.policy.count(f"samples_unlabelled/{target}")
            if len(indices) < len(self.targets):
                continue
            if "image" in self.inputs and not boxes:
                self.policy.count("samples_without_boxes")
                continue
            chosen = spread(boxes, frames) if "image" in self.inputs else ()
            samples.append(
                MultimodalSample(key, clip.key, clip.group, person, script, indices, position, chosen)
            )
        return samples

    def _crop(
        self, clips: list[ConversationClip], samples: Mapping[str, list[MultimodalSample]]
    ) -> list[ConversationClip]:
        """Plan one crop request per clip, warm the cache, and keep the clips whose video served it."""
        from aihub_bench.formats.video import VideoCropCache

        cache_dir = self.crop_cfg["cache_dir"] or DEFAULT_CACHE_DIR
        self.cache = VideoCropCache(
            cache_dir, size=self.crop_cfg["size"], margin=float(self.crop_cfg["margin"])
        )
        for clip in clips:
            union = sorted({box for s in samples[clip.key] for box in s.boxes})
            row = {box: i for i, box in enumerate(union)}
            for s in samples[clip.key]:
                s.crops = tuple(row[box] for box in s.boxes)
            self.crop_jobs[clip.key] = (Path(clip.video_path), tuple(union))
        log.info("Cropping %d clips into the crop cache %s", len(clips), cache_dir)
        failures = self.cache.warm(self.crop_jobs.values(), workers=max(1, self.num_workers))
        kept = []
        for clip in clips:
            failure = failures.get(Path(clip.video_path))
            if failure is None:
                kept.append(clip)
                continue
            self.policy.handle(failure)
            self.policy.count("clips_unreadable")
            self.policy.count("samples_dropped", len(samples[clip.key]))
            del self.crop_jobs[clip.key]
        return kept

    def _assign_sides(
        self, clips: Sequence[ConversationClip], samples: Mapping[str, list[MultimodalSample]]
    ) -> list[str]:
        """Each clip's side: grouped by ``clip.group``, stratified by its most common first-target label
        (the earlier class on a tie)."""
        first = self.targets[0]
        strata = []
        for clip in clips:
            counts = Counter(s.labels[first] for s in samples[clip.key])
            strata.append(min(counts, key=lambda label: (-counts[label], label)))
        groups = [clip.group for clip in clips]
        cfg = self.split_cfg
        return stratified_group_split(groups, strata, cfg["val_fraction"], cfg["test_fraction"], cfg["seed"])

    def _tokenise(self) -> None:
        """Train the vocabulary on the train clips' scripts, then encode every sample's text and dialogue."""
        train_scripts = [
            turn.script for clip in self.clips["train"] for turn in clip.turns if turn.script.strip()
        ]
        if not train_scripts:
            raise ValueError(f"the train split of {self.name} has no script to train the vocabulary on")
        vocab = train_vocab(train_scripts, int(self.text_cfg["vocab_size"]), self.text_cfg["tokenizer"])
        self.vocab = vocab
        max_length, context_turns = int(self.text_cfg["max_length"]), int(self.text_cfg["context_turns"])
        for name in SPLITS:
            by_key = {clip.key: clip for clip in self.clips[name]}
            encoded = {
                key: vocab.encode_batch([turn.script for turn in clip.turns]) for key, clip in by_key.items()
            }
            for s in self.splits[name]:
                assert s.turn is not None
                ids = encoded[s.clip]
                current = ids[s.turn][: max_length - 2]
                s.text = [vocab.bos_id, *current, vocab.eos_id]
                context = ids[max(0, s.turn - context_turns) : s.turn]
                s.dialogue, s.segments = dialogue_ids(
                    context, current, int(self.text_cfg["context_max_length"]), vocab.bos_id, vocab.eos_id
                )

    # -- what the task and the run directory get ------------------------------------------------
    def _ready(self) -> None:
        if not self.splits:
            raise RuntimeError(f"{type(self).__name__}.setup() first")

    def samples(self, split: str) -> list[MultimodalSample]:
        """The split's samples, in clip-key order."""
        self._ready()
        if split not in self.splits:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        return list(self.splits[split])

    def model_kwargs(self) -> dict[str, Any]:
        """The targets' class names and display names, the inputs, and the vocabulary's size (0 without
        text inputs) and pad id."""
        from aihub_bench.datasets.multimodal import layout

        self._ready()
        return {
            "targets": {t: list(names) for t, names in self.classes.items()},
            "display_names": {
                t: [layout.display_name(c) for c in names] for t, names in self.classes.items()
            },
            "inputs": list(self.inputs),
            "vocab_size": self.vocab.vocab_size if self.vocab is not None else 0,
            "pad_id": PAD_ID,
        }

    def split_sizes(self) -> dict[str, dict[str, Any]]:
        """Clips, groups and samples per split, and samples per class of every target."""
        sizes: dict[str, dict[str, Any]] = {}
        for name in SPLITS:
            samples = self.splits[name]
            per_class = {}
            for target, names in self.classes.items():
                counts = Counter(s.labels[target] for s in samples)
                per_class[target] = {c: counts[i] for i, c in enumerate(names)}
            sizes[name] = {
                "clips": len(self.clips[name]),
                "groups": len({clip.group for clip in self.clips[name]}),
                "samples": len(samples),
                "samples_per_class": per_class,
            }
        return sizes

    def write_artifacts(self, run_dir: str | Path) -> None:
        """``clips_{train,val,test}.txt`` (clip keys), ``tokenizer.json`` (with text inputs) and
        ``data_report.json`` (reader and crop-cache counts, skips, options, classes, split sizes)."""
        self._ready()
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        for name in SPLITS:
            (run_dir / f"clips_{name}.txt").write_text(
                "".join(f"{clip.key}\n" for clip in self.clips[name]), encoding="utf-8"
            )
        if self.vocab is not None:
            self.vocab.save(run_dir / "tokenizer.json")
        report = self.policy.report()
        report["dataset"] = self.name
        report["sample"] = self.sample
        report["targets"] = list(self.targets)
        report["inputs"] = list(self.inputs)
        report["classes"] = self.classes
        report["split"] = self.split_cfg
        report["text"] = {
            **self.text_cfg,
            "trained_vocab_size": self.vocab.vocab_size if self.vocab else None,
        }
        if self.cache is not None:
            report["crop_cache"] = {
                **self.crop_cfg,
                "cache_dir": str(self.cache.cache_dir),
                "clips": len(self.crop_jobs),
                "crops": sum(len(boxes) for _, boxes in self.crop_jobs.values()),
                "clips_unreadable": self.policy.stats.get("clips_unreadable", 0),
            }
        report["split_sizes"] = self.split_sizes()
        write_json(run_dir / "data_report.json", report)

    # -- loaders --------------------------------------------------------------------------------
    def dataset(self, split: str) -> MultimodalDataset:
        samples = self.samples(split)
        augment = None
        if split == "train" and "image" in self.inputs and any(p > 0 for p in self.augment_cfg.values()):
            augment = video_augment(**self.augment_cfg)
        return MultimodalDataset(samples, self.inputs, self.crop_jobs, self.cache, augment)
