"""Detection builders: every arch trains and predicts, heads follow num_classes, no surprise downloads."""

from __future__ import annotations

import socket
import urllib.error
from pathlib import Path

import pytest
import torch
from torch import nn
from torchvision.models import detection as tvd

from aihub_bench.models.detection import COCO_WEIGHTS, build_detector, weights_cache_path

NUM_CLASSES = 3
# Keep R-CNN sampling small so a CPU step stays well under a second.
FAST_RCNN = {
    "rpn_pre_nms_top_n_train": 200,
    "rpn_post_nms_top_n_train": 100,
    "rpn_pre_nms_top_n_test": 100,
    "rpn_post_nms_top_n_test": 50,
    "box_batch_size_per_image": 32,
    "box_detections_per_img": 10,
}


def _fast_kwargs(arch: str) -> dict:
    return FAST_RCNN if arch in ("maskrcnn", "fasterrcnn") else {}


def _batch(size: int, with_masks: bool) -> tuple[list[torch.Tensor], list[dict[str, torch.Tensor]]]:
    torch.manual_seed(0)
    images = [torch.rand(3, size, size) for _ in range(2)]
    boxes = torch.tensor(
        [[8.0, 10.0, 0.5 * size, 0.6 * size], [0.4 * size, 0.3 * size, 0.9 * size, 0.85 * size]]
    )
    target = {"boxes": boxes, "labels": torch.tensor([1, NUM_CLASSES])}
    if with_masks:
        masks = torch.zeros(2, size, size, dtype=torch.uint8)
        for k, (x1, y1, x2, y2) in enumerate(boxes.int().tolist()):
            masks[k, y1:y2, x1:x2] = 1
        target["masks"] = masks
    return images, [target, {k: v.clone() for k, v in target.items()}]


def _class_outputs(model: nn.Module, arch: str) -> int:
    """Number of class scores the model's class-specific layer produces (background included)."""
    if arch in ("maskrcnn", "fasterrcnn"):
        return model.roi_heads.box_predictor.cls_score.out_features
    return (
        model.head.classification_head.num_columns
        if arch == "ssd"
        else model.head.classification_head.num_classes
    )


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """Any download or socket connection fails the test (with an empty weights cache)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize(
    "arch, backbone, size",
    [
        ("maskrcnn", "resnet18", 128),
        ("maskrcnn", "mobilenet_v3_large", 128),
        ("fasterrcnn", "resnet34", 128),
        ("fasterrcnn", "mobilenet_v3_large", 128),
        ("retinanet", "resnet18", 128),
        ("ssd", "mobilenet_v3_large", 128),
        ("ssd", "vgg16", 268),  # the smallest input SSD300's extra layers accept
    ],
)
@pytest.mark.slow
def test_train_and_predict(no_network, arch: str, backbone: str, size: int) -> None:
    model = build_detector(
        arch, NUM_CLASSES, backbone=backbone, min_size=size, max_size=size, **_fast_kwargs(arch)
    )
    assert _class_outputs(model, arch) == NUM_CLASSES + 1
    if arch == "ssd":
        assert model.transform.fixed_size == (size, size)
        if backbone == "vgg16":  # SSD300's anchor steps assume 300 px; other sizes must drop them
            assert model.anchor_generator.steps is None

    images, targets = _batch(size, with_masks=arch == "maskrcnn")
    model.train()
    losses = model(images, targets)
    assert isinstance(losses, dict) and losses
    if arch == "maskrcnn":
        assert "loss_mask" in losses
    assert all(torch.isfinite(v) for v in losses.values()), losses
    sum(losses.values()).backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad and p.grad is not None]
    assert grads and any(g.abs().sum() > 0 for g in grads)
    assert all(torch.isfinite(g).all() for g in grads)

    model.eval()
    with torch.no_grad():
        outputs = model(images)
    assert len(outputs) == 2
    for out in outputs:
        n = len(out["boxes"])
        assert out["boxes"].shape == (n, 4) and out["scores"].shape == (n,) and out["labels"].shape == (n,)
        assert ((out["labels"] >= 1) & (out["labels"] <= NUM_CLASSES)).all()
        if arch == "maskrcnn":
            assert out["masks"].shape == (n, 1, size, size)
        else:
            assert "masks" not in out


@pytest.mark.parametrize("arch, backbone", [("maskrcnn", "resnet34"), ("fasterrcnn", "resnet18")])
@pytest.mark.parametrize("num_classes", [1, 7])
def test_rcnn_heads_follow_num_classes(arch: str, backbone: str, num_classes: int) -> None:
    model = build_detector(arch, num_classes, backbone=backbone)
    predictor = model.roi_heads.box_predictor
    assert predictor.cls_score.out_features == num_classes + 1
    assert predictor.bbox_pred.out_features == 4 * (num_classes + 1)
    if arch == "maskrcnn":
        assert model.roi_heads.mask_predictor.mask_fcn_logits.out_channels == num_classes + 1


def test_single_stage_heads_follow_num_classes() -> None:
    retina = build_detector("retinanet", 5, backbone="resnet34")
    head = retina.head.classification_head
    assert head.num_classes == 6 and head.cls_logits.out_channels == head.num_anchors * 6
    ssd = build_detector("ssd", 5, backbone="mobilenet_v3_large")
    assert ssd.head.classification_head.num_columns == 6


def test_resnet50_variants_build_offline(no_network) -> None:
    for arch in ("maskrcnn", "fasterrcnn", "retinanet"):
        for v2 in (False, True):
            model = build_detector(arch, NUM_CLASSES, v2=v2)
            assert _class_outputs(model, arch) == NUM_CLASSES + 1
            # From scratch: plain BatchNorm and nothing frozen, as torchvision does without weights.
            assert all(p.requires_grad for p in model.backbone.body.parameters())


@pytest.mark.parametrize(
    "flags, override",
    [
        ({"pretrained": True}, "model.net.pretrained=false"),
        ({"pretrained_backbone": True}, "model.net.pretrained_backbone=false"),
    ],
)
def test_failed_download_explains_the_fix(monkeypatch, tmp_path: Path, flags: dict, override: str) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def unreachable(url, *args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "download_url_to_file", unreachable)
    with pytest.raises(RuntimeError) as info:
        build_detector("fasterrcnn", NUM_CLASSES, backbone="mobilenet_v3_large", **flags)
    message = str(info.value)
    expected = (
        "fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth"
        if "pretrained" in flags
        else "mobilenet_v3_large-8738ca79.pth"
    )
    assert f"https://download.pytorch.org/models/{expected}" in message
    assert str(tmp_path / "hub" / "checkpoints" / expected) in message
    assert "TORCH_HOME" in message and override in message
    assert isinstance(info.value.__cause__, urllib.error.URLError)


@pytest.mark.parametrize(
    "arch, backbone, size",
    [("fasterrcnn", "mobilenet_v3_large", 128), ("maskrcnn", "resnet50", 128), ("retinanet", "resnet50", 128), ("ssd", "mobilenet_v3_large", 128)],
)  # fmt: skip
@pytest.mark.slow
def test_coco_weights_load_and_heads_are_replaced(
    monkeypatch, tmp_path: Path, arch: str, backbone: str, size: int
) -> None:
    """A cached checkpoint (here a random COCO-shaped one) is loaded and the class layers are swapped."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    weights = COCO_WEIGHTS[arch, backbone, False]
    builder = {
        ("fasterrcnn", "mobilenet_v3_large"): tvd.fasterrcnn_mobilenet_v3_large_fpn,
        ("maskrcnn", "resnet50"): tvd.maskrcnn_resnet50_fpn,
        ("retinanet", "resnet50"): tvd.retinanet_resnet50_fpn,
        ("ssd", "mobilenet_v3_large"): tvd.ssdlite320_mobilenet_v3_large,
    }[arch, backbone]
    coco_state = builder(weights=None, weights_backbone=None, num_classes=91).state_dict()
    cache = weights_cache_path(weights)
    cache.parent.mkdir(parents=True)
    torch.save(coco_state, cache)

    model = build_detector(
        arch, NUM_CLASSES, backbone=backbone, pretrained=True, min_size=size, max_size=size
    )
    assert _class_outputs(model, arch) == NUM_CLASSES + 1
    state = model.state_dict()
    # FrozenBatchNorm2d keeps no num_batches_tracked; everything but the class layers is reused.
    tensors = [k for k in coco_state if not k.endswith("num_batches_tracked")]
    reused = [k for k in tensors if k in state and state[k].shape == coco_state[k].shape]
    assert 0.9 * len(tensors) < len(reused) < len(tensors)
    assert all(torch.equal(state[k], coco_state[k]) for k in reused if k.startswith("backbone."))

    images, targets = _batch(size, with_masks=arch == "maskrcnn")
    losses = model.train()(images, targets)
    assert all(torch.isfinite(v) for v in losses.values())


@pytest.mark.slow
def test_ssd_input_size() -> None:
    assert build_detector("ssd", 2, backbone="mobilenet_v3_large").transform.fixed_size == (320, 320)
    assert build_detector("ssd", 2, backbone="vgg16").transform.fixed_size == (300, 300)
    model = build_detector("ssd", 2, backbone="mobilenet_v3_large", min_size=192, detections_per_img=7)
    assert model.transform.fixed_size == (192, 192) and model.detections_per_img == 7
    with pytest.raises(ValueError, match="268"):
        build_detector("ssd", 2, backbone="vgg16", min_size=200)
    with pytest.raises(TypeError, match="box_score_thresh"):
        build_detector("ssd", 2, backbone="mobilenet_v3_large", box_score_thresh=0.1)


def test_bad_choices_list_the_options() -> None:
    with pytest.raises(ValueError, match="fasterrcnn.*maskrcnn.*retinanet.*ssd"):
        build_detector("yolo", 3)
    with pytest.raises(ValueError, match="resnet18"):
        build_detector("retinanet", 3, backbone="mobilenet_v3_large")
    with pytest.raises(ValueError, match="v2"):
        build_detector("maskrcnn", 3, backbone="resnet18", v2=True)
    with pytest.raises(ValueError, match="pretrained_backbone"):
        build_detector("maskrcnn", 3, backbone="resnet18", pretrained=True)
    with pytest.raises(ValueError, match="num_classes"):
        build_detector("fasterrcnn", 0)
