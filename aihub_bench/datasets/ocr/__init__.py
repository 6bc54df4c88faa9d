"""한국어 글자체 이미지 — Korean font images (OCR): printed, handwritten and augmented syllables, words
and sentences, and text in the wild (docs/datasets/ocr.md)."""

from typing import Any

from aihub_bench.datasets.ocr import synth
from aihub_bench.datasets.ocr.layout import KINDS, SUBSETS, TIW_CLASSES, hangul_syllables
from aihub_bench.datasets.ocr.reader import read_ocr
from aihub_bench.datasets.ocr.synth import GENERATOR_VERSION, write_synthetic_ocr
from aihub_bench.datasets.spec import DatasetMetadata, DatasetSpec

FULL_TWIN: dict[str, Any] = {
    # per font (four NanumGothic weights): 400 + 150 augmented syllables, 500 words, 50 sentences;
    # handwriting: 800 syllables, 1,000 words, 100 sentences -> ~3,000 syllable and ~3,000 word images
    "syllables_per_font": 400,
    "words_per_font": 500,
    "sentences_per_font": 50,
    "handwriting_syllables": 800,
    "handwriting_words": 1000,
    "handwriting_sentences": 100,
    "augmented_per_font": 150,
    "tiw_images": 150,
    "seed": 0,
}
SMOKE_TWIN: dict[str, Any] = {
    **FULL_TWIN,
    "syllables_per_font": 20,
    "words_per_font": 20,
    "sentences_per_font": 4,
    "handwriting_syllables": 40,
    "handwriting_words": 40,
    "handwriting_sentences": 8,
    "augmented_per_font": 8,
    "tiw_images": 16,
}
FONTS = 4
#: What ``ocr_syllable.yaml``'s reader returns for the smoke twin: every printed, handwritten and
#: augmented syllable image.
SMOKE_SYLLABLES = (
    FONTS * (SMOKE_TWIN["syllables_per_font"] + SMOKE_TWIN["augmented_per_font"])
    + SMOKE_TWIN["handwriting_syllables"]
)

SPEC = DatasetSpec(
    name="ocr",
    title="한국어 글자체 이미지 Korean font images (printed, handwritten, augmented; text in the wild)",
    reader=read_ocr,
    writer=write_synthetic_ocr,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke=SMOKE_TWIN,
    smoke_samples=SMOKE_SYLLABLES,
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,
    cli_classes="the syllable classes, a string of Hangul syllables (default 40 common ones)",
    unit="text images (scene photos not counted)",
    pattern="*.png",
    configs=("ocr_syllable", "ocr_word", "ocr_tiw"),
    metadata=DatasetMetadata(),
    remove_one_file=synth.remove_one_file,
)

__all__ = [
    "KINDS",
    "SPEC",
    "SUBSETS",
    "TIW_CLASSES",
    "hangul_syllables",
    "read_ocr",
    "write_synthetic_ocr",
]
