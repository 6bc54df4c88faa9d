"""Names in the fundus (안저) release: file-name parsing, the classes and the binary tasks.

Files are named ``<kind>_<code>_<serial>_<eye>.jpg`` (``General_Glaucoma_0001_L.jpg``,
``Wide_AMD_0042_R.jpg``): kind ``General`` (standard fundus camera) or ``Wide`` (wide-angle), the
normal/disease code, a serial number and the eye. The folder layout and the metadata sheet's exact
headers are not known [A]; both are configurable in the reader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DEFAULT_FILE_PATTERN = (
    r"^(?P<kind>General|Wide)_(?P<code>[A-Za-z]+)_(?P<serial>\d+)_(?P<eye>[LR])\.(?:jpe?g|png)$"
)
PATTERN_GROUPS = ("kind", "code", "serial", "eye")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

KINDS: tuple[str, ...] = ("General", "Wide")
# Images per class in the real release.
RELEASE_COUNTS: dict[str, dict[str, int]] = {
    "General": {"Normal": 1500, "Glaucoma": 1000},
    "Wide": {"NOR": 600, "AMD": 500, "DMR": 700, "RVO": 200},
}
CODE_NAMES: dict[str, str] = {
    "Normal": "normal",
    "Glaucoma": "glaucoma",
    "NOR": "normal",
    "AMD": "age-related macular degeneration",
    "DMR": "diabetic retinopathy",
    "RVO": "retinal vein occlusion",
}

# Our field -> the sheet's header text [A]; headers match case-insensitively after stripping.
DEFAULT_SHEET_COLUMNS: dict[str, str] = {
    "serial": "serial",
    "file_name": "file_name",
    "kind": "general_wide",
    "code": "code",
    "laser": "laser",
    "eye": "left_right",
    "device": "device",
}
# Sheet fields that the file name also gives: joined into meta as ``sheet_<field>``.
NAME_FIELDS = ("serial", "kind", "code", "eye")

_EYE_WORDS = {"l": "L", "left": "L", "os": "L", "좌": "L", "좌안": "L", "r": "R", "right": "R", "od": "R"}
_EYE_WORDS.update({"우": "R", "우안": "R"})


@dataclass(frozen=True)
class FundusTask:
    """A binary task: images of ``kind`` with a negative (label 0) or positive (label 1) code."""

    kind: str
    negative_codes: tuple[str, ...]
    positive_codes: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "negative_codes", tuple(self.negative_codes))
        object.__setattr__(self, "positive_codes", tuple(self.positive_codes))
        if not self.kind or not self.negative_codes or not self.positive_codes:
            raise ValueError(f"a fundus task needs a kind and negative and positive codes, got {self}")
        overlap = {c.lower() for c in self.negative_codes} & {c.lower() for c in self.positive_codes}
        if overlap:
            raise ValueError(f"codes {sorted(overlap)} are both negative and positive")

    def label(self, code: str) -> int | None:
        """1 for a positive code, 0 for a negative one, ``None`` for any other (case-insensitive)."""
        code = code.lower()
        if code in (c.lower() for c in self.positive_codes):
            return 1
        if code in (c.lower() for c in self.negative_codes):
            return 0
        return None

    def canonical_code(self, code: str) -> str:
        """The task's spelling of ``code`` (for stable stats keys)."""
        return next(c for c in (*self.negative_codes, *self.positive_codes) if c.lower() == code.lower())


TASKS: dict[str, FundusTask] = {
    "general_glaucoma": FundusTask("General", ("Normal",), ("Glaucoma",)),
    "wide_amd": FundusTask("Wide", ("NOR",), ("AMD",)),
    "wide_dmr": FundusTask("Wide", ("NOR",), ("DMR",)),
    "wide_rvo": FundusTask("Wide", ("NOR",), ("RVO",)),
}


def resolve_task(
    task: str,
    kind: str | None = None,
    negative_codes: Sequence[str] | None = None,
    positive_codes: Sequence[str] | None = None,
) -> FundusTask:
    """``TASKS[task]`` with any of ``kind`` / ``negative_codes`` / ``positive_codes`` replaced."""
    if task not in TASKS:
        raise ValueError(f"unknown fundus task {task!r}; known: {sorted(TASKS)}")
    base = TASKS[task]
    for name, codes in (("negative_codes", negative_codes), ("positive_codes", positive_codes)):
        if isinstance(codes, str):
            raise ValueError(f"{name} must be a list of codes, got the string {codes!r}")
    return FundusTask(
        kind if kind is not None else base.kind,
        tuple(negative_codes) if negative_codes is not None else base.negative_codes,
        tuple(positive_codes) if positive_codes is not None else base.positive_codes,
    )


@dataclass(frozen=True)
class FundusName:
    """What a file name says: kind, code, serial and eye (``L``/``R``) as written, and the stem."""

    kind: str
    code: str
    serial: str
    eye: str
    stem: str

    @property
    def person(self) -> str:
        """The person key: both eyes of one person share it [A]."""
        return f"{self.kind}_{self.code}_{self.serial}"


def compile_pattern(file_pattern: str) -> re.Pattern[str]:
    """Compile a file-name pattern (case-insensitive); it must name every group of ``PATTERN_GROUPS``."""
    try:
        pattern = re.compile(file_pattern, re.IGNORECASE)
    except re.error as err:
        raise ValueError(f"file_pattern {file_pattern!r} is not a regular expression: {err}") from None
    missing = [g for g in PATTERN_GROUPS if g not in pattern.groupindex]
    if missing:
        raise ValueError(f"file_pattern {file_pattern!r} lacks the named group(s) {missing}")
    return pattern


def parse_file_name(name: str, pattern: re.Pattern[str]) -> FundusName | None:
    """Parse a file name with a compiled pattern; ``None`` if it does not match or the eye is unknown."""
    m = pattern.match(name)
    if m is None:
        return None
    eye = normalise_eye(m["eye"])
    if eye is None:
        return None
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return FundusName(m["kind"], m["code"], m["serial"], eye, stem)


def normalise_eye(value: object) -> str | None:
    """``L``/``R`` from the usual spellings (L, left, OS, 좌안; R, right, OD, 우안); else ``None``."""
    if value is None:
        return None
    return _EYE_WORDS.get(str(value).strip().lower())


def file_name(kind: str, code: str, serial: int, eye: str, suffix: str = ".jpg") -> str:
    """``General_Normal_0001_L.jpg``: the release's naming (4-digit serial)."""
    return f"{kind}_{code}_{serial:04d}_{eye}{suffix}"


def merge_sheet_columns(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """The default sheet headers with ``overrides`` (field -> header) applied."""
    columns = dict(DEFAULT_SHEET_COLUMNS)
    columns.update(overrides or {})
    return columns
