"""Builders for torchvision detectors: Mask R-CNN, Faster R-CNN, RetinaNet, SSD and Keypoint R-CNN.

``num_classes`` always counts foreground classes; the builders add torchvision's background
slot, so targets carry 1-based labels for every architecture. No weights are fetched unless
``pretrained`` (COCO) or ``pretrained_backbone`` (ImageNet) is set, and a failed download ends in
a :class:`RuntimeError` that says where to put the file by hand.
"""

from __future__ import annotations

import math
import os
import warnings
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
from torch import nn
from torchvision.models import (
    MobileNet_V3_Large_Weights,
    ResNet18_Weights,
    ResNet34_Weights,
    ResNet50_Weights,
    VGG16_Weights,
)
from torchvision.models import detection as tvd
from torchvision.models._api import WeightsEnum
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import mobilenet_backbone, resnet_fpn_backbone
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor
from torchvision.models.detection.keypoint_rcnn import KeypointRCNNHeads, KeypointRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNNPredictor
from torchvision.models.detection.ssd import SSDClassificationHead
from torchvision.models.detection.ssdlite import SSDLiteClassificationHead
from torchvision.ops.feature_pyramid_network import LastLevelP6P7
from torchvision.ops.misc import FrozenBatchNorm2d

BACKBONES: dict[str, tuple[str, ...]] = {
    "maskrcnn": ("resnet50", "resnet18", "resnet34", "mobilenet_v3_large"),
    "fasterrcnn": ("resnet50", "resnet18", "resnet34", "mobilenet_v3_large"),
    "retinanet": ("resnet50", "resnet18", "resnet34"),
    "ssd": ("vgg16", "mobilenet_v3_large"),
    "keypointrcnn": ("resnet50", "resnet18", "resnet34"),
}

# (arch, backbone, v2) -> published COCO weights
COCO_WEIGHTS: dict[tuple[str, str, bool], WeightsEnum] = {
    ("maskrcnn", "resnet50", False): tvd.MaskRCNN_ResNet50_FPN_Weights.COCO_V1,
    ("maskrcnn", "resnet50", True): tvd.MaskRCNN_ResNet50_FPN_V2_Weights.COCO_V1,
    ("fasterrcnn", "resnet50", False): tvd.FasterRCNN_ResNet50_FPN_Weights.COCO_V1,
    ("fasterrcnn", "resnet50", True): tvd.FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1,
    ("fasterrcnn", "mobilenet_v3_large", False): tvd.FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1,
    ("retinanet", "resnet50", False): tvd.RetinaNet_ResNet50_FPN_Weights.COCO_V1,
    ("retinanet", "resnet50", True): tvd.RetinaNet_ResNet50_FPN_V2_Weights.COCO_V1,
    ("ssd", "vgg16", False): tvd.SSD300_VGG16_Weights.COCO_V1,
    ("ssd", "mobilenet_v3_large", False): tvd.SSDLite320_MobileNet_V3_Large_Weights.COCO_V1,
    ("keypointrcnn", "resnet50", False): tvd.KeypointRCNN_ResNet50_FPN_Weights.COCO_V1,
}

IMAGENET_WEIGHTS: dict[str, WeightsEnum] = {
    "resnet18": ResNet18_Weights.IMAGENET1K_V1,
    "resnet34": ResNet34_Weights.IMAGENET1K_V1,
    "resnet50": ResNet50_Weights.IMAGENET1K_V1,
    "mobilenet_v3_large": MobileNet_V3_Large_Weights.IMAGENET1K_V1,
    "vgg16": VGG16_Weights.IMAGENET1K_FEATURES,
}

# torchvision's own builders for the published configurations: (arch, backbone, v2) -> builder
_TORCHVISION_BUILDERS = {
    ("maskrcnn", "resnet50", False): tvd.maskrcnn_resnet50_fpn,
    ("maskrcnn", "resnet50", True): tvd.maskrcnn_resnet50_fpn_v2,
    ("fasterrcnn", "resnet50", False): tvd.fasterrcnn_resnet50_fpn,
    ("fasterrcnn", "resnet50", True): tvd.fasterrcnn_resnet50_fpn_v2,
    ("fasterrcnn", "mobilenet_v3_large", False): tvd.fasterrcnn_mobilenet_v3_large_fpn,
    ("retinanet", "resnet50", False): tvd.retinanet_resnet50_fpn,
    ("retinanet", "resnet50", True): tvd.retinanet_resnet50_fpn_v2,
    ("keypointrcnn", "resnet50", False): tvd.keypointrcnn_resnet50_fpn,
}

# backbone="small": the arch's smallest backbone, plus lighter R-CNN sampling (smoke runs, CPU)
SMALL_BACKBONE = {
    "maskrcnn": "resnet18",
    "fasterrcnn": "resnet18",
    "retinanet": "resnet18",
    "ssd": "mobilenet_v3_large",
    "keypointrcnn": "resnet18",
}
_SMALL_RCNN_SAMPLING = {
    "box_batch_size_per_image": 64,
    "rpn_pre_nms_top_n_train": 300,
    "rpn_post_nms_top_n_train": 150,
    "box_detections_per_img": 20,
}

DEFAULT_MIN_SIZE = 800
_SSD_NATIVE_SIZE = {"vgg16": 300, "mobilenet_v3_large": 320}
_SSD_MIN_SIZE = {"vgg16": 268, "mobilenet_v3_large": 16}  # smallest sizes whose extra layers still run
_SSD_ATTRIBUTES = ("score_thresh", "nms_thresh", "detections_per_img", "topk_candidates")


def build_detector(
    arch: str,
    num_classes: int,
    backbone: str = "resnet50",
    v2: bool = False,
    pretrained: bool = False,
    pretrained_backbone: bool = False,
    min_size: int = DEFAULT_MIN_SIZE,
    max_size: int = 1333,
    trainable_backbone_layers: int | None = None,
    **kwargs: Any,
) -> nn.Module:
    """Build a torchvision detector for ``num_classes`` foreground classes.

    ``pretrained`` loads published COCO weights and re-initialises the class-specific layers;
    ``pretrained_backbone`` loads ImageNet weights into the backbone only. ``kwargs`` go to the
    torchvision model (e.g. ``box_detections_per_img``; for SSD only ``score_thresh``,
    ``nms_thresh``, ``detections_per_img`` and ``topk_candidates``).
    ``backbone="small"`` picks the arch's smallest backbone (:data:`SMALL_BACKBONE`) and, for the
    R-CNNs, lighter RoI sampling so that CPU smoke runs stay fast.
    """
    if backbone == "small" and arch in SMALL_BACKBONE:
        backbone = SMALL_BACKBONE[arch]
        if arch in ("maskrcnn", "fasterrcnn", "keypointrcnn"):
            kwargs = {**_SMALL_RCNN_SAMPLING, **kwargs}
        if arch == "keypointrcnn":
            kwargs = _small_keypoint_head(kwargs)
    _check_choice(arch, backbone, v2)
    if num_classes < 1:
        raise ValueError(f"num_classes counts foreground classes and must be >= 1, got {num_classes}")
    ssd_size = _check_ssd(backbone, min_size, kwargs) if arch == "ssd" else 0
    weights = _coco_weights(arch, backbone, v2) if pretrained else None
    weights_backbone = IMAGENET_WEIGHTS[backbone] if pretrained_backbone and not pretrained else None
    if weights is not None:
        ensure_weights(weights, "model.net.pretrained=false")
    if weights_backbone is not None:
        ensure_weights(weights_backbone, "model.net.pretrained_backbone=false")

    # torchvision insists on its own class (and keypoint) count when loading COCO weights; heads are
    # swapped after.
    n_out = None if weights is not None else num_classes + 1
    num_keypoints = kwargs.pop("num_keypoints", None) if arch == "keypointrcnn" else None
    if num_keypoints is not None and weights is None:
        kwargs["num_keypoints"] = num_keypoints
    model: Any  # a torchvision detector (torchvision has no type information: its heads are untyped)
    if arch == "ssd":
        model = _ssd(backbone, n_out, weights, weights_backbone, trainable_backbone_layers, ssd_size, kwargs)
    elif (arch, backbone, v2) in _TORCHVISION_BUILDERS:
        model = _TORCHVISION_BUILDERS[arch, backbone, v2](
            weights=weights,
            weights_backbone=weights_backbone,  # explicit: several builders default to ImageNet weights
            num_classes=n_out,
            trainable_backbone_layers=trainable_backbone_layers,
            min_size=min_size,
            max_size=max_size,
            **kwargs,
        )
    else:
        model = _small_backbone_model(
            arch,
            backbone,
            num_classes + 1,
            weights_backbone,
            trainable_backbone_layers,
            min_size,
            max_size,
            kwargs,
        )
    if weights is not None:
        _replace_class_layers(model, arch, backbone, num_classes + 1)
        if num_keypoints is not None:
            keypoint_head = model.roi_heads.keypoint_predictor
            in_channels = keypoint_head.kps_score_lowres.in_channels
            model.roi_heads.keypoint_predictor = KeypointRCNNPredictor(in_channels, num_keypoints)
    return model


def _small_keypoint_head(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Keypoint R-CNN's head is eight 512-channel convolutions per RoI (~3.7 GMAC each); the small
    model gets four of 128 channels, about 30 times cheaper, so CPU smoke runs stay short."""
    kwargs = dict(kwargs)
    num_keypoints = kwargs.pop("num_keypoints", 17)
    kwargs["keypoint_head"] = KeypointRCNNHeads(256, (128,) * 4)
    kwargs["keypoint_predictor"] = KeypointRCNNPredictor(128, num_keypoints)
    return kwargs


def _check_choice(arch: str, backbone: str, v2: bool) -> None:
    if arch not in BACKBONES:
        raise ValueError(f"unknown detection arch {arch!r}; choose one of {sorted(BACKBONES)}")
    if backbone not in BACKBONES[arch]:
        raise ValueError(f"unknown backbone {backbone!r} for {arch}; choose one of {list(BACKBONES[arch])}")
    if v2 and (arch, backbone, True) not in _TORCHVISION_BUILDERS:
        raise ValueError(
            f"v2=True exists only for maskrcnn/fasterrcnn/retinanet with resnet50, not {arch}/{backbone}"
        )


def _coco_weights(arch: str, backbone: str, v2: bool) -> WeightsEnum:
    if (arch, backbone, v2) not in COCO_WEIGHTS:
        published = ", ".join(f"{a}/{b}{' v2' if v else ''}" for a, b, v in COCO_WEIGHTS)
        raise ValueError(
            f"no published COCO weights for {arch}/{backbone}{' v2' if v2 else ''} (published: {published}); "
            "use model.net.pretrained_backbone=true for ImageNet backbone weights instead"
        )
    return COCO_WEIGHTS[arch, backbone, v2]


def weights_cache_path(weights: WeightsEnum) -> Path:
    """Where torch.hub caches ``weights`` (``$TORCH_HOME/hub/checkpoints/<file>``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(weights.url).path)


def ensure_weights(weights: WeightsEnum, opt_out: str) -> None:
    """Make sure ``weights`` sit in the torch hub cache, downloading them if needed.

    Raises a RuntimeError naming the weights, their URL, the cache file to place by hand and
    the ``opt_out`` config override when the download fails.
    """
    path = weights_cache_path(weights)
    if path.is_file():
        return
    try:
        weights.get_state_dict(progress=True, check_hash=True)
    except (OSError, RuntimeError) as err:  # URLError and HTTPError are OSErrors
        raise RuntimeError(
            f"could not fetch pretrained weights {weights} from {weights.url} ({type(err).__name__}: {err}). "
            f"Without network access, download that file on another machine and place it at {path} "
            "(the torch hub cache; set TORCH_HOME to move it), "
            f"or train without these weights by overriding {opt_out}."
        ) from err


def _trainable_layers(trained: bool, requested: int | None, max_value: int, default: int) -> int:
    """torchvision's rule: freeze nothing when training from scratch, else ``default`` stages."""
    if not trained:
        if requested is not None:
            warnings.warn(
                "trainable_backbone_layers has no effect without pretrained weights; all layers are trainable",
                stacklevel=3,
            )
        return max_value
    value = default if requested is None else requested
    if not 0 <= value <= max_value:
        raise ValueError(f"trainable_backbone_layers must be in [0, {max_value}], got {value}")
    return value


def _small_backbone_model(
    arch: str,
    backbone: str,
    n_out: int,
    weights_backbone: WeightsEnum | None,
    trainable: int | None,
    min_size: int,
    max_size: int,
    kwargs: dict[str, Any],
) -> nn.Module:
    """Mask/Faster/Keypoint R-CNN and RetinaNet on resnet18/34 or mobilenet_v3_large FPN backbones."""
    trained = weights_backbone is not None
    norm_layer = FrozenBatchNorm2d if trained else nn.BatchNorm2d
    kwargs = {"min_size": min_size, "max_size": max_size, **kwargs}
    if backbone == "mobilenet_v3_large":  # only Mask R-CNN reaches here; mirrors the Faster R-CNN builder
        fpn = mobilenet_backbone(
            backbone_name=backbone,
            weights=weights_backbone,
            fpn=True,
            norm_layer=norm_layer,
            trainable_layers=_trainable_layers(trained, trainable, 6, 3),
        )
        sizes = ((32, 64, 128, 256, 512),) * 3  # two FPN levels + pool
        anchors = AnchorGenerator(sizes, ((0.5, 1.0, 2.0),) * len(sizes))
        return tvd.MaskRCNN(fpn, n_out, rpn_anchor_generator=anchors, **{"rpn_score_thresh": 0.05, **kwargs})
    retina = arch == "retinanet"
    fpn = resnet_fpn_backbone(
        backbone_name=backbone,
        weights=weights_backbone,
        norm_layer=norm_layer,
        trainable_layers=_trainable_layers(trained, trainable, 5, 3),
        returned_layers=[2, 3, 4] if retina else None,
        extra_blocks=LastLevelP6P7(256, 256) if retina else None,
    )
    model_cls = {
        "maskrcnn": tvd.MaskRCNN,
        "fasterrcnn": tvd.FasterRCNN,
        "retinanet": tvd.RetinaNet,
        "keypointrcnn": tvd.KeypointRCNN,
    }[arch]
    return model_cls(fpn, n_out, **kwargs)


def _check_ssd(backbone: str, min_size: int, kwargs: dict[str, Any]) -> int:
    """Validate SSD options; return its fixed input size (native unless ``min_size`` was changed)."""
    unknown = set(kwargs) - set(_SSD_ATTRIBUTES)
    if unknown:
        raise TypeError(f"unsupported SSD options {sorted(unknown)}; supported: {list(_SSD_ATTRIBUTES)}")
    size = _SSD_NATIVE_SIZE[backbone] if min_size == DEFAULT_MIN_SIZE else int(min_size)
    if size < _SSD_MIN_SIZE[backbone]:
        raise ValueError(f"SSD with {backbone} needs an input size >= {_SSD_MIN_SIZE[backbone]}, got {size}")
    return size


def _ssd(
    backbone: str,
    n_out: int | None,
    weights: WeightsEnum | None,
    weights_backbone: WeightsEnum | None,
    trainable: int | None,
    size: int,
    kwargs: dict[str, Any],
) -> nn.Module:
    """SSD300-VGG16 or SSDlite320-MobileNetV3 with a fixed ``size`` x ``size`` input."""
    builder = tvd.ssd300_vgg16 if backbone == "vgg16" else tvd.ssdlite320_mobilenet_v3_large
    model = builder(
        weights=weights,
        weights_backbone=weights_backbone,
        num_classes=n_out,
        trainable_backbone_layers=trainable,
    )
    for name, value in kwargs.items():
        setattr(model, name, value)
    if size != _SSD_NATIVE_SIZE[backbone]:
        model.transform.min_size = (size,)
        model.transform.max_size = size
        model.transform.fixed_size = (size, size)
        # SSD300's anchor steps are hard-wired to 300 px; without steps the centres follow each feature map.
        model.anchor_generator.steps = None
    return model


def _replace_class_layers(model: Any, arch: str, backbone: str, n_out: int) -> None:
    """Swap the COCO-sized class-specific layers of the torchvision detector ``model`` (untyped) for
    fresh ones with ``n_out`` outputs."""
    if arch in ("fasterrcnn", "maskrcnn", "keypointrcnn"):
        box = model.roi_heads.box_predictor
        model.roi_heads.box_predictor = FastRCNNPredictor(box.cls_score.in_features, n_out)
        if arch == "maskrcnn":
            conv = model.roi_heads.mask_predictor.conv5_mask
            model.roi_heads.mask_predictor = MaskRCNNPredictor(conv.in_channels, conv.out_channels, n_out)
    elif arch == "retinanet":
        head = model.head.classification_head  # keep the class-agnostic conv tower
        head.cls_logits = nn.Conv2d(head.cls_logits.in_channels, head.num_anchors * n_out, 3, padding=1)
        nn.init.normal_(head.cls_logits.weight, std=0.01)
        nn.init.constant_(head.cls_logits.bias, -math.log((1 - 0.01) / 0.01))  # focal-loss prior
        head.num_classes = n_out
    else:
        num_anchors = model.anchor_generator.num_anchors_per_location()
        blocks = model.head.classification_head.module_list
        if backbone == "vgg16":
            in_channels = [conv.in_channels for conv in blocks]
            model.head.classification_head = SSDClassificationHead(in_channels, num_anchors, n_out)
        else:
            in_channels = [block[0][0].in_channels for block in blocks]
            norm_layer = partial(
                nn.BatchNorm2d, eps=0.001, momentum=0.03
            )  # as in ssdlite320_mobilenet_v3_large
            model.head.classification_head = SSDLiteClassificationHead(
                in_channels, num_anchors, n_out, norm_layer
            )
