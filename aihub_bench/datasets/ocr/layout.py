"""Where things live in the 한국어 글자체 이미지 (Korean font images / OCR) release, and what its labels mean.

    <any>/printed_data_info.json                               [C] one COCO-like JSON per subset
    <any>/01_printed_{syllable,word,sentence}_images/<kind>/*.png   [C] printed: one folder deeper
    <any>/handwriting_data_info1.json                          [C] (more parts: *_info2.json ... [A])
    <any>/{1_syllable,1_word,2_sentence}/00043568.png          [C] handwriting
    <any>/textinthewild_data_info.json                         [C]
    <any>/{Book,Goods,Signboard,Traffic_Sign}/<32 hex>.jpg      [C] text in the wild
    <any>/03.인쇄체 증강데이터/augmentation_data_info.json      [C] augmented printed
    <any>/03.인쇄체 증강데이터/**/*.png                         [A] its images

Each JSON is ``{info, images, annotations, licenses}``; ``annotations[].image_id`` -> ``images[].id``,
zero-padded strings [C]. Image files are found by ``file_name`` among the files under the subset's
image folders: a folder whose name matches one of a subset's patterns holds that subset's images, with
everything below it; the outermost matching folder decides, so the augmented subset's folder claims
printed-looking folders inside it [A: the patterns are the reader option ``image_folders``].
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase

SUBSETS: tuple[str, ...] = ("printed", "handwriting", "augmented", "tiw")
KINDS: tuple[str, ...] = ("syllable", "word", "sentence")
#: Box classes of text in the wild [C]; ``ignored`` boxes (``text: null``) are never samples.
TIW_CLASSES: tuple[str, ...] = ("character", "word")
TIW_IGNORED = "ignored"

#: [C] the JSON of each subset, as file-name patterns; handwriting's ``1`` suggests further parts [A].
INFO_FILES: dict[str, tuple[str, ...]] = {
    "printed": ("printed_data_info.json",),
    "handwriting": ("handwriting_data_info*.json",),
    "augmented": ("augmentation_data_info.json",),
    "tiw": ("textinthewild_data_info.json",),
}

#: Folder-name patterns whose subtrees hold each subset's images: [C] for printed, handwriting and
#: text in the wild; [A] for the augmented subset (its release folder, ``03.인쇄체 증강데이터``).
IMAGE_FOLDERS: dict[str, tuple[str, ...]] = {
    "printed": ("01_printed_*_images",),
    "handwriting": ("1_syllable", "1_word", "2_sentence"),
    "augmented": ("*증강*", "*augment*"),
    "tiw": ("Book", "Goods", "Signboard", "Traffic_Sign"),
}

#: [C] ``attributes.type`` -> kind (compared after NFC, spaces trimmed).
TYPE_KINDS: dict[str, str] = {"글자(음절)": "syllable", "단어(어절)": "word", "문장": "sentence"}

#: [C] text-in-the-wild ``images[].type`` -> its folder (the type ``traffic sign`` has a space).
TIW_TYPE_FOLDERS: dict[str, str] = {
    "book": "Book",
    "product": "Goods",
    "sign": "Signboard",
    "traffic sign": "Traffic_Sign",
}

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")

#: The 11,172 modern Hangul syllables are U+AC00..U+D7A3.
HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
#: Jamo blocks: conjoining (U+1100, extended A and B) and compatibility (U+3131..U+318E).
_JAMO_RANGES = ((0x1100, 0x11FF), (0x3131, 0x318E), (0xA960, 0xA97F), (0xD7B0, 0xD7FF))


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def is_hangul_syllable(text: str) -> bool:
    """Whether ``text`` is exactly one of the 11,172 modern Hangul syllables."""
    return len(text) == 1 and HANGUL_FIRST <= ord(text) <= HANGUL_LAST


def hangul_syllables() -> list[str]:
    """All 11,172 modern Hangul syllables, in code-point order."""
    return [chr(c) for c in range(HANGUL_FIRST, HANGUL_LAST + 1)]


def has_stray_jamo(text: str) -> bool:
    """Whether NFC ``text`` holds a jamo that did not compose into a syllable (``국ㅇㄴ``)."""
    return any(low <= ord(ch) <= high for ch in text for low, high in _JAMO_RANGES)


def is_malformed_label(text: str, kind: str) -> bool:
    """A syllable label must be one modern syllable; any other label must hold no stray jamo."""
    return not is_hangul_syllable(text) if kind == "syllable" else has_stray_jamo(text)


def subset_of_folder(
    parts: Sequence[str], image_folders: Mapping[str, Sequence[str]], subsets: Sequence[str]
) -> str | None:
    """The subset whose images lie under the folder with relative path ``parts``: the first folder
    from the top whose (NFC) name matches a subset's pattern decides; ``None`` when none matches or
    the matching subset is not among ``subsets``."""
    for part in parts:
        name = nfc(part)
        owners = [s for s, patterns in image_folders.items() if any(fnmatchcase(name, p) for p in patterns)]
        if owners:
            return owners[0] if owners[0] in subsets else None
    return None


def info_subset(name: str, info_files: Mapping[str, Sequence[str]]) -> str | None:
    """The subset whose info JSON a file of this name is, or ``None``."""
    name = nfc(name)
    for subset, patterns in info_files.items():
        if any(fnmatchcase(name, p) for p in patterns):
            return subset
    return None
