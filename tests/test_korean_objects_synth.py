"""The synthetic Korean-objects twin: real layout, Korean names, determinism, annotations, caching."""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aihub_bench.datasets import korean_objects
from aihub_bench.datasets.korean_objects import synth
from aihub_bench.datasets.korean_objects.layout import DOMAINS, parse_class_folder
from aihub_bench.datasets.korean_objects.synth import (
    CLASS_CATALOG,
    CODE_PREFIXES,
    GENERATOR_VERSION,
    LOOKS,
    write_synthetic_korean_objects,
)
from aihub_bench.datasets.registry import ensure_twin
from aihub_bench.formats.aihub_region_json import parse_tags, read_region_json

SMALL = {"classes_per_domain": 2, "shoots_per_class": 2, "images_per_shoot": 3, "image_size": (96, 128)}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _normalised(corners: list[int]) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = corners
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_korean_objects(tmp_path_factory.mktemp("korean_objects") / "twin", **SMALL)


def test_catalog_is_korean_and_well_formed() -> None:
    assert set(CLASS_CATALOG) == set(DOMAINS)
    names = [e.name for entries in CLASS_CATALOG.values() for e in entries]
    assert len(names) == len(set(names)) == len(LOOKS)
    assert any(" " in n or "(" in n for n in names)
    for domain, entries in CLASS_CATALOG.items():
        assert len(entries) >= 8
        for entry in entries:
            for part in entry:
                assert part.strip() and "_" not in part and "/" not in part
                assert re.search("[가-힣]", part), part
            assert LOOKS[entry.name].template in synth.TEMPLATES, (domain, entry.name)


def test_layout_matches_the_release(twin: Path) -> None:
    folders = sorted(p for p in twin.glob("*/*/*") if p.is_dir())
    assert len(folders) == len(DOMAINS) * SMALL["classes_per_domain"] * SMALL["shoots_per_class"]
    codes = set()
    for folder in folders:
        domain_dir, bucket_dir = folder.parent.parent.name, folder.parent.name
        parsed = parse_class_folder(folder.name)
        assert parsed is not None, folder
        assert parsed.domain == domain_dir and bucket_dir.isdigit()
        assert re.fullmatch(CODE_PREFIXES[domain_dir] + r"\d{6}", parsed.code)
        assert parsed.name in [e.name for e in CLASS_CATALOG[domain_dir]]
        codes.add(parsed.code)
        jpgs = {p.stem for p in folder.glob("*.jpg")}
        jsons = {p.stem for p in folder.glob("*.json")}
        assert jpgs == jsons and len(jpgs) == SMALL["images_per_shoot"]
        assert {p.suffix for p in folder.iterdir()} == {".jpg", ".json"}
        for stem in jpgs:
            assert re.fullmatch(re.escape(parsed.code) + r"_\d{4}_\d{4}", stem)
        assert {stem.split("_")[1] for stem in jpgs} == {"0001", "0002"}  # both counters used
    assert len(codes) == len(folders)


def test_korean_names_on_disk(twin: Path) -> None:
    assert {p.name for p in twin.iterdir()} == set(DOMAINS)
    names = [p.name for p in twin.rglob("*")]
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    assert any(n.endswith("_교통통신_교통통신시설_우체국_인천우체국") for n in names)
    assert any(n.endswith("_음료_탄산음료_캔음료_칠성사이다") for n in names)
    assert (
        parse_class_folder(next(n for n in names if n.endswith("남산타워"))).category_path
        == "랜드마크/타워/전망탑/통신탑"
    )


def test_domains_by_english_or_korean_name(tmp_path: Path) -> None:
    kw = {**SMALL, "classes_per_domain": 1, "shoots_per_class": 1, "images_per_shoot": 1}
    root = write_synthetic_korean_objects(tmp_path / "a", domains=["heritage", "상품"], **kw)
    assert {p.name for p in root.iterdir()} == {"유적건조물", "상품"}
    with pytest.raises(ValueError, match="known: 유적건조물"):
        write_synthetic_korean_objects(tmp_path / "b", domains=["museums"], **kw)
    with pytest.raises(ValueError, match="classes_per_domain"):
        write_synthetic_korean_objects(tmp_path / "c", classes_per_domain=99)


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    kw = {**SMALL, "domains": ["landmarks"]}
    a = _files(write_synthetic_korean_objects(tmp_path / "a", seed=3, **kw))
    b = _files(write_synthetic_korean_objects(tmp_path / "b", seed=3, **kw))
    c = _files(write_synthetic_korean_objects(tmp_path / "c", seed=4, **kw))
    assert a == b
    assert a.keys() == c.keys()  # names do not depend on the seed, contents do
    assert sum(a[k] != c[k] for k in a if k.endswith(".jpg")) == sum(k.endswith(".jpg") for k in a)


def test_annotations(twin: Path) -> None:
    n_files = n_swapped = 0
    counts = set()
    for path in sorted(twin.rglob("*.json")):
        ann = read_region_json(path)
        folder = parse_class_folder(path.parent.name)
        with Image.open(path.with_suffix(".jpg")) as im:
            # image_size is [height, width]; PIL's size and the JSON's imsize are [width, height]
            assert im.format == "JPEG" and list(im.size) == ann.imsize == [128, 96]
        assert ann.identifier == path.stem and ann.extra == {"version": "1.0"}
        assert ann.regions
        counts.add(len(ann.regions))
        n_files += 1
        n_swapped += any(r.corners[0] > r.corners[2] or r.corners[1] > r.corners[3] for r in ann.regions)
        for r in ann.regions:
            assert r.label == folder.name
            assert all(isinstance(v, int) for v in r.corners)
            x1, y1, x2, y2 = _normalised(r.corners)
            assert 0 <= x1 < x2 <= 128 and 0 <= y1 < y2 <= 96
            assert min(x2 - x1, y2 - y1) >= 0.15 * 96
            tags = parse_tags(r.tags)
            assert all(":" in t for t in r.tags) and {"거리", "각도", "배경"} <= tags.keys()
            assert all(re.search("[가-힣]", k + v) for k, v in tags.items())
    assert 0 < n_swapped < n_files
    assert counts > {1}  # some images hold several instances


def test_swapped_fraction_zero_and_one(tmp_path: Path) -> None:
    kw = {**SMALL, "domains": ["products"]}
    for fraction, expect in ((0.0, False), (1.0, True)):
        root = write_synthetic_korean_objects(tmp_path / str(fraction), swapped_fraction=fraction, **kw)
        for path in root.rglob("*.json"):
            regions = read_region_json(path).regions
            swapped = any(r.corners[0] > r.corners[2] or r.corners[1] > r.corners[3] for r in regions)
            assert swapped == expect


def test_classes_look_different(tmp_path: Path) -> None:
    """Mean colour of the box centres: far apart between two classes, close within one."""
    root = write_synthetic_korean_objects(
        tmp_path / "t", domains=["products", "heritage"], **{**SMALL, "shoots_per_class": 3}
    )
    colours: dict[str, list[np.ndarray]] = {}
    for path in root.rglob("*.json"):
        image = np.asarray(Image.open(path.with_suffix(".jpg")), np.float32)
        for r in read_region_json(path).regions:
            x1, y1, x2, y2 = _normalised(r.corners)
            dx, dy = (x2 - x1) // 4, (y2 - y1) // 4
            colours.setdefault(r.label, []).append(
                image[y1 + dy : y2 - dy, x1 + dx : x2 - dx].mean(axis=(0, 1))
            )
    for domain in ("상품", "유적건조물"):
        a, b = (colours[e.name] for e in CLASS_CATALOG[domain][:2])
        ca, cb = np.mean(a, axis=0), np.mean(b, axis=0)
        spread = max(np.linalg.norm(np.asarray(x) - c, axis=1).mean() for x, c in ((a, ca), (b, cb)))
        assert np.linalg.norm(ca - cb) > 2 * spread, domain


def test_ensure_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kw = {**SMALL, "domains": ["상품"], "classes_per_domain": 1, "shoots_per_class": 1}
    first = ensure_twin("korean_objects", tmp_path, **kw)
    assert first.name.startswith("korean-objects-synth-") and any(first.rglob("*.jpg"))
    before = _files(first)

    @functools.wraps(korean_objects.SPEC.writer)  # same signature: the registry binds to it
    def fail(*args: object, **kwargs: object) -> Path:
        raise AssertionError("regenerated a cached twin")

    monkeypatch.setattr(korean_objects, "SPEC", dataclasses.replace(korean_objects.SPEC, writer=fail))
    # English names and a list size normalise to the same parameters
    assert (
        ensure_twin("korean_objects", tmp_path, **{**kw, "domains": ["products"], "image_size": [96, 128]})
        == first
    )
    assert _files(first) == before
    with pytest.raises(AssertionError, match="regenerated"):
        ensure_twin("korean_objects", tmp_path, **{**kw, "seed": 1})
    assert GENERATOR_VERSION == 1
