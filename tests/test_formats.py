"""Codecs in aihub_bench.formats: COCO JSON, Pascal VOC XML, image checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from aihub_bench.errors import BadInputError
from aihub_bench.formats.coco import flatten_polygon, polygon_bounds, read_coco, write_coco
from aihub_bench.formats.images import check_image
from aihub_bench.formats.voc import VocAnnotation, VocObject, read_voc, write_voc


def _coco() -> dict:
    return {
        "images": [
            {"id": 7, "file_name": "가방_01.png", "width": 64, "height": 48, "path": "D:\\view\\a.png"}
        ],
        "annotations": [
            {
                "id": 3,
                "image_id": 7,
                "category_id": 41,
                "bbox": [1.5, 2, 10, 20],
                "segmentation": [[1.5, 2, 11.5, 2, 11.5, 22]],
            }
        ],
        "categories": [{"id": 41, "name": "PrtableGas", "supercategory": "Prohibited"}],
    }


# ---------------------------------------------------------------- COCO


def test_coco_round_trip_keeps_everything_and_non_ascii(tmp_path):
    path = write_coco(tmp_path / "sub" / "coco.json", _coco())
    assert read_coco(path) == _coco()
    assert "가방_01.png" in path.read_text(encoding="utf-8")  # ensure_ascii=False


def test_coco_malformed_json_names_the_file(tmp_path):
    path = tmp_path / "coco_broken.json"
    path.write_text('{"images": [', encoding="utf-8")
    with pytest.raises(BadInputError, match="coco_broken.json: cannot read the JSON") as info:
        read_coco(path)
    assert info.value.kind == "malformed_json"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d.pop("categories"), "missing or non-list key 'categories'"),
        (lambda d: d["images"][0].pop("width"), r"images\[0\] lacks key\(s\) width"),
        (
            lambda d: d["annotations"][0].update(image_id="7"),
            r"annotations\[0\].image_id is '7', not an integer",
        ),
        (lambda d: d["images"].append(dict(d["images"][0])), r"images\[1\] repeats id 7"),
    ],
)
def test_coco_structure_errors_name_file_and_reason(tmp_path, mutate, reason):
    data = _coco()
    mutate(data)
    path = tmp_path / "coco_x.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(BadInputError, match=f"coco_x.json: {reason}"):
        read_coco(path)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1" + "0" * 400, r"integer 1000.*\(401 digits\) is out of range"),
        ("7" * 5000, r"\(5000 digits\) is out of range"),
        ("1e400", "number 1e400 is not finite"),
        ("NaN", "NaN is not a valid JSON number"),
        ("[" * 100_000 + "]" * 100_000, "nested deeper than the parser's recursion limit"),
    ],
    ids=["int_beyond_float", "int_5000_digits", "float_inf", "nan", "nested_100000"],
)
def test_coco_hostile_json_is_a_bad_input_error_naming_the_file(tmp_path, raw, reason):
    """Numbers and nesting that make ``json`` or the reader's checks crash (OverflowError,
    ValueError, RecursionError) become ``malformed_json`` errors naming the file."""
    path = tmp_path / "coco_hostile.json"
    path.write_text(json.dumps(_coco()).replace('"bbox": [1.5', f'"bbox": [{raw}'), encoding="utf-8")
    with pytest.raises(BadInputError, match=f"coco_hostile.json: cannot read the JSON: .*{reason}") as info:
        read_coco(path)
    assert info.value.kind == "malformed_json"


def test_polygon_helpers():
    pts = np.array([[1.234, 5.0], [3.0, -1.0], [2.0, 8.5]])
    assert flatten_polygon(pts, 1) == [1.2, 5.0, 3.0, -1.0, 2.0, 8.5]
    assert polygon_bounds([pts, np.array([[0.5, 0.0], [1, 1], [2, 2]])]) == (0.5, -1.0, 3.0, 8.5)


# ---------------------------------------------------------------- VOC


def test_voc_round_trip(tmp_path):
    ann = VocAnnotation(
        filename="H_1.png",
        width=320,
        height=240,
        depth=3,
        folder="Single_Default",
        path="D:\\view\\Smith\\Knife\\Single_Default\\H_1.png",
        objects=[
            VocObject("Knife", 10, 20, 110, 60, difficult=0, truncated=1),
            VocObject("LapTop", 1.5, 2, 3, 4.25),
        ],
    )
    path = write_voc(tmp_path / "x" / "H_1.xml", ann)
    assert read_voc(path) == ann


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<annotation><filename>a.png", "malformed XML"),
        ("<root/>", "root element is <root>"),
        ("<annotation><filename>a.png</filename></annotation>", "missing <size>"),
        (
            "<annotation><filename>a.png</filename><size><width>4</width><height>x</height></size></annotation>",
            "<height> is 'x', not a number",
        ),
        (
            "<annotation><filename>a.png</filename><size><width>4</width><height>4</height></size>"
            "<object><name>Knife</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax></bndbox></object></annotation>",
            "object[0]/bndbox/ymax is None, not a number",
        ),
        (
            "<annotation><filename>a.png</filename><size><width>4</width><height>4</height></size>"
            "<object><name>Knife</name></object></annotation>",
            r"object[0] (Knife) has no <bndbox>",
        ),
    ],
)
def test_voc_malformed_names_file_and_reason(tmp_path, text, reason):
    path = tmp_path / "bad_voc.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInputError) as info:
        read_voc(path)
    assert str(info.value).startswith(f"{path}: ")
    assert reason in str(info.value)
    assert info.value.kind == "malformed_xml"


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<annotation><filename>&lol3;</filename><size><width>1</width><height>1</height></size></annotation>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<annotation><filename>&xxe;</filename><size><width>1</width><height>1</height></size></annotation>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion_laughs", "external_entity"])
def test_voc_refuses_entity_attacks(tmp_path, text):
    path = tmp_path / "evil.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInputError, match="evil.xml: refused unsafe XML") as info:
        read_voc(path)
    assert info.value.kind == "unsafe_xml"


# ---------------------------------------------------------------- images


def _png(path, size=(40, 30)):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8), "RGB").save(path)
    return path


def test_check_image_returns_size_and_checks_it(tmp_path):
    path = _png(tmp_path / "ok.png")
    assert check_image(path) == (40, 30)
    assert check_image(path, (40, 30)) == (40, 30)
    with pytest.raises(BadInputError, match="ok.png: image is 40x30 but annotation says 30x40") as info:
        check_image(path, (30, 40))
    assert info.value.kind == "size_mismatch"


def test_check_image_missing(tmp_path):
    with pytest.raises(BadInputError, match="nope.png: image file not found") as info:
        check_image(tmp_path / "nope.png")
    assert info.value.kind == "missing_image"


@pytest.mark.parametrize("keep", [0.5, 0.98], ids=["cut_in_pixel_data", "cut_before_iend"])
def test_check_image_detects_truncated_png(tmp_path, keep):
    path = _png(tmp_path / "cut.png")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(BadInputError, match="cut.png: unreadable image") as info:
        check_image(path)
    assert info.value.kind == "unreadable_image"


def test_check_image_detects_truncation_even_when_pil_tolerates_it(tmp_path, monkeypatch):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    path = _png(tmp_path / "cut.png")
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(BadInputError, match="unreadable image"):
        check_image(path)


def test_check_image_rejects_non_image(tmp_path):
    path = tmp_path / "fake.png"
    path.write_text("not a png")
    with pytest.raises(BadInputError, match="fake.png: unreadable image"):
        check_image(path)
