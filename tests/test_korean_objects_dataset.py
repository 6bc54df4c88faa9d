"""Korean object images: reading the real layout, swapped corners, metadata, bad input, index cache."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import aihub_bench.datasets.korean_objects.reader as reader_module
from aihub_bench.datasets.korean_objects import read_korean_objects, write_synthetic_korean_objects
from aihub_bench.datasets.korean_objects.layout import lookup_domain, parse_class_folder, shoot_sequence
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.aihub_region_json import (
    Region,
    RegionAnnotation,
    read_region_json,
    write_region_json,
)

POST_OFFICE = "HF010785_유적건조물_교통통신_교통통신시설_우체국_인천우체국"
TOWER = "LF000001_랜드마크_타워_전망탑_통신탑_남산타워"
RAMEN = "PF000002_상품_식품_라면_봉지라면_신라면"


def _image(path: Path, size: tuple[int, int] = (64, 48)) -> None:
    Image.new("RGB", size, (120, 160, 200)).save(path, quality=90)


def _annotation(path: Path, regions: list[dict] | None, imsize: list[int] | None = None, **extra) -> None:
    data: dict = {"image": {"identifier": path.stem, "imsize": imsize or [64, 48]}, **extra}
    if regions is not None:
        data["regions"] = regions
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _region(corners: list[int], label: str = "", tags: list[str] | None = None, **extra) -> dict:
    return {"boxcorners": corners, "class": label, "tags": tags or [], **extra}


def _folder(root: Path, domain: str, bucket: str, name: str) -> Path:
    folder = root / domain / bucket / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _item(folder: Path, stem: str, regions: list[dict] | None, **kwargs) -> None:
    _image(folder / f"{stem}.jpg")
    _annotation(folder / f"{stem}.json", regions, **kwargs)


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """Three domains, one class folder each, two images per folder."""
    root = tmp_path / "한국형사물"
    for domain, name in (("유적건조물", POST_OFFICE), ("랜드마크", TOWER), ("상품", RAMEN)):
        folder = _folder(root, domain, "64", name)
        code = name.split("_")[0]
        label = name.rsplit("_", 1)[1]
        _item(folder, f"{code}_0001_0001", [_region([5, 6, 40, 30], label, ["날씨:맑음", "거리:근거리"])])
        _item(folder, f"{code}_0002_0001", [_region([10, 10, 50, 40], label), _region([1, 2, 9, 9], label)])
    return root


def test_reads_layout_labels_category_path_and_korean_paths(tree: Path) -> None:
    samples = read_korean_objects(tree)
    assert len(samples) == 6
    assert [s.image_id for s in samples] == list(range(1, 7))
    post = [s for s in samples if s.meta["domain"] == "유적건조물"]
    assert {label for s in post for label in s.labels} == {"인천우체국"}
    first = post[0]
    assert first.image_path.is_file() and "인천우체국" in str(first.image_path)
    assert first.meta["category_path"] == "유적건조물/교통통신/교통통신시설/우체국"
    assert first.meta["domain_en"] == "heritage"
    assert first.meta["code"] == "HF010785" and first.group == "HF010785"
    assert first.meta["region_tags"] == [{"날씨": "맑음", "거리": "근거리"}]
    np.testing.assert_allclose(first.boxes, [[5, 6, 40, 30]])
    assert (first.width, first.height) == (64, 48)


def test_swapped_corners_are_normalised_and_counted(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "상품", "1", RAMEN)
    _item(
        folder,
        "PF000002_0001_0001",
        [_region([40, 30, 5, 6]), _region([5, 30, 40, 6]), _region([1, 1, 9, 9])],
    )
    policy = ErrorPolicy("raise")
    (sample,) = read_korean_objects(tmp_path, policy=policy)
    np.testing.assert_allclose(sample.boxes, [[5, 6, 40, 30], [5, 6, 40, 30], [1, 1, 9, 9]])
    assert policy.stats["boxes_with_swapped_corners"] == 2


def test_unknown_keys_are_kept_as_metadata(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "랜드마크", "1", TOWER)
    _image(folder / "LF000001_0001_0001.jpg")
    data = {
        "image": {"identifier": "LF000001_0001_0001", "imsize": [64, 48], "촬영일": "2019-10-01"},
        "regions": [{"boxcorners": [1, 2, 30, 40], "class": "남산타워", "tags": [], "vertices": [[1, 2]]}],
        "version": "1.2",
        "type": "bbox",
    }
    (folder / "LF000001_0001_0001.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    (sample,) = read_korean_objects(tmp_path)
    assert sample.meta["extra"] == {"version": "1.2", "type": "bbox", "image.촬영일": "2019-10-01"}
    assert sample.meta["region_extra"] == [{"vertices": [[1, 2]]}]


def test_domain_filter_accepts_korean_and_english_names(tree: Path) -> None:
    assert {s.meta["domain"] for s in read_korean_objects(tree, domains=["heritage"])} == {"유적건조물"}
    both = read_korean_objects(tree, domains=["상품", "Landmarks"])
    assert {s.meta["domain"] for s in both} == {"상품", "랜드마크"}
    with pytest.raises(ValueError, match="unknown Korean-objects domain 'museum'"):
        read_korean_objects(tree, domains=["museum"])


def test_decomposed_hangul_folder_names_are_read(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", TOWER)
    folder = _folder(tmp_path, unicodedata.normalize("NFD", "랜드마크"), "1", nfd)
    _item(folder, "LF000001_0001_0001", [_region([1, 2, 30, 40])])
    (sample,) = read_korean_objects(tmp_path, domains=["랜드마크"])
    assert sample.labels == ["남산타워"] and sample.meta["domain"] == "랜드마크"
    assert sample.image_path.is_file()


def test_label_source_region_uses_each_region_class(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "상품", "1", RAMEN)
    _item(
        folder,
        "PF000002_0001_0001",
        [_region([1, 1, 20, 20], "신라면"), _region([30, 5, 60, 40], "초코파이")],
    )
    policy = ErrorPolicy("raise")
    (by_folder,) = read_korean_objects(tmp_path, policy=policy)
    assert by_folder.labels == ["신라면", "신라면"]
    assert policy.stats["region_class_differs_from_folder"] == 1
    (by_region,) = read_korean_objects(tmp_path, label_source="region")
    assert by_region.labels == ["신라면", "초코파이"]


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [("code", "HF010785"), ("sequence", "HF010785_0002"), ("image", "HF010785_0002_0001")],
)
def test_group_keys(tree: Path, group_by: str, expected: str) -> None:
    samples = read_korean_objects(tree, group_by=group_by, domains=["heritage"])
    assert samples[1].group.endswith(expected)


def test_layout_helpers() -> None:
    folder = parse_class_folder("HF1_유적건조물_궁궐_전각_정전_경복궁_근정전")
    assert folder is not None and folder.name == "경복궁_근정전" and folder.minor == "정전"
    assert parse_class_folder("HF1_유적건조물_궁궐") is None
    assert lookup_domain("HERITAGE") == "유적건조물" and lookup_domain("박물관") is None
    assert shoot_sequence("HF010785_0002_0003") == "HF010785_0002"


# ------------------------------------------------------------------------------ bad input


def _bad_tree(tmp_path: Path, case: str) -> tuple[Path, str]:
    """A tree with one good image and one bad case; returns (root, expected kind)."""
    folder = _folder(tmp_path, "유적건조물", "1", POST_OFFICE)
    _item(folder, "HF010785_0001_0001", [_region([1, 1, 20, 20])])
    stem = "HF010785_0001_0002"
    if case == "missing_image":
        _annotation(folder / f"{stem}.json", [_region([1, 1, 20, 20])])
    elif case == "missing_annotation":
        _image(folder / f"{stem}.jpg")
    elif case == "unreadable_image":
        (folder / f"{stem}.jpg").write_bytes(b"not a jpeg at all")
        _annotation(folder / f"{stem}.json", [_region([1, 1, 20, 20])])
    elif case == "no_regions":
        _item(folder, stem, None)
    elif case == "empty_regions":
        _item(folder, stem, [])
    elif case == "outside":
        _item(folder, stem, [_region([10, 10, 90, 30])])
    elif case == "zero_area":
        _item(folder, stem, [_region([10, 10, 10, 30])])
    elif case == "bad_corners":
        _item(folder, stem, [_region([10, 10, "x", 30])])
    elif case == "bad_json":
        _image(folder / f"{stem}.jpg")
        (folder / f"{stem}.json").write_text('{"image": {', "utf-8")
    elif case == "size_mismatch":
        _item(folder, stem, [_region([1, 1, 20, 20])], imsize=[640, 480])
    elif case == "bad_imsize":
        _item(folder, stem, [_region([1, 1, 20, 20])], imsize=[64])
    elif case == "bad_folder_name":
        _item(
            _folder(tmp_path, "유적건조물", "1", "HF9_유적건조물_궁궐"),
            "HF9_0001_0001",
            [_region([1, 1, 5, 5])],
        )
    elif case == "wrong_domain":
        _item(_folder(tmp_path, "유적건조물", "1", TOWER), "LF000001_0001_0001", [_region([1, 1, 5, 5])])
    kinds = {
        "empty_regions": "no_regions",
        "outside": "bad_box",
        "zero_area": "bad_box",
        "bad_corners": "bad_box",
    }
    kinds |= {"bad_imsize": "bad_image_entry", "wrong_domain": "bad_folder_name"}
    return tmp_path, kinds.get(case, case)


BAD_CASES = [
    "missing_image",
    "missing_annotation",
    "unreadable_image",
    "no_regions",
    "empty_regions",
    "outside",
    "zero_area",
    "bad_corners",
    "bad_json",
    "size_mismatch",
    "bad_imsize",
    "bad_folder_name",
    "wrong_domain",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_raises_naming_the_file(tmp_path: Path, case: str) -> None:
    root, kind = _bad_tree(tmp_path, case)
    with pytest.raises(BadInputError) as info:
        read_korean_objects(root)
    assert info.value.kind == kind
    assert str(root) in info.value.path and info.value.reason


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_skipped_and_counted(tmp_path: Path, case: str) -> None:
    root, kind = _bad_tree(tmp_path, case)
    policy = ErrorPolicy("skip")
    samples = read_korean_objects(root, policy=policy)
    assert [s.meta["annotation_file"].rsplit("/", 1)[1] for s in samples] == ["HF010785_0001_0001.json"]
    assert policy.counts == {kind: 1}


def test_verify_none_skips_header_checks(tmp_path: Path) -> None:
    root, _ = _bad_tree(tmp_path, "unreadable_image")
    assert len(read_korean_objects(root, verify_images="none")) == 2


def test_missing_root_and_domains(tmp_path: Path, tree: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a directory"):
        read_korean_objects(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="no domain folder"):
        read_korean_objects(tmp_path / "한국형사물" / "유적건조물")
    for domain in ("상품", "랜드마크"):
        os.rename(tree / domain, tmp_path / domain)
    with pytest.raises(FileNotFoundError, match="none of the domains"):
        read_korean_objects(tree, domains=["products"])


# ------------------------------------------------------------------------------ index cache


@pytest.fixture()
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = reader_module.read_region_json

    def counting(path: Path):
        calls.append(Path(path))
        return real(path)

    monkeypatch.setattr(reader_module, "read_region_json", counting)
    return calls


def _summary(samples: list) -> list[tuple]:
    return [(str(s.image_path), s.labels, s.boxes.tolist(), s.group, s.meta) for s in samples]


def test_warm_index_parses_nothing_and_gives_the_same_samples(
    tree: Path, tmp_path: Path, parse_calls: list[Path]
) -> None:
    cache = tmp_path / "cache"
    cold_policy = ErrorPolicy("raise")
    cold = read_korean_objects(tree, cache_dir=cache, policy=cold_policy)
    assert len(parse_calls) == 6
    assert cold_policy.stats["index_cache_folders_parsed"] == 3
    policy = ErrorPolicy("raise")
    warm = read_korean_objects(tree, cache_dir=cache, policy=policy)
    assert len(parse_calls) == 6  # nothing parsed again
    assert _summary(warm) == _summary(cold)
    assert policy.stats["index_cache_folders_reused"] == 3 and policy.stats["index_cache_folders_parsed"] == 0


@pytest.mark.parametrize("check", ["files", "folders"])
def test_cache_is_invalidated_per_folder_when_the_tree_changes(
    tree: Path, tmp_path: Path, parse_calls: list[Path], check: str
) -> None:
    cache = tmp_path / "cache"
    read_korean_objects(tree, cache_dir=cache, cache_check=check)
    folder = tree / "상품" / "64" / RAMEN
    _item(folder, "PF000002_0003_0001", [_region([2, 2, 30, 30])])  # a new image in one folder
    parse_calls.clear()
    samples = read_korean_objects(tree, cache_dir=cache, cache_check=check)
    assert len(samples) == 7
    assert {p.parent for p in parse_calls} == {folder}  # only the changed folder is parsed again
    # a removed folder disappears from the index
    shutil.rmtree(tree / "랜드마크")
    assert len(read_korean_objects(tree, cache_dir=cache, cache_check=check)) == 5


def test_file_check_sees_a_json_edited_in_place(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    read_korean_objects(tree, cache_dir=cache)
    path = tree / "상품" / "64" / RAMEN / "PF000002_0001_0001.json"
    _annotation(path, [_region([3, 3, 33, 33], "신라면")])
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    edited = [s for s in read_korean_objects(tree, cache_dir=cache) if s.meta["code"] == "PF000002"]
    np.testing.assert_allclose(edited[0].boxes, [[3, 3, 33, 33]])


def test_cached_problems_are_replayed(tmp_path: Path, parse_calls: list[Path]) -> None:
    root, _ = _bad_tree(tmp_path / "data", "bad_json")
    cache = tmp_path / "cache"
    first, second = ErrorPolicy("skip"), ErrorPolicy("skip")
    read_korean_objects(root, cache_dir=cache, policy=first)
    n = len(parse_calls)
    read_korean_objects(root, cache_dir=cache, policy=second)
    assert len(parse_calls) == n and second.counts == first.counts == {"bad_json": 1}
    with pytest.raises(BadInputError, match="cannot read the JSON"):
        read_korean_objects(root, cache_dir=cache)


def test_unreadable_or_foreign_cache_is_rebuilt(tree: Path, tmp_path: Path, parse_calls: list[Path]) -> None:
    cache = tmp_path / "cache"
    read_korean_objects(tree, cache_dir=cache)
    (cache_file,) = cache.iterdir()
    cache_file.write_bytes(b"garbage")
    parse_calls.clear()
    assert len(read_korean_objects(tree, cache_dir=cache)) == 6 and len(parse_calls) == 6
    stored = pickle.loads(cache_file.read_bytes())
    stored["key"]["reader"] = -1  # written by another reader version
    cache_file.write_bytes(pickle.dumps(stored))
    parse_calls.clear()
    read_korean_objects(tree, cache_dir=cache)
    assert len(parse_calls) == 6
    # another verification mode keeps its own cache file
    read_korean_objects(tree, cache_dir=cache, verify_images="none")
    assert len(list(cache.iterdir())) == 2


# ------------------------------------------------------------------------------ round trips


def test_region_json_codec_round_trip(tmp_path: Path) -> None:
    ann = RegionAnnotation(
        identifier="HF010785_0002_0002",
        imsize=[1920, 1080],
        regions=[Region([40, 30, 5, 6], "인천우체국", ["날씨:맑음", "각도:정면"], {"vertices": [[1, 2]]})],
        extra={"version": "1.0", "image.촬영장비": "DSLR"},
    )
    path = write_region_json(tmp_path / "a.json", ann)
    assert "인천우체국" in path.read_text(encoding="utf-8")  # written readable, not \\u-escaped
    assert read_region_json(path) == ann


def test_synthetic_twin_reads_back_exactly(tmp_path: Path) -> None:
    root = write_synthetic_korean_objects(
        tmp_path / "twin", classes_per_domain=2, shoots_per_class=2, images_per_shoot=2, image_size=(72, 96)
    )
    policy = ErrorPolicy("raise")
    samples = read_korean_objects(root, policy=policy, verify_images="full")
    assert len(samples) == len(list(root.rglob("*.jpg"))) == 24
    swapped = 0
    for sample in samples:
        ann = read_region_json(sample.image_path.with_suffix(".json"))
        corners = np.asarray([r.corners for r in ann.regions], dtype=np.float32)
        swapped += int(((corners[:, 0] > corners[:, 2]) | (corners[:, 1] > corners[:, 3])).sum())
        normalised = np.concatenate(
            [np.minimum(corners[:, :2], corners[:, 2:]), np.maximum(corners[:, :2], corners[:, 2:])], 1
        )
        np.testing.assert_allclose(sample.boxes, normalised)
        assert sample.labels == [r.label for r in ann.regions]
        assert sample.labels[0] == sample.image_path.parent.name.rsplit("_", 1)[1]
    assert swapped == policy.stats["boxes_with_swapped_corners"] > 0


# ------------------------------------------------------------------------------ hostile input (issue 13)


def test_region_json_codec_refuses_hostile_numbers_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"image": {"imsize": [' + "9" * 400 + ', 48]}, "regions": []}', encoding="utf-8")
    with pytest.raises(BadInputError, match="out of range") as info:
        read_region_json(path)
    assert info.value.path == str(path) and info.value.kind == "bad_json"


def _twin(tmp_path: Path) -> Path:
    return write_synthetic_korean_objects(
        tmp_path / "twin", classes_per_domain=1, shoots_per_class=2, images_per_shoot=2, image_size=(72, 96)
    )


def _outside_links(root: Path, outside: Path) -> tuple[Path, Path]:
    """Move one class folder and one image of another outside ``root`` and link them back."""
    folders = sorted(root.glob("*/*/*_*"))
    moved = outside / folders[0].name
    folders[0].rename(moved)
    folders[0].symlink_to(moved, target_is_directory=True)
    image = sorted(folders[1].glob("*.jpg"))[0]
    image.rename(outside / image.name)
    image.symlink_to(outside / image.name)
    return folders[0], image


def test_links_outside_the_root_are_refused_unless_allowed(tmp_path: Path) -> None:
    root = _twin(tmp_path)
    clean = len(read_korean_objects(root))
    outside = tmp_path / "other_disk"
    outside.mkdir()
    folder, image = _outside_links(root, outside)
    with pytest.raises(BadInputError, match="leads outside the dataset root") as info:
        read_korean_objects(root)
    assert info.value.kind == "link_outside_root" and info.value.path in (str(folder), str(image))
    policy = ErrorPolicy("skip")
    assert len(read_korean_objects(root, policy=policy)) == clean - 3  # the folder's 2 images + 1 image
    assert policy.counts == {"link_outside_root": 3}
    allowed = read_korean_objects(root, allow_outside_links=True)
    assert len(allowed) == clean and image in [s.image_path for s in allowed]  # the link's name is kept


def test_links_inside_the_root_are_followed(tmp_path: Path) -> None:
    root = _twin(tmp_path)
    folder = sorted(root.glob("*/1/*_*"))[0]
    folder.rename(root / "shared_store")
    folder.symlink_to(root / "shared_store", target_is_directory=True)
    policy = ErrorPolicy("raise")
    assert len(read_korean_objects(root, policy=policy)) == 12 and policy.skipped == 0


def test_a_domain_folder_linked_outside_is_not_walked(tmp_path: Path) -> None:
    root = _twin(tmp_path)
    (root / "상품").rename(tmp_path / "상품")
    (root / "상품").symlink_to(tmp_path / "상품", target_is_directory=True)
    policy = ErrorPolicy("skip")
    samples = read_korean_objects(root, policy=policy)
    assert {s.meta["domain"] for s in samples} == {"유적건조물", "랜드마크"}
    assert policy.counts == {"link_outside_root": 4}  # every image of the domain, counted
    assert read_korean_objects(root, domains=["heritage"])  # an unwanted domain is not looked at


@pytest.mark.parametrize(
    ("move", "named", "count"),
    [
        ("root", "class folder", 2),  # <root>/<class folder>/: two levels too high
        ("domain_files", "domain folder", 2),  # images directly in <domain>/
    ],
)
def test_images_at_other_depths_are_reported_with_their_count(
    tmp_path: Path, move: str, named: str, count: int
) -> None:
    root = _twin(tmp_path)
    folder = sorted(root.glob("유적건조물/1/*_*"))[0]
    if move == "root":
        target = folder.rename(root / folder.name)
    else:
        target = root / "유적건조물"
        for path in folder.iterdir():
            path.rename(target / path.name)
        folder.rmdir()
    with pytest.raises(BadInputError, match=named) as info:
        read_korean_objects(root)
    assert info.value.kind == "wrong_depth" and info.value.path == str(target)
    policy = ErrorPolicy("skip")
    assert len(read_korean_objects(root, policy=policy)) == 12 - count
    assert policy.counts == {"wrong_depth": count}


def _hostile_folder(root: Path) -> Path:
    """One ambiguous pair, one decompression bomb and one image linked outside, in one class folder."""
    folder = sorted(root.glob("유적건조물/1/*_*"))[0]
    first, second = sorted(folder.glob("*.jpg"))
    shutil.copyfile(first, first.with_suffix(".png"))
    data = bytearray(second.read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (40000).to_bytes(2, "big") * 2
    second.write_bytes(bytes(data))
    other = sorted(root.glob("유적건조물/1/*_*"))[1]
    image = sorted(other.glob("*.jpg"))[0]
    image.rename(root.parent / image.name)
    image.symlink_to(root.parent / image.name)
    return folder


def test_warm_cache_raises_and_counts_what_a_cold_run_does(tmp_path: Path) -> None:
    root = _twin(tmp_path)
    _hostile_folder(root)
    cache = tmp_path / "cache"
    runs = []
    for _ in range(2):  # cold, then warm
        policy = ErrorPolicy("skip")
        samples = read_korean_objects(root, policy=policy, cache_dir=cache)
        with pytest.raises(BadInputError) as info:
            read_korean_objects(root, cache_dir=cache)
        runs.append((len(samples), dict(policy.counts), info.value.kind, info.value.path))
    assert runs[0] == runs[1]
    assert runs[0][:3] == (
        9,
        {"ambiguous_image": 1, "decompression_bomb": 1, "link_outside_root": 1},
        "ambiguous_image",
    )
    allowed = read_korean_objects(root, cache_dir=cache, allow_outside_links=True, policy=ErrorPolicy("skip"))
    assert len(allowed) == 10  # the options are part of the cache key: the refused link is not replayed


def test_a_cache_written_by_the_previous_reader_version_is_not_replayed(tmp_path: Path) -> None:
    root = _twin(tmp_path)
    cache = tmp_path / "cache"
    read_korean_objects(root, cache_dir=cache)
    (path,) = cache.iterdir()
    stored = pickle.loads(path.read_bytes())
    assert stored["key"]["reader"] == reader_module.READER_VERSION >= 2
    stored["key"]["reader"] = 1
    path.write_bytes(pickle.dumps(stored))
    policy = ErrorPolicy("raise")
    read_korean_objects(root, cache_dir=cache, policy=policy)
    assert policy.stats["index_cache_folders_parsed"] == 6 and policy.stats["index_cache_folders_reused"] == 0
