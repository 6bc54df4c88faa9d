"""The 한국어 글자체 이미지 reader and twin: counts, variations of the release, NFC, boxes, options."""

from __future__ import annotations

import json
import shutil
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from aihub_bench.datasets.ocr import SPEC, read_ocr, write_synthetic_ocr
from aihub_bench.datasets.ocr.layout import KINDS, SUBSETS, TIW_TYPE_FOLDERS, is_hangul_syllable
from aihub_bench.datasets.ocr.synth import FOLDERS, INFO_NAMES, SYLLABLES, WORDS, canonical_params, cli_kwargs
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.fonts import korean_font_files
from aihub_bench.records import TextSample

SMOKE = dict(SPEC.smoke)
FONTS = len(korean_font_files())
EVERYTHING: dict[str, Any] = {
    "subsets": list(SUBSETS),
    "kinds": list(KINDS),
    "tiw_classes": ["character", "word"],
}


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_ocr(tmp_path_factory.mktemp("ocr") / "twin", **SMOKE)


@pytest.fixture
def copy(twin: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(twin, tmp_path / "copy"))


def _info(root: Path, subset: str) -> Path:
    return root / FOLDERS[subset] / INFO_NAMES[subset]


def _load(root: Path, subset: str) -> dict[str, Any]:
    return json.loads(_info(root, subset).read_text(encoding="utf-8"))


def _edit(root: Path, subset: str, change: Callable[[dict[str, Any]], None]) -> None:
    data = _load(root, subset)
    change(data)
    _info(root, subset).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _read(root: Path, **options: Any) -> tuple[list[TextSample], ErrorPolicy]:
    policy = ErrorPolicy("raise")
    return read_ocr(root, policy, **{**EVERYTHING, **options}), policy


def test_the_twin_reads_back_whole_with_its_counts(twin: Path) -> None:
    samples, policy = _read(twin)
    counts = Counter((s.subset, s.kind) for s in samples)
    per_font = {k: SMOKE[f"{k}s_per_font"] for k in ("syllable", "word", "sentence")}
    assert counts[("printed", "syllable")] == FONTS * per_font["syllable"]
    assert counts[("printed", "word")] == FONTS * per_font["word"]
    # the last printed image (a sentence) is listed under a second id too
    assert counts[("printed", "sentence")] == FONTS * per_font["sentence"] + 1
    for kind in KINDS:
        assert counts[("handwriting", kind)] == SMOKE[f"handwriting_{kind}s"]
    assert counts[("augmented", "syllable")] == FONTS * SMOKE["augmented_per_font"]
    tiw = _load(twin, "tiw")["annotations"]
    used = [a for a in tiw if a["attributes"]["class"] != "ignored"]
    outside = [a for a in used if a["bbox"][0] + a["bbox"][2] <= 0 or a["bbox"][1] + a["bbox"][3] <= 0]
    assert counts[("tiw", "word")] + counts[("tiw", "character")] == len(used) - len(outside)
    assert counts[("tiw", "character")] > 0 and len(outside) == 1
    assert policy.skipped == 0
    assert sum(n for k, n in policy.stats.items() if k.startswith("samples_")) == len(samples)


def test_the_smoke_count_of_the_spec_is_what_the_syllable_config_reads(twin: Path) -> None:
    samples = read_ocr(twin, ErrorPolicy("raise"), subsets=["printed", "handwriting", "augmented"])
    assert len(samples) == SPEC.smoke_samples
    assert all(s.kind == "syllable" and is_hangul_syllable(s.text) for s in samples)


def test_the_twins_variations_are_counted(twin: Path) -> None:
    _, policy = _read(twin)
    stats = policy.stats
    assert stats["info_date_key_data_created"] == 2  # printed, augmented
    assert stats["info_date_key_date_created"] == 2  # handwriting, text in the wild
    assert stats["file_names_under_two_ids"] == 1
    assert stats["annotations_without_image"] == 1
    assert stats["images_without_annotations"] == 2  # printed, and a photo listed but absent
    nfd = [
        a for a in _load(twin, "handwriting")["annotations"] if unicodedata.is_normalized("NFD", a["text"])
    ]
    nfd = [a for a in nfd if not unicodedata.is_normalized("NFC", a["text"])]
    assert nfd and stats["texts_normalised_to_nfc"] == len(nfd)
    tiw = _load(twin, "tiw")["annotations"]
    assert stats["tiw_ignored_boxes"] == sum(a["attributes"]["class"] == "ignored" for a in tiw) > 0
    assert (
        stats["boxes_clipped"] == sum(a["bbox"][0] < 0 and a["bbox"][0] + a["bbox"][2] > 0 for a in tiw) > 0
    )
    assert stats["boxes_empty_after_clipping"] == 1


def test_records_keep_the_releases_attributes_and_ids(twin: Path) -> None:
    samples, _ = _read(twin)
    fonts = set(korean_font_files())
    for s in samples:
        assert s.image_path.is_file() and s.text == unicodedata.normalize("NFC", s.text)
        assert len(s.image_id) == 8 and s.image_id.isdigit()
        assert s.group.startswith(f"{s.subset}/")
        if s.subset in ("printed", "augmented"):
            assert s.meta["font"] in fonts and s.meta["is_aug"] is (s.subset == "augmented")
            assert s.bbox is None and (s.width, s.height)[1] == 64
        elif s.subset == "handwriting":
            assert s.meta["gender"] in ("남", "여") and s.meta["age"].isdigit() and s.meta["job"]
            assert "writer" not in s.meta  # the release names no writer
        else:
            assert s.meta["image_type"] in TIW_TYPE_FOLDERS and s.meta["box_class"] == s.kind
            assert s.image_path.parent.name == TIW_TYPE_FOLDERS[s.meta["image_type"]]
            assert s.image_path.stem.isalnum() and len(s.image_path.stem) == 32
            assert s.bbox is not None
            x, y, w, h = s.bbox
            assert x >= 0 and y >= 0 and x + w <= s.width and y + h <= s.height
    syllables = [s for s in samples if s.kind == "syllable"]
    assert {Image.open(s.image_path).size for s in syllables} == {(64, 64)}
    # printed images sit one folder deeper than their subset's folder
    printed = next(s for s in samples if s.subset == "printed" and s.kind == "word")
    assert (
        printed.image_path.parent.name == "word"
        and printed.image_path.parent.parent.name == "01_printed_word_images"
    )


def test_one_file_name_in_two_subsets_is_found_in_each(twin: Path) -> None:
    """Printed and handwriting both have 00000001.png: each subset finds its own."""
    samples, _ = _read(twin)
    first = {s.subset: s.image_path for s in samples if s.image_id == "00000001" and s.subset != "tiw"}
    assert len({p.name for p in first.values()}) == 1 and len(set(first.values())) == 3


def test_a_file_under_two_ids_keeps_both_annotations_in_one_group(twin: Path) -> None:
    samples, _ = _read(twin, subsets=["printed"], kinds=["sentence"])
    by_path: dict[Path, list[TextSample]] = {}
    for s in samples:
        by_path.setdefault(s.image_path, []).append(s)
    twice = [group for group in by_path.values() if len(group) > 1]
    assert len(twice) == 1
    a, b = twice[0]
    assert a.image_id != b.image_id and a.group == b.group and a.text == b.text


def test_a_label_written_in_nfd_reads_back_nfc(copy: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "한")
    assert decomposed != "한"

    def change(data: dict[str, Any]) -> None:
        data["annotations"][0]["text"] = decomposed
        del data["info"]["data_created"]

    _edit(copy, "printed", change)
    samples, policy = _read(copy, subsets=["printed"], kinds=["syllable"])
    first = next(s for s in samples if s.image_id == "00000001")
    assert first.text == "한" and len(first.text) == 1
    assert policy.stats["texts_normalised_to_nfc"] == 1
    assert policy.stats["info_without_date_key"] == 1


def test_ignored_boxes_never_become_samples(copy: Path) -> None:
    """Even an ignored box with text, and with every class asked for."""

    def change(data: dict[str, Any]) -> None:
        for a in data["annotations"]:
            if a["attributes"]["class"] == "ignored":
                a["text"] = "가나"

    _edit(copy, "tiw", change)
    samples, policy = _read(copy, subsets=["tiw"])
    ignored = [a for a in _load(copy, "tiw")["annotations"] if a["attributes"]["class"] == "ignored"]
    assert ignored and policy.stats["tiw_ignored_boxes"] == len(ignored)
    boxes = {(s.image_id, s.bbox) for s in samples}
    assert not any((a["image_id"], tuple(float(v) for v in a["bbox"])) in boxes for a in ignored)
    assert {s.kind for s in samples} == {"word", "character"}


def test_boxes_outside_the_photo_are_clipped_or_dropped_and_counted(twin: Path, copy: Path) -> None:
    _, before = _read(twin, subsets=["tiw"])

    def change(data: dict[str, Any]) -> None:
        words = [a for a in data["annotations"] if a["image_id"] == "00000002"]
        words[0]["bbox"] = [-10, -5, 60, 30]  # reaches past the top-left corner
        words[1]["bbox"] = [300, 200, 100, 100]  # past the bottom-right (the photo is 320 x 240)
        outside = {**words[1], "id": "99999999", "bbox": [-50, 10, 20, 20]}  # wholly left of it
        data["annotations"].append(outside)

    _edit(copy, "tiw", change)
    samples, after = _read(copy, subsets=["tiw"])
    boxes = sorted(s.bbox for s in samples if s.image_id == "00000002" and s.bbox)
    assert boxes == [(0.0, 0.0, 50.0, 25.0), (300.0, 200.0, 20.0, 40.0)]
    assert after.stats["boxes_clipped"] == before.stats["boxes_clipped"] + 2
    assert after.stats["boxes_empty_after_clipping"] == before.stats["boxes_empty_after_clipping"] + 1
    assert after.skipped == 0


@pytest.mark.parametrize(("mode", "kept"), [("keep", 2), ("drop", 0)])
def test_malformed_labels_are_counted_then_kept_or_dropped(copy: Path, mode: str, kept: int) -> None:
    def change(data: dict[str, Any]) -> None:
        data["annotations"][0]["text"] = "국ㅇ"  # a syllable image labelled with a stray jamo
        word = next(a for a in data["annotations"] if a["attributes"]["type"] == "단어(어절)")
        word["text"] = "국ㅇㄴ"

    _edit(copy, "printed", change)
    samples, policy = _read(copy, subsets=["printed"], malformed_labels=mode)
    assert policy.stats["malformed_labels"] == 2
    assert sum(s.text in ("국ㅇ", "국ㅇㄴ") for s in samples) == kept
    assert policy.stats["malformed_labels_dropped"] == 2 - kept


def test_unknown_types_and_other_kinds_are_counted(copy: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["annotations"][0]["attributes"]["type"] = "그림"
        data["annotations"][1]["attributes"]["type"] = unicodedata.normalize("NFD", " 글자(음절) ")

    _edit(copy, "printed", change)
    samples, policy = _read(copy, subsets=["printed"], kinds=["syllable"])
    assert policy.stats["annotations_of_unknown_type"] == 1
    assert len(samples) == FONTS * SMOKE["syllables_per_font"] - 1
    words_and_sentences = FONTS * (SMOKE["words_per_font"] + SMOKE["sentences_per_font"]) + 1
    assert policy.stats["annotations_of_other_kinds"] == words_and_sentences


def test_handwriting_in_several_parts_and_a_writer_key(copy: Path) -> None:
    data = _load(copy, "handwriting")
    half = len(data["images"]) // 2
    ids = {i["id"] for i in data["images"][half:]}
    for a in data["annotations"]:
        a["attributes"]["writer"] = f"w{int(a['image_id']) % 5}"
    second = {
        **data,
        "images": data["images"][half:],
        "annotations": [a for a in data["annotations"] if a["image_id"] in ids],
    }
    first = {
        **data,
        "images": data["images"][:half],
        "annotations": [a for a in data["annotations"] if a["image_id"] not in ids],
    }
    _info(copy, "handwriting").write_text(json.dumps(first, ensure_ascii=False), encoding="utf-8")
    (_info(copy, "handwriting").parent / "handwriting_data_info2.json").write_text(
        json.dumps(second, ensure_ascii=False), encoding="utf-8"
    )
    samples, policy = _read(copy, subsets=["handwriting"], writer_key="writer")
    assert len(samples) == sum(SMOKE[f"handwriting_{k}s"] for k in KINDS)
    assert policy.stats["info_files_read"] == 2
    assert {s.meta["writer"] for s in samples} == {f"w{i}" for i in range(5)}


def test_the_augmented_folder_claims_printed_looking_folders_inside_it(copy: Path) -> None:
    folder = copy / FOLDERS["augmented"]
    (folder / "01_printed_syllable_images").mkdir()
    (folder / "syllable").rename(folder / "01_printed_syllable_images" / "syllable")
    samples, policy = _read(copy, subsets=["printed", "augmented"], kinds=["syllable"])
    augmented = [s for s in samples if s.subset == "augmented"]
    assert len(augmented) == FONTS * SMOKE["augmented_per_font"]
    assert all("증강" in str(s.image_path) for s in augmented)
    assert policy.skipped == 0


def test_image_files_no_json_lists_are_counted(copy: Path) -> None:
    folder = copy / FOLDERS["printed"] / "01_printed_word_images" / "word"
    shutil.copy(next(folder.glob("*.png")), folder / "99999998.png")
    _, policy = _read(copy, subsets=["printed"])
    assert policy.stats["image_files_not_listed"] == 1


def test_a_subset_without_its_json_is_named(copy: Path) -> None:
    _info(copy, "augmented").unlink()
    with pytest.raises(FileNotFoundError, match=r"no augmented info JSON \(augmentation_data_info.json\)"):
        _read(copy)


def test_a_missing_image_is_named_in_raise_mode_and_counted_in_skip_mode(copy: Path) -> None:
    gone = SPEC.remove_one_file(copy) if SPEC.remove_one_file else None
    assert gone == _info(copy, "printed")
    with pytest.raises(
        BadInputError, match=r"image 00000001 \('00000001.png'\) is listed but no such file"
    ) as err:
        read_ocr(copy, ErrorPolicy("raise"), subsets=["printed"])
    assert err.value.kind == "missing_image" and err.value.path == str(gone)
    policy = ErrorPolicy("skip")
    assert len(read_ocr(copy, policy, subsets=["printed"])) == FONTS * SMOKE["syllables_per_font"] - 1
    assert policy.counts["missing_image"] == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"subsets": ["scanned"]}, r"subsets must be a list drawn from"),
        ({"subsets": "printed"}, r"subsets must be a list"),
        ({"kinds": ["paragraph"]}, r"kinds must be a list drawn from"),
        ({"tiw_classes": ["ignored"]}, r"tiw_classes must be a list drawn from"),
        ({"malformed_labels": "fix"}, r"malformed_labels must be one of"),
        ({"type_kinds": {"글자(음절)": "letter"}}, r"type_kinds must map types to"),
        ({"verify_images": True}, r"verify_images must be one of"),
    ],
)
def test_bad_options_are_named(twin: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_ocr(twin, ErrorPolicy("raise"), **options)


# ------------------------------------------------------------------------------------------ the twin


def test_canonical_parameters_validate_and_fill_in() -> None:
    params = canonical_params({"seed": "3", "tiw_images": 2})
    assert params["fonts"] == list(korean_font_files()) and params["seed"] == 3
    assert params["syllables"] == SYLLABLES and len(SYLLABLES) == 40 and params["words"] == list(WORDS)
    assert all(set(w) <= set(SYLLABLES) for w in WORDS) and len(WORDS) >= 60
    narrowed = canonical_params({"syllables": "가나다", "words": ["가나", "나무", "다"], "tiw_images": 1})
    assert narrowed["words"] == ["가나", "다"]  # 나무 needs 무
    with pytest.raises(ValueError, match="fonts must be drawn from"):
        canonical_params({"fonts": ["Gulim"], "tiw_images": 1})
    with pytest.raises(ValueError, match="modern Hangul syllables"):
        canonical_params({"syllables": "가ㄱ", "tiw_images": 1})
    with pytest.raises(ValueError, match="not all 0"):
        canonical_params({})


def test_cli_sizes_follow_the_full_twins_proportions() -> None:
    small = cli_kwargs(630, None)  # the full twin has 6,300 cropped images
    assert small["syllables_per_font"] == 40 and small["handwriting_words"] == 100
    assert cli_kwargs(630, "가나다")["syllables"] == "가나다"


def test_words_and_sentences_are_64_high_and_as_wide_as_their_text(twin: Path) -> None:
    samples, _ = _read(twin, subsets=["printed", "handwriting"], kinds=["word", "sentence"])
    sizes = {s.text: Image.open(s.image_path).size for s in samples if s.subset == "printed"}
    assert {h for _, h in sizes.values()} == {64}
    short = min(sizes[t][0] for t in sizes if len(t) == 2)
    long = max(sizes[t][0] for t in sizes if len(t) > 8)
    assert long > 3 * short


def test_a_syllable_classifier_learns_the_twin_across_fonts(tmp_path: Path) -> None:
    """Learnable: nearest class centroids of 16 x 16 thumbnails from three fonts recognise the
    printed syllables of the fourth far above chance (1/8)."""
    root = write_synthetic_ocr(
        tmp_path / "twin",
        syllables="가나다라마바사아",
        syllables_per_font=24,
        words_per_font=0,
        sentences_per_font=0,
        handwriting_syllables=0,
        handwriting_words=0,
        handwriting_sentences=0,
        augmented_per_font=0,
        tiw_images=1,
    )
    samples = read_ocr(root, ErrorPolicy("raise"), subsets=["printed"])
    pixels = np.stack(
        [np.asarray(Image.open(s.image_path).resize((16, 16)), np.float32).ravel() for s in samples]
    )
    pixels = (pixels - pixels.mean(1, keepdims=True)) / (pixels.std(1, keepdims=True) + 1e-6)
    labels, fonts = np.array([s.text for s in samples]), np.array([s.meta["font"] for s in samples])
    classes = sorted(set(labels))
    for held_out in sorted(set(fonts)):
        train, test = fonts != held_out, fonts == held_out
        centroids = np.stack([pixels[train & (labels == c)].mean(0) for c in classes])
        distances = ((pixels[test][:, None] - centroids[None]) ** 2).sum(-1)
        accuracy = float((np.array(classes)[distances.argmin(1)] == labels[test]).mean())
        assert accuracy > 0.6, (held_out, accuracy)
