"""Depth evaluator: per-image errors (metrics/depth.py) averaged over images, a per-image CSV and a figure."""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aihub_bench.data.transforms import IMAGENET_MEAN, IMAGENET_STD
from aihub_bench.fonts import use_korean_font
from aihub_bench.metrics.depth import METRIC_NAMES, depth_errors, mean_over_images, scored_pixels
from aihub_bench.metrics.evaluator import Evaluator, Metrics

log = logging.getLogger(__name__)

# one figure row: the input picture (h, w, 3) uint8, the ground truth, its valid mask, the prediction, a title
Example = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]


class DepthEvaluator(Evaluator):
    """Scores each image at its ground truth's own resolution; the means over images are the metrics.

    ``process(batch, outputs)``: ``batch`` holds ``depth_full`` and ``valid_full`` (one ``(H, W)``
    map per image), ``image_id``, ``left_path`` and the network input ``image`` (B, 3, h, w,
    ImageNet-normalised, for the figure); ``outputs`` the predicted depth per image at (H, W).
    Rows are plain dicts (gathered across ranks by the base, in dataset order); the figure shows the
    first ``figure_images`` images this rank processed (rank 0 writes it).
    """

    interleave = True  # one row per image: the CSV keeps the dataset order under DDP

    def __init__(
        self,
        min_depth: float = 1e-3,
        max_depth: float = 80.0,
        figure_images: int = 4,
        results_file: str = "depth_metrics_test.csv",
        figure_file: str | None = "depth_test.png",
    ) -> None:
        self.min_depth, self.max_depth = float(min_depth), float(max_depth)
        self.figure_images = figure_images
        self.results_file, self.figure_file = results_file, figure_file
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self.examples: list[Example] = []

    def process(self, batch: Mapping[str, Any], outputs: Sequence[Any]) -> None:
        for i, pred in enumerate(outputs):
            pred = np.asarray(pred, dtype=np.float32)
            gt = np.asarray(batch["depth_full"][i], dtype=np.float32)
            valid = np.asarray(batch["valid_full"][i], dtype=bool)
            errors = depth_errors(pred, gt, valid, self.min_depth, self.max_depth)
            image_id = int(batch["image_id"][i])
            path = str(batch["left_path"][i])
            self.add({"image_id": image_id, "left_path": path, **errors})
            if len(self.examples) < self.figure_images:
                self.examples.append((_picture(batch["image"][i]), gt, valid, pred, Path(path).name))

    def compute(self, items: list[dict[str, Any]]) -> Metrics:
        """The mean of each metric over the images with scored pixels (``images`` counts them)."""
        return dict(mean_over_images(items))

    def write(self, run_dir: Path) -> list[Path]:
        """``depth_metrics_test.csv`` (one row per image) and ``depth_test.png`` (nothing when empty)."""
        if not self.gathered:
            return []
        written = [self._write_csv(run_dir / self.results_file)]
        if self.figure_file and self.examples:
            written.append(self._plot(run_dir / self.figure_file))
        log.info("Depth results written to %s", ", ".join(str(p) for p in written))
        return written

    def _write_csv(self, path: Path) -> Path:
        fields = ["image_id", "left_path", *METRIC_NAMES, "pixels"]
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            for row in self.gathered:
                writer.writerow({k: "" if _is_nan(row[k]) else row[k] for k in fields})
        return path

    def _plot(self, path: Path) -> Path:
        """Input | ground truth | prediction per row; one colour scale per row (the ground truth's
        scored range); ground-truth pixels not scored (no value, out of range) grey."""
        import matplotlib as mpl
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        use_korean_font()  # file names may be Korean
        rows = len(self.examples)
        fig = Figure(figsize=(12, 2.2 * rows + 0.4), dpi=110, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(rows, 3, squeeze=False)
        cmap = mpl.colormaps["magma_r"].with_extremes(bad="0.6")  # near = bright
        for row, (picture, gt, valid, pred, name) in zip(axes, self.examples, strict=True):
            scored = scored_pixels(gt, valid, self.min_depth, self.max_depth)
            low, high = (
                (float(gt[scored].min()), float(gt[scored].max()))
                if scored.any()
                else (self.min_depth, self.max_depth)
            )
            row[0].imshow(picture, aspect="auto")
            row[0].set_title(name, fontsize=8)
            row[1].imshow(np.ma.masked_where(~scored, gt), cmap=cmap, vmin=low, vmax=high, aspect="auto")
            row[1].set_title("ground truth (grey: not scored)", fontsize=8)
            shown = row[2].imshow(pred, cmap=cmap, vmin=low, vmax=high, aspect="auto")
            row[2].set_title("prediction", fontsize=8)
            fig.colorbar(shown, ax=list(row[1:]), fraction=0.03, pad=0.01, label="m")
            for ax in row:
                ax.set_axis_off()
        fig.savefig(path, format="png")
        return path


def _picture(image: Any) -> np.ndarray:
    """A network input ``(3, h, w)`` (ImageNet-normalised tensor or array) back to ``(h, w, 3)`` uint8."""
    array = image.detach().float().cpu().numpy() if hasattr(image, "detach") else np.asarray(image)
    rgb = array.transpose(1, 2, 0) * IMAGENET_STD + IMAGENET_MEAN
    return np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value
