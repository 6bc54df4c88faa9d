"""Synthetic twin of 한국어 글자체 이미지 in the real layout and JSON schemas (FORMATS.md §3).

    01.손글씨/handwriting_data_info1.json   + 1_syllable/ 1_word/ 2_sentence/ <id>.png
    02.인쇄체_230721_add/printed_data_info.json
        + 01_printed_{syllable,word,sentence}_images/{syllable,word,sentence}/<id>.png
    03.인쇄체 증강데이터/augmentation_data_info.json   + syllable/<id>.png
    04.Text_in_the_wild/textinthewild_data_info.json  + Book/ Goods/ Signboard/ Traffic_Sign/ <32 hex>.jpg

Text is rendered with the four NanumGothic weights of ``koreanize-matplotlib``
(:func:`aihub_bench.fonts.korean_font_files`), each weight one "font" of the printed subsets (the
annotation's ``font`` is the weight's name). Labels come from a small vocabulary so that a model
learns on a CPU: ~40 common syllables, ~60 words made of them, sentences of 2-4 of those words.
Syllable images are 64 x 64; words and sentences 64 high and as wide as their text. The looks are in
:mod:`aihub_bench.datasets.ocr.render`.

The release's variations are written too: ``info`` spells its date ``data_created`` (printed,
augmented) or ``date_created`` (handwriting, text in the wild); handwriting ``images[]`` carry
``license`` instead of ``date_captured``; the text-in-the-wild type ``traffic sign`` has a space;
printed lists one file under two image ids, one image without annotations (and without a file) and
one annotation of an image it does not list; every seventh handwriting label is written in NFD; text
in the wild has ignored boxes (``text: null``) over scribbles, character boxes, one image listed but
absent, boxes reaching past the photo's left edge and, one in fifty photos, a box wholly outside.

Same arguments, same bytes (PNGs without time stamps, JSON in a fixed order).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from aihub_bench.datasets.ocr import render
from aihub_bench.datasets.ocr.layout import TIW_TYPE_FOLDERS, is_hangul_syllable, nfc
from aihub_bench.fonts import korean_font_files

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated

#: 40 common syllables: the syllable classes of the twin.
SYLLABLES = "가나다라마바사아자하고노도로모보소오조호구누두루무부수우주한국어이기시리미지대학"
#: 63 words (1-4 syllables), all made of :data:`SYLLABLES`.
WORDS: tuple[str, ...] = (
    "소", "나", "한", "가구", "가수", "가지", "고기", "나라", "나무", "다리", "도시", "모자", "바다",
    "사자", "아이", "자리", "하루", "소리", "오리", "우주", "주소", "한국", "대학", "사이", "이사",
    "기사", "기자", "미소", "지도", "지구", "구두", "두부", "부자", "수도", "우리", "누나", "모기",
    "보리", "조사", "호수", "도로", "무리", "사기", "학자", "국가", "대기", "하나", "마리", "도마",
    "자두", "아기", "주부", "바지", "어부", "하마", "수학", "한자", "노루", "한국어", "가로수",
    "소나무", "고구마", "다리미", "사다리", "우리나라", "바다사자",
)  # fmt: skip

FOLDERS = {
    "handwriting": "01.손글씨",
    "printed": "02.인쇄체_230721_add",
    "augmented": "03.인쇄체 증강데이터",
    "tiw": "04.Text_in_the_wild",
}
INFO_NAMES = {
    "handwriting": "handwriting_data_info1.json",
    "printed": "printed_data_info.json",
    "augmented": "augmentation_data_info.json",
    "tiw": "textinthewild_data_info.json",
}
KIND_FOLDERS = {
    "printed": {
        "syllable": "01_printed_syllable_images/syllable",
        "word": "01_printed_word_images/word",
        "sentence": "01_printed_sentence_images/sentence",
    },
    "handwriting": {"syllable": "1_syllable", "word": "1_word", "sentence": "2_sentence"},
    "augmented": {"syllable": "syllable"},
}
KIND_TYPES = {"syllable": "글자(음절)", "word": "단어(어절)", "sentence": "문장"}
TIW_SIZE = (240, 320)  # height, width of a scene photo
SUBSET_STREAMS = {"printed": 1, "handwriting": 2, "augmented": 3, "tiw": 4}  # one random stream each
COUNTS = (
    "syllables_per_font",
    "words_per_font",
    "sentences_per_font",
    "handwriting_syllables",
    "handwriting_words",
    "handwriting_sentences",
    "augmented_per_font",
    "tiw_images",
)
GENDERS, JOBS = ("남", "여"), ("학생", "회사원", "주부", "교사", "자영업")
JPEG_QUALITY = 90


@dataclass
class _Info:
    """One subset's info JSON being written: its ``info`` block and entries, ids as the release's
    zero-padded strings."""

    info: dict[str, Any]
    images: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)

    def next_image_id(self) -> str:
        return f"{len(self.images) + 1:08d}"

    def add_annotation(self, image_id: str, text: str | None, **extra: Any) -> None:
        self.annotations.append(
            {"id": f"{len(self.annotations) + 1:08d}", "image_id": image_id, "text": text, **extra}
        )

    def write(self, path: Path) -> None:
        data = {
            "info": self.info,
            "images": self.images,
            "annotations": self.annotations,
            "licenses": [{"name": "AI Hub (synthetic twin)", "url": "https://aihub.or.kr"}],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_synthetic_ocr(
    out: str | Path,
    *,
    fonts: Sequence[str] | None = None,
    syllables: str | Sequence[str] = SYLLABLES,
    words: Sequence[str] = WORDS,
    syllables_per_font: int = 400,
    words_per_font: int = 500,
    sentences_per_font: int = 50,
    handwriting_syllables: int = 800,
    handwriting_words: int = 1000,
    handwriting_sentences: int = 100,
    augmented_per_font: int = 150,
    tiw_images: int = 150,
    seed: int = 0,
) -> Path:
    """Write the twin under ``out`` and return ``out``.

    ``fonts``: NanumGothic weights to print with (default all four; each is one printed "font").
    ``syllables``: the syllable classes; ``words``: the word list (words with a syllable outside
    ``syllables`` are left out). Counts: printed syllable / word / sentence images per font,
    handwritten ones in all, augmented printed syllables per font, text-in-the-wild photos.
    """
    p = canonical_params({k: v for k, v in locals().items() if k != "out"})
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    paths = [str(korean_font_files()[name]) for name in p["fonts"]]
    _write_printed(root, p, paths)
    _write_handwriting(root, p, paths)
    _write_augmented(root, p, paths)
    _write_tiw(root, p, paths)
    return root


def _rng(p: dict[str, Any], subset: str, *index: int) -> np.random.Generator:
    """The generator of one image (``index`` = its number) or of one list of labels (two numbers)."""
    return np.random.default_rng([p["seed"], SUBSET_STREAMS[subset], *index])


def _balanced(items: Sequence[str], n: int, rng: np.random.Generator) -> list[str]:
    """``n`` items, each of ``items`` as often as possible (every full round shuffled)."""
    rounds = [items[int(i)] for _ in range(math.ceil(n / len(items))) for i in rng.permutation(len(items))]
    return rounds[:n]


def _labels(p: dict[str, Any], kind: str, n: int, rng: np.random.Generator) -> list[str]:
    if kind == "syllable":
        return _balanced(list(p["syllables"]), n, rng)
    if kind == "word":
        return _balanced(p["words"], n, rng)
    return [" ".join(str(w) for w in rng.choice(p["words"], size=int(rng.integers(2, 5)))) for _ in range(n)]


def _save(image: Image.Image, root: Path, folder: str, file_name: str) -> tuple[int, int]:
    path = root / folder / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    render.save_png(image, path)
    return image.width, image.height


def _write_printed(root: Path, p: dict[str, Any], paths: list[str]) -> None:
    info = _Info({"name": "인쇄체", "version": "1.0", "data_created": "2019-12-31"})
    plan = (
        ("syllable", p["syllables_per_font"]),
        ("word", p["words_per_font"]),
        ("sentence", p["sentences_per_font"]),
    )
    for k, (kind, per_font) in enumerate(plan):
        for f, (font_name, font_path) in enumerate(zip(p["fonts"], paths, strict=True)):
            for text in _labels(p, kind, per_font, _rng(p, "printed", k, f, 0)):
                image_id = info.next_image_id()
                rng = _rng(p, "printed", int(image_id))
                image = render.printed(text, font_path, kind == "syllable", rng)
                w, h = _save(
                    image, root / FOLDERS["printed"], KIND_FOLDERS["printed"][kind], f"{image_id}.png"
                )
                info.images.append(_printed_image(image_id, w, h))
                attributes = {"font": font_name, "type": KIND_TYPES[kind], "is_aug": False}
                info.add_annotation(image_id, text, attributes=attributes)
    _printed_variations(info)
    info.write(root / FOLDERS["printed"] / INFO_NAMES["printed"])


def _printed_image(image_id: str, width: int, height: int, file_name: str | None = None) -> dict[str, Any]:
    return {
        "id": image_id,
        "width": width,
        "height": height,
        "file_name": file_name or f"{image_id}.png",
        "date_captured": "2019-10-01 09:00:00",
    }


def _printed_variations(info: _Info) -> None:
    """The last image listed again under a new id (one file under two ids), with its annotation; an
    image listed without annotations or a file; an annotation of an image not listed."""
    if info.images:
        last, annotation = info.images[-1], info.annotations[-1]
        again = info.next_image_id()
        info.images.append(_printed_image(again, last["width"], last["height"], last["file_name"]))
        info.add_annotation(again, annotation["text"], attributes=dict(annotation["attributes"]))
    info.images.append(_printed_image(info.next_image_id(), 64, 64))
    info.add_annotation(
        "99999999", "가", attributes={"font": "NanumGothic", "type": KIND_TYPES["syllable"], "is_aug": False}
    )


def _write_handwriting(root: Path, p: dict[str, Any], paths: list[str]) -> None:
    info = _Info({"name": "손글씨", "version": "1.0", "date_created": "2019-12-31"})
    plan = (
        ("syllable", p["handwriting_syllables"]),
        ("word", p["handwriting_words"]),
        ("sentence", p["handwriting_sentences"]),
    )
    for k, (kind, count) in enumerate(plan):
        for text in _labels(p, kind, count, _rng(p, "handwriting", k, 0)):
            image_id = info.next_image_id()
            rng = _rng(p, "handwriting", int(image_id))
            image = render.handwritten(text, paths, rng, kind == "syllable")
            folder = root / FOLDERS["handwriting"]
            w, h = _save(image, folder, KIND_FOLDERS["handwriting"][kind], f"{image_id}.png")
            info.images.append(
                {"id": image_id, "width": w, "height": h, "file_name": f"{image_id}.png", "license": "AI Hub"}
            )
            written = unicodedata.normalize("NFD", text) if int(image_id) % 7 == 0 else text
            info.add_annotation(image_id, written, attributes={"type": KIND_TYPES[kind], **_writer(rng)})
    info.write(root / FOLDERS["handwriting"] / INFO_NAMES["handwriting"])


def _writer(rng: np.random.Generator) -> dict[str, str]:
    """The release's writer attributes: gender, age (a string) and job."""
    return {
        "gender": GENDERS[int(rng.integers(len(GENDERS)))],
        "age": str(int(rng.integers(15, 70))),
        "job": JOBS[int(rng.integers(len(JOBS)))],
    }


def _write_augmented(root: Path, p: dict[str, Any], paths: list[str]) -> None:
    info = _Info({"name": "인쇄체 증강데이터", "version": "1.0", "data_created": "2020-06-30"})
    for f, (font_name, font_path) in enumerate(zip(p["fonts"], paths, strict=True)):
        for text in _labels(p, "syllable", p["augmented_per_font"], _rng(p, "augmented", f, 0)):
            image_id = info.next_image_id()
            image = render.augmented(text, font_path, _rng(p, "augmented", int(image_id)))
            w, h = _save(
                image, root / FOLDERS["augmented"], KIND_FOLDERS["augmented"]["syllable"], f"{image_id}.png"
            )
            info.images.append(_printed_image(image_id, w, h))
            attributes = {"font": font_name, "type": KIND_TYPES["syllable"], "is_aug": True}
            info.add_annotation(image_id, text, attributes=attributes)
    info.write(root / FOLDERS["augmented"] / INFO_NAMES["augmented"])


def tiw_file_name(seed: int, index: int) -> str:
    """A photo's name: 32 hex digits, as the release's."""
    return hashlib.md5(f"ocr-twin:{seed}:{index}".encode()).hexdigest() + ".jpg"


def _write_tiw(root: Path, p: dict[str, Any], paths: list[str]) -> None:
    info = _Info({"name": "Text in the wild", "version": "1.0", "date_created": "2019-12-31"})
    types = list(TIW_TYPE_FOLDERS)
    height, width = TIW_SIZE
    for index in range(p["tiw_images"]):
        rng = _rng(p, "tiw", index)
        image_type = types[index % len(types)]
        words = [str(w) for w in rng.choice(p["words"], size=1 + index % 3)]
        picture, boxes = render.scene(
            words, paths, TIW_SIZE, rng, character_boxes=index % 3 == 0, scribble=index % 3 == 1
        )
        image_id = info.next_image_id()
        file_name = tiw_file_name(p["seed"], index)
        path = root / FOLDERS["tiw"] / TIW_TYPE_FOLDERS[image_type] / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        picture.save(path, "JPEG", quality=JPEG_QUALITY)
        info.images.append(
            {"id": image_id, "width": width, "height": height, "file_name": file_name, "type": image_type}
        )
        for box in boxes:
            bbox = list(box.bbox)
            if index % 10 == 4 and box.box_class == "word" and box is boxes[0]:
                bbox = [-6, bbox[1], bbox[0] + bbox[2] + 6, bbox[3]]  # reaches past the left edge [C]
            info.add_annotation(image_id, box.text, bbox=bbox, attributes={"class": box.box_class})
        if index % 50 == 9:  # a box wholly outside the photo
            info.add_annotation(image_id, words[0], bbox=[-40, -30, 20, 20], attributes={"class": "word"})
    if p["tiw_images"]:  # listed, but the photo is not in the release [C]
        absent = info.next_image_id()
        info.images.append(
            {
                "id": absent,
                "width": width,
                "height": height,
                "file_name": tiw_file_name(p["seed"], -1),
                "type": "sign",
            }
        )
    info.write(root / FOLDERS["tiw"] / INFO_NAMES["tiw"])


# ---------------------------------------------------------------- spec hooks


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments in canonical form (what names a cached twin; see ``DatasetSpec``)."""
    available = korean_font_files()
    fonts = kwargs.get("fonts")
    names = (
        list(available) if fonts is None else [str(f) for f in ([fonts] if isinstance(fonts, str) else fonts)]
    )
    unknown = [n for n in names if n not in available]
    if unknown or not names:
        raise ValueError(f"fonts must be drawn from {list(available)}, got {fonts!r}")
    given = kwargs.get("syllables", SYLLABLES)
    syllables = "".join(dict.fromkeys(nfc("".join(given))))
    if len(syllables) < 2 or not all(is_hangul_syllable(s) for s in syllables):
        raise ValueError(f"syllables must be at least two modern Hangul syllables, got {given!r}")
    words = [nfc(str(w)).strip() for w in kwargs.get("words", WORDS)]
    words = list(dict.fromkeys(w for w in words if w and set(w) <= set(syllables)))
    if not words:
        raise ValueError("no word of 'words' is made of 'syllables' alone")
    counts = {k: int(kwargs.get(k, 0)) for k in COUNTS}
    if min(counts.values()) < 0 or not any(counts.values()):
        raise ValueError(f"the counts must be >= 0 and not all 0: {counts}")
    return {
        "fonts": list(dict.fromkeys(names)),
        "syllables": syllables,
        "words": words,
        **counts,
        "seed": int(kwargs.get("seed", 0)),
    }


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth ocr``: about ``samples`` cropped images in the full twin's proportions;
    ``--classes``: the syllables (a string of Hangul syllables)."""
    params = inspect.signature(write_synthetic_ocr).parameters
    full = {k: int(params[k].default) for k in COUNTS}
    per_image = sum(full[k] * (4 if k.endswith("_per_font") else 1) for k in COUNTS if k != "tiw_images")
    scale = samples / per_image
    sizes = {k: max(1, round(v * scale)) for k, v in full.items()}
    return {**sizes, **({"syllables": classes} if classes else {})}


def remove_one_file(root: Path) -> Path:
    """Delete the first printed syllable image (its JSON still lists it) and return the printed
    JSON's path: the reader names the JSON and the file name it lists."""
    folder = Path(root) / FOLDERS["printed"]
    image = folder / KIND_FOLDERS["printed"]["syllable"] / "00000001.png"
    image.unlink()
    return folder / INFO_NAMES["printed"]
