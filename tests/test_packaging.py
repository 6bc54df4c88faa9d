"""The wheel carries the top-level ``configs/`` as ``aihub_bench.configs``: installed anywhere, it composes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import CONFIGS

CHECKOUT = Path(__file__).resolve().parents[1]
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "aihub_bench", "configs")


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_a_wheel_installed_elsewhere_finds_its_configs(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    source.mkdir()
    for name in BUILD_INPUTS:
        src = CHECKOUT / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", "wheel", "./source"],
        tmp_path,
    )
    (wheel,) = (tmp_path / "wheel").glob("aihub_bench-*.whl")

    packaged = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("aihub_bench/configs/")}
    shipped = {f"aihub_bench/configs/{p.relative_to(CONFIGS).as_posix()}" for p in CONFIGS.rglob("*.yaml")}
    assert shipped and shipped <= packaged, sorted(shipped - packaged)
    assert "aihub_bench/configs/__init__.py" in packaged

    site = tmp_path / "site"
    _run([*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)], tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = _run([sys.executable, "-c", "import aihub_bench.configs as c; print(c.__file__)"], elsewhere, env)
    assert Path(where.strip()).is_relative_to(site), where

    job = _run(
        [sys.executable, "-m", "aihub_bench.train", "--cfg", "job", "experiment=xray_maskrcnn"],
        elsewhere,
        env,
    )
    assert "_target_: aihub_bench.data.detection.DetectionDataModule" in job
    assert "_target_: aihub_bench.tasks.detection.DetectionTask" in job
