"""Mammography: twin -> reader round trip, every bad-input case (raise and skip), custom layouts."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image, ImageDraw
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, RLELossless
from scipy.ndimage import binary_dilation

from aihub_bench.datasets.mammography import (
    VIEWS,
    read_mammography,
    write_synthetic_mammography,
)
from aihub_bench.datasets.mammography import reader as mammography_reader
from aihub_bench.datasets.registry import ensure_twin
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.dicom import read_dicom_image

PATIENTS = {"malignant": 4, "benign": 3, "normal": 5}
N_PATIENTS = sum(PATIENTS.values())
ALIAS_PATIENTS = 4  # every third patient (index 1, 4, 7, 10) spells RML0 / LML0


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_mammography(tmp_path_factory.mktemp("mammo") / "twin", patients=PATIENTS, seed=3)


@pytest.fixture
def ds(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "ds"))


def _read(root: Path, mode: str = "raise", **kwargs) -> tuple[list, ErrorPolicy]:
    policy = ErrorPolicy(mode)
    return read_mammography(root, policy, **kwargs), policy


def _files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.dcm"))


def _syntax(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID)


def _uncompressed(root: Path, patient: str = "10002") -> Path:
    return next(p for p in _files(root / patient) if _syntax(p) == ExplicitVRLittleEndian)


def _compressed(root: Path) -> Path:
    return next(p for p in _files(root) if _syntax(p) != ExplicitVRLittleEndian)


def _polygon_mask(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    layer = Image.new("1", (shape[1], shape[0]), 0)
    ImageDraw.Draw(layer).polygon([tuple(p) for p in points.tolist()], fill=1)
    return np.asarray(layer, bool)


# ---------------------------------------------------------------- round trip


def test_round_trip_classes_labels_views_groups(pristine: Path) -> None:
    cases, policy = _read(pristine)
    assert Counter(c.class_name for c in cases) == PATIENTS
    assert [c.case_id for c in cases] == sorted(c.case_id for c in cases)
    assert cases[0].case_id == "00001" and cases[PATIENTS["malignant"]].case_id == "10001"
    for case in cases:
        assert case.label == int(case.class_name == "malignant")
        assert list(case.views) == list(VIEWS) and all(p.is_file() for p in case.views.values())
        assert case.group == case.case_id
        assert case.meta["birads"] and case.meta["device"] and case.meta["model"]
        assert ("pathology" in case.meta) == (case.class_name == "malignant")
    aliased = [c for c in cases if c.views["RMLO"].name.endswith("_RML0.dcm")]
    assert len(aliased) == ALIAS_PATIENTS and all(c.views["LMLO"].name.endswith("_LML0.dcm") for c in aliased)
    assert policy.stats["rml0_spelling"] == 2 * ALIAS_PATIENTS
    assert policy.stats["patients"] == N_PATIENTS and policy.stats["images"] == 4 * N_PATIENTS
    assert policy.stats["patients/benign"] == PATIENTS["benign"] and policy.skipped == 0


def test_view_labels_follow_the_lesion_side(pristine: Path) -> None:
    cases, _ = _read(pristine)
    for case in cases:
        if case.class_name != "malignant":
            assert case.view_labels is None and "lesions" not in case.meta
            continue
        lesions = case.meta["lesions"]
        side = next(iter(lesions))[0]
        assert set(lesions) == {f"{side}CC", f"{side}MLO"}
        assert case.view_labels == {v: int(v[0] == side) for v in VIEWS}
        assert all(
            p.dtype == np.float32 and p.shape[1] == 2 and len(p) >= 3 for ps in lesions.values() for p in ps
        )
        assert any("\uac00" <= ch <= "\ud7a3" for ch in case.meta["pathology"])  # Hangul


def test_twin_is_deterministic(tmp_path: Path) -> None:
    kwargs = {"patients": {"malignant": 1, "benign": 1}, "image_size": 64, "compressed_fraction": 0.5}
    a = write_synthetic_mammography(tmp_path / "a", seed=5, **kwargs)
    b = write_synthetic_mammography(tmp_path / "b", seed=5, **kwargs)
    c = write_synthetic_mammography(tmp_path / "c", seed=6, **kwargs)
    names = [p.relative_to(a) for p in sorted(a.rglob("*")) if p.is_file()]
    assert names == [p.relative_to(b) for p in sorted(b.rglob("*")) if p.is_file()]
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    assert (a / "00001/00001_RCC.dcm").read_bytes() != (c / "00001/00001_RCC.dcm").read_bytes()


def test_files_mix_photometrics_and_compression_and_all_decode(pristine: Path) -> None:
    files = _files(pristine)
    headers = [pydicom.dcmread(p, stop_before_pixels=True) for p in files]
    photometrics = Counter(str(h.PhotometricInterpretation) for h in headers)
    syntaxes = Counter(str(h.file_meta.TransferSyntaxUID) for h in headers)
    assert photometrics["MONOCHROME1"] == len(files) // 4 and photometrics["MONOCHROME2"] > 0
    assert (
        syntaxes[RLELossless] > 0 and syntaxes[JPEG2000Lossless] > 0 and syntaxes[ExplicitVRLittleEndian] > 0
    )
    assert all(str(h.StudyDate) == "19000101" and str(h.get("PatientName", "")) == "" for h in headers)
    assert all(h.Manufacturer and h.ManufacturerModelName for h in headers)
    assert {int(h.BitsStored) for h in headers} == {12, 16}
    assert 0 < sum("WindowCenter" in h for h in headers) < len(headers)
    cases, policy = _read(pristine, verify_images="full")
    assert len(cases) == N_PATIENTS and policy.skipped == 0
    image = read_dicom_image(files[0])
    assert image.pixels.shape == (200, 160) and 0.0 <= image.pixels.min() < image.pixels.max() <= 1.0


def test_lesions_are_brighter_than_their_surroundings(pristine: Path) -> None:
    cases, _ = _read(pristine)
    malignant = [c for c in cases if c.class_name == "malignant"]
    photometrics = {case.meta["photometric"][v] for case in malignant for v in case.meta["lesions"]}
    assert photometrics == {"MONOCHROME1", "MONOCHROME2"}  # both storage conventions are checked
    for case in malignant:
        for view, polygons in case.meta["lesions"].items():
            pixels = read_dicom_image(case.views[view]).pixels  # display space: MONOCHROME1 inverted
            inside = _polygon_mask(polygons[0], pixels.shape)
            ring = binary_dilation(inside, iterations=8) & ~binary_dilation(inside, iterations=3)
            assert pixels[inside].mean() > pixels[ring].mean() + 0.15, (case.case_id, view)
            # still visible at a small CNN's input size
            small = np.asarray(Image.fromarray(pixels).resize((64, 80), Image.BILINEAR))
            box = np.asarray(Image.fromarray(inside.astype(np.uint8) * 255).resize((64, 80))) > 127
            around = binary_dilation(box, iterations=3) & ~binary_dilation(box, iterations=1)
            assert box.any() and small[box].mean() > small[around].mean() + 0.1, (case.case_id, view)


def test_monochrome1_displays_like_monochrome2(tmp_path: Path) -> None:
    kwargs = {"patients": {"malignant": 2}, "image_size": 64, "compressed_fraction": 0.0}
    m1 = write_synthetic_mammography(tmp_path / "m1", monochrome1_fraction=1.0, **kwargs)
    m2 = write_synthetic_mammography(tmp_path / "m2", monochrome1_fraction=0.0, **kwargs)
    for path in _files(m1):
        one, two = read_dicom_image(path), read_dicom_image(m2 / path.relative_to(m1))
        assert (one.photometric, two.photometric) == ("MONOCHROME1", "MONOCHROME2")
        np.testing.assert_allclose(one.pixels, two.pixels, atol=0.01)


def test_ensure_synthetic_caches(tmp_path: Path) -> None:
    kwargs = {"patients": {"normal": 1}, "image_size": 48}
    first = ensure_twin("mammography", tmp_path, **kwargs)
    assert first.name.startswith("mammography-synth-") and len(_files(first)) == 4
    assert ensure_twin("mammography", tmp_path, **kwargs) == first
    assert ensure_twin("mammography", tmp_path, seed=1, **kwargs) != first
    with pytest.raises(ValueError, match="at least 48"):
        write_synthetic_mammography(tmp_path / "x", image_size=32)


# ---------------------------------------------------------------- bad input


def _no_pixel_data(root: Path) -> tuple[str, str]:
    path = _uncompressed(root)
    ds = pydicom.dcmread(path)
    del ds.PixelData
    ds.save_as(path)
    return str(path), "no_pixel_data"


def _truncated(root: Path) -> tuple[str, str]:
    path = _uncompressed(root)
    path.write_bytes(path.read_bytes()[:-1000])
    return str(path), "truncated_pixel_data"


def _truncated_compressed(root: Path) -> tuple[str, str]:
    path = _compressed(root)
    path.write_bytes(path.read_bytes()[:-500])
    return str(path), "truncated_pixel_data"


def _garbage(root: Path) -> tuple[str, str]:
    path = _uncompressed(root)
    path.write_bytes(b"not a dicom file at all" * 10)
    return str(path), "unreadable_dicom"


def _rgb(root: Path) -> tuple[str, str]:
    path = _uncompressed(root)
    ds = pydicom.dcmread(path)
    ds.PhotometricInterpretation = "RGB"
    ds.save_as(path)
    return str(path), "unknown_photometric"


def _missing_view(root: Path) -> tuple[str, str]:
    next((root / "10002").glob("10002_LML*.dcm")).unlink()
    return "patient 10002 is missing views LMLO (has RCC, LCC, RMLO)", "missing_views"


def _duplicate_view(root: Path) -> tuple[str, str]:
    shutil.copy(root / "10002/10002_RCC.dcm", root / "10002/10002-rcc.dcm")
    return "patient 10002 has 2 files for view RCC", "duplicate_view"


def _out_of_range(root: Path) -> tuple[str, str]:
    folder = root / "10002"
    for path in folder.iterdir():
        path.rename(folder / path.name.replace("10002", "39999"))
    folder.rename(root / "39999")
    return "patient id '39999' is in no class range", "unknown_patient_class"


def _bad_json(root: Path) -> tuple[str, str]:
    path = root / "10002/10002.json"
    path.write_text('{"birads": "2", ', encoding="utf-8")
    return str(path), "bad_metadata"


def _bad_birads(root: Path) -> tuple[str, str]:
    path = root / "10002/10002.json"
    path.write_text(json.dumps({"birads": ["2"]}), encoding="utf-8")
    return str(path), "bad_metadata"


def _edit_lesions(edit: Callable[[list], None]) -> Callable[[Path], tuple[str, str]]:
    def mutate(root: Path) -> tuple[str, str]:
        path = root / "00002/00002.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        edit(data["lesions"])
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return str(path), "bad_lesion"

    return mutate


def _two_points(lesions: list) -> None:
    lesions[0]["points"] = [[1, 2], [3, 4]]


def _outside(lesions: list) -> None:
    lesions[0]["points"][0] = [5000.0, 10.0]


def _unknown_lesion_view(lesions: list) -> None:
    lesions[0]["view"] = "XCC"


BAD_INPUTS = {
    "no_pixel_data": _no_pixel_data,
    "truncated": _truncated,
    "truncated_compressed": _truncated_compressed,
    "garbage": _garbage,
    "rgb": _rgb,
    "missing_view": _missing_view,
    "duplicate_view": _duplicate_view,
    "out_of_range": _out_of_range,
    "bad_json": _bad_json,
    "bad_birads": _bad_birads,
    "lesion_two_points": _edit_lesions(_two_points),
    "lesion_outside_image": _edit_lesions(_outside),
    "lesion_unknown_view": _edit_lesions(_unknown_lesion_view),
}


@pytest.mark.parametrize("verify", ["header", "full"])
@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_raises_naming_file_and_reason(ds: Path, name: str, verify: str) -> None:
    expected, kind = BAD_INPUTS[name](ds)
    with pytest.raises(BadInputError) as info:
        _read(ds, verify_images=verify)
    assert info.value.kind == kind and expected in str(info.value)


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_skips_the_patient_and_counts(ds: Path, name: str) -> None:
    _, kind = BAD_INPUTS[name](ds)
    cases, policy = _read(ds, "skip")
    assert len(cases) == N_PATIENTS - 1 and policy.counts == {kind: 1}
    assert policy.stats["patients"] == N_PATIENTS - 1 and policy.examples[0]["kind"] == kind


def test_header_check_finds_truncation_without_reading_the_pixels(
    ds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mammography_reader, "DEFER_SIZE", 1024)  # twin images are smaller than the default
    assert len(_read(ds)[0]) == N_PATIENTS
    expected, kind = _truncated(ds)
    with pytest.raises(BadInputError, match="truncated") as info:
        _read(ds)
    assert info.value.kind == kind and info.value.path == expected


def test_undecodable_pixels_are_found_by_full_verification_only(ds: Path) -> None:
    path = next(p for p in _files(ds) if _syntax(p) == RLELossless)
    dataset = pydicom.dcmread(path)
    dataset.PixelData = encapsulate([bytes(64)])  # an RLE header that announces no segments
    dataset.save_as(path)
    assert len(_read(ds)[0]) == N_PATIENTS
    with pytest.raises(BadInputError, match=path.name) as info:
        _read(ds, verify_images="full")
    assert info.value.kind == "undecodable_pixels"
    cases, policy = _read(ds, "skip", verify_images="full")
    assert len(cases) == N_PATIENTS - 1 and policy.counts == {"undecodable_pixels": 1}


def test_bad_view_file_with_missing_views_allowed_keeps_three_views(ds: Path) -> None:
    path, kind = _rgb(ds)
    cases, policy = _read(ds, "skip", allow_missing_views=True)
    case = next(c for c in cases if c.case_id == "10002")
    assert len(cases) == N_PATIENTS and len(case.views) == 3 and Path(path) not in case.views.values()
    assert policy.counts == {kind: 1} and policy.stats["patients_with_missing_views"] == 1


def test_allow_missing_views_keeps_the_patient(ds: Path) -> None:
    next((ds / "00002").glob("00002_LML*.dcm")).unlink()
    cases, policy = _read(ds, allow_missing_views=True)
    case = next(c for c in cases if c.case_id == "00002")
    assert len(cases) == N_PATIENTS and list(case.views) == ["RCC", "LCC", "RMLO"]
    assert set(case.view_labels) == set(case.views)
    assert policy.stats["patients_with_missing_views"] == 1 and policy.stats["images"] == 4 * N_PATIENTS - 1


def test_unmatched_name_counts_the_file_only(ds: Path) -> None:
    stray = ds / "00001/scout.dcm"
    shutil.copy(ds / "00001/00001_RCC.dcm", stray)
    (ds / "00001/readme.txt").write_text("not a DICOM", encoding="utf-8")  # only *.dcm are looked at
    with pytest.raises(BadInputError, match="scout.dcm") as info:
        _read(ds)
    assert info.value.kind == "unmatched_name"
    cases, policy = _read(ds, "skip")
    assert len(cases) == N_PATIENTS and policy.counts == {"unmatched_name": 1}


def test_missing_metadata_falls_back_to_the_dicom_header(ds: Path) -> None:
    (ds / "00001/00001.json").unlink()
    cases, policy = _read(ds)
    case = cases[0]
    assert case.case_id == "00001" and case.label == 1 and case.view_labels is None
    assert "birads" not in case.meta and "lesions" not in case.meta
    assert case.meta["device"] == pydicom.dcmread(case.views["RCC"], stop_before_pixels=True).Manufacturer
    assert policy.stats["metadata_missing"] == 1 and policy.stats["device_from_dicom_header"] == 1


def test_aliases_can_be_switched_off(ds: Path) -> None:
    cases, policy = _read(ds, "skip", view_aliases={})
    assert len(cases) == N_PATIENTS - ALIAS_PATIENTS
    assert policy.counts == {"unknown_view": 2 * ALIAS_PATIENTS, "missing_views": ALIAS_PATIENTS}


def test_root_errors_and_bad_options(tmp_path: Path, pristine: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a directory"):
        _read(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="no DICOM files"):
        _read(tmp_path)
    with pytest.raises(ValueError, match="positive_classes"):
        _read(pristine, positive_classes=("cancer",))
    with pytest.raises(ValueError, match="overlap"):
        _read(pristine, class_ranges={"a": [1, 100], "b": [50, 200]})
    with pytest.raises(ValueError, match="named group"):
        _read(pristine, file_pattern=r"^(?P<patient>\d+)\.dcm$")
    with pytest.raises(ValueError, match="verify_images"):
        _read(pristine, verify_images="pixels")


# ---------------------------------------------------------------- custom layout


def test_custom_pattern_ranges_and_metadata_keys(ds: Path) -> None:
    for path in _files(ds):  # 00001_RML0.dcm -> pt00001.rml0.dcm
        path.rename(path.with_name("pt" + path.name.replace("_", ".").lower()))
    for path in sorted(ds.rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        data["BIRADS"] = data.pop("birads")
        if "lesions" in data:
            data["findings"] = [{"image": x["view"], "polygon": x["points"]} for x in data.pop("lesions")]
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(BadInputError) as info:
        _read(ds)
    assert info.value.kind == "unmatched_name"
    cases, policy = _read(
        ds,
        file_pattern=r"^pt(?P<patient>\d+)\.(?P<view>[rl](?:cc|ml[o0]))\.dcm$",
        class_ranges={"cancer": [1, 9999], "other": [10001, 29999]},
        positive_classes=["cancer"],
        metadata_keys={
            "birads": "BIRADS",
            "lesions": "findings",
            "lesion_view": "image",
            "lesion_points": "polygon",
        },
        views=["RCC", "LCC", "RMLO", "LMLO"],
    )
    assert Counter(c.class_name for c in cases) == {"cancer": 4, "other": 8}
    assert all(c.label == int(c.class_name == "cancer") and list(c.views) == list(VIEWS) for c in cases)
    assert all(c.meta["birads"] for c in cases) and policy.stats["rml0_spelling"] == 2 * ALIAS_PATIENTS
    assert all(c.view_labels is not None and sum(c.view_labels.values()) == 2 for c in cases if c.label)


def test_requested_views_subset(pristine: Path) -> None:
    cases, policy = _read(pristine, views=("RCC", "LCC"), verify_images="none")
    assert len(cases) == N_PATIENTS and all(list(c.views) == ["RCC", "LCC"] for c in cases)
    assert policy.stats["images_not_requested"] == 2 * N_PATIENTS
    malignant = [c for c in cases if c.label]
    assert all(c.view_labels is not None and sum(c.view_labels.values()) == 1 for c in malignant)


# ---------------------------------------------------------------- header cross-check, links, counts


def test_header_mismatch_is_found_and_can_be_switched_off(ds: Path) -> None:
    path = ds / "10002/10002_RCC.dcm"
    dataset = pydicom.dcmread(path)
    dataset.ImageLaterality = "L"
    dataset.save_as(path)
    with pytest.raises(BadInputError, match="laterality 'L'") as info:
        _read(ds)
    assert info.value.kind == "header_mismatch" and info.value.path == str(path)
    cases, policy = _read(ds, check_header_tags=False)
    assert len(cases) == N_PATIENTS and policy.skipped == 0
    assert len(_read(ds, verify_images="none")[0]) == N_PATIENTS  # no header read, nothing to compare


def test_header_without_the_tags_is_not_cross_checked(ds: Path) -> None:
    for path in _files(ds / "10002"):
        dataset = pydicom.dcmread(path)
        del dataset.PatientID, dataset.ImageLaterality, dataset.ViewPosition
        dataset.save_as(path)
    cases, policy = _read(ds)
    assert len(cases) == N_PATIENTS and policy.skipped == 0


def test_skipping_a_bad_view_counts_all_four_images_of_the_patient(ds: Path) -> None:
    path = ds / "10002/10002_RCC.dcm"
    dataset = pydicom.dcmread(path)
    dataset.WindowCenter, dataset.WindowWidth = 100, 0
    dataset.save_as(path)
    cases, policy = _read(ds, "skip")
    assert len(cases) == N_PATIENTS - 1 and policy.counts == {"bad_window": 1}
    assert policy.stats["patients_dropped"] == 1 and policy.stats["images_dropped"] == 4
    assert policy.stats["images"] == 4 * (N_PATIENTS - 1)


def test_links_outside_the_root_are_followed_only_when_allowed(ds: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.move(ds / "10002", outside / "10002")
    (ds / "10002").symlink_to(outside / "10002", target_is_directory=True)
    shutil.move(ds / "10001/10001_RCC.dcm", outside / "10001_RCC.dcm")
    (ds / "10001/10001_RCC.dcm").symlink_to(outside / "10001_RCC.dcm")
    cases, policy = _read(ds, "skip")
    assert {c.case_id for c in cases}.isdisjoint({"10001", "10002"}) and len(cases) == N_PATIENTS - 2
    assert policy.counts == {"link_outside_root": 2} and policy.stats["folder_links_outside_root"] == 1
    cases, policy = _read(ds, allow_outside_links=True)
    assert len(cases) == N_PATIENTS and policy.skipped == 0


def test_folder_links_inside_the_root_are_walked_once(ds: Path) -> None:
    (ds / "alias").mkdir()
    (ds / "alias/10002").symlink_to(ds / "10002", target_is_directory=True)
    (ds / "10002/loop").symlink_to(ds, target_is_directory=True)
    for allow in (False, True):
        cases, policy = _read(ds, allow_outside_links=allow)
        assert len(cases) == N_PATIENTS and policy.skipped == 0
        assert policy.stats["folder_links_inside_root"] == policy.stats["folders_linked_twice"] == 2
