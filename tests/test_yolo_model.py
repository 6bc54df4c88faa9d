"""model=yolo's detector: letterboxing, targets, losses, detections, NMS, precise BN, weights, offline import.

Needs the optional ``yolo`` extra (ultralytics); without it the module is skipped and
tests/test_extras.py checks the install hint instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import urllib.error
from pathlib import Path

import pytest
import torch
from torch import nn

# not importorskip: a bare `import ultralytics` looks up DNS names; aihub_bench imports it offline
if importlib.util.find_spec("ultralytics") is None:
    pytest.skip("needs the optional yolo extra: pip install -e '.[yolo]'", allow_module_level=True)

from aihub_bench.models import yolo  # noqa: E402
from aihub_bench.models.yolo import (  # noqa: E402
    Letterbox,
    YoloDetector,
    build_yolo,
    import_ultralytics,
    letterbox_batch,
    load_pretrained,
    nms,
    targets_to_yolo,
)
from tests.conftest import run_python  # noqa: E402

K = 3


def random_boxes(n: int, h: int, w: int, gen: torch.Generator) -> torch.Tensor:
    xy = torch.rand(n, 2, generator=gen) * torch.tensor([w * 0.8, h * 0.8])
    wh = (torch.rand(n, 2, generator=gen) * 0.9 + 0.1) * (torch.tensor([w, h]) - xy) * 0.9
    return torch.cat([xy, xy + wh], 1)


# -- letterboxing -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hw", [(480, 640), (640, 480), (100, 100), (37, 1000), (1000, 37), (333, 517)])
@pytest.mark.parametrize("size", [128, 640])
def test_boxes_survive_the_letterbox_round_trip_within_a_pixel(hw: tuple[int, int], size: int) -> None:
    gen = torch.Generator().manual_seed(hw[0] * 7919 + hw[1] + size)
    h, w = hw
    boxes = random_boxes(50, h, w, gen)
    lb = Letterbox.fit(h, w, size)
    canvas = lb.boxes_in(boxes)
    assert canvas.min() >= 0 and canvas.max() <= size
    assert lb.new_h == size or lb.new_w == size  # the long side fills the canvas
    assert (lb.boxes_out(canvas) - boxes).abs().max() < 1.0


@pytest.mark.parametrize("hw", [(90, 160), (160, 90), (50, 50)])
def test_letterboxed_pixels_land_where_the_boxes_say(hw: tuple[int, int]) -> None:
    """A filled rectangle drawn in the image is found, after letterboxing, inside boxes_in's box (within a
    pixel), and the image sits centred on the pad colour."""
    h, w = hw
    image = torch.zeros(3, h, w)
    x1, y1, x2, y2 = int(w * 0.2), int(h * 0.3), int(w * 0.7), int(h * 0.9)
    image[:, y1:y2, x1:x2] = 1.0
    batch, (lb,) = letterbox_batch([image], 128, pad_value=0.5)
    ys, xs = torch.nonzero(batch[0, 0] > 0.75, as_tuple=True)
    found = torch.tensor([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=torch.float32)
    expected = lb.boxes_in(torch.tensor([[x1, y1, x2, y2]], dtype=torch.float32))[0]
    assert (found - expected).abs().max() <= 1.0
    assert lb.top == (128 - lb.new_h) // 2 and lb.left == (128 - lb.new_w) // 2
    if lb.top:
        assert torch.all(batch[0, :, : lb.top] == 0.5)
    if lb.left:
        assert torch.all(batch[0, :, :, : lb.left] == 0.5)


def test_predictions_map_back_to_the_original_image_and_are_clipped() -> None:
    lb = Letterbox.fit(100, 200, 128)  # 128 x 64 band, 32 px of padding above
    out = lb.boxes_out(torch.tensor([[0.0, 32.0, 128.0, 96.0], [-10.0, 0.0, 64.0, 128.0]]))
    torch.testing.assert_close(out[0], torch.tensor([0.0, 0.0, 200.0, 100.0]))
    torch.testing.assert_close(out[1], torch.tensor([0.0, 0.0, 100.0, 100.0]))


def test_targets_in_ultralytics_format() -> None:
    images = [torch.rand(3, 100, 200), torch.rand(3, 50, 50)]
    targets = [
        {
            "boxes": torch.tensor([[0.0, 0.0, 200.0, 100.0], [50.0, 25.0, 150.0, 75.0]]),
            "labels": torch.tensor([1, 3]),
        },
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]
    _, boxes = letterbox_batch(images, 128)
    batch = targets_to_yolo(targets, boxes, 128, K)
    assert batch["batch_idx"].tolist() == [0.0, 0.0]
    assert batch["cls"].tolist() == [[0.0], [2.0]]  # 0-based
    # the whole 200x100 image is the 128x64 band centred vertically: centre (0.5, 0.5), size (1, 0.5)
    torch.testing.assert_close(batch["bboxes"][0], torch.tensor([0.5, 0.5, 1.0, 0.5]))
    torch.testing.assert_close(batch["bboxes"][1], torch.tensor([0.5, 0.5, 0.5, 0.25]))


@pytest.mark.parametrize("label", [0, K + 1])
def test_labels_must_be_one_based_foreground(label: int) -> None:
    _, boxes = letterbox_batch([torch.rand(3, 32, 32)], 64)
    target = {"boxes": torch.tensor([[1.0, 1.0, 5.0, 5.0]]), "labels": torch.tensor([label])}
    with pytest.raises(ValueError, match=f"1..{K}"):
        targets_to_yolo([target], boxes, 64, K)


# -- the detector -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def net() -> YoloDetector:
    torch.manual_seed(0)
    return build_yolo(K, arch="yolov8", backbone="small", imgsz=128)


def sample_batch() -> tuple[list[torch.Tensor], list[dict[str, torch.Tensor]]]:
    images = [torch.rand(3, 90, 120), torch.rand(3, 128, 70)]
    targets = [
        {"boxes": torch.tensor([[10.0, 20.0, 60.0, 80.0]]), "labels": torch.tensor([1])},
        {
            "boxes": torch.tensor([[5.0, 5.0, 30.0, 40.0], [20.0, 60.0, 60.0, 120.0]]),
            "labels": torch.tensor([2, 3]),
        },
    ]
    return images, targets


def test_build_options() -> None:
    with pytest.raises(ValueError, match="model.net.scale"):
        build_yolo(K, backbone="resnet50")
    with pytest.raises(ValueError, match="unknown YOLO arch"):
        build_yolo(K, arch="yolov5")
    with pytest.raises(ValueError, match="unknown YOLO scale"):
        build_yolo(K, scale="q")
    with pytest.raises(ValueError, match="multiple of 32"):
        build_yolo(K, backbone="small", imgsz=100)


def test_small_backbone_is_the_nano_scale(net: YoloDetector) -> None:
    n_params = sum(p.numel() for p in net.parameters())
    assert n_params == sum(p.numel() for p in YoloDetector(K, "yolov8n.yaml", imgsz=128).parameters())
    assert n_params < 3.1e6  # yolov8n; yolov8s has 11 M
    assert net.model.model[-1].nc == K


def test_training_returns_torchvision_style_losses(net: YoloDetector) -> None:
    net.train()
    images, targets = sample_batch()
    losses = net(images, targets)
    assert isinstance(losses, dict) and set(losses) == {"loss_box", "loss_cls", "loss_dfl"}
    assert all(v.ndim == 0 and torch.isfinite(v) for v in losses.values())
    net.zero_grad()
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in net.parameters() if p.requires_grad)
    with pytest.raises(ValueError, match="targets"):
        net(images)


def test_images_without_boxes_train(net: YoloDetector) -> None:
    net.train()
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    losses = net([torch.rand(3, 64, 64)], [empty])
    assert isinstance(losses, dict) and losses["loss_box"] == 0 and losses["loss_cls"] > 0


def test_eval_returns_torchvision_style_detections(net: YoloDetector) -> None:
    net.eval()
    images, _ = sample_batch()
    with torch.no_grad():
        outputs = net(images)
    assert isinstance(outputs, list) and len(outputs) == 2
    for out, image in zip(outputs, images, strict=True):
        assert set(out) == {"boxes", "scores", "labels"}
        n = len(out["scores"])
        assert 0 < n <= net.max_det  # untrained at conf 0.001: plenty of candidates
        assert out["boxes"].shape == (n, 4) and out["labels"].dtype == torch.int64
        assert out["labels"].min() >= 1 and out["labels"].max() <= K
        assert out["boxes"].min() >= 0
        assert out["boxes"][:, 0::2].max() <= image.shape[2] and out["boxes"][:, 1::2].max() <= image.shape[1]
        assert (out["scores"] > net.conf_thresh).all()
    net.train()


def test_state_dict_round_trip_gives_identical_predictions(net: YoloDetector, tmp_path: Path) -> None:
    net.eval()
    images, _ = sample_batch()
    torch.save(net.state_dict(), tmp_path / "net.pt")
    other = build_yolo(K, arch="yolov8", backbone="small", imgsz=128)
    other.load_state_dict(torch.load(tmp_path / "net.pt", weights_only=True))
    other.eval()
    with torch.no_grad():
        for a, b in zip(net(images), other(images), strict=True):
            torch.testing.assert_close(a["boxes"], b["boxes"])
    assert not any("criterion" in k for k in net.state_dict())
    net.train()


def _bn_means(module: nn.Module) -> list[torch.Tensor]:
    return [m.running_mean.clone() for m in module.modules() if isinstance(m, nn.BatchNorm2d)]


def test_precise_bn_recomputes_the_statistics_of_the_last_training_batches() -> None:
    torch.manual_seed(0)
    images, targets = sample_batch()
    net = build_yolo(K, arch="yolov8", backbone="small", imgsz=64, precise_bn_batches=2)
    reference = build_yolo(K, arch="yolov8", backbone="small", imgsz=64)
    reference.load_state_dict(net.state_dict())
    for _ in range(3):  # three steps: the last two batches are kept
        net(images, targets)
    canvas, _ = letterbox_batch(images, 64)
    reference.load_state_dict(net.state_dict())  # same weights, the lagging statistics
    reference._precise_bn([canvas.half(), canvas.half()])  # what eval() should do
    lagging = _bn_means(net)
    net.eval()
    recomputed = _bn_means(net)
    for mine, expected in zip(recomputed, _bn_means(reference), strict=True):
        torch.testing.assert_close(mine, expected)
    assert any(not torch.allclose(a, b) for a, b in zip(lagging, recomputed, strict=True))
    assert not net._recent  # used once
    net.train()
    net(images, targets)
    net.load_state_dict(reference.state_dict())  # loaded weights keep their own statistics
    net.eval()
    for mine, loaded in zip(_bn_means(net), _bn_means(reference), strict=True):
        assert torch.equal(mine, loaded)


@pytest.mark.parametrize("multi_label", [False, True])
def test_nms_matches_ultralytics(multi_label: bool) -> None:
    ul = import_ultralytics()
    gen = torch.Generator().manual_seed(1)
    xy = torch.rand(2, 2, 500, generator=gen) * 300
    wh = torch.rand(2, 2, 500, generator=gen) * 80 + 4
    scores = torch.rand(2, 4, 500, generator=gen) ** 3
    pred = torch.cat([xy, wh, scores], 1)
    ours = nms(pred, 0.05, 0.6, 100, multi_label=multi_label)
    theirs = ul.non_max_suppression(pred, 0.05, 0.6, max_det=100, multi_label=multi_label)
    for a, b in zip(ours, theirs, strict=True):
        assert len(a) == len(b) > 0
        torch.testing.assert_close(a[a[:, 4].argsort()], b[b[:, 4].argsort()])


def test_end_to_end_head_trains_and_detects_without_nms() -> None:
    net = build_yolo(K, arch="yolo26", backbone="small", imgsz=64, epochs=4)
    images, targets = sample_batch()
    losses = net(images, targets)
    assert isinstance(losses, dict) and set(losses) == {"loss_box", "loss_cls", "loss_l1"}  # DFL-free head
    before = net.criterion().o2m
    net.end_epoch()
    assert net.criterion().o2m < before  # one-to-many weight decays towards one-to-one
    net.eval()
    with torch.no_grad():
        out = net(images)
    assert len(out) == 2 and all(len(o["boxes"]) <= net.max_det for o in out)


# -- weights ------------------------------------------------------------------------------------------------------


def test_local_weights_with_another_class_count(tmp_path: Path) -> None:
    ul = import_ultralytics()
    torch.manual_seed(1)
    source = ul.DetectionModel("yolov8n.yaml", nc=80, verbose=False)
    torch.save({"model": source, "epoch": -1}, tmp_path / "coco80.pt")  # the published checkpoints' layout
    net = build_yolo(K, arch="yolov8", backbone="small", imgsz=128)
    fresh_cls = {
        k: v.clone() for k, v in net.model.state_dict().items() if ".cv3." in k and k.endswith("2.weight")
    }
    shapes = {k: v.shape for k, v in net.model.state_dict().items()}
    copied, _ = load_pretrained(net.model, tmp_path / "coco80.pt")
    src, dst = source.state_dict(), net.model.state_dict()
    # structure unchanged: Lightning checkpoints of the fine-tuned model still load into a fresh build
    assert {k: v.shape for k, v in dst.items()} == shapes
    same_shape = [k for k in dst if k in src and src[k].shape == dst[k].shape]
    assert copied == len(same_shape) and all(".cv3." in k for k in dst if k not in same_shape)
    for k in same_shape:
        torch.testing.assert_close(dst[k], src[k].to(dst[k].dtype))
    for k, v in fresh_cls.items():
        assert v.shape[0] == K and torch.equal(dst[k], v)  # class-specific convs: left as built


def test_missing_local_weights_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="never downloaded"):
        build_yolo(K, backbone="small", imgsz=64, weights=str(tmp_path / "yolov8n.pt"))


def test_pretrained_offline_fails_with_where_to_put_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))

    def offline(url: str, dst: str, **kwargs: object) -> None:
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    with pytest.raises(RuntimeError) as err:
        build_yolo(K, arch="yolo11", backbone="small", imgsz=64, pretrained=True)
    message = str(err.value)
    expected_path = tmp_path / "torch" / "hub" / "checkpoints" / "yolo11n.pt"
    assert "yolo11n.pt" in message and str(expected_path) in message
    assert "model.net.pretrained=false" in message and "github.com/ultralytics/assets" in message
    assert not expected_path.exists()


def test_pretrained_uses_the_cached_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    cached = yolo.yolo_weights_path("yolov8n.pt")
    cached.parent.mkdir(parents=True)
    torch.manual_seed(3)
    source = import_ultralytics().DetectionModel("yolov8n.yaml", nc=K, verbose=False)
    torch.save({"model": source}, cached)
    monkeypatch.setattr(torch.hub, "download_url_to_file", pytest.fail)  # must not be called
    net = build_yolo(K, arch="yolov8", backbone="small", imgsz=64, pretrained=True)
    for k, v in source.state_dict().items():
        torch.testing.assert_close(net.model.state_dict()[k], v)


# -- offline import, global state ---------------------------------------------------------------------------------

OFFLINE_PROBE = """
import json, os, socket
attempts = []
def blocked(*a, **k):
    attempts.append(repr(a[:2]))
    raise OSError(101, "network blocked by test")
socket.getaddrinfo = blocked; socket.create_connection = blocked; socket.socket.connect = blocked
import warnings
import cv2, numpy as np, torch
from PIL import Image
from aihub_bench.models.yolo import build_yolo  # ultralytics itself is imported by the first build
def state():
    return dict(save=torch.save, tl=torch._tensor_str.PRINT_OPTS.linewidth, nl=np.get_printoptions()["linewidth"],
                cv=cv2.getNumThreads(), wf=len(warnings.filters), omp=os.environ.get("OMP_NUM_THREADS"),
                thr=torch.get_num_threads(), pil_open=Image.open, imread=cv2.imread)
before = state()
net = build_yolo(2, backbone="small", imgsz=64)
net([torch.rand(3, 50, 60)], [{"boxes": torch.tensor([[1., 2., 30., 40.]]), "labels": torch.tensor([2])}])
net.eval(); net([torch.rand(3, 50, 60)])
after = state()
print(json.dumps({"attempts": attempts, "changed": [k for k in before if before[k] != after[k]],
                  "offline": os.environ.get("YOLO_OFFLINE")}))
"""


def test_import_build_and_run_stay_offline_and_leave_global_state_alone(tmp_path: Path) -> None:
    """A fresh interpreter with every DNS look-up and connection refused: importing ultralytics, building,
    a training step and an evaluation make no attempt, and none of the global state ultralytics changes
    on import (torch.save, PIL's Image.open, print options, cv2 threads, warnings, OMP_NUM_THREADS) stays changed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOLO_")}
    env["TMPDIR"] = str(tmp_path)  # ultralytics' settings.json goes under it
    proc = run_python(OFFLINE_PROBE, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"attempts": [], "changed": [], "offline": "1"}
    assert list(tmp_path.glob("ultralytics-config-*/**/settings.json"))  # not in ~/.config
