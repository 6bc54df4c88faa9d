"""Face recognition data (K-Face): identity-disjoint splits, verification pairs, gallery and probes.

Splits: every image of an identity lands on one side. ``split.test_identities`` (a file of 8-digit
ids) pins the test identities; otherwise, with ``protocol.pairs`` set, the test identities are the
identities the pair list names; otherwise identities are split at random by ``val_fraction`` /
``test_fraction`` / ``seed``. Pinned test identities missing from the data are counted
(``test_identities_not_found``); none found is an error. Train, val and test identities are
asserted disjoint.

Pairs: the test split uses the pair list when ``protocol.pairs`` is given (either public form, see
:mod:`aihub_bench.datasets.kface.pairs`); a pair naming an image that was not read (kind
``missing_image``) or an identity of the train or val split (kind ``identity_leak``) is a
:class:`~aihub_bench.errors.BadInputError` naming the list, or a counted skip with
``on_error=skip``. The val split (and the test split without a list) gets balanced pairs generated
by :func:`generate_pairs`.

Gallery and probes (1:N identification): an identity's gallery image is its image under
``protocol.gallery``'s four condition codes; identities without one are counted and give no probes;
every other image of a gallery identity is a probe.

Images: a square crop around the face box (side ``max(w, h) * (1 + 2 * margin)``) or, without a box,
a centred square of ``center_fraction`` of the shorter side, padded with black where it leaves the
photo, resized to ``image_size`` and scaled to [-1, 1]. A batch holds ``image`` ``(B, 3, S, S)``,
``label`` ``(B,)`` (the train identity's index in sorted order; -1 on val/test) and the lists
``key``, ``identity``, ``accessory``, ``light``, ``expression`` and ``camera``.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import albumentations as A
import cv2
import numpy as np
import torch
from omegaconf import OmegaConf
from torch.utils.data import Dataset

from aihub_bench.data.base import SplitDataModule, merge_options
from aihub_bench.data.splits import (
    SPLITS,
    assert_no_leakage,
    check_non_empty,
    holdout_split,
    stratified_group_split,
)
from aihub_bench.data.transforms import SeededCompose, augment_probabilities
from aihub_bench.errors import BadInputError, ErrorPolicy, OnError
from aihub_bench.formats.images import load_rgb
from aihub_bench.records import FACE_FACTORS, FaceImage, FacePair
from aihub_bench.run_dir import write_json

log = logging.getLogger(__name__)

Reader = Callable[..., list[FaceImage]]
Box = tuple[float, float, float, float]
AUGMENTATIONS = ("hflip", "brightness_contrast", "affine")
PAIR_FORMS = ("auto", "paths", "short")
EVAL_SPLITS = ("val", "test")
NO_LABEL = -1
PAD_VALUE = 0  # black, -1 once normalised
# up to this many candidate pairs every pair is listed and drawn from; above, pairs are drawn at random
ENUMERATE_LIMIT = 10_000

DEFAULT_SPLIT: dict[str, Any] = {
    "val_fraction": 0.1,
    "test_fraction": 0.2,
    "seed": 0,
    "test_identities": None,
}
DEFAULT_PROTOCOL: dict[str, Any] = {
    "pairs": None,
    "pair_form": "auto",
    "pair_conditions": {"accessory": "S001", "light": "L1", "expression": "E01"},
    "generated_pairs": {"positives_per_identity": 10, "conditions": None, "seed": 0},
    "gallery": {"accessory": "S001", "light": "L1", "expression": "E01", "camera": "C7"},
}
DEFAULT_CROP: dict[str, float] = {"margin": 0.1, "center_fraction": 0.8}


def _plain(value: Any) -> Any:
    """A Hydra/OmegaConf value as plain dicts and lists (plain values unchanged)."""
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


def identity_of(key: str) -> str:
    """The identity a pair-list key names: its first path component."""
    return key.split("/", 1)[0]


# -- condition filters ----------------------------------------------------------------------------
def condition_filter(conditions: Mapping[str, str | Sequence[str]] | None) -> dict[str, frozenset[str]]:
    """``{factor: code or [codes]}`` as ``{factor: allowed codes}``; an unknown factor is an error."""
    if not conditions:
        return {}
    unknown = sorted(set(conditions) - set(FACE_FACTORS))
    if unknown:
        raise ValueError(f"condition filters name factors {list(FACE_FACTORS)}, not {unknown}")
    return {
        factor: frozenset([codes] if isinstance(codes, str) else [str(c) for c in codes])
        for factor, codes in conditions.items()
    }


def matches(image: FaceImage, allowed: Mapping[str, frozenset[str]]) -> bool:
    """Whether every factor of ``allowed`` has one of its codes in ``image``."""
    return all(getattr(image, factor) in codes for factor, codes in allowed.items())


# -- generated verification pairs -------------------------------------------------------------------
def _draw_unique(
    total: int,
    wanted: int,
    pick: Callable[[], tuple[str, str]],
    listed: Callable[[], list[tuple[str, str]]],
    rng: np.random.Generator,
) -> list[tuple[str, str]]:
    """``wanted`` distinct unordered pairs out of ``total`` candidates: listed and sampled without
    replacement when there are few, else drawn by ``pick`` until enough distinct ones came up."""
    wanted = min(wanted, total)
    if wanted <= 0:
        return []
    if total <= max(ENUMERATE_LIMIT, 4 * wanted):
        candidates = listed()
        return [candidates[i] for i in sorted(rng.choice(len(candidates), size=wanted, replace=False))]
    drawn: dict[tuple[str, str], None] = {}
    while len(drawn) < wanted:  # more than 4 candidates per wanted pair: repeats are rare
        drawn.setdefault(pick(), None)
    return list(drawn)


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def generate_pairs(
    images: Sequence[FaceImage],
    positives_per_identity: int,
    seed: int,
    conditions: Mapping[str, str | Sequence[str]] | None = None,
) -> list[FacePair]:
    """Balanced verification pairs: up to ``positives_per_identity`` same-identity pairs per identity
    (two distinct images) and as many different-identity pairs, drawn with ``seed``; no pair twice,
    positives first. Only images matching ``conditions`` (``{factor: code or [codes]}``) are used.
    Fewer possible negatives than positives trims the positives, so the list stays balanced."""
    allowed = condition_filter(conditions)
    by_identity: dict[str, list[str]] = defaultdict(list)
    for image in images:
        if matches(image, allowed):
            by_identity[image.identity].append(image.key)
    identities = sorted(by_identity)
    keys = {i: sorted(set(by_identity[i])) for i in identities}
    rng = np.random.default_rng(seed)

    positives: list[tuple[str, str]] = []
    for identity in identities:
        own = keys[identity]
        n = len(own)

        def pick_same(own: list[str] = own) -> tuple[str, str]:
            a, b = rng.choice(len(own), size=2, replace=False)
            return _ordered(own[a], own[b])

        def list_same(own: list[str] = own) -> list[tuple[str, str]]:
            return [_ordered(a, b) for a, b in itertools.combinations(own, 2)]

        positives.extend(_draw_unique(n * (n - 1) // 2, positives_per_identity, pick_same, list_same, rng))

    sizes = np.array([len(keys[i]) for i in identities], dtype=np.int64)
    total_negatives = int((sizes.sum() ** 2 - (sizes**2).sum()) // 2)

    def pick_different() -> tuple[str, str]:
        i, j = rng.choice(len(identities), size=2, replace=False)
        a, b = keys[identities[i]], keys[identities[j]]
        return _ordered(a[rng.integers(len(a))], b[rng.integers(len(b))])

    def list_different() -> list[tuple[str, str]]:
        return [
            _ordered(a, b) for i, j in itertools.combinations(identities, 2) for a in keys[i] for b in keys[j]
        ]

    negatives = _draw_unique(total_negatives, len(positives), pick_different, list_different, rng)
    positives = positives[: len(negatives)]
    return [FacePair(a, b, True) for a, b in positives] + [FacePair(a, b, False) for a, b in negatives]


# -- images -----------------------------------------------------------------------------------------
def crop_square(image: np.ndarray, box: Box | None, margin: float, center_fraction: float) -> np.ndarray:
    """The square around ``box`` = ``(x, y, w, h)`` (side ``max(w, h) * (1 + 2 * margin)``, same
    centre) or, for ``None``, the centred square of ``center_fraction`` of the shorter side; what
    lies outside the image is :data:`PAD_VALUE`."""
    height, width = image.shape[:2]
    if box is None:
        side = min(width, height) * center_fraction
        cx, cy = width / 2, height / 2
    else:
        x, y, w, h = box
        side = max(w, h) * (1 + 2 * margin)
        cx, cy = x + w / 2, y + h / 2
    size = max(1, round(side))
    x0, y0 = round(cx - size / 2), round(cy - size / 2)
    out = np.full((size, size, image.shape[2]), PAD_VALUE, dtype=image.dtype)
    sx0, sy0 = max(0, x0), max(0, y0)
    sx1, sy1 = min(width, x0 + size), min(height, y0 + size)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return out


def resize_square(image: np.ndarray, size: int) -> np.ndarray:
    """``(H, W, 3)`` uint8 resized to ``(size, size, 3)`` (area-averaged when shrinking)."""
    shrinking = size * size < image.shape[0] * image.shape[1]
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def face_augment(hflip: float = 0.0, brightness_contrast: float = 0.0, affine: float = 0.0) -> A.Compose:
    """Training augmentation of a face crop; each value is its transform's probability (0 = off): a
    horizontal flip, brightness/contrast (±0.2), a small affine (±10° rotation, ±5 % shift, 0.9-1.1 scale)."""
    ops: list[A.BasicTransform] = []
    if hflip > 0:
        ops.append(A.HorizontalFlip(p=hflip))
    if brightness_contrast > 0:
        ops.append(A.RandomBrightnessContrast(0.2, 0.2, p=brightness_contrast))
    if affine > 0:
        ops.append(
            A.Affine(
                rotate=(-10, 10),
                translate_percent=(-0.05, 0.05),
                scale=(0.9, 1.1),
                border_mode=cv2.BORDER_CONSTANT,
                fill=PAD_VALUE,
                p=affine,
            )
        )
    return SeededCompose(ops)


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """``(H, W, 3)`` uint8 -> ``(3, H, W)`` float in [-1, 1]."""
    array = np.ascontiguousarray(image.transpose(2, 0, 1)).astype(np.float32)
    return torch.from_numpy(array / 127.5 - 1.0)


class FaceDataset(Dataset):
    """``images[i]`` -> one item of the batch layout in the module docstring (``labels[i]`` its label)."""

    def __init__(
        self,
        images: Sequence[FaceImage],
        labels: Sequence[int],
        image_size: int,
        margin: float,
        center_fraction: float,
        augment: A.Compose | None = None,
    ) -> None:
        if len(images) != len(labels):
            raise ValueError("images and labels must have the same length")
        self.images, self.labels = list(images), list(labels)
        self.image_size, self.margin, self.center_fraction = image_size, margin, center_fraction
        self.augment = augment

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> dict[str, Any]:
        face = self.images[i]
        crop = crop_square(load_rgb(face.image_path), face.face_box, self.margin, self.center_fraction)
        pixels = resize_square(crop, self.image_size)
        if self.augment is not None:
            pixels = self.augment(image=pixels)["image"]
        item: dict[str, Any] = {"image": to_tensor(pixels), "label": self.labels[i], "key": face.key}
        item["identity"] = face.identity
        item.update(face.conditions)
        return item


# -- splits -----------------------------------------------------------------------------------------
def assert_identities_disjoint(splits: Mapping[str, Sequence[FaceImage]]) -> None:
    """:class:`~aihub_bench.data.splits.LeakageError` when an identity has images in two splits."""
    identities = [image.identity for name in splits for image in splits[name]]
    sides = [name for name in splits for _ in splits[name]]
    assert_no_leakage(identities, sides)


class FaceDataModule(SplitDataModule):
    """Reads K-Face records, splits them by identity, and serves crops, pairs, gallery and probes
    (see the module docstring for every option)."""

    def __init__(
        self,
        reader: Reader,
        name: str = "kface",
        root: str | None = None,
        synthetic: Callable[[], str | Path] | None = None,
        split: Mapping[str, Any] | None = None,
        protocol: Mapping[str, Any] | None = None,
        image_size: int = 112,
        crop: Mapping[str, float] | None = None,
        augment: Mapping[str, float] | None = None,
        batch_size: int = 64,
        eval_batch_size: int | None = None,
        num_workers: int = 2,
        on_error: OnError = "raise",
        max_samples: int | None = None,
        condition_names: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.reader, self.synthetic, self.root, self.name = reader, synthetic, root, name
        # factor -> code -> a human name (the dataset's table), for the per-condition results
        self.condition_names = {f: dict(names) for f, names in (condition_names or {}).items()}
        self.policy = ErrorPolicy(on_error)
        self.split_cfg = merge_options(DEFAULT_SPLIT, split, "split")
        self.protocol = merge_options(DEFAULT_PROTOCOL, protocol, "protocol")
        if self.protocol["pair_form"] not in PAIR_FORMS:
            raise ValueError(
                f"protocol.pair_form must be one of {PAIR_FORMS}, got {self.protocol['pair_form']!r}"
            )
        gallery = self.protocol["gallery"]
        if sorted(gallery) != sorted(FACE_FACTORS):
            raise ValueError(
                f"protocol.gallery gives one code per factor {list(FACE_FACTORS)}, got {gallery}"
            )
        condition_filter(self.protocol["generated_pairs"]["conditions"])  # an unknown factor fails here
        self.image_size = int(image_size)
        if self.image_size < 16:
            raise ValueError(f"dataset.image_size must be at least 16 px, got {image_size}")
        self.crop_cfg = {str(k): float(v) for k, v in merge_options(DEFAULT_CROP, crop, "crop").items()}
        if self.crop_cfg["margin"] < 0 or not 0 < self.crop_cfg["center_fraction"] <= 1:
            raise ValueError(
                f"dataset.crop needs margin >= 0 and 0 < center_fraction <= 1, got {self.crop_cfg}"
            )
        self.augment_cfg = augment_probabilities(_plain(augment), AUGMENTATIONS)
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.max_samples = max_samples
        self.splits: dict[str, list[FaceImage]] = {}
        self._identities: dict[str, list[str]] = {}
        self._pairs: dict[str, list[FacePair]] = {}
        self._gallery: dict[str, list[str]] = {}
        self._probes: dict[str, list[str]] = {}
        self.labels: dict[str, int] = {}
        self.counts: dict[str, Any] = {}

    # -- data preparation -------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self._is_set_up():
            return
        root = self.resolved_root()
        log.info("Reading %s from %s", self.name, root)
        images = self._unique(sorted(self.reader(root=root, policy=self.policy), key=lambda im: im.key))
        if not images:
            raise ValueError(f"no usable face images found under {root} (see data_report.json)")
        listed = self._read_pair_list()
        pinned = self._pinned_test_identities(images, listed)
        images = self._select(images, pinned)
        side_of = self._assign_sides(sorted({im.identity for im in images}), pinned)
        self._identities = {n: sorted(i for i, s in side_of.items() if s == n) for n in SPLITS}
        check_non_empty(self._identities, len(side_of), "identities", self.split_cfg)
        self.splits = {n: [im for im in images if side_of[im.identity] == n] for n in SPLITS}
        assert_identities_disjoint(self.splits)
        self.labels = {identity: i for i, identity in enumerate(self._identities["train"])}
        by_key = {im.key: im for im in images}
        generated = self.protocol["generated_pairs"]
        for name in EVAL_SPLITS:
            if name == "test" and listed is not None:
                self._pairs[name] = self._checked_pairs(listed, by_key, side_of)
            else:
                self._pairs[name] = self._generated(name, generated)
            self._gallery[name], self._probes[name] = self._gallery_and_probes(name)
        log.info(
            "Identities per split: %s; pairs: %s",
            {k: len(v) for k, v in self._identities.items()},
            {k: len(v) for k, v in self._pairs.items()},
        )

    def _unique(self, images: list[FaceImage]) -> list[FaceImage]:
        """One image per key (the first, e.g. when two resolution folders hold the same photo); counted."""
        seen: dict[str, FaceImage] = {}
        for image in images:
            seen.setdefault(image.key, image)
        if len(seen) < len(images):
            self.policy.count("duplicate_image_keys", len(images) - len(seen))
        return list(seen.values())

    def _read_pair_list(self) -> list[FacePair] | None:
        path = self.protocol["pairs"]
        if not path:
            return None
        from aihub_bench.datasets.kface.pairs import read_pair_list

        pairs = read_pair_list(
            Path(path),
            self.policy,
            form=self.protocol["pair_form"],
            conditions=dict(self.protocol["pair_conditions"]),
        )
        self.policy.count("pair_list_pairs", len(pairs))
        return pairs

    def _pinned_test_identities(self, images: Sequence[FaceImage], listed: list[FacePair] | None) -> set[str]:
        """The test identities fixed by ``split.test_identities`` or, without it, by the pair list
        (empty set: split at random)."""
        present = {im.identity for im in images}
        path = self.split_cfg["test_identities"]
        if path:
            from aihub_bench.datasets.kface.pairs import read_identity_list

            wanted = set(read_identity_list(Path(path), self.policy))
            source, reason = path, "lists"
        elif listed is not None:
            wanted = {identity_of(k) for p in listed for k in (p.key_a, p.key_b)}
            source, reason = self.protocol["pairs"], "pairs name"
        else:
            return set()
        found = wanted & present
        self.policy.count("test_identities_not_found", len(wanted - found))
        if not found:
            raise BadInputError(
                source,
                f"none of the {len(wanted)} identities it {reason} is among the {len(present)} identities read",
                "no_test_identities",
            )
        return found

    def _select(self, images: list[FaceImage], pinned: set[str]) -> list[FaceImage]:
        """``max_samples``: whole identities, in a seeded order, while their images fit in it; the
        pinned test identities are always kept."""
        if not self.max_samples or len(images) <= self.max_samples:
            return images
        per_identity = Counter(im.identity for im in images)
        budget = self.max_samples - sum(per_identity[i] for i in pinned)
        order = sorted(set(per_identity) - pinned)
        random.Random(self.split_cfg["seed"]).shuffle(order)
        kept = set(pinned)
        for identity in order:
            if per_identity[identity] <= budget or len(kept) < 3:
                kept.add(identity)
                budget -= per_identity[identity]
        self.policy.count("identities_over_max_samples", len(per_identity) - len(kept))
        return [im for im in images if im.identity in kept]

    def _assign_sides(self, identities: list[str], pinned: set[str]) -> dict[str, str]:
        cfg = self.split_cfg
        strata: list[Hashable] = [()] * len(identities)
        if pinned:
            sides = holdout_split(
                identities, strata, [i in pinned for i in identities], cfg["val_fraction"], cfg["seed"]
            )
        else:
            sides = stratified_group_split(
                identities, strata, cfg["val_fraction"], cfg["test_fraction"], cfg["seed"]
            )
        return dict(zip(identities, sides, strict=True))

    def _checked_pairs(
        self, pairs: Sequence[FacePair], by_key: Mapping[str, FaceImage], side_of: Mapping[str, str]
    ) -> list[FacePair]:
        """The listed pairs whose images were read and whose identities are test ones; the others
        are errors (raise) or counted skips (``pairs_skipped`` and the error kind)."""
        path = self.protocol["pairs"]
        kept = []
        for pair in pairs:
            try:
                for key in (pair.key_a, pair.key_b):
                    side = side_of.get(identity_of(key))
                    if side in ("train", "val"):
                        raise BadInputError(
                            path,
                            f"identity {identity_of(key)} is in the {side} split and in the pair list "
                            f"(pair {pair.key_a} {pair.key_b})",
                            "identity_leak",
                        )
                    if key not in by_key:
                        raise BadInputError(
                            path,
                            f"pair {pair.key_a} {pair.key_b} names image {key}, which is not among the "
                            "images read (missing on disk or excluded by the reader's condition filters)",
                            "missing_image",
                        )
            except BadInputError as err:
                self.policy.handle(err)
                self.policy.count("pairs_skipped")
                continue
            kept.append(pair)
        if not kept:
            raise BadInputError(path, f"none of its {len(pairs)} pairs is usable", "no_usable_pairs")
        return kept

    def _generated(self, name: str, cfg: Mapping[str, Any]) -> list[FacePair]:
        pairs = generate_pairs(
            self.splits[name], int(cfg["positives_per_identity"]), int(cfg["seed"]), cfg["conditions"]
        )
        if not pairs:
            raise ValueError(
                f"no {name} pairs could be generated from {len(self._identities[name])} identities "
                f"with protocol.generated_pairs={dict(cfg)}: it needs two identities, one with two "
                f"matching images (raise split.{name}_fraction or widen the conditions)"
            )
        return pairs

    def _gallery_and_probes(self, name: str) -> tuple[list[str], list[str]]:
        wanted = self.protocol["gallery"]
        gallery = {im.identity: im.key for im in self.splits[name] if im.conditions == wanted}
        missing = len(self._identities[name]) - len(gallery)
        self.policy.count(f"{name}_identities_without_gallery_image", missing)
        self.counts[f"{name}_identities_without_gallery_image"] = missing
        probes = [
            im.key for im in self.splits[name] if im.identity in gallery and im.key != gallery[im.identity]
        ]
        return sorted(gallery.values()), sorted(probes)

    # -- what the task and the run directory get ------------------------------------------------
    def _is_set_up(self) -> bool:
        return "test" in self._probes  # the last thing setup() fills

    def _ready(self, split: str, table: Mapping[str, list[Any]]) -> None:
        if not self._is_set_up():
            raise RuntimeError("FaceDataModule.setup() first")
        if split not in table:
            raise ValueError(f"split must be one of {sorted(table)}, got {split!r}")

    def identities(self, split: str) -> list[str]:
        """The split's identities, sorted."""
        self._ready(split, self._identities)
        return list(self._identities[split])

    def pairs(self, split: str) -> list[FacePair]:
        """The split's verification pairs (val, test)."""
        self._ready(split, self._pairs)
        return list(self._pairs[split])

    def gallery(self, split: str) -> list[str]:
        """The keys of the split's gallery images, one per identity that has one (val, test)."""
        self._ready(split, self._gallery)
        return list(self._gallery[split])

    def probes(self, split: str) -> list[str]:
        """The keys of every other image of the split's gallery identities (val, test)."""
        self._ready(split, self._probes)
        return list(self._probes[split])

    def model_kwargs(self) -> dict[str, Any]:
        """The head's size, and the train identities the task keeps in its checkpoints."""
        train = self.identities("train")
        return {"num_identities": len(train), "train_identities": list(train)}

    def split_sizes(self) -> dict[str, dict[str, Any]]:
        """Images and identities per split; pairs, gallery and probes per evaluation split."""
        sizes: dict[str, dict[str, Any]] = {}
        for name in SPLITS:
            sizes[name] = {"images": len(self.splits[name]), "identities": len(self._identities[name])}
            if name in EVAL_SPLITS:
                same = sum(p.same for p in self._pairs[name])
                sizes[name].update(
                    positive_pairs=same,
                    negative_pairs=len(self._pairs[name]) - same,
                    gallery=len(self._gallery[name]),
                    probes=len(self._probes[name]),
                    identities_without_gallery_image=self.counts[f"{name}_identities_without_gallery_image"],
                )
        return sizes

    def write_artifacts(self, run_dir: str | Path) -> None:
        """``identities_{train,val,test}.txt``, ``pairs_{val,test}.txt`` (long form),
        ``gallery_test.txt`` and ``data_report.json`` (skips, counts, split sizes)."""
        from aihub_bench.datasets.kface.pairs import write_identity_list, write_pair_list

        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        for name in SPLITS:
            write_identity_list(run_dir / f"identities_{name}.txt", self.identities(name))
        for name in EVAL_SPLITS:
            write_pair_list(run_dir / f"pairs_{name}.txt", self.pairs(name))
        (run_dir / "gallery_test.txt").write_text(
            "".join(f"{k}\n" for k in self.gallery("test")), encoding="utf-8"
        )
        report = self.policy.report()
        report["dataset"] = self.name
        report["split"] = dict(self.split_cfg)
        report["protocol"] = self.protocol
        report["split_sizes"] = self.split_sizes()
        report["pairs_skipped"] = self.policy.stats.get("pairs_skipped", 0)
        report["test_pairs_source"] = str(self.protocol["pairs"]) if self.protocol["pairs"] else "generated"
        write_json(run_dir / "data_report.json", report)

    # -- loaders ----------------------------------------------------------------------------
    def dataset(self, split: str) -> FaceDataset:
        images = self.splits[split]
        labels = [self.labels[im.identity] for im in images] if split == "train" else [NO_LABEL] * len(images)
        augment = face_augment(**self.augment_cfg) if split == "train" and self.augment_cfg else None
        return FaceDataset(
            images,
            labels,
            self.image_size,
            self.crop_cfg["margin"],
            self.crop_cfg["center_fraction"],
            augment,
        )
