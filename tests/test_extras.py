"""Optional extras: a model that needs a missing one stops at once with the install command (exit 1)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from aihub_bench import cli, extras
from aihub_bench.extras import MissingExtraError, check_config
from aihub_bench.models import yolo
from tests.conftest import run_python

HINT = "pip install -e '.[yolo]'"


@pytest.fixture
def without_ultralytics(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the yolo extra were not installed: no spec, and importing it fails."""
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name.split(".")[0] == "ultralytics" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setitem(sys.modules, "ultralytics", None)
    monkeypatch.setattr(yolo, "_UL", None)


def test_hint_names_the_extra_and_its_licence() -> None:
    hint = extras.EXTRAS["yolo"].install_hint
    assert hint.startswith("model=yolo needs the optional 'yolo' extra")
    assert HINT in hint and "AGPL-3.0" in hint


def test_check_config_finds_the_model_module_that_needs_an_extra(without_ultralytics: None) -> None:
    needs = OmegaConf.create(
        {
            "model": {
                "_target_": "aihub_bench.tasks.detection.DetectionTask",
                "net": {"_target_": "aihub_bench.models.yolo.build_yolo"},
            }
        }
    )
    with pytest.raises(MissingExtraError, match=r"\.\[yolo\]"):
        check_config(needs)
    plain = OmegaConf.create(
        {
            "model": {
                "_target_": "aihub_bench.tasks.detection.DetectionTask",
                "net": {"_target_": "aihub_bench.models.detection.build_detector"},
            }
        }
    )
    check_config(plain)  # nothing needed: no error


def test_building_without_the_extra_raises_the_hint(without_ultralytics: None) -> None:
    with pytest.raises(MissingExtraError, match=r"\.\[yolo\]"):
        yolo.build_yolo(2, backbone="small", imgsz=64)


def test_bench_without_the_extra_exits_with_the_hint(without_ultralytics: None, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["bench", "dataset=xray_voc", "model=yolo", "--out", str(tmp_path / "bench")])
    assert HINT in str(exit_info.value.code)
    assert not (tmp_path / "bench").exists()


def test_train_without_the_extra_exits_1_with_the_hint_before_reading_data(tmp_path: Path) -> None:
    """``python train.py dataset=xray_voc model=yolo debug=smoke`` in an interpreter where ultralytics
    cannot be imported: exit status 1, the install command on stderr, no traceback, no twin written."""
    code = f"""
    import sys
    sys.modules["ultralytics"] = None  # as if the extra were not installed
    sys.argv = ["train.py", "dataset=xray_voc", "model=yolo", "debug=smoke",
                "hydra.run.dir={tmp_path / "run"}", "paths.data_dir={tmp_path / "data"}"]
    from aihub_bench.train import main
    main()
    """
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    proc = run_python(code, env)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert HINT in proc.stderr and "AGPL-3.0" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "data").exists()
