"""results.md writer: tables, worst-class ordering, groups, Korean names, split filtering."""

from __future__ import annotations

from pathlib import Path

from aihub_bench.metrics.results_table import detection_results_markdown, write_results_markdown

METRICS = {
    "test/bbox_mAP": 0.51234,
    "test/bbox_mAP_50": 0.8,
    "test/bbox_mAP_75": 0.55555,
    "test/bbox_mAP_s": 0.1,
    "test/bbox_mAP_m": 0.4,
    # bbox_mAP_l missing: undefined
    "test/bbox_mAR_100": 0.6,
    "test/bbox_AP/석탑": 0.7,
    "test/bbox_AP/불상": 0.2,
    "test/bbox_AP/a|b": 0.3,
    "test/bbox_AP/가로등": 0.2,  # ties with 불상: name order decides
    "test/bbox_AP/벤치": 0.9,
    "test/segm_mAP": 0.45,
    "test/segm_mAP_50": 0.75,
    "test/segm_AP/석탑": 0.01,  # segm per-class AP must not be used while bbox exists
    "val/bbox_mAP": 0.999,
    "val/bbox_AP/석탑": 0.0001,
    "train/loss": 1.5,
}
GROUP_METRICS = {
    "test/bbox_mAP/유적건조물": 0.45,
    "test/bbox_mAP_50/유적건조물": 0.7,
    "test/bbox_mAP/도시|시설": 0.525,
    "test/bbox_mAP_50/도시|시설": 0.85,
    "test/segm_mAP/유적건조물": 0.33,
    "val/bbox_mAP/유적건조물": 0.123,
}
CLASS_GROUPS = {"석탑": "유적건조물", "불상": "유적건조물", "가로등": "도시|시설", "벤치": "도시|시설"}
COUNTS = {"석탑": 12, "불상": 40, "가로등": 7, "a|b": 3}


def _section(text: str, heading: str) -> list[str]:
    """Table rows (header and separator excluded) under ``## heading``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"## {heading}"))
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            rows.append(line)
    return rows[2:]


def _cells(row: str) -> list[str]:
    """Cells of a table row, keeping escaped pipes inside a cell."""
    placeholder = "\x00"
    cells = row.replace("\\|", placeholder).strip().strip("|").split("|")
    return [c.strip().replace(placeholder, "\\|") for c in cells]


def test_overall_table_numbers_and_missing() -> None:
    text = detection_results_markdown(METRICS, title="Korean objects")
    assert text.splitlines()[0] == "# Korean objects"
    bbox, segm = (_cells(r) for r in _section(text, "Overall"))
    assert bbox == ["bbox", "0.512", "0.800", "0.556", "0.100", "0.400", "—", "0.600"]
    assert segm == ["segm", "0.450", "0.750", "—", "—", "—", "—", "—"]
    assert "0.999" not in text and "1.500" not in text  # other splits ignored


def test_default_title_and_only_present_iou_types() -> None:
    text = detection_results_markdown({"val/segm_mAP": 0.3, "val/segm_AP/x": 0.3}, split="val")
    assert text.splitlines()[0] == "# Detection results (val)"
    assert [_cells(r)[0] for r in _section(text, "Overall")] == ["segm"]
    assert "## Worst classes (segm AP" in text


def test_groups_section_only_with_group_keys() -> None:
    assert "## Per group" not in detection_results_markdown(METRICS, class_groups=CLASS_GROUPS)
    text = detection_results_markdown({**METRICS, **GROUP_METRICS}, class_groups=CLASS_GROUPS)
    rows = [_cells(r) for r in _section(text, "Per group")]
    assert rows == [
        ["도시\\|시설", "2", "0.525", "0.850", "—", "—"],
        ["유적건조물", "2", "0.450", "0.700", "0.330", "—"],
    ]
    header = next(line for line in text.splitlines() if line.startswith("| group"))
    assert _cells(header) == ["group", "classes", "bbox mAP", "bbox mAP@50", "segm mAP", "segm mAP@50"]
    assert "0.123" not in text  # val group key ignored


def test_groups_without_class_groups_show_missing_counts() -> None:
    text = detection_results_markdown({**METRICS, **GROUP_METRICS})
    assert [_cells(r)[:2] for r in _section(text, "Per group")] == [["도시\\|시설", "—"], ["유적건조물", "—"]]


def test_worst_classes_order_and_columns() -> None:
    text = detection_results_markdown(METRICS, class_groups=CLASS_GROUPS, object_counts=COUNTS, worst=4)
    rows = [_cells(r) for r in _section(text, "Worst classes")]
    assert rows == [
        ["1", "가로등", "도시\\|시설", "0.200", "7"],
        ["2", "불상", "유적건조물", "0.200", "40"],
        ["3", "a\\|b", "—", "0.300", "3"],
        ["4", "석탑", "유적건조물", "0.700", "12"],
    ]
    assert "## Worst classes (bbox AP, 4 of 5)" in text
    assert "0.010" not in text and "0.000" not in text  # segm and val per-class APs unused


def test_worst_without_optional_columns() -> None:
    text = detection_results_markdown(METRICS, worst=2)
    header = next(line for line in text.splitlines() if line.startswith("| rank"))
    assert _cells(header) == ["rank", "class", "bbox AP"]
    assert [_cells(r) for r in _section(text, "Worst classes")] == [
        ["1", "가로등", "0.200"],
        ["2", "불상", "0.200"],
    ]
    assert "## Worst classes" not in detection_results_markdown(METRICS, worst=0)


def test_no_metrics_for_split() -> None:
    text = detection_results_markdown({"val/bbox_mAP": 0.5})
    assert "## Overall" not in text and "No metrics" in text


def test_write_results_markdown_utf8(tmp_path: Path) -> None:
    text = detection_results_markdown({**METRICS, **GROUP_METRICS}, class_groups=CLASS_GROUPS)
    path = write_results_markdown(tmp_path / "run" / "results.md", text)
    assert path == tmp_path / "run" / "results.md"
    assert path.read_bytes().decode("utf-8") == text
    assert "유적건조물" in path.read_text(encoding="utf-8")


def test_size_rule_rows_and_per_condition_table() -> None:
    metrics = {
        "test/bbox_mAP": 0.4,
        "test/bbox_mAP_50": 0.6,
        "test/bbox_mAP_size_rule": 0.5,
        "test/bbox_mAP_50_size_rule": 0.7,
        "test/bbox_mAP_by_day_night/day": 0.45,
        "test/bbox_mAP_50_by_day_night/day": 0.65,
        "test/bbox_mAP_by_day_night/night": 0.25,
        "test/bbox_mAP_50_by_day_night/night": 0.35,
        "test/bbox_mAP_by_weather/rain": 0.3,
    }
    text = detection_results_markdown(metrics)
    assert "| bbox (size rule) | 0.500 | 0.700 |" in text
    assert "## Per group" not in text  # condition keys are not class groups
    section = text.split("## Per condition (the test images of each)")[1]
    assert "| condition | value | bbox mAP | bbox mAP@50 |" in section
    assert "| day_night | day | 0.450 | 0.650 |" in section
    assert "| day_night | night | 0.250 | 0.350 |" in section
    assert "| weather | rain | 0.300 | — |" in section
    assert "Per condition" not in detection_results_markdown({"test/bbox_mAP": 0.4})
