"""Where things live in the Korean object images release (docs/datasets/korean_objects.md).

    <root>/<domain>/<n>/<code>_<domain>_<대분류>_<중분류>_<소분류>_<name>/<code>_<nnnn>_<nnnn>.jpg (+ .json)

Names are compared in Unicode NFC: archives unpacked on macOS store Hangul decomposed (NFD), and
``"유적건조물"`` typed in a config must still match such a folder.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Korean folder name -> English alias (either may be used in configs)
DOMAINS: dict[str, str] = {"유적건조물": "heritage", "상품": "products", "랜드마크": "landmarks"}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def lookup_domain(name: str) -> str | None:
    """Korean domain folder name for a Korean or English name (any case / normalisation), else None."""
    name = nfc(str(name)).strip()
    if name in DOMAINS:
        return name
    by_alias = {alias: korean for korean, alias in DOMAINS.items()}
    return by_alias.get(name.lower())


def resolve_domains(names: Sequence[str] | str | None) -> tuple[str, ...]:
    """Korean domain names, in release order, for Korean or English ``names`` (``None``: all three)."""
    if names is None:
        return tuple(DOMAINS)
    found = set()
    for name in [names] if isinstance(names, str) else names:
        korean = lookup_domain(name)
        if korean is None:
            known = ", ".join(f"{k} ({v})" for k, v in DOMAINS.items())
            raise ValueError(f"unknown Korean-objects domain {name!r}; known: {known}")
        found.add(korean)
    if not found:
        raise ValueError("domains must name at least one domain")
    return tuple(d for d in DOMAINS if d in found)


@dataclass(frozen=True)
class ClassFolder:
    """The parts of a class folder name ``<code>_<domain>_<대분류>_<중분류>_<소분류>_<name>``."""

    code: str
    domain: str
    major: str  # 대분류
    middle: str  # 중분류
    minor: str  # 소분류
    name: str  # the object: the class label

    @property
    def category_path(self) -> str:
        """``domain/대분류/중분류/소분류``, for grouping results."""
        return "/".join((self.domain, self.major, self.middle, self.minor))

    @property
    def folder_name(self) -> str:
        return "_".join((self.code, self.domain, self.major, self.middle, self.minor, self.name))


def parse_class_folder(folder: str) -> ClassFolder | None:
    """Split a class folder name; ``None`` if it does not have the six parts. The object name may
    itself contain ``_`` (everything after the fifth ``_`` belongs to it)."""
    parts = nfc(folder).split("_", 5)
    if len(parts) != 6 or not all(p.strip() for p in parts):
        return None
    return ClassFolder(*(p.strip() for p in parts))


def shoot_sequence(stem: str) -> str:
    """``HF010785_0002_0003`` -> ``HF010785_0002`` (code + first counter); the stem if it has no counters."""
    parts = nfc(stem).rsplit("_", 2)
    return "_".join(parts[:2]) if len(parts) == 3 else nfc(stem)
