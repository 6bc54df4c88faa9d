"""Top-down pose geometry: the person crop (an affine map) and the Gaussian heatmap codec.

Coordinates follow the pixel-centre convention throughout: pixel ``i`` covers ``[i - 0.5, i + 0.5]``,
so a heatmap at ``stride`` s maps input pixel ``p`` to ``(p + 0.5) / s - 0.5``, and a horizontal flip
maps ``x`` to ``W - 1 - x`` on the input and ``u`` to ``Wh - 1 - u`` on the heatmap exactly (the
flip test needs no shift).

Image and heatmap sizes are ``(height, width)`` (the project's one axis order, as in PyTorch); points
and a crop's extent are ``(x, y)`` / ``(w, h)``, as OpenCV takes them.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch


def box_to_center_scale(box: Sequence[float], aspect: float, padding: float) -> tuple[np.ndarray, np.ndarray]:
    """Centre ``(x, y)`` and extent ``(w, h)`` of the crop around an xyxy ``box``: padded, widened to
    ``aspect`` = w / h."""
    x1, y1, x2, y2 = (float(v) for v in box)
    center = np.array([(x1 + x2) / 2, (y1 + y2) / 2], dtype=np.float32)
    w, h = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
    if w > aspect * h:
        h = w / aspect
    else:
        w = h * aspect
    return center, np.array([w * padding, h * padding], dtype=np.float32)


def crop_transform(
    center: np.ndarray, size: np.ndarray, output_size: tuple[int, int], rotation: float = 0.0
) -> np.ndarray:
    """The 2x3 affine matrix taking the ``size`` (w, h) crop at ``center`` (rotated by degrees) to an
    ``output_size`` = ``(height, width)`` image."""
    out_h, out_w = output_size
    theta = np.deg2rad(rotation)
    cos, sin = np.cos(theta), np.sin(theta)

    def rotate(v: np.ndarray) -> np.ndarray:
        return np.array([v[0] * cos - v[1] * sin, v[0] * sin + v[1] * cos], dtype=np.float32)

    src = np.stack(
        [
            center,
            center + rotate(np.array([0.0, -size[1] / 2])),
            center + rotate(np.array([size[0] / 2, 0.0])),
        ]
    ).astype(np.float32)
    # input pixel centres: the crop's centre lands on (W - 1) / 2, (H - 1) / 2
    mid = np.array([(out_w - 1) / 2, (out_h - 1) / 2], dtype=np.float32)
    dst = np.stack([mid, mid + [0.0, -out_h / 2], mid + [out_w / 2, 0.0]]).astype(np.float32)
    return cv2.getAffineTransform(src, dst)


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(matrix)


def apply_affine(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``(..., 2)`` points through a 2x3 affine matrix."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def to_heatmap_coords(points: np.ndarray, stride: int) -> np.ndarray:
    return (points + 0.5) / stride - 0.5


def from_heatmap_coords(points: np.ndarray, stride: int) -> np.ndarray:
    return (points + 0.5) * stride - 0.5


def encode_heatmaps(
    joints: np.ndarray, weights: np.ndarray, heatmap_size: tuple[int, int], sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian heatmaps ``(J, Hh, Wh)`` around heatmap-space ``joints (J, 2)``; ``heatmap_size`` is
    ``(Hh, Wh)``.

    A joint whose Gaussian centre lies outside the heatmap gets weight 0 (nothing to supervise);
    the returned weights are the input ones with those zeroed.
    """
    height, width = heatmap_size
    num_joints = len(joints)
    heatmaps = np.zeros((num_joints, height, width), dtype=np.float32)
    weights = np.asarray(weights, dtype=np.float32).copy()
    xs = np.arange(width, dtype=np.float32)
    ys = np.arange(height, dtype=np.float32)[:, None]
    for j, (x, y) in enumerate(joints):
        if weights[j] <= 0:
            continue
        if not (-0.5 <= x < width - 0.5 and -0.5 <= y < height - 0.5):
            weights[j] = 0.0
            continue
        heatmaps[j] = np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2))
    return heatmaps, weights


def decode_heatmaps(heatmaps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Heatmap-space ``(B, J, 2)`` joints and ``(B, J)`` scores: the argmax, moved a quarter pixel
    toward the higher neighbour (the SimpleBaseline / HRNet refinement)."""
    batch, joints, height, width = heatmaps.shape
    flat = heatmaps.reshape(batch, joints, -1)
    scores, index = flat.max(dim=-1)
    x = (index % width).float()
    y = torch.div(index, width, rounding_mode="floor").float()
    xi, yi = x.long(), y.long()
    b = torch.arange(batch)[:, None].expand(batch, joints)
    j = torch.arange(joints)[None, :].expand(batch, joints)

    def at(yy: torch.Tensor, xx: torch.Tensor) -> torch.Tensor:
        return heatmaps[b, j, yy.clamp(0, height - 1), xx.clamp(0, width - 1)]

    dx = torch.where((xi > 0) & (xi < width - 1), at(yi, xi + 1) - at(yi, xi - 1), torch.zeros_like(x))
    dy = torch.where((yi > 0) & (yi < height - 1), at(yi + 1, xi) - at(yi - 1, xi), torch.zeros_like(y))
    coords = torch.stack([x + 0.25 * torch.sign(dx), y + 0.25 * torch.sign(dy)], dim=-1)
    return coords, scores


def flip_heatmaps(heatmaps: torch.Tensor, flip_pairs: Sequence[tuple[int, int]]) -> torch.Tensor:
    """Heatmaps of a horizontally flipped input, back in the original orientation (left/right swapped)."""
    flipped = heatmaps.flip(-1)
    order = list(range(heatmaps.shape[1]))
    for a, b in flip_pairs:
        order[a], order[b] = b, a
    return flipped[:, order]
