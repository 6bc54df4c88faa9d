"""Size rule: COCO-style "ignore" for objects an annotation guideline leaves unannotated as too small.

Some guidelines (AI Hub sidewalk: no box for objects whose longer side is <= 64 px, <= 32 px for
cars, people, ...) tell the annotators to skip small objects. A detector that finds one is then not
wrong, yet plain COCO counts it as a false positive. Under a :class:`SizeRule`, before matching:

- a **prediction** whose box's longer side is <= the threshold of its predicted class is removed, so
  it is neither a true nor a false positive;
- a **ground-truth** object whose box's longer side is <= its class's threshold is marked
  ``iscrowd``, so missing it costs no recall and a (kept, larger) prediction matched to it is
  ignored rather than counted. Without this the rule would be one-sided: a small object annotated
  after all could then only be missed, its small predictions being gone. ``iscrowd`` is the one GT
  ignore flag both backends honour (pycocotools and faster-coco-eval overwrite a GT ``ignore``
  field with it). Its side effects: overlap with such an object is intersection over the
  *prediction's* area (ordinary IoU when the prediction contains the object), and it may absorb
  several predictions.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SIZE_RULE_SUFFIX = "_size_rule"
log = logging.getLogger(__name__)
_CONFIG_KEYS = ("default", "per_class", "scale")


def _threshold(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{where} must be a finite number of pixels >= 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class SizeRule:
    """Per-class thresholds (px) on a box's longer side; a box at or below its class's is ignored.

    ``default`` applies to classes not in ``per_class``; ``None`` leaves those classes unruled.
    """

    default: float | None = None
    per_class: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.default is not None:
            _threshold(self.default, "size_rule.default")
        for name, value in self.per_class.items():
            _threshold(value, f"size_rule.per_class.{name}")

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any] | None, class_names: Collection[str] | None = None
    ) -> SizeRule | None:
        """The rule of a config mapping ``{default: px, per_class: {class: px}, scale: 1.0}``; ``None``
        when off. ``scale`` multiplies every threshold: a guideline's pixels at the release's
        resolution, applied to images of another (a synthetic twin at a fifth of the width: 0.2).

        With ``class_names``, a ``per_class`` entry naming none of them is logged: a guideline names
        classes a run may not have (a subset of the release), and a typo shows there.
        """
        if config is None:
            return None
        if not isinstance(config, Mapping):
            raise ValueError(f"size_rule must be null or a mapping with keys {_CONFIG_KEYS}, got {config!r}")
        unknown = sorted(set(config) - set(_CONFIG_KEYS))
        if unknown:
            raise ValueError(f"size_rule has unknown keys {unknown}; allowed: {list(_CONFIG_KEYS)}")
        per_class = config.get("per_class") or {}
        if not isinstance(per_class, Mapping):
            raise ValueError(f"size_rule.per_class must map class names to pixels, got {per_class!r}")
        default = config.get("default")
        scale = _threshold(config.get("scale", 1.0), "size_rule.scale")
        if scale == 0:
            raise ValueError("size_rule.scale must be > 0")
        rule = cls(
            default=None if default is None else scale * _threshold(default, "size_rule.default"),
            per_class={
                str(k): scale * _threshold(v, f"size_rule.per_class.{k}") for k, v in per_class.items()
            },
        )
        if class_names is not None:
            rule.check_classes(class_names)
        return rule

    def check_classes(self, class_names: Collection[str]) -> list[str]:
        """The ``per_class`` names not in ``class_names``, logged as a warning."""
        unknown = sorted(set(self.per_class) - set(class_names))
        if unknown:
            log.warning(
                "size_rule.per_class names classes this run does not have: %s (known: %s)",
                unknown,
                sorted(class_names),
            )
        return unknown

    def threshold(self, class_name: str) -> float | None:
        """The class's threshold in pixels (``None``: the class is not ruled)."""
        return self.per_class.get(class_name, self.default)

    def ignores(self, class_name: str, width: float, height: float) -> bool:
        """Whether a ``class_name`` box of this size falls under the rule (longer side <= threshold)."""
        limit = self.threshold(class_name)
        return limit is not None and max(width, height) <= limit

    def apply(
        self, gt: Mapping[str, Any], results: Sequence[dict[str, Any]], names: Mapping[int, str]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A copy of COCO ``gt`` with small objects marked ``iscrowd``, and ``results`` without small
        predictions; ``names`` maps category id to class name, boxes are COCO ``[x, y, w, h]``."""

        def small(entry: Mapping[str, Any]) -> bool:
            if "bbox" not in entry:
                raise ValueError(f"size_rule needs a 'bbox' in every entry; got keys {sorted(entry)}")
            name = names.get(int(entry["category_id"]))
            _, _, w, h = entry["bbox"]
            return name is not None and self.ignores(name, w, h)  # unknown ids are never scored

        annotations = [{**a, "iscrowd": 1} if small(a) else dict(a) for a in gt["annotations"]]
        return {**gt, "annotations": annotations}, [r for r in results if not small(r)]
