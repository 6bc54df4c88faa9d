"""Korean fonts from koreanize-matplotlib: found in place, render Hangul, and every figure uses them."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

from aihub_bench.callbacks import LossCurve
from aihub_bench.fonts import FAMILY, korean_font_files, use_korean_font
from aihub_bench.metrics.clinical import plot_roc
from aihub_bench.metrics.depth_evaluator import DepthEvaluator
from aihub_bench.metrics.segmentation_evaluator import SegmentationEvaluator

REPO = Path(__file__).resolve().parents[1]
MISSING_GLYPH = r"Glyph \d+ .*missing from"


def _draw_korean_title() -> tuple[str, list[str]]:
    """Draw a figure with a Korean title; the font file its title resolves to, and the warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = Figure()
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        title = ax.set_title("한국어 글자체 이미지 — 인쇄체")
        ax.plot([-1, 1], [-2, 2])
        fig.canvas.draw()
    return font_manager.findfont(title.get_fontproperties()), [str(w.message) for w in caught]


def test_the_four_nanumgothic_weights_are_found_inside_the_installed_package() -> None:
    fonts = korean_font_files()
    assert sorted(fonts) == ["NanumGothic", "NanumGothicBold", "NanumGothicExtraBold", "NanumGothicLight"]
    for path in fonts.values():
        assert path.is_file() and path.suffix == ".ttf"
        assert path.parent.name == "fonts" and path.parent.parent.name == "koreanize_matplotlib"
    # used in place: no font file is shipped with the project
    assert not [p for d in ("aihub_bench", "configs", "tests") for p in (REPO / d).rglob("*.ttf")]


@pytest.mark.parametrize(
    "name", ["NanumGothic", "NanumGothicBold", "NanumGothicExtraBold", "NanumGothicLight"]
)
def test_each_weight_renders_hangul_glyphs(name: str) -> None:
    """Two different syllables draw two different pictures (a missing glyph would draw one box)."""
    font = ImageFont.truetype(str(korean_font_files()[name]), 40)

    def draw(text: str) -> np.ndarray:
        canvas = Image.new("L", (48, 48), 0)
        ImageDraw.Draw(canvas).text((2, 2), text, font=font, fill=255)
        return np.asarray(canvas)

    han, guk = draw("한"), draw("국")
    assert han.max() == 255 and guk.max() == 255
    assert np.count_nonzero(han != guk) > 100


def test_use_korean_font_is_idempotent_and_sets_the_default_family() -> None:
    with mpl.rc_context():
        use_korean_font()
        entries = len(font_manager.fontManager.ttflist)
        use_korean_font()
        assert len(font_manager.fontManager.ttflist) == entries
        assert mpl.rcParams["font.family"][0] == FAMILY
        registered = {e.fname for e in font_manager.fontManager.ttflist}
        assert {str(p) for p in korean_font_files().values()} <= registered


def test_a_korean_title_draws_with_nanumgothic_and_no_missing_glyph() -> None:
    with mpl.rc_context({"font.family": ["DejaVu Sans"]}):
        font, caught = _draw_korean_title()  # the check can fail: without the font, glyphs are missing
        assert "DejaVu" in font and any("missing from" in m for m in caught), (font, caught)
        use_korean_font()
        font, caught = _draw_korean_title()
    assert Path(font) in set(korean_font_files().values()), font
    assert not [m for m in caught if "missing from" in m], caught


def _segmentation(path: Path) -> None:
    evaluator = SegmentationEvaluator(["배경", "인도"], [(0, 0, 0), (0, 0, 255)], title="인도 보행")
    mask = np.zeros((8, 8), dtype=np.int64)
    mask[4:] = 1
    evaluator.examples = [(np.zeros((8, 8, 3), dtype=np.uint8), mask, mask, "사진_01")]
    evaluator.plot_examples(path)


def _depth(path: Path) -> None:
    evaluator = DepthEvaluator()
    depth = np.linspace(1, 10, 64, dtype=np.float32).reshape(8, 8)
    picture = np.zeros((8, 8, 3), dtype=np.uint8)
    evaluator.examples = [(picture, depth, np.ones((8, 8), dtype=bool), depth, "보행_01.png")]
    evaluator._plot(path)


def _loss_curve(path: Path) -> None:
    curve = LossCurve()
    curve.rows = [
        {"epoch": 0, "train_loss": 2.0, "val_loss": 2.5},
        {"epoch": 1, "train_loss": 1.0, "val_loss": 1.5},
    ]
    curve.plot(path)


def _roc(path: Path) -> None:
    plot_roc({"유방촬영 (전체)": ([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])}, path, title="민감도와 특이도")


@pytest.mark.parametrize("plot", [_segmentation, _depth, _loss_curve, _roc], ids=lambda f: f.__name__[1:])
def test_the_project_plots_use_the_korean_font(plot: Callable[[Path], None], tmp_path: Path) -> None:
    """Each plot, started under a font without Hangul, draws Korean text without a missing glyph."""
    with mpl.rc_context({"font.family": ["DejaVu Sans"]}), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plot(tmp_path / "figure.png")
        assert mpl.rcParams["font.family"][0] == FAMILY
    assert (tmp_path / "figure.png").stat().st_size > 0
    assert not [str(w.message) for w in caught if "missing from" in str(w.message)]
