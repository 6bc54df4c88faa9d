"""The text datamodule on a tiny hand-made set of PNGs: encoding, protocol splits, the CTC width rule,
padded batches, the syllable target and the run-directory artefacts."""

from __future__ import annotations

import json
import unicodedata
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from aihub_bench.data.splits import LeakageError
from aihub_bench.data.text import (
    HANGUL_SYLLABLES,
    PAD_VALUE,
    UNKNOWN_CHARACTER,
    Charset,
    TextDataModule,
    assert_fonts_disjoint,
    build_alphabet,
    collate_text,
    ctc_frames_needed,
)
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.records import TextSample

FONTS = ["NanumGothic", "NanumGothicBold", "NanumGothicLight", "NanumGothicExtraBold", "Batang", "Dotum"]
WRITERS = ["w01", "w02", "w03", "w04"]
WORDS = ["가방", "나무", "사람", "학교", "바다", "하늘", "구름", "우리"]
SYLLABLES = ["가", "나", "다", "라"]


def _png(path: Path, width: int, height: int, dark_box: tuple[int, int, int, int] | None = None) -> Path:
    """A white image with a dark stroke in the middle (or a dark ``(x, y, w, h)`` box)."""
    pixels = np.full((height, width, 3), 255, dtype=np.uint8)
    if dark_box is None:
        pixels[height // 3 : 2 * height // 3, width // 8 : -width // 8] = 20
    else:
        x, y, w, h = dark_box
        pixels[y : y + h, x : x + w] = 0
    Image.fromarray(pixels).save(path)
    return path


def _word_samples(root: Path) -> list[TextSample]:
    """Printed words in six fonts, handwritten words by four writers, and text-in-the-wild boxes."""
    samples = []
    for f, font in enumerate(FONTS):
        for w, word in enumerate(WORDS[:4]):
            path = _png(root / f"p_{f}_{w}.png", 64 + 8 * w, 32)
            samples.append(
                TextSample(
                    path, word, "printed", "word", 64 + 8 * w, 32, image_id=f"p{f}{w}", meta={"font": font}
                )
            )
    for k, writer in enumerate(WRITERS):
        for w, word in enumerate(WORDS[4:]):
            path = _png(root / f"h_{k}_{w}.png", 90, 40)
            samples.append(
                TextSample(
                    path, word, "handwriting", "word", 90, 40, image_id=f"h{k}{w}", meta={"writer": writer}
                )
            )
    for i in range(6):
        path = _png(root / f"t_{i}.jpg".replace(".jpg", ".png"), 200, 100, dark_box=(20, 30, 60, 20))
        for b, (word, box) in enumerate(
            [("출구", (20.0, 30.0, 60.0, 20.0)), ("입구", (120.0, 10.0, 40.0, 30.0))]
        ):
            samples.append(
                TextSample(
                    path, word, "tiw", "word", 200, 100, bbox=box, image_id=f"t{i}", group=f"t{i}",
                    meta={"image_type": "sign", "box_class": "word", "annotation_id": f"a{i}{b}"},
                )
            )  # fmt: skip
    return samples


def _fake_reader(samples: list[TextSample], root: Path, policy: ErrorPolicy) -> list[TextSample]:
    return list(samples)


def _datamodule(root: Path, samples: list[TextSample], **kwargs: Any) -> TextDataModule:
    options: dict[str, Any] = {
        "root": str(root),
        "batch_size": 4,
        "eval_batch_size": 5,
        "num_workers": 0,
        "split": {"strategy": "random", "val_fraction": 0.2, "test_fraction": 0.2, "seed": 0},
    }
    options.update(kwargs)
    dm = TextDataModule(partial(_fake_reader, samples), **options)
    dm.setup()
    return dm


@pytest.fixture()
def samples(tmp_path: Path) -> list[TextSample]:
    return _word_samples(tmp_path)


# -- encoding ----------------------------------------------------------------------------------
def test_charset_round_trip_maps_and_counts_unknown_characters() -> None:
    charset = Charset(["가", "나", " "])
    assert charset.characters[-1] == UNKNOWN_CHARACTER and charset.size == 5 and charset.unknown_id == 4
    ids = charset.encode("가 나")
    assert ids == [1, 3, 2] and charset.decode(ids) == "가 나"
    assert charset.decode([0, 1, 0, 2]) == "가나"  # blanks are skipped
    assert charset.encode("가X나X!") == [1, 4, 2, 4, 4]
    assert dict(charset.unknown_counts) == {"X": 2, "!": 1}
    assert charset.decode(charset.encode("가X")) == "가" + UNKNOWN_CHARACTER
    assert charset.encode(unicodedata.normalize("NFD", "가나")) == [1, 2]  # compared in NFC
    assert "가" in charset and UNKNOWN_CHARACTER not in charset
    with pytest.raises(ValueError, match="outside the charset"):
        charset.decode([5])
    with pytest.raises(ValueError, match="more than once"):
        Charset(["가", "가"])
    with pytest.raises(ValueError, match="single characters"):
        Charset(["가나"])
    assert Charset(charset.characters).characters == charset.characters  # its own list rebuilds it


def test_alphabets_from_train_hangul_or_a_list() -> None:
    train = ["나무 2", "가방!"]
    assert build_alphabet("train", train) == sorted(set("나무 2가방!"))
    hangul = build_alphabet("hangul", train)
    assert len(hangul) == 11_172 + 3 and {" ", "2", "!"} <= set(hangul)
    assert hangul == sorted(hangul) and hangul[-1] == HANGUL_SYLLABLES[-1] == "힣"
    assert build_alphabet(["a", "b"], train) == ["a", "b"]


def test_ctc_needs_a_frame_between_equal_labels() -> None:
    assert ctc_frames_needed([1, 2, 3]) == 3
    assert ctc_frames_needed([1, 1, 2, 2, 2]) == 8
    assert ctc_frames_needed([]) == 0


# -- splits ------------------------------------------------------------------------------------
def test_unseen_font_keeps_fonts_disjoint_and_splits_handwriting_by_image(
    tmp_path: Path, samples: list[TextSample]
) -> None:
    dm = _datamodule(
        tmp_path, samples, split={"strategy": "unseen_font", "val_fraction": 0.2, "test_fraction": 0.2}
    )
    fonts = {name: {s.meta["font"] for s in part if "font" in s.meta} for name, part in dm.splits.items()}
    assert all(fonts.values()), fonts  # every side has a font of its own
    assert not (
        fonts["train"] & fonts["val"] or fonts["train"] & fonts["test"] or fonts["val"] & fonts["test"]
    )
    assert set().union(*fonts.values()) == set(FONTS)
    handwriting = {name: sum(s.subset == "handwriting" for s in part) for name, part in dm.splits.items()}
    assert all(handwriting.values()) and sum(handwriting.values()) == 16
    assert dm.policy.stats["samples_without_font"] == 16 + 12

    with pytest.raises(ValueError, match="unseen_font only"):
        _datamodule(tmp_path, samples, split={"strategy": "random", "test_fonts": ["Batang"]})
    pinned = _datamodule(
        tmp_path, samples, split={"strategy": "unseen_font", "test_fonts": ["Batang", "Dotum"]}
    )
    assert {s.meta["font"] for s in pinned.splits["test"] if "font" in s.meta} == {"Batang", "Dotum"}


def test_font_leakage_fires_on_a_forced_overlap(samples: list[TextSample]) -> None:
    printed = [s for s in samples if s.subset == "printed"][:3]
    same_font = [printed[0], printed[1]]
    assert same_font[0].meta["font"] == same_font[1].meta["font"]
    with pytest.raises(LeakageError, match=FONTS[0]):
        assert_fonts_disjoint(same_font, ["train", "test"])
    assert_fonts_disjoint(same_font, ["val", "val"])


def test_unseen_font_refuses_what_it_cannot_hold_out(tmp_path: Path, samples: list[TextSample]) -> None:
    two_fonts = [s for s in samples if s.meta.get("font", FONTS[0]) in FONTS[:2]]
    with pytest.raises(ValueError, match="at least 3 distinct fonts"):
        _datamodule(tmp_path, two_fonts, split={"strategy": "unseen_font"})
    with pytest.raises(ValueError, match="not in the data: \\['Gulim'\\]"):
        _datamodule(tmp_path, samples, split={"strategy": "unseen_font", "test_fonts": ["Gulim"]})


def test_writer_split_groups_by_writer_and_needs_one(tmp_path: Path, samples: list[TextSample]) -> None:
    handwriting = [s for s in samples if s.subset == "handwriting"]
    dm = _datamodule(
        tmp_path, handwriting, split={"strategy": "writer", "val_fraction": 0.25, "test_fraction": 0.25}
    )
    writers = {name: {s.meta["writer"] for s in part} for name, part in dm.splits.items()}
    assert [len(w) for w in writers.values()] == [2, 1, 1] and len(set().union(*writers.values())) == 4
    printed = [s for s in samples if s.subset == "printed"]
    with pytest.raises(ValueError, match="needs meta\\['writer'\\].*none of the 24 samples"):
        _datamodule(tmp_path, printed, split={"strategy": "writer"})


def test_random_split_keeps_the_boxes_of_a_photo_together(tmp_path: Path, samples: list[TextSample]) -> None:
    dm = _datamodule(tmp_path, samples)
    side_of: dict[str, set[str]] = {}
    for name, part in dm.splits.items():
        for s in part:
            side_of.setdefault(str(s.image_path), set()).add(name)
        assert {s.subset for s in part} == {"printed", "handwriting", "tiw"}  # stratified by subset
    assert all(len(sides) == 1 for sides in side_of.values())
    assert sum(len(p) for p in dm.splits.values()) == len(samples)


# -- the CTC width rule ------------------------------------------------------------------------
def test_labels_longer_than_the_widest_image_allows_are_dropped_and_counted(
    tmp_path: Path, samples: list[TextSample]
) -> None:
    long_text = "가나다라마바사아자차카타파하" * 2  # 28 characters: 112 px at 4 px per frame
    narrow = _png(tmp_path / "narrow.png", 40, 32)
    extra = [
        TextSample(
            narrow, long_text, "printed", "sentence", 40, 32, image_id=f"n{i}", meta={"font": FONTS[i % 6]}
        )
        for i in range(10)
    ]
    dm = _datamodule(tmp_path, samples + extra, max_width=100)
    kept = [s for part in dm.splits.values() for s in part]
    assert long_text not in {s.text for s in kept} and len(kept) == len(samples)
    dropped = sum(dm.policy.stats[f"{name}_label_longer_than_frames"] for name in ("train", "val", "test"))
    assert dropped == 10

    words_only = _datamodule(tmp_path, samples + extra, max_width=100, kinds=["word"])
    assert words_only.policy.stats["samples_of_other_kinds"] == 10
    assert not any("label_longer" in key for key in words_only.policy.stats)

    wide_enough = _datamodule(tmp_path, samples + extra, max_width=200)
    assert sum(long_text == s.text for part in wide_enough.splits.values() for s in part) == 10
    assert wide_enough.policy.stats["images_widened_for_ctc"] == 10  # 40 px at height 32 is 10 frames
    split, i = next(
        (n, i) for n, part in wide_enough.splits.items() for i, s in enumerate(part) if s.text == long_text
    )
    item = wide_enough.dataset(split)[i]
    assert item["image"].shape[-1] == 28 * 4


# -- batches -----------------------------------------------------------------------------------
def test_batches_are_right_padded_with_white_and_hold_the_targets(
    tmp_path: Path, samples: list[TextSample]
) -> None:
    dm = _datamodule(tmp_path, samples, charset="hangul")
    dataset = dm.dataset("train")
    items = [dataset[i] for i in range(0, len(dataset), len(dataset) // 5)][:6]  # every subset
    batch = collate_text(items)
    widths = [it["image"].shape[-1] for it in items]
    assert batch["image"].shape == (6, 1, 32, max(widths)) and batch["image"].dtype == torch.float32
    assert batch["widths"].tolist() == widths and len(set(widths)) > 1
    for b, width in enumerate(widths):
        assert torch.equal(batch["image"][b, :, :, :width], items[b]["image"])
        assert torch.all(batch["image"][b, :, :, width:] == PAD_VALUE)
    assert float(batch["image"].min()) >= -1.0 and float(batch["image"].max()) <= 1.0
    assert dm.charset is not None
    expected = [dm.charset.encode(t) for t in batch["text"]]
    assert batch["targets"].tolist() == [i for ids in expected for i in ids]
    assert batch["target_lengths"].tolist() == [len(ids) for ids in expected]
    assert "label" not in batch

    loaded = next(iter(dm.test_dataloader()))
    assert len(loaded["text"]) == 5 and set(loaded) >= {"subset", "kind", "font", "image_path"}
    assert all(f in FONTS or f == "" for f in loaded["font"])


def test_box_crops_and_aspect_ratio(tmp_path: Path, samples: list[TextSample]) -> None:
    dm = _datamodule(tmp_path, samples, grayscale=False)
    split, i = next((n, i) for n, part in dm.splits.items() for i, s in enumerate(part) if s.text == "출구")
    item = dm.dataset(split)[i]
    assert item["image"].shape == (3, 32, 96)  # the 60x20 box at height 32
    assert torch.all(item["image"] == -1.0)  # the box is the dark part of the photo
    split, i = next(
        (n, i) for n, part in dm.splits.items() for i, s in enumerate(part) if s.subset == "handwriting"
    )
    assert dm.dataset(split)[i]["image"].shape == (3, 32, 72)  # 90x40 -> 72x32


def test_augmentation_changes_train_images_only(tmp_path: Path, samples: list[TextSample]) -> None:
    plain = _datamodule(tmp_path, samples)
    augmented = _datamodule(
        tmp_path, samples, augment={"affine": 1.0, "brightness_contrast": 1.0, "blur": 1.0}
    )
    train_a, train_b = plain.dataset("train")[0]["image"], augmented.dataset("train")[0]["image"]
    assert train_a.shape == train_b.shape and not torch.equal(train_a, train_b)
    assert torch.equal(plain.dataset("val")[0]["image"], augmented.dataset("val")[0]["image"])
    with pytest.raises(ValueError, match="elastic"):
        TextDataModule(partial(_fake_reader, samples), augment={"elastic": 1.0})


def test_a_missing_image_names_the_file_or_is_skipped_and_counted(
    tmp_path: Path, samples: list[TextSample]
) -> None:
    missing = TextSample(
        tmp_path / "gone.png", "가방", "printed", "word", image_id="gone", meta={"font": FONTS[0]}
    )
    with pytest.raises(BadInputError, match="gone.png: image file not found"):
        _datamodule(tmp_path, [*samples, missing])
    dm = _datamodule(tmp_path, [*samples, missing], on_error="skip")
    assert dm.policy.counts["missing_image"] == 1
    assert sum(len(p) for p in dm.splits.values()) == len(samples)


# -- syllables ---------------------------------------------------------------------------------
def _syllable_samples(root: Path) -> list[TextSample]:
    out = []
    for f, font in enumerate(FONTS[:4]):
        for k, syllable in enumerate(SYLLABLES):
            for copy in range(2):
                path = _png(root / f"s_{f}_{k}_{copy}.png", 40 + copy, 44)
                out.append(
                    TextSample(path, syllable, "printed", "syllable", 40 + copy, 44, image_id=f"s{f}{k}{copy}",
                               meta={"font": font})
                )  # fmt: skip
    path = _png(root / "rare.png", 40, 40)
    out.append(
        TextSample(path, "뷁", "printed", "syllable", 40, 40, image_id="rare", meta={"font": FONTS[0]})
    )
    out.append(
        TextSample(path, "A", "printed", "syllable", 40, 40, image_id="latin", meta={"font": FONTS[0]})
    )
    out.append(
        TextSample(path, "가나", "printed", "syllable", 40, 40, image_id="two", meta={"font": FONTS[0]})
    )
    return out


def test_syllable_target_labels_and_label_spaces(tmp_path: Path) -> None:
    samples = _syllable_samples(tmp_path)
    split = {"strategy": "unseen_font", "test_fonts": [FONTS[3]], "val_fraction": 0.3}
    dm = _datamodule(tmp_path, samples, target="syllable", image_size=[48, 40], split=split)
    assert dm.class_names == sorted(set(SYLLABLES) | ({"뷁", "A"} & {s.text for s in dm.splits["train"]}))
    assert dm.model_kwargs() == {"alphabet": [], "class_names": dm.class_names}
    assert dm.policy.stats["not_a_single_character"] == 1
    batch = next(iter(dm.test_dataloader()))
    assert batch["image"].shape == (5, 1, 48, 40) and batch["widths"].tolist() == [40] * 5
    assert [dm.class_names[i] for i in batch["label"].tolist()] == batch["text"]
    assert "targets" not in batch

    hangul = _datamodule(tmp_path, samples, target="syllable", label_space="hangul", split=split)
    assert len(hangul.class_names) == 11_172 and hangul.policy.stats["outside_label_space"] == 1
    assert {s.text for p in hangul.splits.values() for s in p} <= set(HANGUL_SYLLABLES)


def test_syllable_classes_absent_from_train_are_dropped_from_val_and_test(tmp_path: Path) -> None:
    samples = [s for s in _syllable_samples(tmp_path) if len(s.text) == 1 and s.text in SYLLABLES]
    only_in_test = _png(tmp_path / "only.png", 40, 40)
    samples += [
        TextSample(
            only_in_test, "뷁", "printed", "syllable", 40, 40, image_id=f"x{i}", meta={"font": FONTS[3]}
        )
        for i in range(3)
    ]
    split = {"strategy": "unseen_font", "test_fonts": [FONTS[3]], "val_fraction": 0.3}
    dm = _datamodule(tmp_path, samples, target="syllable", split=split)
    assert "뷁" not in dm.class_names and dm.policy.stats["test_class_not_in_train"] == 3
    assert len(dm.splits["test"]) == len(SYLLABLES) * 2


# -- artefacts ---------------------------------------------------------------------------------
def test_vocab_and_data_report(tmp_path: Path, samples: list[TextSample]) -> None:
    dm = _datamodule(tmp_path, samples, charset=sorted(set("".join(WORDS[:4]))))  # no handwriting/tiw words
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    dm.write_artifacts(run_dir)
    vocab = json.loads((run_dir / "vocab.json").read_text(encoding="utf-8"))
    assert (
        vocab["alphabet"]
        == dm.model_kwargs()["alphabet"]
        == [*sorted(set("".join(WORDS[:4]))), UNKNOWN_CHARACTER]
    )
    assert vocab["blank_id"] == 0 and dm.model_kwargs()["class_names"] == []
    report = json.loads((run_dir / "data_report.json").read_text(encoding="utf-8"))
    for name in ("val", "test"):
        outside = [c for s in dm.splits[name] for c in s.text if c not in set("".join(WORDS[:4]))]
        assert report["unknown_characters"][name]["total"] == len(outside) > 0
        assert sum(report["unknown_characters"][name]["top"].values()) == len(outside)
    sizes = report["split_sizes"]
    assert sum(v["samples"] for v in sizes.values()) == len(samples)
    assert sizes["test"]["subset"] == {
        k: sum(s.subset == k for s in dm.splits["test"]) for k in ("handwriting", "printed", "tiw")
    }
    assert sum(sizes["train"]["font"].values()) == sum(s.subset == "printed" for s in dm.splits["train"])
    splits = json.loads((run_dir / "splits.json").read_text(encoding="utf-8"))
    assert set(splits) == {"train", "val", "test"} and not set(splits["train"]) & set(splits["test"])


def test_max_samples_keeps_a_seeded_subset_of_every_subset(tmp_path: Path, samples: list[TextSample]) -> None:
    dm = _datamodule(tmp_path, samples, max_samples=30)
    kept = [s for p in dm.splits.values() for s in p]
    assert len(kept) == 30 and {s.subset for s in kept} == {"printed", "handwriting", "tiw"}
    again = _datamodule(tmp_path, samples, max_samples=30)
    assert [s.image_id for s in again.splits["train"]] == [s.image_id for s in dm.splits["train"]]


# -- the synthetic twin ------------------------------------------------------------------------
def test_the_smoke_twin_feeds_unseen_font_word_batches(synth_cache: Path) -> None:
    from aihub_bench.datasets.ocr import SPEC, read_ocr
    from aihub_bench.datasets.registry import ensure_twin

    reader = partial(read_ocr, subsets=["printed", "handwriting", "tiw"], kinds=["word", "sentence"])
    dm = TextDataModule(
        reader,
        synthetic=partial(ensure_twin, "ocr", synth_cache, **SPEC.smoke),
        max_width=512,
        batch_size=8,
        num_workers=0,
        split={"strategy": "unseen_font", "val_fraction": 0.25, "test_fraction": 0.25},
    )
    dm.setup()
    fonts = [{s.meta["font"] for s in part if s.meta.get("font")} for part in dm.splits.values()]
    assert all(fonts) and len(set().union(*fonts)) == sum(len(f) for f in fonts) == 4
    assert {s.subset for s in dm.splits["train"]} == {"printed", "handwriting", "tiw"}
    assert dm.charset is not None and len(dm.charset.characters) > 20
    batch = next(iter(dm.train_dataloader()))
    assert batch["image"].shape[:3] == (8, 1, 32) and batch["image"].shape[3] == int(batch["widths"].max())
    assert [dm.charset.decode(dm.charset.encode(t)) for t in batch["text"]] == batch["text"]
    assert int(batch["target_lengths"].sum()) == len(batch["targets"])
