"""`aihub-bench synth` and `aihub-bench xray-to-voc` (the builders' inspection tool)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from aihub_bench.cli import main
from aihub_bench.datasets.korean_objects import read_korean_objects
from aihub_bench.datasets.nmt_corpus import REAL_FILE_NAMES, read_nmt_corpus
from aihub_bench.datasets.registry import DATASETS, specs
from aihub_bench.datasets.xray import read_xray
from aihub_bench.errors import ErrorPolicy
from aihub_bench.formats.voc import read_voc, write_voc


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    assert (
        main(
            [
                "synth",
                "xray",
                "--out",
                str(root),
                "--images",
                "24",
                "--image-size",
                "96",
                "--classes",
                "Gun,Knife",
            ]
        )
        == 0
    )
    return root


def test_synth_command_writes_the_real_layout(synth_root: Path, capsys: pytest.CaptureFixture) -> None:
    pngs = sorted(synth_root.rglob("*.png"))
    assert len(pngs) == 24  # 2 classes x 3 makers x 4 subsets x 1
    assert {p.relative_to(synth_root).parts[0] for p in pngs} == {"Astrophysics", "Rapiscan", "Smith"}
    assert (synth_root / "Annotation/Train/CoCo/coco_smith.json").is_file()
    assert len(read_xray(synth_root)) == 24


def test_synth_command_writes_korean_objects(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "사물"
    args = ["synth", "korean_objects", "--out", str(out), "--images", "18", "--image-size", "72x96"]
    assert main([*args, "--classes", "2"]) == 0
    samples = read_korean_objects(out)
    assert len(samples) == 18  # 3 domains x 2 classes x 1 shoot x 3 images
    assert {(s.height, s.width) for s in samples} == {(72, 96)}  # --image-size is HxW
    assert "Wrote 18 synthetic korean_objects images" in capsys.readouterr().out


def test_synth_command_writes_human_motion(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from aihub_bench.datasets.human_motion import read_human_motion
    from aihub_bench.errors import ErrorPolicy

    out = tmp_path / "사람동작"
    assert main(["synth", "human_motion", "--out", str(out), "--images", "96", "--image-size", "64x96"]) == 0
    samples = read_human_motion(out, ErrorPolicy())
    assert len(samples) == 96  # 4 actions x 1 take x 4 cameras x 6 frames
    assert {(s.height, s.width) for s in samples} == {(64, 96)} and len(list(out.rglob("*.mp4"))) == 16
    assert "Wrote 96 synthetic human_motion images" in capsys.readouterr().out


def test_synth_command_rejects_a_bad_image_size(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["synth", "korean_objects", "--out", str(tmp_path), "--image-size", "big"])


def test_synth_help_lists_every_registered_dataset(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["synth", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert {"xray", "korean_objects", "mammography", "fundus", "human_motion", "nmt_corpus"} <= set(DATASETS)
    for s in specs():
        assert f"  {s.name:<16}{s.title}" in text  # one line per spec in the epilog
    assert "{" + ",".join(DATASETS) + "}" in text.replace("\n", "").replace(" ", "")  # the choices


def test_synth_command_writes_nmt_corpus(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "말뭉치"
    assert main(["synth", "nmt_corpus", "--out", str(out), "--samples", "200"]) == 0
    workbooks = sorted(p.name for p in out.glob("*.xlsx"))
    assert workbooks == sorted(REAL_FILE_NAMES)
    pairs = read_nmt_corpus(out, ErrorPolicy("raise"))
    assert 190 <= len(pairs) <= 210  # about 200 rows, less the few the twin's quirks make unusable
    assert "Wrote 10 synthetic nmt_corpus workbooks" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("dataset", "option"),
    [("mammography", ["--classes", "2"]), ("nmt_corpus", ["--image-size", "64"])],
)
def test_synth_refuses_an_option_the_dataset_lacks(dataset: str, option: list[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="does not apply"):
        main(["synth", dataset, "--out", str(tmp_path / "out"), *option])
    assert not (tmp_path / "out").exists()


def test_synth_names_a_bad_class_without_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="unknown X-ray class 'Sword'"):
        main(["synth", "xray", "--out", str(tmp_path), "--classes", "Gun,Sword"])


def test_xray_to_voc_agrees_on_clean_data(synth_root: Path, tmp_path: Path) -> None:
    assert main(["xray-to-voc", str(synth_root), "--out", str(tmp_path), "--strict"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["images"] == 24 and report["disagreements"] == []
    derived = sorted((tmp_path / "voc").rglob("*.xml"))
    assert len(derived) == 24
    shipped = synth_root / "Annotation/Train/Pascal" / derived[0].relative_to(tmp_path / "voc")
    assert [o.name for o in read_voc(derived[0]).objects] == [o.name for o in read_voc(shipped).objects]
    thumbs = list((tmp_path / "thumbnails").rglob("*.png"))
    assert len(thumbs) == report["objects"] and {t.parent.name for t in thumbs} <= {"Gun", "Knife"}


def test_xray_to_voc_reports_each_disagreement(synth_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(synth_root, root)
    vocs = sorted((root / "Annotation/Train/Pascal").rglob("*.xml"))
    moved, removed, extra = vocs[0], vocs[1], vocs[2]

    ann = read_voc(moved)
    obj = ann.objects[0]
    shift = (obj.xmax - obj.xmin) * 0.5
    obj.xmin, obj.xmax = obj.xmin + shift, min(ann.width - 1, obj.xmax + shift)
    write_voc(moved, ann)
    removed.unlink()
    ann = read_voc(extra)
    ann.objects.append(type(ann.objects[0])(ann.objects[0].name, 1, 1, 20, 20))
    write_voc(extra, ann)

    out = tmp_path / "out"
    assert main(["xray-to-voc", str(root), "--out", str(out), "--strict", "--no-thumbnails"]) == 1
    with (out / "disagreements.csv").open() as fh:
        kinds = sorted(row["kind"] for row in csv.DictReader(fh))
    assert kinds == ["box_mismatch", "no_voc_file", "only_in_voc"]
    assert not (out / "thumbnails").exists()
