"""Semantic-segmentation evaluator: one confusion matrix per batch, the scores of their sum.

Each :meth:`~SegmentationEvaluator.process` adds one ``(K, K)`` confusion matrix (and the batch's
image names); :meth:`~aihub_bench.metrics.evaluator.Evaluator.evaluate` gathers them across DDP ranks
and sums them (order-free), so every rank gets the single-process numbers. Predicted masks are never
gathered: with ``prediction_dir`` set (the test), the rank that predicted an image writes it there as
a palette PNG named after the image. Rank 0 writes the summed matrix as CSV and an overlay figure of
the first images it predicted.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aihub_bench.fonts import use_korean_font
from aihub_bench.formats.images import load_rgb
from aihub_bench.formats.masks import IGNORE_INDEX, colour_mask, write_palette_png
from aihub_bench.metrics.evaluator import Evaluator, Metrics
from aihub_bench.metrics.segmentation import confusion_matrix, segmentation_scores

log = logging.getLogger(__name__)

FIGURE_WIDTH = 480  # pixels per panel of the overlay figure (images are shrunk to it)

# one batch: its summed confusion matrix and the stems of its images
BatchResult = tuple[np.ndarray, tuple[str, ...]]


class SegmentationEvaluator(Evaluator):
    """mIoU, per-class IoU, pixel / mean accuracy and fwIoU over the split, at the labels' resolution.

    ``process(batch, predictions)``: ``batch`` holds ``mask_full`` (the ground-truth masks at their own
    size) and ``image_path``; ``predictions`` the predicted ``(H, W)`` class-index masks of the same
    sizes. ``prediction_dir``: where this rank writes ``<image stem>.png`` (``None``: nowhere).
    ``figure_images``: how many of this rank's first images the overlay figure shows.
    """

    def __init__(
        self,
        class_names: Sequence[str],
        palette: Sequence[Sequence[int]],
        split: str = "test",
        prediction_dir: str | Path | None = None,
        figure_images: int = 4,
        title: str = "",
    ) -> None:
        super().__init__()
        self.class_names = list(class_names)
        self.palette = [(int(r), int(g), int(b)) for r, g, b in palette]
        if len(self.palette) != len(self.class_names):
            raise ValueError(f"{len(self.palette)} palette colours for {len(self.class_names)} classes")
        self.split = split
        self.prediction_dir = Path(prediction_dir) if prediction_dir else None
        self.figure_images = figure_images
        self.title = title
        self.examples: list[tuple[np.ndarray, np.ndarray, np.ndarray, str]] = []
        self.confusion = np.zeros((len(self.class_names),) * 2, dtype=np.int64)

    def process(self, batch: Mapping[str, Any], outputs: Sequence[np.ndarray]) -> None:
        k = len(self.class_names)
        matrix = np.zeros((k, k), dtype=np.int64)
        stems = []
        for gt, pred, path in zip(batch["mask_full"], outputs, batch["image_path"], strict=True):
            gt, pred = np.asarray(gt), np.asarray(pred, dtype=np.uint8)
            matrix += confusion_matrix(gt, pred, k)
            stem = Path(path).stem
            stems.append(stem)
            if self.prediction_dir is not None:
                write_palette_png(self.prediction_dir / f"{stem}.png", pred, self.palette)
            if len(self.examples) < self.figure_images:
                self.examples.append((*_shrunk(load_rgb(path), gt, pred), stem))
        self.add((matrix, tuple(stems)))

    def compute(self, items: list[BatchResult]) -> Metrics:
        self.confusion = np.sum([matrix for matrix, _ in items], axis=0)
        stems = [stem for _, names in items for stem in names]
        repeated = sorted(stem for stem, n in Counter(stems).items() if n > 1)
        if repeated and self.prediction_dir is not None:
            log.warning(
                "%d image names occur in several folders (first: %s): their predicted PNGs overwrite each other",
                len(repeated),
                repeated[0],
            )
        metrics: Metrics = dict(segmentation_scores(self.confusion, self.class_names))
        metrics["images"] = float(len(stems))
        return metrics

    def write(self, run_dir: Path) -> list[Path]:
        """``confusion_matrix_<split>.csv`` and, with examples, ``segmentation_<split>.png``."""
        if not self.gathered:
            return []
        written = [self.write_confusion(run_dir / f"confusion_matrix_{self.split}.csv")]
        if self.examples:
            written.append(self.plot_examples(run_dir / f"segmentation_{self.split}.png"))
        if self.prediction_dir is not None:
            log.info("Predicted masks (palette PNGs) written to %s", self.prediction_dir)
        return written

    def write_confusion(self, path: Path) -> Path:
        """Rows = ground truth, columns = prediction, pixel counts (ignored pixels left out)."""
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["ground_truth \\ predicted", *self.class_names])
            for name, row in zip(self.class_names, self.confusion.tolist(), strict=True):
                writer.writerow([name, *row])
        return path

    def plot_examples(self, path: Path) -> Path:
        """One row per example: the image, the ground truth over it, the prediction over it; a legend."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch

        use_korean_font()  # class names and titles may be Korean
        rows = len(self.examples)
        height, width = self.examples[0][0].shape[:2]
        fig = Figure(figsize=(3 * 3.2, rows * (3.2 * height / width + 0.4) + 0.8), dpi=120)
        FigureCanvasAgg(fig)
        axes = fig.subplots(rows, 3, squeeze=False)
        for row, (image, gt, pred, stem) in zip(axes, self.examples, strict=True):
            panels = (image, _overlay(image, gt, self.palette), _overlay(image, pred, self.palette))
            for ax, panel, title in zip(row, panels, (stem, "ground truth", "prediction"), strict=True):
                ax.imshow(panel)
                ax.set_title(title, fontsize="small")
                ax.axis("off")
        handles = [
            Patch(facecolor=(rgb[0] / 255, rgb[1] / 255, rgb[2] / 255), label=name)
            for name, rgb in zip(self.class_names, self.palette, strict=True)
        ]
        fig.legend(handles=handles, loc="lower center", ncol=min(6, len(handles)), fontsize="small")
        if self.title:
            fig.suptitle(self.title)
        fig.tight_layout(rect=(0, 0.08, 1, 1))
        fig.savefig(path, format="png")
        return path


def _shrunk(image: np.ndarray, gt: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Image and masks shrunk to :data:`FIGURE_WIDTH` (nearest for masks), so examples stay small."""
    from PIL import Image

    height, width = gt.shape
    if width <= FIGURE_WIDTH:
        return image, gt, pred
    size = (FIGURE_WIDTH, max(1, round(height * FIGURE_WIDTH / width)))
    small = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))
    masks = [
        np.asarray(Image.fromarray(m.astype(np.uint8)).resize(size, Image.Resampling.NEAREST))
        for m in (gt, pred)
    ]
    return small, masks[0], masks[1]


def _overlay(image: np.ndarray, mask: np.ndarray, palette: Sequence[tuple[int, int, int]]) -> np.ndarray:
    """The image with the mask's class colours blended in at half strength (ignored pixels untouched)."""
    colours = colour_mask(mask, palette).astype(np.float32)
    blended = 0.5 * image.astype(np.float32) + 0.5 * colours
    out = np.where((mask == IGNORE_INDEX)[..., None], image.astype(np.float32), blended)
    return out.astype(np.uint8)
