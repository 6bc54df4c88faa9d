"""YOLO detectors from ultralytics behind torchvision's detection interface (``model=yolo``).

    net = build_yolo(num_classes=K, arch="yolo11", scale="n", imgsz=640)
    net.train(); losses = net(images, targets)   # {"loss_box", "loss_cls", "loss_dfl"}
    net.eval();  outputs = net(images)           # [{"boxes" xyxy px, "scores", "labels" 1..K}]

``images`` are (3, H, W) float tensors in 0..1 of any size; ``targets`` are ``{"boxes": (N, 4) xyxy in
the image's pixels, "labels": (N,) int64 in 1..K}``: what every detection datamodule yields and what the
COCO evaluator reads back, so :class:`~aihub_bench.tasks.detection.DetectionTask` trains and evaluates
YOLO exactly as it does the torchvision detectors.

The network is ultralytics' ``DetectionModel`` built from its packaged YAML (nothing is fetched) and the
loss is ultralytics' own criterion; letterboxing, target conversion, NMS and mapping boxes back are here
in plain torch/torchvision. ultralytics (AGPL-3.0) is the optional ``yolo`` extra, imported lazily and
offline through :func:`import_ultralytics`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from aihub_bench.extras import EXTRAS, MissingExtraError

REQUIRES_EXTRA = "yolo"  # aihub_bench.extras: a run asking for model=yolo without it stops at once
EXTRA_HINT = EXTRAS[REQUIRES_EXTRA].install_hint

# Set (unless the user set them) before ultralytics is first imported:
#  YOLO_OFFLINE=1      skips the DNS look-ups of one.one.one.one and dns.google that `import ultralytics` makes
#  YOLO_VERBOSE=False  its logger (own stdout handler) at ERROR instead of INFO: no banners, no "Overriding nc" lines
#  YOLO_AUTOINSTALL=False  never `pip install` a missing requirement at run time
#  YOLO_CONFIG_DIR     settings.json is written at import; keep it out of ~/.config
_ENV_DEFAULTS = {"YOLO_OFFLINE": "1", "YOLO_VERBOSE": "False", "YOLO_AUTOINSTALL": "False"}
# Environment variables ultralytics sets at import (utils/__init__.py, ultralytics/__init__.py)
_ENV_SET_ON_IMPORT = (
    "OMP_NUM_THREADS",
    "NUMEXPR_MAX_THREADS",
    "TF_CPP_MIN_LOG_LEVEL",
    "TORCH_CPP_LOG_LEVEL",
    "KINETO_LOG_LEVEL",
)

_UL: SimpleNamespace | None = None


def import_ultralytics() -> SimpleNamespace:
    """Import the parts of ultralytics we use, offline, and undo its import-time changes to global state.

    On import ultralytics replaces ``torch.save`` (a retrying wrapper) and ``PIL.Image.open``, sets torch's and
    numpy's print options (linewidth 320, numpy float formatter), calls ``cv2.setNumThreads(0)``, adds warnings
    filters, sets OMP_NUM_THREADS=1 and four other environment variables (inherited by DDP / DataLoader child
    processes), writes a settings.json, and adds a stdout handler to the "ultralytics" logger. All but the logger
    are restored here.
    Raises MissingExtraError (an ImportError) naming the extra when ultralytics is not installed.
    """
    global _UL
    if _UL is not None:
        return _UL
    for key, value in _ENV_DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault(
        "YOLO_CONFIG_DIR", str(Path(tempfile.gettempdir()) / f"ultralytics-config-{os.getuid()}")
    )
    saved = _save_global_state()
    try:
        import ultralytics  # noqa: F401  # the package itself first, so that its absence fails here
        from ultralytics.nn.tasks import DetectionModel
        from ultralytics.utils.loss import E2ELoss, v8DetectionLoss
        from ultralytics.utils.nms import non_max_suppression
    except ImportError as err:  # ultralytics itself, or one of its hard dependencies
        if err.name and err.name.split(".")[0] != "ultralytics" and "ultralytics" in sys.modules:
            raise MissingExtraError(f"{EXTRA_HINT}; ultralytics is installed but lacks {err.name!r}") from err
        raise MissingExtraError(EXTRA_HINT) from err
    finally:
        _restore_global_state(saved)
    _UL = SimpleNamespace(
        DetectionModel=DetectionModel,
        v8DetectionLoss=v8DetectionLoss,
        E2ELoss=E2ELoss,
        non_max_suppression=non_max_suppression,
    )
    return _UL


def _save_global_state() -> dict[str, Any]:
    state: dict[str, Any] = {
        "torch.save": torch.save,
        "torch_print": dict(vars(torch._tensor_str.PRINT_OPTS)),
        "warnings": list(warnings.filters),
        "env": {k: os.environ.get(k) for k in _ENV_SET_ON_IMPORT},
    }
    with contextlib.suppress(ImportError):
        import numpy as np

        state["numpy_print"] = np.get_printoptions()
    with contextlib.suppress(ImportError):
        import cv2

        state["cv2_threads"] = cv2.getNumThreads()
        state["cv2_io"] = (cv2.imread, cv2.imwrite, cv2.imshow)  # replaced on Windows
    with contextlib.suppress(ImportError):
        from PIL import Image

        state["pil_open"] = Image.open
    return state


def _restore_global_state(state: dict[str, Any]) -> None:
    torch.save = state["torch.save"]
    torch.set_printoptions(**{k: v for k, v in state["torch_print"].items() if k != "sci_mode"})
    torch._tensor_str.PRINT_OPTS.sci_mode = state["torch_print"].get("sci_mode")
    warnings.filters[:] = state["warnings"]  # type: ignore[index]  # in place: _warnings holds this list
    warnings._filters_mutated()  # type: ignore[attr-defined]
    for key, value in state["env"].items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if "numpy_print" in state:
        import numpy as np

        np.set_printoptions(**state["numpy_print"])
    if "cv2_threads" in state:
        import cv2

        cv2.setNumThreads(state["cv2_threads"])
        cv2.imread, cv2.imwrite, cv2.imshow = state["cv2_io"]
    if "pil_open" in state:
        from PIL import Image

        Image.open = state["pil_open"]
    # as ultralytics has it: its own stdout handler, not propagated (no duplicate lines in Lightning's log)
    logging.getLogger("ultralytics").propagate = False


# --------------------------------------------------------------------------------------------------------------------
# letterboxing


@dataclass(frozen=True)
class Letterbox:
    """How one (H, W) image sits in the square ``size`` canvas: scaled to (new_h, new_w), offset by (top, left)."""

    height: int
    width: int
    new_h: int
    new_w: int
    top: int
    left: int

    @classmethod
    def fit(cls, height: int, width: int, size: int) -> Letterbox:
        ratio = min(size / height, size / width)
        new_h = min(size, max(1, round(height * ratio)))
        new_w = min(size, max(1, round(width * ratio)))
        return cls(height, width, new_h, new_w, (size - new_h) // 2, (size - new_w) // 2)

    @property
    def scale(self) -> tuple[float, float]:  # (sx, sy): exact per-axis ratios after rounding the new size
        return self.new_w / self.width, self.new_h / self.height

    def boxes_in(self, boxes: torch.Tensor) -> torch.Tensor:
        """xyxy in the original image's pixels -> xyxy in the canvas's pixels."""
        sx, sy = self.scale
        gain = boxes.new_tensor([sx, sy, sx, sy])
        offset = boxes.new_tensor([self.left, self.top, self.left, self.top])
        return boxes * gain + offset

    def boxes_out(self, boxes: torch.Tensor) -> torch.Tensor:
        """xyxy in the canvas's pixels -> xyxy in the original image's pixels, clipped to the image."""
        sx, sy = self.scale
        gain = boxes.new_tensor([sx, sy, sx, sy])
        offset = boxes.new_tensor([self.left, self.top, self.left, self.top])
        out = (boxes - offset) / gain
        out[:, 0::2] = out[:, 0::2].clamp(0, self.width)
        out[:, 1::2] = out[:, 1::2].clamp(0, self.height)
        return out


def letterbox_batch(
    images: list[torch.Tensor], size: int, pad_value: float = 114 / 255
) -> tuple[torch.Tensor, list[Letterbox]]:
    """Resize each (3, H, W) image to fit ``size`` keeping its aspect ratio, centre it on a ``pad_value`` square."""
    batch = images[0].new_full((len(images), 3, size, size), pad_value)
    boxes = []
    for i, image in enumerate(images):
        if image.ndim != 3 or image.shape[0] != 3:
            raise ValueError(f"expected (3, H, W) images, got {tuple(image.shape)}")
        lb = Letterbox.fit(image.shape[1], image.shape[2], size)
        if (lb.new_h, lb.new_w) != (lb.height, lb.width):
            image = F.interpolate(
                image[None], size=(lb.new_h, lb.new_w), mode="bilinear", align_corners=False, antialias=True
            )[0]
        batch[i, :, lb.top : lb.top + lb.new_h, lb.left : lb.left + lb.new_w] = image
        boxes.append(lb)
    return batch, boxes


def targets_to_yolo(
    targets: list[dict[str, torch.Tensor]], boxes: list[Letterbox], size: int, num_classes: int
) -> dict[str, torch.Tensor]:
    """torchvision targets -> ultralytics' batch: ``batch_idx`` (M,), ``cls`` (M, 1) 0-based, ``bboxes`` (M, 4)
    normalised centre-xywh in the letterboxed canvas (as ultralytics' dataloader produces them)."""
    idx, cls, xywh = [], [], []
    for i, (target, lb) in enumerate(zip(targets, boxes, strict=True)):
        labels = target["labels"].reshape(-1)
        if len(labels) and (int(labels.min()) < 1 or int(labels.max()) > num_classes):
            raise ValueError(f"labels must be in 1..{num_classes} (0 is background), got {labels.tolist()}")
        xyxy = lb.boxes_in(target["boxes"].reshape(-1, 4).float()).clamp(0, size)
        keep = (xyxy[:, 2] - xyxy[:, 0] > 0) & (xyxy[:, 3] - xyxy[:, 1] > 0)
        xyxy, labels = xyxy[keep], labels[keep]
        xywh.append(torch.cat([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]], 1) / size)
        cls.append((labels - 1).float()[:, None])
        idx.append(torch.full((len(labels),), float(i), device=xyxy.device))
    return {"batch_idx": torch.cat(idx), "cls": torch.cat(cls), "bboxes": torch.cat(xywh)}


# --------------------------------------------------------------------------------------------------------------------
# post-processing


def nms(
    prediction: torch.Tensor,
    conf_thresh: float,
    iou_thresh: float,
    max_det: int,
    multi_label: bool = False,
    max_nms: int = 30000,
) -> list[torch.Tensor]:
    """ultralytics' NMS on (B, 4 + nc, A) centre-xywh predictions -> per image (n, 6) [x1, y1, x2, y2, score, cls].

    Same semantics as ``ultralytics.utils.nms.non_max_suppression`` (class-aware, best class or every class above
    ``conf_thresh``, ``max_nms`` candidates, ``max_det`` kept) but without its wall-clock limit, which on a CPU with an
    untrained model silently drops the remaining images of the batch (and logs only a warning).
    """
    nc = prediction.shape[1] - 4
    out = []
    for pred in prediction.transpose(1, 2):  # (A, 4 + nc)
        box = torchvision.ops.box_convert(pred[:, :4], "cxcywh", "xyxy")
        scores_all = pred[:, 4:]
        if multi_label and nc > 1:
            i, j = torch.where(scores_all > conf_thresh)
            box, score, cls = box[i], scores_all[i, j], j
        else:
            score, cls = scores_all.max(1)
            keep = score > conf_thresh
            box, score, cls = box[keep], score[keep], cls[keep]
        if len(score) > max_nms:
            top = score.topk(max_nms).indices
            box, score, cls = box[top], score[top], cls[top]
        keep = torchvision.ops.batched_nms(box.float(), score.float(), cls, iou_thresh)[:max_det]
        out.append(torch.cat([box[keep], score[keep, None], cls[keep, None].to(box.dtype)], 1))
    return out


# --------------------------------------------------------------------------------------------------------------------
# the detector


class YoloDetector(nn.Module):
    """An ultralytics YOLO ``DetectionModel`` with torchvision's detection interface (see the module docstring).

    ``model``: a packaged YAML name (``yolov8{n,s,m,l,x}.yaml``, ``yolo11{n,...}.yaml``, ``yolo26{n,...}.yaml``,
    the last with an end-to-end, NMS-free head) or the path of a custom YAML. ``imgsz``: the square canvas,
    a multiple of the model's largest stride (32). ``box``/``cls``/``dfl``: ultralytics' loss gains (its
    defaults). ``epochs``: the length of the end-to-end loss's one-to-many -> one-to-one schedule, advanced
    by :meth:`end_epoch`. ``conf_thresh``, ``iou_thresh``, ``max_det``, ``multi_label``: evaluation NMS,
    ultralytics' validation settings with ``max_det`` matched to COCO's maxDets=100.
    ``precise_bn_batches``: see :meth:`train`. ``weights``: a local ultralytics checkpoint to start from.
    """

    def __init__(
        self,
        num_classes: int,
        model: str = "yolo11n.yaml",
        imgsz: int = 640,
        conf_thresh: float = 0.001,
        iou_thresh: float = 0.7,
        max_det: int = 100,
        multi_label: bool = True,
        box: float = 7.5,
        cls: float = 0.5,
        dfl: float = 1.5,
        epochs: int = 100,
        pad_value: float = 114 / 255,
        weights: str | os.PathLike | None = None,
        nms_free: bool = True,
        precise_bn_batches: int = 8,
    ) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes counts foreground classes and must be >= 1, got {num_classes}")
        if precise_bn_batches < 0:
            raise ValueError(f"precise_bn_batches must be >= 0, got {precise_bn_batches}")
        ul = import_ultralytics()
        self.num_classes = num_classes
        self.model = ul.DetectionModel(model, nc=num_classes, verbose=False)
        stride = int(self.model.stride.max())
        if imgsz % stride:
            raise ValueError(f"imgsz must be a multiple of {stride}, got {imgsz}")
        self.imgsz = imgsz
        self.conf_thresh, self.iou_thresh = conf_thresh, iou_thresh
        self.max_det, self.multi_label = max_det, multi_label
        self.pad_value = pad_value
        self.end2end = getattr(self.model.model[-1], "one2one_cv2", None) is not None
        if self.end2end:  # YOLO26: infer with the one-to-one head (NMS-free) unless nms_free=False
            self.model.end2end = nms_free
            self.model.model[-1].max_det = max_det
        # what ultralytics' criteria read from model.args (its Trainer puts its whole config there)
        self.model.args = SimpleNamespace(box=box, cls=cls, dfl=dfl, epochs=epochs)
        self._criterion: Any = None
        self._criterion_device: torch.device | None = None
        self._epochs_done = 0
        self.precise_bn_batches = precise_bn_batches
        self._recent: deque[torch.Tensor] = deque(maxlen=max(precise_bn_batches, 1))
        if weights:
            load_pretrained(self.model, weights)

    # The criterion caches the device (and anchors) it was built on: rebuilt when the model moves (Lightning
    # moves the module after __init__). A plain object, not an nn.Module: nothing of it is in state_dict.
    def criterion(self) -> Any:
        device = next(self.model.parameters()).device
        if self._criterion is None or self._criterion_device != device:
            ul = import_ultralytics()
            self._criterion = ul.E2ELoss(self.model) if self.end2end else ul.v8DetectionLoss(self.model)
            if self.end2end:
                for _ in range(self._epochs_done):
                    self._criterion.update()
            self._criterion_device = device
        return self._criterion

    @property
    def loss_names(self) -> tuple[str, ...]:
        """ultralytics' names: ("box_loss", "cls_loss", "dfl_loss"), or "l1_loss" last for DFL-free heads."""
        criterion = self.criterion()
        return tuple((criterion.one2one if self.end2end else criterion).loss_names)

    def end_epoch(self) -> None:
        """Advance the end-to-end loss's schedule (ultralytics' Trainer does it once per epoch; so does
        :class:`~aihub_bench.tasks.detection.DetectionTask`); nothing to do for the other heads."""
        self._epochs_done += 1
        if self.end2end and self._criterion is not None:
            self._criterion.update()

    def train(self, mode: bool = True) -> YoloDetector:
        """Switching to eval after training first recomputes the BatchNorm statistics ("precise BN",
        as detectron2's hook of that name): the plain average, at the current weights, over the last
        ``precise_bn_batches`` training batches. ultralytics builds BatchNorm with momentum 0.03, so after
        a short run (tens to a few hundred steps) the running statistics still lag far behind the weights
        and eval-mode detections are worthless; its own Trainer hides this by evaluating an EMA of the
        weights after long schedules. 0 turns it off."""
        if not mode and self.training and self._recent:
            self._precise_bn(list(self._recent))
            self._recent.clear()
        return super().train(mode)

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        self._recent.clear()  # loaded weights come with their own statistics: never recompute them
        super()._load_from_state_dict(*args, **kwargs)

    @torch.no_grad()
    def _precise_bn(self, canvases: list[torch.Tensor]) -> None:
        bns = [m for m in self.model.modules() if isinstance(m, nn.BatchNorm2d)]
        momenta = [m.momentum for m in bns]
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the batches
        self.model.train()
        for canvas in canvases:
            self.model(canvas.float())
        for m, momentum in zip(bns, momenta, strict=True):
            m.momentum = momentum

    def forward(
        self, images: list[torch.Tensor], targets: list[dict[str, torch.Tensor]] | None = None
    ) -> dict[str, torch.Tensor] | list[dict[str, torch.Tensor]]:
        if self.training and targets is None:
            raise ValueError("in training mode, targets should be passed")
        batch, boxes = letterbox_batch(list(images), self.imgsz, self.pad_value)
        if self.training:
            assert targets is not None
            if self.precise_bn_batches:
                self._recent.append(batch.detach().half())
            preds = self.model(batch)  # raw head outputs in training mode
            yolo_batch = targets_to_yolo(targets, boxes, self.imgsz, self.num_classes)
            loss, _ = self.criterion()(preds, yolo_batch)  # (3,): gains applied, times the batch size
            loss = loss / len(images)
            return {
                f"loss_{name.removesuffix('_loss')}": part
                for name, part in zip(self.loss_names, loss, strict=True)
            }
        y = self.model(batch)
        y = y[0] if isinstance(y, (tuple, list)) else y
        if self.model.end2end:  # one-to-one head: (B, max_det, 6) xyxy, score, cls; top-k, no NMS
            dets = [d[d[:, 4] > self.conf_thresh][: self.max_det] for d in y]
        else:
            dets = nms(y, self.conf_thresh, self.iou_thresh, self.max_det, self.multi_label)
        return [
            {
                "boxes": lb.boxes_out(d[:, :4].float()),
                "scores": d[:, 4].float(),
                "labels": d[:, 5].long() + 1,
            }
            for d, lb in zip(dets, boxes, strict=True)
        ]


# --------------------------------------------------------------------------------------------------------------------
# building, weights

ARCHS = ("yolov8", "yolo11", "yolo26")
SCALES = ("n", "s", "m", "l", "x")
# ultralytics' asset release that publishes the COCO checkpoints (its attempt_download_asset default)
ASSETS_URL = "https://github.com/ultralytics/assets/releases/download/v8.4.0/{name}"


def build_yolo(
    num_classes: int,
    arch: str = "yolo11",
    scale: str = "s",
    backbone: str | None = None,
    imgsz: int = 640,
    pretrained: bool = False,
    weights: str | None = None,
    **kwargs: Any,
) -> YoloDetector:
    """A YOLO detector for ``num_classes`` foreground classes (labels 1..K, as for torchvision's).

    ``arch`` x ``scale``: one of ultralytics' packaged models (``yolo11`` + ``s`` = ``yolo11s.yaml``);
    ``backbone="small"`` (what ``debug=smoke`` sets for every model) means scale ``n``. From scratch by
    default; ``pretrained=true`` starts from ultralytics' published COCO checkpoint of the same model,
    ``weights`` from any local ultralytics checkpoint (every tensor of matching name and shape is copied,
    the class layers stay new). ``kwargs`` go to :class:`YoloDetector`.
    """
    if arch not in ARCHS:
        raise ValueError(f"unknown YOLO arch {arch!r}; choose one of {list(ARCHS)}")
    if backbone not in (None, "small"):
        raise ValueError(
            f"model.net.backbone={backbone!r}: YOLO sizes are chosen with model.net.scale ({'/'.join(SCALES)}); "
            "backbone only takes 'small' (scale n)"
        )
    if backbone == "small":
        scale = "n"
    if scale not in SCALES:
        raise ValueError(f"unknown YOLO scale {scale!r}; choose one of {list(SCALES)}")
    name = f"{arch}{scale}"
    if pretrained and not weights:
        weights = str(ensure_yolo_weights(f"{name}.pt"))
    return YoloDetector(num_classes, model=f"{name}.yaml", imgsz=imgsz, weights=weights, **kwargs)


def yolo_weights_path(filename: str) -> Path:
    """Where published YOLO weights are kept: the torch hub cache, next to torchvision's."""
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def ensure_yolo_weights(filename: str) -> Path:
    """The cached published checkpoint ``filename``, downloaded once; offline, a RuntimeError that says
    where to put the file by hand and how to train without it."""
    path = yolo_weights_path(filename)
    if path.is_file():
        return path
    url = ASSETS_URL.format(name=filename)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(url, str(path), progress=True)
    except (OSError, RuntimeError) as err:  # URLError and HTTPError are OSErrors
        raise RuntimeError(
            f"could not fetch pretrained YOLO weights {filename} from {url} ({type(err).__name__}: {err}). "
            f"Without network access, download that file on another machine and place it at {path} "
            "(the torch hub cache; set TORCH_HOME to move it), or pass model.net.weights=/path/to/file.pt, "
            "or train from scratch with model.net.pretrained=false."
        ) from err
    return path


def load_pretrained(model: nn.Module, path: str | os.PathLike) -> tuple[int, int]:
    """Load a local ultralytics checkpoint (a published ``*.pt``, or one its Trainer saved: a dict whose
    "ema" or "model" entry is a pickled DetectionModel) into the YAML-built ``model``, whatever its class count.

    Every tensor whose name and shape match is copied; the rest (the class-specific convs, and the hidden
    layers of the class branch when its width differs) keep their fresh initialisation. Unlike ultralytics'
    ``BaseModel.load``, which rebuilds the class branch at the checkpoint's width, the module's structure
    never changes, so a Lightning checkpoint of the fine-tuned model loads into a fresh YAML build.
    Never downloads. Returns (tensors copied, tensors in model).

    The checkpoint unpickles ultralytics classes (``weights_only=False``): load only files you trust.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"YOLO weights {str(path)!r} not found. model.net.weights is never downloaded: fetch the file on a "
            "machine with network access (e.g. https://github.com/ultralytics/assets/releases) and pass its "
            "path, or train from scratch with model.net.weights=null."
        )
    import_ultralytics()  # the pickle references ultralytics classes
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    source = ckpt if isinstance(ckpt, nn.Module) else (ckpt.get("ema") or ckpt.get("model"))
    if not isinstance(source, nn.Module):
        raise ValueError(f"{path}: not an ultralytics checkpoint (no 'model' or 'ema' module inside)")
    source_state = source.float().state_dict()
    own = model.state_dict()
    matched = {k: v for k, v in source_state.items() if k in own and v.shape == own[k].shape}
    if not any(".cv2." in k for k in matched):
        raise ValueError(f"{path}: no box-head tensor matches this model's; is it the same family and scale?")
    model.load_state_dict(matched, strict=False)
    return len(matched), len(own)
