"""Detection / instance-segmentation evaluator: COCO mAP, ``predictions_<split>.json``, ``results.md``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aihub_bench.metrics.coco_eval import (
    coco_gt_from_samples,
    evaluate_coco,
    predictions_to_coco,
    write_coco_results,
)
from aihub_bench.metrics.evaluator import Evaluator, Metrics
from aihub_bench.metrics.results_table import detection_results_markdown, write_results_markdown
from aihub_bench.metrics.size_rule import SizeRule
from aihub_bench.records import DetectionSample

log = logging.getLogger(__name__)


class DetectionEvaluator(Evaluator):
    """COCO evaluation of torchvision detection outputs against the split's ``samples``.

    One item per image: ``(image_id, [COCO result entries])``. Only the images some rank evaluated
    are ground truth (a smoke run's capped loader evaluates a prefix of the split).
    ``class_groups`` (class -> group) adds per-group mAP and a group column to ``results.md``;
    ``object_counts`` (class -> GT objects) an objects column; ``size_rule`` adds the overall mAP
    keys computed under that rule (suffix ``_size_rule``, see :mod:`aihub_bench.metrics.size_rule`).
    ``image_conditions`` (image id -> {condition: value}, e.g. ``{"day_night": "night"}``) adds COCO
    mAP and mAP@50 on each condition's images alone: ``{t}_mAP_by_<condition>/<value>``.
    """

    def __init__(
        self,
        samples: Sequence[DetectionSample],
        class_names: Sequence[str],
        iou_types: Sequence[str] = ("bbox",),
        class_groups: Mapping[str, str] | None = None,
        object_counts: Mapping[str, int] | None = None,
        split: str = "test",
        title: str = "",
        results_file: str = "predictions_test.json",
        report_file: str | None = "results.md",
        report_worst: int = 10,
        size_rule: SizeRule | None = None,
        image_conditions: Mapping[int, Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.samples = samples
        self.class_names = list(class_names)
        self.iou_types = tuple(iou_types)
        self.class_groups = dict(class_groups or {})
        self.object_counts = object_counts
        self.split = split
        self.title = title
        self.results_file = results_file
        self.report_file = report_file
        self.report_worst = report_worst
        self.size_rule = size_rule
        self.image_conditions = dict(image_conditions or {})

    def process(self, batch: tuple[list, list], outputs: Sequence[Mapping[str, Any]]) -> None:
        _, targets = batch
        for output, target in zip(outputs, targets, strict=True):
            image_id = int(target["image_id"])
            cpu = {k: v.detach().float().cpu() if k != "labels" else v.cpu() for k, v in output.items()}
            self.add((image_id, predictions_to_coco(image_id, cpu)))

    @property
    def predictions(self) -> list[dict[str, Any]]:
        """Every rank's COCO result entries, after :meth:`evaluate`."""
        return [entry for _, entries in self.gathered for entry in entries]

    def compute(self, items: list[tuple[int, list[dict[str, Any]]]]) -> Metrics:
        seen = {image_id for image_id, _ in items}
        gt = coco_gt_from_samples([s for s in self.samples if s.image_id in seen], self.class_names)
        metrics = evaluate_coco(
            gt,
            [entry for _, entries in items for entry in entries],
            self.iou_types,
            self.class_names,
            category_groups=_invert(self.class_groups),
            size_rule=self.size_rule,
        )
        for (condition, value), ids in sorted(_images_by_condition(self.image_conditions, seen).items()):
            subset = evaluate_coco(
                coco_gt_from_samples([s for s in self.samples if s.image_id in ids], self.class_names),
                [entry for image_id, entries in items if image_id in ids for entry in entries],
                self.iou_types,
                self.class_names,
            )
            for t in self.iou_types:
                for stat in ("mAP", "mAP_50"):
                    if f"{t}_{stat}" in subset:
                        metrics[f"{t}_{stat}_by_{condition}/{value}"] = subset[f"{t}_{stat}"]
        return metrics

    def write(self, run_dir: Path) -> list[Path]:
        """``results_file`` (COCO results JSON, always) and ``report_file`` (when there are metrics)."""
        path = write_coco_results(run_dir / self.results_file, self.predictions)
        log.info("COCO results written to %s", path)
        written = [path]
        if self.report_file and self.metrics:
            text = detection_results_markdown(
                {f"{self.split}/{k}": v for k, v in self.metrics.items()},
                split=self.split,
                class_groups=self.class_groups or None,
                object_counts=self.object_counts,
                worst=self.report_worst,
                title=f"{self.title or 'Detection'}: {self.split} results",
            )
            written.append(write_results_markdown(run_dir / self.report_file, text))
            log.info("Results table written to %s", written[-1])
        return written


def _images_by_condition(
    conditions: Mapping[int, Mapping[str, str]], seen: set[int]
) -> dict[tuple[str, str], set[int]]:
    """``(condition, value)`` -> the evaluated images that have it."""
    out: dict[tuple[str, str], set[int]] = {}
    for image_id, values in conditions.items():
        if image_id in seen:
            for condition, value in values.items():
                out.setdefault((condition, value), set()).add(image_id)
    return out


def _invert(class_groups: Mapping[str, str]) -> dict[str, list[str]] | None:
    """``{class: group}`` -> ``{group: [classes]}`` (``None`` when there are no groups)."""
    groups: dict[str, list[str]] = {}
    for name, group in class_groups.items():
        groups.setdefault(group, []).append(name)
    return groups or None
