"""Reader of the 인도 보행 depth sub-dataset: ZED stereo sets -> :class:`~aihub_bench.records.DepthSample`.

The whole root is walked once (:func:`~aihub_bench.formats.walk.walk_inside`) and the PNGs and
``.conf`` files are gathered into sets by the ``<walk id>_<n>`` in their names, wherever they lie. A
set needs its ``disp16`` map, its left view and its calibration; the right view and the confidence
map are optional (their absence is counted). Whatever makes a set unusable is a ``BadInputError``
naming the file, raised or (``on_error=skip``) counted as one skipped set.

The disparity map's and the left view's headers are always read (the sample's geometry is made of
them); ``verify_images`` decides what else is checked: ``none`` nothing, ``header`` the right view's
and the confidence map's sizes, ``full`` every pixel of all four decoded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from aihub_bench.datasets.sidewalk_depth.layout import (
    CONF_PATTERN,
    CONFIDENCE_VIEWS,
    DISPARITY,
    FILE_KINDS,
    FILE_PATTERN,
    LEFT_VIEWS,
    RIGHT_VIEWS,
    conf_name,
    file_name,
    parse_name,
)
from aihub_bench.errors import BadInputError, ErrorPolicy, check_inside
from aihub_bench.formats.disparity import read_confidence_png, read_disparity_header, read_disparity_png
from aihub_bench.formats.images import check_image, check_verify_mode, read_image_header
from aihub_bench.formats.walk import walk_inside
from aihub_bench.formats.zed_conf import RESOLUTIONS, read_zed_conf
from aihub_bench.records import DepthSample

CROP_TOP_CENTRE = "centre"


@dataclass(frozen=True)
class _Options:
    root: Path
    policy: ErrorPolicy
    left_view: str
    right_view: str | None
    confidence_view: str | None
    disparity_scale: float
    calibration: str
    resized_from: str
    crop_top: str | int
    verify_images: str
    allow_outside_links: bool


@dataclass
class _Set:
    """The files found for one ``<walk id>_<n>``: PNGs by kind, and calibration files."""

    pngs: dict[str, list[Path]] = field(default_factory=lambda: defaultdict(list))
    confs: list[Path] = field(default_factory=list)

    def reference(self) -> Path:
        """A file of the set, beside which a missing one is looked for (the disparity map first)."""
        for kind in (DISPARITY, *FILE_KINDS):
            if self.pngs.get(kind):
                return self.pngs[kind][0]
        return self.confs[0]


def read_sidewalk_depth(
    root: str | Path,
    policy: ErrorPolicy | None = None,
    *,
    file_pattern: str = FILE_PATTERN,
    conf_pattern: str = CONF_PATTERN,
    left_view: str = "left",
    right_view: str | None = "right",
    confidence_view: str | None = "confidence",
    disparity_scale: float = 256.0,
    calibration: str = "auto",
    resized_from: str = "FHD",
    crop_top: str | int = CROP_TOP_CENTRE,
    verify_images: str = "header",
    allow_outside_links: bool = False,
) -> list[DepthSample]:
    """The depth sets under ``root``, sorted by walk and set number.

    ``file_pattern`` / ``conf_pattern``: regexes of the set files' names (groups ``kind``,
    ``sequence`` = the walk, the split's leakage unit, and ``frame``). ``left_view``: ``left`` (RGB)
    or ``L`` (RGBA); ``right_view`` / ``confidence_view``: which file is the right view and the
    confidence map (null: none). ``disparity_scale``: ``disp16`` value / scale = pixels [A: 256].
    ``calibration``: the ``.conf`` section whose ``fx`` is used, ``auto`` = the ZED resolution as
    wide as the disparity map; a map of another width is a resize of ``resized_from`` [A: FHD]. Its
    ``fx`` is scaled to the map's width. ``crop_top``: where a disparity map shorter than its left
    view lies in it: ``centre`` [A] or a row. ``verify_images``: ``none`` | ``header`` | ``full``
    (the module docstring says what each reads).
    """
    policy = policy or ErrorPolicy("raise")
    opts = _Options(
        Path(root),
        policy,
        _choice("left_view", left_view, LEFT_VIEWS),
        None if right_view is None else _choice("right_view", right_view, RIGHT_VIEWS),
        None if confidence_view is None else _choice("confidence_view", confidence_view, CONFIDENCE_VIEWS),
        _positive_scale(disparity_scale),
        _choice("calibration", calibration, ("auto", *RESOLUTIONS)),
        _choice("resized_from", resized_from, tuple(RESOLUTIONS)),
        _crop_top_option(crop_top),
        check_verify_mode(verify_images),
        allow_outside_links,
    )
    sets = _list_sets(opts, file_pattern, conf_pattern)
    if not sets:
        raise FileNotFoundError(f"no depth set (files matching {file_pattern!r}) under {root}")
    samples: list[DepthSample] = []
    for key in sorted(sets, key=lambda k: (int(k[0]), k[0], k[1])):
        try:
            samples.append(_sample(opts, key, sets[key]))
        except BadInputError as err:
            policy.handle(err)
    for i, sample in enumerate(samples):
        sample.image_id = i + 1
    return samples


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{option} must be one of {list(allowed)}, got {value!r}")
    return value


def _positive_scale(value: float) -> float:
    scale = float(value)
    if not 0 < scale < float("inf"):
        raise ValueError(f"disparity_scale must be a positive number, got {value!r}")
    return scale


def _crop_top_option(value: str | int) -> str | int:
    if value == CROP_TOP_CENTRE or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise ValueError(f"crop_top must be {CROP_TOP_CENTRE!r} or a row (an integer >= 0), got {value!r}")


def _list_sets(opts: _Options, file_pattern: str, conf_pattern: str) -> dict[tuple[str, int], _Set]:
    """Every set's files by ``(walk id, set number)``; PNGs and ``.conf`` files named otherwise are
    counted (``stats.files_not_matching_patterns``)."""
    sets: dict[tuple[str, int], _Set] = defaultdict(_Set)
    for folder, _dirs, files in walk_inside(
        opts.root, opts.policy, allow_outside_links=opts.allow_outside_links, contents="depth sets"
    ):
        for name in files:
            png = parse_name(name, file_pattern)
            conf = None if png else parse_name(name, conf_pattern)
            if png is not None and png.kind is not None:
                sets[png.key].pngs[png.kind].append(folder / name)
            elif conf is not None:
                sets[conf.key].confs.append(folder / name)
            elif name.lower().endswith((".png", ".conf")):
                opts.policy.count("files_not_matching_patterns")
    return dict(sets)


def _sample(opts: _Options, key: tuple[str, int], found: _Set) -> DepthSample:
    sequence, frame = key
    beside = found.reference().parent
    disparity = _required(found, DISPARITY, beside / file_name(DISPARITY, sequence, frame), "disparity")
    left = _required(found, opts.left_view, beside / file_name(opts.left_view, sequence, frame), "image")
    conf = _required(found, None, beside / conf_name(sequence, frame), "calibration")
    right = _optional(found, opts.right_view)
    confidence = _optional(found, opts.confidence_view)
    for path in (disparity, left, conf, right, confidence):
        if path is not None:
            check_inside(opts.root, path, opts.allow_outside_links)

    size = read_disparity_header(disparity)
    left_size = read_image_header(left)
    top = _window_top(opts, disparity, size, left, left_size)
    if opts.verify_images != "none":
        _check_optional_files(
            opts.verify_images == "full", (right, left, left_size), (confidence, disparity, size)
        )
    if opts.verify_images == "full":
        check_image(left)
        read_disparity_png(disparity, opts.disparity_scale)
    calib = read_zed_conf(conf)
    width, height = size
    resolution = (
        calib.section_for_width(width, opts.resized_from) if opts.calibration == "auto" else opts.calibration
    )
    fx = calib.focal_length(width, resolution)

    # counted for the sets kept only
    if right is None and opts.right_view is not None:
        opts.policy.count("sets_without_right_view")
    if confidence is None and opts.confidence_view is not None:
        opts.policy.count("sets_without_confidence")
    if height < left_size[1]:
        opts.policy.count("sets_disparity_shorter_than_left_view")
    if RESOLUTIONS[resolution][0] != width:
        opts.policy.count("sets_calibration_scaled_to_width")
    return DepthSample(
        left_path=left,
        disparity_path=disparity,
        width=width,
        height=height,
        fx=fx,
        baseline_m=calib.baseline_m,
        disparity_scale=opts.disparity_scale,
        crop_top=top,
        right_path=right,
        confidence_path=confidence,
        group=sequence,
        meta={
            "sequence": sequence,
            "frame": frame,
            "left_size": [left_size[0], left_size[1]],
            "calibration": resolution,
        },
    )


def _required(found: _Set, kind: str | None, expected: Path, what: str) -> Path:
    """The one file of ``kind`` (``None``: the calibration) a set needs, else ``missing_<what>``."""
    paths = found.confs if kind is None else found.pngs.get(kind, [])
    if not paths:
        present = ", ".join(sorted(k for k, v in found.pngs.items() if v)) + (", conf" if found.confs else "")
        raise BadInputError(
            expected,
            f"{kind or 'calibration'} file of the depth set missing, nor found elsewhere under the root "
            f"(the set has: {present.strip(', ') or 'nothing else'})",
            f"missing_{what}",
        )
    return _single(paths, "ambiguous_calibration" if kind is None else "ambiguous_image")


def _single(paths: list[Path], kind: str) -> Path:
    if len(paths) > 1:
        listed = ", ".join(str(p) for p in paths[:3])
        raise BadInputError(paths[0], f"ambiguous: {len(paths)} files have this set's name ({listed})", kind)
    return paths[0]


def _optional(found: _Set, kind: str | None) -> Path | None:
    """The file of ``kind`` if the set has one (``kind`` None: not asked for)."""
    paths = found.pngs.get(kind, []) if kind is not None else []
    return _single(paths, "ambiguous_image") if paths else None


def _window_top(
    opts: _Options, disparity: Path, size: tuple[int, int], left: Path, left_size: tuple[int, int]
) -> int:
    """The left view's row where the disparity map's row 0 lies (0 unless the map is shorter)."""
    (width, height), (left_w, left_h) = size, left_size
    if width != left_w or height > left_h:
        raise BadInputError(
            disparity,
            f"disparity map is {width}x{height} but its left view {left.name} is {left_w}x{left_h}"
            f" ({'widths differ' if width != left_w else 'the map has more rows'})",
            "size_mismatch",
        )
    if height == left_h:
        return 0
    top = (left_h - height) // 2 if opts.crop_top == CROP_TOP_CENTRE else int(opts.crop_top)
    if top + height > left_h:
        raise BadInputError(
            disparity,
            f"crop_top={top} puts the disparity map's {height} rows past the left view's {left_h}",
            "size_mismatch",
        )
    return top


def _check_optional_files(
    full: bool,
    right: tuple[Path | None, Path, tuple[int, int]],
    confidence: tuple[Path | None, Path, tuple[int, int]],
) -> None:
    """The right view has the left view's size, the confidence map the disparity map's; each is
    read from its header, or (``full``) decoded whole. Each pair is ``(file, partner, partner's size)``."""
    path, partner, expected = right
    if path is not None:
        _same_size(path, check_image(path) if full else read_image_header(path), partner, expected)
    path, partner, expected = confidence
    if path is not None:
        if full:
            rows, cols = read_confidence_png(path).shape
            _same_size(path, (int(cols), int(rows)), partner, expected)
        else:
            _same_size(path, read_image_header(path), partner, expected)


def _same_size(path: Path, size: tuple[int, int], partner: Path, expected: tuple[int, int]) -> None:
    if size != expected:
        raise BadInputError(
            path,
            f"{path.name} is {size[0]}x{size[1]} but {partner.name} is {expected[0]}x{expected[1]}",
            "size_mismatch",
        )
