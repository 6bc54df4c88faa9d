"""Korean fonts, from a package on the index: the four NanumGothic weights of ``koreanize-matplotlib``.

The OCR twin renders Hangul with them, and every figure the project draws uses them, so Korean
titles, labels and legends render instead of empty boxes. The fonts are found through the
distribution's file list (no import of ``koreanize_matplotlib``, whose import changes matplotlib's
settings and needs ``distutils``), and used in place: no font file is copied into the repository.
"""

from __future__ import annotations

import functools
from importlib import metadata
from pathlib import Path

FONT_PACKAGE = "koreanize-matplotlib"
#: The family matplotlib knows the four weights by.
FAMILY = "NanumGothic"
#: Glyphs NanumGothic lacks (some symbols) fall back to matplotlib's own font.
FALLBACK = "DejaVu Sans"


@functools.cache
def korean_font_files() -> dict[str, Path]:
    """Font name (the file's stem: ``NanumGothic``, ``NanumGothicBold``, ``NanumGothicExtraBold``,
    ``NanumGothicLight``) -> its TTF inside the installed ``koreanize-matplotlib``, sorted by name."""
    try:
        dist = metadata.distribution(FONT_PACKAGE)
    except metadata.PackageNotFoundError as err:
        raise RuntimeError(
            f"the Korean fonts come from the package {FONT_PACKAGE!r}, which is not installed: "
            f"pip install {FONT_PACKAGE}"
        ) from err
    fonts = {
        Path(str(f)).stem: Path(str(dist.locate_file(f)))
        for f in dist.files or []
        if str(f).lower().endswith(".ttf") and "/fonts/" in f"/{f.as_posix()}"
    }
    present = {name: path for name, path in sorted(fonts.items()) if path.is_file()}
    if not present:
        raise RuntimeError(f"the installed {FONT_PACKAGE} holds no TTF font under fonts/; reinstall it")
    return present


def use_korean_font() -> None:
    """Register the NanumGothic weights with matplotlib and make NanumGothic the default family
    (DejaVu Sans as the per-glyph fallback). Safe to call any number of times."""
    import matplotlib as mpl
    from matplotlib import font_manager

    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in korean_font_files().values():
        if str(path) not in known:
            font_manager.fontManager.addfont(path)
    mpl.rcParams["font.family"] = [FAMILY, FALLBACK]
