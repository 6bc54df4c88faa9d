"""What the sidewalk reader reports beyond the bad-input corpus's kinds and counts (tests/bad_input/
sidewalk.py): a lost or dropped task XML leaves its frames visible as unlisted, a refused folder link
is counted once, and images without readable conditions get ``unknown`` ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aihub_bench.datasets.sidewalk import SPEC, read_sidewalk, write_synthetic_sidewalk
from aihub_bench.datasets.sidewalk.layout import xml_name
from aihub_bench.errors import ErrorPolicy

SMOKE = dict(SPEC.smoke)
FRAMES = SMOKE["sequences"] * SMOKE["frames_per_sequence"]
WALK = "bbox/001001"
ENVIRONMENT = "Sidewalk_19009_environment.csv"


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_sidewalk(tmp_path_factory.mktemp("sidewalk") / "twin", **SMOKE)


@pytest.fixture
def root(twin: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(twin, tmp_path / "root", symlinks=True))


def test_frames_of_a_dropped_or_lost_task_xml_are_counted_as_unlisted(root: Path) -> None:
    first = root / WALK / xml_name("bbox", 1001, 1)  # frames 1-3 of the walk
    first.write_text("<annotations><image", encoding="utf-8")
    policy = ErrorPolicy("skip")
    samples = read_sidewalk(root, policy)
    report = policy.report()
    assert len(samples) == FRAMES - SMOKE["frames_per_task"]
    assert report["skipped_by_kind"] == {"malformed_xml": 1}
    assert report["stats"]["annotation_files_dropped"] == 1
    assert report["stats"]["images_not_listed_in_any_xml"] == SMOKE["frames_per_task"]

    (root / WALK / xml_name("bbox", 1001, 2)).unlink()  # frame 4: no error, but not silent either
    first.unlink()
    policy = ErrorPolicy("raise")
    assert len(read_sidewalk(root, policy)) == FRAMES - SMOKE["frames_per_sequence"]
    assert policy.report()["stats"]["images_not_listed_in_any_xml"] == SMOKE["frames_per_sequence"]


def test_a_folder_link_outside_the_root_is_refused_once(root: Path) -> None:
    folder = root / WALK
    moved = root.parent / "elsewhere"
    shutil.move(folder, moved)
    folder.symlink_to(moved, target_is_directory=True)
    policy = ErrorPolicy("skip")
    assert len(read_sidewalk(root, policy)) == FRAMES - SMOKE["frames_per_sequence"]
    assert policy.report()["stats"]["folder_links_outside_root"] == 1
    assert policy.skipped == 1


@pytest.mark.parametrize("breakage", ["unreadable", "missing"])
def test_without_readable_conditions_every_image_has_unknown_ones(root: Path, breakage: str) -> None:
    csv_path = root / ENVIRONMENT
    if breakage == "missing":
        csv_path.unlink()
    else:
        csv_path.write_bytes(b"image,daynight\n\xff\xfe\n")
    policy = ErrorPolicy("skip")
    samples = read_sidewalk(root, policy)
    assert len(samples) == FRAMES
    assert {(s.meta["day_night"], s.meta["weather"], s.meta["capture_time"]) for s in samples} == {
        ("unknown", "unknown", "unknown")
    }
    assert policy.report()["stats"]["images_without_environment"] == FRAMES
    assert policy.skipped == (breakage == "unreadable")
    assert "day_night" not in read_sidewalk(root, ErrorPolicy("raise"), environment_csv=None)[0].meta
