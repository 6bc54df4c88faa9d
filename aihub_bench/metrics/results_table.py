"""Markdown summary (``results.md``) of flat detection metrics.

Reads the keys written by :func:`aihub_bench.metrics.coco_eval.evaluate_coco` under a split prefix
(``test/bbox_mAP``, ``test/bbox_AP/<class>``, ``test/bbox_mAP/<group>``, ...) and renders an overall
table, a per-group table and the worst classes. Missing (undefined) values are shown as "—" (``tables.MISSING``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from aihub_bench.metrics.coco_eval import IOU_TYPES
from aihub_bench.metrics.size_rule import SIZE_RULE_SUFFIX
from aihub_bench.tables import MISSING, count, markdown_table, number

# (column header, metric key suffix)
_OVERALL_COLUMNS = (
    ("mAP", "mAP"),
    ("mAP@50", "mAP_50"),
    ("mAP@75", "mAP_75"),
    ("mAP_s", "mAP_s"),
    ("mAP_m", "mAP_m"),
    ("mAP_l", "mAP_l"),
    ("AR@100", "mAR_100"),
)


def _suffixed(split_metrics: Mapping[str, float], prefix: str) -> dict[str, float]:
    """``{rest: value}`` for keys ``prefix + rest`` with a non-empty ``rest``."""
    return {
        k[len(prefix) :]: v for k, v in split_metrics.items() if k.startswith(prefix) and len(k) > len(prefix)
    }


def _suffixed_conditions(ours: Mapping[str, float], iou_type: str) -> dict[tuple[str, str], dict[str, float]]:
    """``(condition, value) -> {"mAP": .., "mAP_50": ..}`` from keys ``{t}_mAP[_50]_by_<condition>/<value>``."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    for stat in ("mAP", "mAP_50"):
        prefix = f"{iou_type}_{stat}_by_"
        for rest, value in _suffixed(ours, prefix).items():
            condition, _, name = rest.partition("/")
            if name:
                out.setdefault((condition, name), {})[stat] = value
    return out


def detection_results_markdown(
    metrics: Mapping[str, float],
    split: str = "test",
    class_groups: Mapping[str, str] | None = None,
    object_counts: Mapping[str, int] | None = None,
    worst: int = 10,
    title: str = "",
) -> str:
    """Markdown report of ``split``'s detection metrics; keys of other splits are ignored.

    ``class_groups`` maps class -> group (e.g. domain), ``object_counts`` class -> GT objects in the
    split; both only add columns. ``worst`` is the number of lowest-AP classes listed.
    """
    prefix = f"{split}/"
    ours = {k[len(prefix) :]: float(v) for k, v in metrics.items() if k.startswith(prefix)}
    iou_types = [t for t in IOU_TYPES if any(k.startswith(f"{t}_") for k in ours)]

    lines = [f"# {title or f'Detection results ({split})'}", ""]
    lines.append(f"COCO metrics on the `{split}` split; {MISSING} = undefined (no ground truth for it).")
    if not iou_types:
        return "\n".join([*lines, "", "No metrics for this split.", ""])

    lines += ["", "## Overall", ""]
    header = ["IoU type", *(col for col, _ in _OVERALL_COLUMNS)]
    rows = [[t, *(number(ours.get(f"{t}_{key}")) for _, key in _OVERALL_COLUMNS)] for t in iou_types]
    rows += [  # the same under a guideline's size rule (metrics/size_rule.py), where computed
        [
            f"{t} (size rule)",
            *(number(ours.get(f"{t}_{key}{SIZE_RULE_SUFFIX}")) for _, key in _OVERALL_COLUMNS),
        ]
        for t in iou_types
        if f"{t}_mAP{SIZE_RULE_SUFFIX}" in ours
    ]
    lines += markdown_table(header, rows, numeric_from=1)

    conditions = {t: _suffixed_conditions(ours, t) for t in iou_types}
    condition_types = [t for t in iou_types if conditions[t]]
    if condition_types:
        keys = sorted({c for t in condition_types for c in conditions[t]})
        header = ["condition", "value"]
        for t in condition_types:
            header += [f"{t} mAP", f"{t} mAP@50"]
        rows = []
        for condition, value in keys:
            row = [condition, value]
            for t in condition_types:
                found = conditions[t].get((condition, value), {})
                row += [number(found.get("mAP")), number(found.get("mAP_50"))]
            rows.append(row)
        lines += [
            "",
            "## Per condition (the test images of each)",
            "",
            *markdown_table(header, rows, numeric_from=2),
        ]

    group_maps = {t: _suffixed(ours, f"{t}_mAP/") for t in iou_types}
    group_50 = {t: _suffixed(ours, f"{t}_mAP_50/") for t in iou_types}
    group_types = [t for t in iou_types if group_maps[t] or group_50[t]]
    if group_types:
        groups = sorted({g for t in group_types for g in (*group_maps[t], *group_50[t])})
        sizes = Counter(class_groups.values()) if class_groups is not None else None
        header = ["group", "classes"]
        for t in group_types:
            header += [f"{t} mAP", f"{t} mAP@50"]
        rows = []
        for g in groups:
            row = [g, MISSING if sizes is None else count(sizes.get(g, 0))]
            for t in group_types:
                row += [number(group_maps[t].get(g)), number(group_50[t].get(g))]
            rows.append(row)
        lines += ["", "## Per group", "", *markdown_table(header, rows, numeric_from=1)]

    ap_type = next((t for t in iou_types if _suffixed(ours, f"{t}_AP/")), None)
    if ap_type is not None and worst > 0:
        per_class = _suffixed(ours, f"{ap_type}_AP/")
        ranked = sorted(per_class.items(), key=lambda item: (item[1], item[0]))[:worst]
        header = ["rank", "class"]
        header += ["group"] if class_groups is not None else []
        header += [f"{ap_type} AP"]
        header += ["objects"] if object_counts is not None else []
        rows = []
        for rank, (name, ap) in enumerate(ranked, start=1):
            row = [str(rank), name]
            if class_groups is not None:
                row.append(class_groups.get(name, MISSING))
            row.append(number(ap))
            if object_counts is not None:
                row.append(count(object_counts.get(name)))
            rows.append(row)
        lines += ["", f"## Worst classes ({ap_type} AP, {len(ranked)} of {len(per_class)})", ""]
        lines += markdown_table(
            header, rows, numeric_from=len(header) - (2 if object_counts is not None else 1)
        )
    return "\n".join(lines) + "\n"


def write_results_markdown(path: str | Path, text: str) -> Path:
    """Write ``text`` as UTF-8 (creating parent folders); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
