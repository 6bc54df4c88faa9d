"""The fundus reader on its synthetic twin: tasks, grouping, sheet join, bad input, learnable findings."""

from __future__ import annotations

import re
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from PIL import Image

from aihub_bench.datasets.fundus import (
    GENERATOR_VERSION,
    TASKS,
    read_fundus,
    write_synthetic_fundus,
)
from aihub_bench.datasets.fundus.synth import DEFAULT_PER_CLASS, WIDE_ASPECT
from aihub_bench.datasets.registry import ensure_twin
from aihub_bench.errors import BadInputError, ErrorPolicy

SMALL = {"per_class": {"General_Normal": 3, "General_Glaucoma": 3}, "image_size": 64, "seed": 1}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), np.float32)


def _edit_sheet(root: Path, fn: Callable[[list[list]], None]) -> None:
    """Rewrite ``metadata.xlsx`` through ``fn`` (rows as lists, the header first)."""
    path = root / "metadata.xlsx"
    book = load_workbook(path)
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    fn(rows)
    book.remove(book.active)
    sheet = book.create_sheet("metadata")
    for row in rows:
        sheet.append(row)
    book.save(path)


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_fundus(tmp_path_factory.mktemp("fundus") / "twin")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_fundus(tmp_path_factory.mktemp("fundus_small") / "twin", **SMALL)


@pytest.fixture
def ds(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "ds"))


# ------------------------------------------------------------------------------------------ round trip


@pytest.mark.parametrize("task", sorted(TASKS))
def test_round_trip(twin: Path, task: str) -> None:
    spec = TASKS[task]
    policy = ErrorPolicy("raise")
    cases = read_fundus(twin, policy, task=task)
    codes = [*spec.negative_codes, *spec.positive_codes]
    on_disk = {c: sorted((twin / spec.kind).glob(f"{spec.kind}_{c}_*.jpg")) for c in codes}
    assert Counter(c.class_name for c in cases) == {c: len(files) for c, files in on_disk.items()}
    assert [c.views["fundus"].name for c in cases] == sorted(p.name for f in on_disk.values() for p in f)
    for case in cases:
        assert case.label == int(case.class_name in spec.positive_codes)
        assert case.case_id == case.views["fundus"].stem
        assert case.case_id.endswith(f"_{case.meta['eye']}") and case.meta["kind"] == spec.kind
        assert case.group == f"{spec.kind}_{case.class_name}_{case.meta['serial']}"
        assert case.meta["sheet_eye"] == case.meta["eye"] and case.meta["laser"] in ("Y", "N")
        assert isinstance(case.meta["device"], str) and case.meta["device"]
    by_group: dict[str, list[str]] = {}
    for case in cases:
        by_group.setdefault(case.group, []).append(case.meta["eye"])
    assert any(sorted(eyes) == ["L", "R"] for eyes in by_group.values()), "no person with both eyes"
    assert all(len(eyes) == len(set(eyes)) for eyes in by_group.values())
    for code in codes:
        assert (
            len({c.group for c in cases if c.class_name == code}) == DEFAULT_PER_CLASS[f"{spec.kind}_{code}"]
        )
    all_images = len(list(twin.rglob("*.jpg")))
    assert policy.skipped == 0
    stats = policy.stats
    assert stats["images"] == len(cases) and stats["persons"] == len(by_group)
    assert stats["excluded_other_class"] == all_images - len(cases)
    assert all(stats[f"images/{c}"] == len(on_disk[c]) for c in codes)
    assert stats["not_in_sheet"] == 0 and stats["sheet_row_without_file"] == 0


def test_group_by_image(twin: Path) -> None:
    cases = read_fundus(twin, ErrorPolicy(), task="wide_amd", group_by="image", verify_images="none")
    assert [c.group for c in cases] == [c.case_id for c in cases]


def test_task_override(twin: Path) -> None:
    cases = read_fundus(
        twin, ErrorPolicy(), task="wide_amd", negative_codes=["nor"], positive_codes=["AMD", "dmr", "RVO"]
    )
    assert Counter(c.label for c in cases) == {
        0: len(list(twin.glob("Wide/Wide_NOR_*"))),
        1: len(list(twin.glob("Wide/Wide_[ADR]*"))),
    }
    assert {c.class_name for c in cases} == {"NOR", "AMD", "DMR", "RVO"}  # as written in the file name
    with pytest.raises(ValueError, match="both negative and positive"):
        read_fundus(twin, ErrorPolicy(), task="wide_amd", positive_codes=["NOR"])
    with pytest.raises(ValueError, match="unknown fundus task"):
        read_fundus(twin, ErrorPolicy(), task="general")


def test_custom_pattern_and_sheet_columns(ds: Path) -> None:
    """Files renamed ``<code>-<kind>-<serial>-<left|right>.jpg``, sheet with Korean headers and eyes."""
    renamed = {}
    for path in sorted(ds.rglob("*.jpg")):
        kind, code, serial, eye = path.stem.split("_")
        new = f"{code.lower()}-{kind.lower()}-{serial}-{'left' if eye == 'L' else 'right'}.jpg"
        path.rename(path.with_name(new))
        renamed[path.name] = new
    korean = {"serial": "일련번호", "file_name": "파일명", "kind": "구분", "code": "코드", "laser": "레이저"}
    korean |= {"eye": "좌우", "device": "장비"}

    def to_korean(rows: list[list]) -> None:
        rows[0] = [" 일련번호", "파일명", "구분", "코드", "레이저 ", "좌우", "장비"]
        for row in rows[1:]:
            row[1] = renamed[row[1]]
            row[5] = "좌" if row[5] == "L" else "우"

    _edit_sheet(ds, to_korean)
    pattern = r"^(?P<code>[a-z]+)-(?P<kind>[a-z]+)-(?P<serial>\d+)-(?P<eye>left|right)\.jpg$"
    policy = ErrorPolicy("raise")
    cases = read_fundus(ds, policy, file_pattern=pattern, sheet_columns=korean)
    assert len(cases) == len(renamed) and policy.stats["not_in_sheet"] == 0
    assert all(c.meta["eye"] in ("L", "R") and c.meta["sheet_eye"] in ("좌", "우") for c in cases)
    assert all(c.meta["laser"] in ("Y", "N") and c.meta["device"] for c in cases)
    assert {c.class_name for c in cases} == {"normal", "glaucoma"}
    with pytest.raises(ValueError, match="lacks the named group"):
        read_fundus(ds, policy, file_pattern=r"^(?P<code>\w+)\.jpg$")


def test_sheet_coverage_is_counted(ds: Path) -> None:
    gone = sorted(ds.rglob("*.jpg"))[0]
    gone.unlink()
    _edit_sheet(ds, lambda rows: rows.pop(len(rows) - 1))
    policy = ErrorPolicy("raise")
    cases = read_fundus(ds, policy)
    assert policy.stats["sheet_row_without_file"] == 1 and policy.stats["not_in_sheet"] == 1
    assert sum("laser" not in c.meta for c in cases) == 1
    (ds / "metadata.xlsx").unlink()
    policy = ErrorPolicy("raise")
    assert len(read_fundus(ds, policy)) == len(cases) and policy.stats["no_sheet"] == 1


def test_missing_root_and_no_images(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a directory"):
        read_fundus(tmp_path / "nope", ErrorPolicy())
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"empty.*General\|Wide"):
        read_fundus(tmp_path / "empty", ErrorPolicy())


def test_no_images_of_the_task(ds: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no Wide images.*General_Normal"):
        read_fundus(ds, ErrorPolicy(), task="wide_amd")


# ------------------------------------------------------------------------------------------ bad input


def _first(root: Path, prefix: str = "General_Normal") -> Path:
    return sorted(root.rglob(f"{prefix}_*.jpg"))[0]


def _unmatched(root: Path) -> tuple[str, int]:
    target = root / "General" / "General_Normal_0099.jpg"
    shutil.copy(_first(root), target)
    return target.name, 0


def _truncated(root: Path) -> tuple[str, int]:
    path = _first(root, "General_Glaucoma")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # header intact: only decoding ("full") notices
    return path.name, -1


def _not_an_image(root: Path) -> tuple[str, int]:
    path = _first(root)
    path.write_bytes(b"this is not a jpeg at all")
    return path.name, -1


def _duplicate(root: Path) -> tuple[str, int]:
    src = _first(root)
    (root / "extra").mkdir()
    shutil.copy(src, root / "extra" / src.name)
    return f"extra/{src.name}", 0


def _no_file_name_column(root: Path) -> tuple[str, int]:
    _edit_sheet(root, lambda rows: rows[0].__setitem__(1, "filename"))
    return "metadata.xlsx", 0


def _corrupt_sheet(root: Path) -> tuple[str, int]:
    (root / "metadata.xlsx").write_bytes(b"PK\3\4 cut short")
    return "metadata.xlsx", 0


def _eye_mismatch(root: Path) -> tuple[str, int]:
    name = _first(root).name

    def flip(rows: list[list]) -> None:
        row = next(r for r in rows if r[1] == name)
        row[5] = "R" if row[5] == "L" else "L"

    _edit_sheet(root, flip)
    return name, -1


BAD_INPUT = [
    (_unmatched, "unmatched_name", "header", "file name does not match the fundus pattern"),
    (_truncated, "unreadable_image", "full", "unreadable image"),
    (_not_an_image, "unreadable_image", "header", "unreadable image"),
    (_duplicate, "duplicate_image", "header", "duplicate image"),
    (_no_file_name_column, "bad_sheet", "none", "the first row has no file-name column 'file_name'"),
    (_corrupt_sheet, "bad_sheet", "none", "cannot read the workbook"),
    (_eye_mismatch, "eye_mismatch", "none", "file name says eye"),
]


@pytest.mark.parametrize(
    ("mutate", "kind", "verify", "reason"), BAD_INPUT, ids=[b[1] + "-" + b[0].__name__ for b in BAD_INPUT]
)
def test_bad_input_raises(ds: Path, mutate: Callable, kind: str, verify: str, reason: str) -> None:
    where, _ = mutate(ds)
    with pytest.raises(BadInputError) as info:
        read_fundus(ds, ErrorPolicy("raise"), verify_images=verify)
    assert info.value.kind == kind and info.value.reason.startswith(reason)
    assert info.value.path.replace("\\", "/").endswith(where) and where in str(info.value)


@pytest.mark.parametrize(
    ("mutate", "kind", "verify", "reason"), BAD_INPUT, ids=[b[1] + "-" + b[0].__name__ for b in BAD_INPUT]
)
def test_bad_input_skips_and_counts(ds: Path, mutate: Callable, kind: str, verify: str, reason: str) -> None:
    n = len(read_fundus(ds, ErrorPolicy("raise"), verify_images="full"))
    _, change = mutate(ds)
    policy = ErrorPolicy("skip")
    cases = read_fundus(ds, policy, verify_images=verify)
    assert dict(policy.counts) == {kind: 1}
    assert len(cases) == n + change and policy.stats["images"] == len(cases)
    if kind == "bad_sheet":
        assert not any("laser" in c.meta for c in cases)


def test_ignores_hidden_files(ds: Path) -> None:
    (ds / "General" / "._General_Normal_0001_L.jpg").write_bytes(b"\0\5\26\7")  # macOS resource fork
    policy = ErrorPolicy("raise")
    read_fundus(ds, policy)
    assert policy.stats["ignored_hidden_files"] == 1


def _restamp_dimension(path: Path, ref: str) -> None:
    """Rewrite the sheet XML's ``<dimension ref=...>`` (as a stale writer would leave it)."""
    with zipfile.ZipFile(path) as src:
        members = {i.filename: src.read(i) for i in src.infolist()}
    xml = members["xl/worksheets/sheet1.xml"].decode()
    members["xl/worksheets/sheet1.xml"] = re.sub(
        r'<dimension ref="[^"]*"', f'<dimension ref="{ref}"', xml
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, body in members.items():
            dst.writestr(name, body)


def test_a_stale_sheet_dimension_hides_no_rows(ds: Path) -> None:
    _restamp_dimension(ds / "metadata.xlsx", "A1:E3")
    policy = ErrorPolicy("raise")
    cases = read_fundus(ds, policy)
    assert len(cases) > 2 and policy.stats["not_in_sheet"] == 0
    assert all(c.meta["device"] and c.meta["sheet_eye"] == c.meta["eye"] for c in cases)  # columns F, G too


def test_unknown_sheet_codes_are_counted_not_mismatches(ds: Path) -> None:
    """A code or kind the reader does not know (a Korean word) is not checked against the name."""

    def korean(rows: list[list]) -> None:
        for row in rows[1:]:
            row[2], row[3] = "일반", "정상" if "Normal" in row[1] else "녹내장"

    _edit_sheet(ds, korean)
    policy = ErrorPolicy("raise")
    cases = read_fundus(ds, policy)
    assert policy.stats["sheet_code_unrecognised"] == len(cases) == policy.stats["sheet_kind_unrecognised"]


def test_a_sixteen_bit_png_passes_both_checks(ds: Path) -> None:
    jpg = _first(ds)
    grey = np.full((32, 32), 40000, np.uint16)
    Image.fromarray(grey).save(jpg.with_suffix(".png"))
    jpg.unlink()
    for verify in ("header", "full"):
        cases = read_fundus(ds, ErrorPolicy("raise"), verify_images=verify)
        assert jpg.with_suffix(".png") in [c.views["fundus"] for c in cases]


def _link_out(ds: Path, outside: Path) -> Path:
    image = _first(ds, "General_Glaucoma")
    outside.mkdir()
    shutil.move(image, outside / image.name)
    image.symlink_to(outside / image.name)
    return image


def test_links_inside_the_root_are_read_and_outside_links_only_when_allowed(ds: Path, tmp_path: Path) -> None:
    n = len(read_fundus(ds, ErrorPolicy("raise")))
    image = _link_out(ds, tmp_path / "elsewhere")
    with pytest.raises(BadInputError, match="outside the dataset root") as info:
        read_fundus(ds, ErrorPolicy("raise"))
    assert info.value.kind == "link_outside_root" and info.value.path == str(image)
    assert len(read_fundus(ds, ErrorPolicy("raise"), allow_outside_links=True)) == n
    shutil.move(tmp_path / "elsewhere" / image.name, ds / "kept.bin")  # the link now stays inside
    image.unlink()
    image.symlink_to(ds / "kept.bin")
    assert len(read_fundus(ds, ErrorPolicy("raise"))) == n


def test_a_folder_link_loop_is_walked_once(ds: Path) -> None:
    n = len(read_fundus(ds, ErrorPolicy("raise")))
    (ds / "General" / "again").symlink_to(ds, target_is_directory=True)
    policy = ErrorPolicy("raise")
    assert len(read_fundus(ds, policy)) == n and policy.stats["folders_linked_twice"] == 1


# ------------------------------------------------------------------------------------------ twin


def test_twin_layout_determinism_and_cache(tmp_path: Path) -> None:
    a = write_synthetic_fundus(tmp_path / "a", **SMALL)
    b = write_synthetic_fundus(tmp_path / "b", **SMALL)
    assert _files(a) == _files(b)
    fa, fc = _files(a), _files(write_synthetic_fundus(tmp_path / "c", **{**SMALL, "seed": 2}))
    common = [k for k in fa.keys() & fc.keys() if k.endswith(".jpg")]
    assert common and all(fa[k] != fc[k] for k in common)
    general = Image.open(_first(a)).size
    cached = ensure_twin("fundus", tmp_path / "cache", **SMALL)
    assert cached.name.startswith("fundus-synth-") and _files(cached) == _files(a)
    assert ensure_twin("fundus", tmp_path / "cache", **SMALL) == cached
    assert GENERATOR_VERSION >= 1 and general == (64, 64)


def test_twin_wide_images_are_wider(twin: Path) -> None:
    wide = Image.open(_first(twin, "Wide_NOR")).size
    general = Image.open(_first(twin)).size
    assert wide == (round(general[0] * WIDE_ASPECT), general[1])
    assert {p.parent.name for p in twin.rglob("*.jpg")} == {"General", "Wide"}


def _share(path: Path, test: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> float:
    a = _rgb(path)
    return float(test(a[..., 0], a[..., 1], a[..., 2]).mean())


def _white(r: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (b > 0.7 * r) & (r > 100)


def _yellow(r: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (g > 0.75 * r) & (b < 0.75 * g) & (r > 120)


@pytest.mark.parametrize(
    ("kind", "negative", "positive", "measure"),
    [("General", "Normal", "Glaucoma", _white), ("Wide", "NOR", "AMD", _yellow)],
    ids=["glaucoma-cup-area", "amd-drusen-yellow"],
)
def test_findings_are_visible(twin: Path, kind: str, negative: str, positive: str, measure: Callable) -> None:
    """Pale cup area (glaucoma) and yellow drusen (AMD) are at least twice normal on average."""
    neg = np.mean([_share(p, measure) for p in (twin / kind).glob(f"{kind}_{negative}_*.jpg")])
    pos = np.mean([_share(p, measure) for p in (twin / kind).glob(f"{kind}_{positive}_*.jpg")])
    assert pos > 2 * neg > 0
