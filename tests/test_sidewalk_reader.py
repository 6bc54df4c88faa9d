"""The 인도 보행 (sidewalk) reader and twin: CVAT tasks keyed by image name, grouped polygons, conditions."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from aihub_bench.datasets.sidewalk import SPEC, read_sidewalk, write_synthetic_sidewalk
from aihub_bench.datasets.sidewalk.layout import IMAGE_PATTERN, parse_name, size_rule
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.cvat import read_cvat

SMOKE = dict(SPEC.smoke)


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_sidewalk(tmp_path_factory.mktemp("sidewalk") / "twin", **SMOKE)


def _copy(twin: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(twin, tmp_path / "copy"))


def test_each_subset_reads_its_own_tasks(twin: Path) -> None:
    frames = SMOKE["sequences"] * SMOKE["frames_per_sequence"]
    for subset in ("bbox", "polygon"):
        samples = read_sidewalk(twin, ErrorPolicy("raise"), subset=subset)
        assert len(samples) == frames
        assert {s.meta["subset"] for s in samples} == {subset}
        assert all(f"_{subset}_raw_" in s.image_path.name for s in samples)
        assert (samples[0].polygons is None) == (subset == "bbox")
        # the leakage unit is the walk: its frames share a group, and the name's sequence is that group
        by_group = Counter(s.group for s in samples)
        assert set(by_group.values()) == {SMOKE["frames_per_sequence"]}
        for s in samples:
            name = parse_name(s.image_path.name, IMAGE_PATTERN)
            assert name is not None and s.group == f"{subset}_{name.sequence}"


def test_tasks_key_images_by_name_not_by_id_or_size(twin: Path) -> None:
    """The smoke twin splits each walk into tasks of three frames: a second task's ids do not start at
    0 and every other task declares more images than it holds, as real exports do."""
    second = sorted(twin.rglob("*_output_*_2.xml"))[0]
    task = read_cvat(second)
    assert task.images[0].id == SMOKE["frames_per_task"]
    assert int(task.meta["size"]) == len(task.images) + 1
    samples = read_sidewalk(twin, ErrorPolicy("raise"), subset="bbox")
    listed = {im.name for im in task.images}
    assert listed <= {s.image_path.name for s in samples}


def test_grouped_polygons_are_one_instance_with_parts(twin: Path) -> None:
    policy = ErrorPolicy("raise")
    merged = read_sidewalk(twin, policy, subset="polygon")
    split = read_sidewalk(twin, ErrorPolicy("raise"), subset="polygon", merge_groups=False)
    multi = [parts for s in merged for parts in (s.polygons or []) if len(parts) > 1]
    assert multi and all(len(parts) == 2 for parts in multi)  # an occluding pole cuts an object in two
    extra = sum(len(s.labels) for s in split) - sum(len(s.labels) for s in merged)
    assert extra == len(multi) == policy.report()["stats"]["polygon_parts_merged"]
    # the merged box spans both parts
    sample = next(s for s in merged if any(len(p) > 1 for p in s.polygons or []))
    i = next(i for i, p in enumerate(sample.polygons or []) if len(p) > 1)
    points = [pt for part in (sample.polygons or [])[i] for pt in part]
    assert sample.boxes[i][0] == pytest.approx(min(p[0] for p in points))
    assert sample.boxes[i][2] == pytest.approx(max(p[0] for p in points))


def test_no_annotated_object_falls_under_the_scaled_size_rule(twin: Path) -> None:
    rule = size_rule(tuple(SMOKE["classes"]))
    for subset in ("bbox", "polygon"):
        for s in read_sidewalk(twin, ErrorPolicy("raise"), subset=subset):
            for box, label in zip(s.boxes, s.labels, strict=True):
                longer = max(box[2] - box[0], box[3] - box[1])
                assert longer > rule[label] * SMOKE["size_rule_scale"], (s.image_path.name, label, longer)


def test_environment_conditions_join_by_image_name(twin: Path, tmp_path: Path) -> None:
    samples = read_sidewalk(twin, ErrorPolicy("raise"), subset="bbox")
    assert {s.meta["day_night"] for s in samples} <= {"day", "night"}
    assert all(s.meta["capture_time"].startswith("2019-") for s in samples)
    # a walk is shot in one condition
    assert all(
        len({x.meta["weather"] for x in samples if x.group == g}) == 1 for g in {s.group for s in samples}
    )

    root = _copy(twin, tmp_path)
    csv_path = next(root.glob("*environment*.csv"))
    lines = csv_path.read_text().splitlines()
    csv_path.write_text("\n".join(lines[:-4]) + "\n")  # four images lose their row
    policy = ErrorPolicy("raise")
    samples = read_sidewalk(root, policy, subset="polygon")
    assert policy.report()["stats"]["images_without_environment"] == 4
    assert sum(s.meta["day_night"] == "unknown" for s in samples) == 4

    csv_path.write_text("image,when\nx.jpg,day\n")
    with pytest.raises(
        BadInputError, match=r"environment CSV lacks columns \['daynight', 'weather', 'datetime'\]"
    ):
        read_sidewalk(root, ErrorPolicy("raise"))
    csv_path.unlink()
    policy = ErrorPolicy("raise")
    assert read_sidewalk(root, policy) and policy.report()["stats"]["environment_csv_missing"] == 1


def test_images_elsewhere_are_found_by_name_and_duplicates_refused(twin: Path, tmp_path: Path) -> None:
    root = _copy(twin, tmp_path)
    image = sorted((root / "bbox").rglob("*.jpg"))[0]
    moved = root / "images" / image.name
    moved.parent.mkdir()
    image.rename(moved)
    samples = read_sidewalk(root, ErrorPolicy("raise"))
    assert moved in {s.image_path for s in samples}

    shutil.copy(moved, root / image.name)
    with pytest.raises(BadInputError, match="ambiguous: several files have its name") as raised:
        read_sidewalk(root, ErrorPolicy("raise"))
    assert image.parent.name in str(raised.value.path)  # names the XML that lists it


def test_an_image_of_another_size_is_bad_input(twin: Path, tmp_path: Path) -> None:
    root = _copy(twin, tmp_path)
    image = sorted((root / "bbox").rglob("*.jpg"))[0]
    Image.new("RGB", (100, 80)).save(image)
    with pytest.raises(BadInputError, match=r"image is 100x80, its XML says 384x216") as raised:
        read_sidewalk(root, ErrorPolicy("raise"))
    assert Path(raised.value.path) == image
    policy = ErrorPolicy("skip")
    frames = SMOKE["sequences"] * SMOKE["frames_per_sequence"]
    assert len(read_sidewalk(root, policy)) == frames - 1 and policy.skipped == 1
    assert len(read_sidewalk(root, ErrorPolicy("raise"), verify_images="none")) == frames


def test_class_filter_counts_what_it_leaves_out(twin: Path) -> None:
    policy = ErrorPolicy("raise")
    everything = read_sidewalk(twin, ErrorPolicy("raise"))
    cars = read_sidewalk(twin, policy, classes=["car"])
    others = sum(label != "car" for s in everything for label in s.labels)
    assert {label for s in cars for label in s.labels} == {"car"}
    assert policy.report()["stats"]["objects_of_other_classes"] == others
    with pytest.raises(ValueError, match=r"\['traffic_light_controller'\] are not bbox classes"):
        read_sidewalk(twin, ErrorPolicy("raise"), classes=["traffic_light_controller"])


def test_twin_options_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown sidewalk classes"):
        write_synthetic_sidewalk("/nonexistent", classes=["unicorn"])
    with pytest.raises(ValueError, match="subsets must be among"):
        write_synthetic_sidewalk("/nonexistent", subsets=["surface"])
