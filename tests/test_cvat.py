"""CVAT for images 1.1 codec (aihub_bench/formats/cvat.py): round trip, real exports, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.cvat import (
    CvatImage,
    CvatLabel,
    CvatShape,
    CvatTask,
    images_by_name,
    read_cvat,
    task_meta,
    write_cvat,
)
from aihub_bench.formats.voc import VocAnnotation, VocObject, write_voc


def _task() -> CvatTask:
    """Boxes and polygons with every optional field, ids from 41, meta size disagreeing (300 vs 3)."""
    sidewalk = CvatLabel("sidewalk", "#0000ff", {"attribute": ["blocks", "cement", "urethane"]})
    return CvatTask(
        labels=[CvatLabel("car", "#fa3253"), CvatLabel("person"), sidewalk],
        images=[
            CvatImage(
                41,
                "Sidewalk_19009_surface_raw_000001_1.jpg",
                1920,
                1080,
                [
                    CvatShape("polygon", "sidewalk", ((0.0, 500.5), (1919.99, 500.5), (1920.0, 1080.0)),
                              z_order=2, attributes={"attribute": "cement"}),
                    CvatShape("polygon", "sidewalk", ((10.0, 10.0), (50.25, 10.0), (30.0, 40.75)),
                              occluded=True, z_order=-1, group_id=3, attributes={"attribute": "blocks"}),
                    CvatShape("polygon", "sidewalk", ((60.0, 10.0), (90.0, 10.0), (75.0, 40.0)), group_id=3),
                ],
            ),
            CvatImage(
                7,
                "보행_002.jpg",
                640,
                480,
                [
                    CvatShape("box", "car", ((1.5, 2.25), (100.0, 80.0)), occluded=True, z_order=1),
                    CvatShape("box", "person", ((0.0, 0.0), (640.0, 480.0)), group_id=12,
                              attributes={"pose": "standing", "note": ""}),
                ],
            ),
            CvatImage(9000, "empty.jpg", 320, 240),
        ],
        meta={**task_meta("sidewalk_task_7", 300, task_id=77), "dumped": "2019-11-05 10:11:12.000000+09:00"},
    )  # fmt: skip


# ---------------------------------------------------------------- round trip and layout


def test_round_trip_keeps_every_field(tmp_path):
    task = _task()
    path = write_cvat(tmp_path / "sub" / "task.xml", task)
    back = read_cvat(path)
    assert back == task
    assert [image.id for image in back.images] == [41, 7, 9000]
    assert back.meta["size"] == "300" and len(back.images) == 3
    assert images_by_name(back)["보행_002.jpg"].shapes[1].group_id == 12


def test_writer_is_byte_deterministic_and_lays_out_like_cvat(tmp_path):
    first = write_cvat(tmp_path / "a.xml", _task()).read_bytes()
    second = write_cvat(tmp_path / "b.xml", _task()).read_bytes()
    assert first == second
    rewritten = write_cvat(tmp_path / "c.xml", read_cvat(tmp_path / "a.xml")).read_bytes()
    assert rewritten == first
    text = first.decode("utf-8")
    assert text.startswith(
        '<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n'
    )
    assert 'points="10.00,10.00;50.25,10.00;30.00,40.75" z_order="-1" group_id="3"' in text
    assert (
        '<box label="car" occluded="1" xtl="1.50" ytl="2.25" xbr="100.00" ybr="80.00" z_order="1" />' in text
    )
    assert "<values>blocks\ncement\nurethane</values>" in text
    assert "<default_value>blocks</default_value>" in text
    assert text.index("<labels>") < text.index("</task>") < text.index("<dumped>") < text.index("<image ")
    assert "보행_002.jpg" in text  # UTF-8, not character references


def test_writer_rounds_coordinates_to_two_decimals_as_cvat_does(tmp_path):
    task = CvatTask(
        labels=[CvatLabel("car")],
        images=[CvatImage(0, "a.jpg", 100, 100, [CvatShape("box", "car", ((1.234, 2.0), (50.126, 60.0)))])],
    )
    back = read_cvat(write_cvat(tmp_path / "a.xml", task))
    assert back.images[0].shapes[0].points == ((1.23, 2.0), (50.13, 60.0))


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (CvatShape("box", "car", ((1, 1), (2, 2)), group_id=0), "numbers groups from 1"),
        (CvatShape("line", "car", ((1, 1), (2, 2))), "shape kind"),  # type: ignore[arg-type]
    ],
)
def test_writer_refuses_what_cvat_cannot_hold(tmp_path, shape, message):
    task = CvatTask(labels=[CvatLabel("car")], images=[CvatImage(0, "a.jpg", 10, 10, [shape])])
    with pytest.raises(ValueError, match=message):
        write_cvat(tmp_path / "a.xml", task)


def test_images_by_name_refuses_duplicates():
    task = CvatTask(images=[CvatImage(0, "a.jpg", 1, 1), CvatImage(1, "a.jpg", 1, 1)])
    with pytest.raises(ValueError, match="a.jpg"):
        images_by_name(task)


# ---------------------------------------------------------------- real-looking exports

# Modelled on a CVAT 2.x "CVAT for images 1.1" export: segments, owner, source/rotation attributes,
# a polyline and an image tag (not read, counted), ids not from 0, size larger than the images.
CVAT2_EXPORT = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <id>1042</id>
      <name>sidewalk_bbox_0007</name>
      <size>300</size>
      <mode>annotation</mode>
      <overlap>0</overlap>
      <bugtracker></bugtracker>
      <created>2023-04-11 06:12:44.419532+00:00</created>
      <updated>2023-04-12 01:02:03.000000+00:00</updated>
      <subset>default</subset>
      <start_frame>0</start_frame>
      <stop_frame>299</stop_frame>
      <frame_filter></frame_filter>
      <segments>
        <segment>
          <id>2051</id>
          <start>0</start>
          <stop>299</stop>
          <url>https://cvat.example/api/jobs/2051</url>
        </segment>
      </segments>
      <owner>
        <username>annotator</username>
        <email>annotator@example.com</email>
      </owner>
      <assignee></assignee>
      <labels>
        <label>
          <name>car</name>
          <color>#fa3253</color>
          <type>any</type>
          <attributes>
            <attribute>
              <name>type</name>
              <mutable>False</mutable>
              <input_type>select</input_type>
              <default_value>sedan</default_value>
              <values>sedan
suv
van</values>
            </attribute>
          </attributes>
        </label>
        <label>
          <name>person</name>
          <color>#3d3df5</color>
          <type>any</type>
          <attributes>
          </attributes>
        </label>
      </labels>
    </task>
    <dumped>2023-04-12 01:05:00.123456+00:00</dumped>
  </meta>
  <image id="150" name="Sidewalk_19009_bbox_raw_000150_1.jpg" width="1920" height="1080">
    <box label="car" source="manual" occluded="0" xtl="100.25" ytl="200.00" xbr="400.75" ybr="380.50" z_order="0">
      <attribute name="type">suv</attribute>
    </box>
    <box label="person" source="auto" occluded="1" xtl="900.00" ytl="300.00" xbr="960.00" ybr="470.00" rotation="0.0" z_order="2" group_id="4">
    </box>
    <polyline label="person" source="manual" occluded="0" points="1.00,2.00;3.00,4.00" z_order="0">
    </polyline>
    <tag label="car" source="manual">
    </tag>
  </image>
  <image id="151" name="Sidewalk_19009_bbox_raw_000151_1.jpg" width="1920" height="1080">
    <polygon label="person" occluded="0" points="10.00,10.00;60.00,10.00;35.00,90.00">
    </polygon>
  </image>
</annotations>
"""

# Modelled on a CVAT 0.5 (2019) export: label attributes in the one-line "@select=name:a,b" form,
# <flipped>, no colours, no z_order on one polygon.
CVAT2019_EXPORT = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <id>31</id>
      <name>surface_0031</name>
      <size>2</size>
      <mode>annotation</mode>
      <overlap>0</overlap>
      <bugtracker></bugtracker>
      <flipped>False</flipped>
      <created>2019-10-02 11:20:31.151227+03:00</created>
      <updated>2019-10-08 17:03:20.537314+03:00</updated>
      <source>surface_0031.zip</source>
      <labels>
        <label>
          <name>sidewalk</name>
          <attributes>
            <attribute>@select=attribute:blocks,cement,urethane,asphalt,soil_stone,damaged,other</attribute>
          </attributes>
        </label>
        <label>
          <name>bike_lane</name>
          <attributes>
          </attributes>
        </label>
      </labels>
    </task>
    <dumped>2019-10-09 09:00:00.000000+03:00</dumped>
  </meta>
  <image id="1" name="Sidewalk_19009_surface_raw_000001_1.jpg" width="1920" height="1080">
    <polygon label="sidewalk" occluded="0" points="0.00,600.00;1920.00,600.00;1920.00,1080.00;0.00,1080.00" z_order="1">
      <attribute name="attribute">blocks</attribute>
    </polygon>
    <polygon label="bike_lane" occluded="0" points="800.00,700.00;1100.00,700.00;1000.00,1080.00">
    </polygon>
  </image>
</annotations>
"""


def test_reads_a_cvat2_export(tmp_path):
    path = tmp_path / "sidewalk_bbox_output_000150_1.xml"
    path.write_text(CVAT2_EXPORT, encoding="utf-8")
    policy = ErrorPolicy("skip")
    task = read_cvat(path, policy)
    assert task.labels == [
        CvatLabel("car", "#fa3253", {"type": ["sedan", "suv", "van"]}),
        CvatLabel("person", "#3d3df5"),
    ]
    assert task.meta["id"] == "1042" and task.meta["size"] == "300" and task.meta["stop_frame"] == "299"
    assert task.meta["bugtracker"] == "" and task.meta["dumped"] == "2023-04-12 01:05:00.123456+00:00"
    assert "segments" not in task.meta and "owner" not in task.meta
    first, second = task.images
    assert (first.id, first.name, first.width, first.height) == (
        150,
        "Sidewalk_19009_bbox_raw_000150_1.jpg",
        1920,
        1080,
    )
    assert first.shapes == [
        CvatShape("box", "car", ((100.25, 200.0), (400.75, 380.5)), attributes={"type": "suv"}),
        CvatShape("box", "person", ((900.0, 300.0), (960.0, 470.0)), occluded=True, z_order=2, group_id=4),
    ]
    assert second.shapes == [CvatShape("polygon", "person", ((10.0, 10.0), (60.0, 10.0), (35.0, 90.0)))]
    assert policy.report()["stats"] == {"shapes_ignored_polyline": 1, "shapes_ignored_tag": 1}
    assert policy.skipped == 0


def test_reads_a_2019_export_with_one_line_attribute_specs(tmp_path):
    path = tmp_path / "surface.xml"
    path.write_text(CVAT2019_EXPORT, encoding="utf-8")
    task = read_cvat(path)
    assert task.labels[0] == CvatLabel(
        "sidewalk",
        "",
        {"attribute": ["blocks", "cement", "urethane", "asphalt", "soil_stone", "damaged", "other"]},
    )
    assert task.labels[1] == CvatLabel("bike_lane")
    assert task.meta["flipped"] == "False" and task.meta["source"] == "surface_0031.zip"
    sidewalk, bike_lane = task.images[0].shapes
    assert sidewalk.attributes == {"attribute": "blocks"} and sidewalk.z_order == 1
    assert bike_lane.z_order == 0 and bike_lane.group_id is None and bike_lane.attributes == {}


def test_reads_the_project_variant_and_group_zero_as_no_group(tmp_path):
    path = tmp_path / "project.xml"
    path.write_text(
        """<annotations><version>1.1</version><meta><project><id>5</id><name>sidewalk</name>
        <labels><label><name>car</name></label></labels>
        <tasks><task><id>9</id></task></tasks></project></meta>
        <image id="3" name="a.jpg" width="10" height="10">
          <box label="car" occluded="0" xtl="1" ytl="1" xbr="5" ybr="5" z_order="0" group_id="0"/>
        </image></annotations>""",
        encoding="utf-8",
    )
    task = read_cvat(path)
    assert task.labels == [CvatLabel("car")]
    assert task.meta == {"id": "5", "name": "sidewalk"}
    assert task.images[0].shapes == [CvatShape("box", "car", ((1.0, 1.0), (5.0, 5.0)))]


# ---------------------------------------------------------------- geometry at the image border


def _file(tmp_path, bad_image_body: str, labels: tuple[str, ...] = ("car", "sidewalk")) -> str:
    """A CVAT file with a clean image and ``bad.jpg`` (100x80) holding a clean box plus ``bad_image_body``."""
    label_xml = "".join(f"<label><name>{name}</name><attributes/></label>" for name in labels)
    text = f"""<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version>
  <meta><task><id>1</id><name>t</name><size>2</size><labels>{label_xml}</labels></task></meta>
  <image id="10" name="good.jpg" width="100" height="80">
    <box label="car" occluded="0" xtl="10" ytl="10" xbr="20" ybr="20" z_order="0"/>
  </image>
  <image id="11" name="bad.jpg" width="100" height="80">
    <box label="car" occluded="0" xtl="30" ytl="30" xbr="40" ybr="40" z_order="0"/>
    {bad_image_body}
  </image>
</annotations>
"""
    path = tmp_path / "task_output_000001_1.xml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _edit(path: str, old: str, new: str) -> None:
    text = Path(path).read_text(encoding="utf-8")
    assert old in text
    Path(path).write_text(text.replace(old, new), encoding="utf-8")


def test_box_partly_outside_is_clipped_and_counted(tmp_path):
    path = _file(tmp_path, '<box label="car" occluded="0" xtl="-5" ytl="70" xbr="50" ybr="95" z_order="0"/>')
    policy = ErrorPolicy("skip")
    shapes = images_by_name(read_cvat(path, policy))["bad.jpg"].shapes
    assert shapes[1].points == ((0.0, 70.0), (50.0, 80.0))
    assert policy.report()["stats"] == {"boxes_clipped_to_image": 1}
    assert policy.skipped == 0


def test_polygon_partly_outside_is_kept_as_written_and_counted(tmp_path):
    path = _file(
        tmp_path, '<polygon label="sidewalk" occluded="0" points="-10,70;50,70;50,120" z_order="0"/>'
    )
    policy = ErrorPolicy("skip")
    shapes = images_by_name(read_cvat(path, policy))["bad.jpg"].shapes
    assert shapes[1].points == ((-10.0, 70.0), (50.0, 70.0), (50.0, 120.0))
    assert policy.report()["stats"] == {"polygons_partly_outside_image": 1}


# ---------------------------------------------------------------- bad shapes and images

BOX = (
    '<box label="{label}" occluded="{occluded}" xtl="{xtl}" ytl="{ytl}" xbr="{xbr}" ybr="{ybr}" z_order="0"/>'
)


def _box(label="car", occluded="0", xtl="1", ytl="1", xbr="9", ybr="9") -> str:
    return BOX.format(label=label, occluded=occluded, xtl=xtl, ytl=ytl, xbr=xbr, ybr=ybr)


def _polygon(points: str, label: str = "sidewalk") -> str:
    return f'<polygon label="{label}" occluded="0" points="{points}" z_order="0"/>'


SHAPE_FAULTS = {
    "unknown_label": (
        _box(label="truck"),
        "unknown_class",
        r"label 'truck' is not declared in the file's <labels>",
    ),
    "polygon_two_points": (_polygon("1,1;5,5"), "bad_polygon", "polygon has 2 points, needs at least 3"),
    "polygon_on_a_line": (_polygon("1,1;5,5;9,9"), "bad_polygon", "zero area"),
    "polygon_not_numeric": (_polygon("1,1;5,x;9,1"), "bad_polygon", "point y is 'x', not a number"),
    "polygon_bad_pair": (_polygon("1,1;5;9,1"), "bad_polygon", "point '5' is not 'x,y'"),
    "polygon_outside": (_polygon("200,10;300,10;250,50"), "shape_outside_image", "outside the 100x80 image"),
    "box_zero_area": (_box(xtl="5", xbr="5"), "zero_area_box", r"box \(5, 1, 5, 9\) has zero area"),
    "box_swapped": (_box(xtl="9", xbr="1"), "swapped_corners", "corners are swapped"),
    "box_outside": (_box(xtl="100", xbr="150"), "shape_outside_image", "outside the 100x80 image"),
    "box_not_numeric": (_box(ytl="abc"), "bad_box", "ytl is 'abc', not a number"),
    "box_nan": (_box(xbr="nan"), "bad_box", "xbr is 'nan', not a number"),
    "box_no_coordinate": (
        '<box label="car" occluded="0" xtl="1" ytl="1" xbr="9"/>',
        "bad_box",
        "ybr is missing",
    ),
    "box_rotated": (_box().replace("/>", ' rotation="30"/>'), "bad_box", "rotated boxes"),
    "box_bad_occluded": (_box(occluded="maybe"), "bad_box", "occluded='maybe' is not 0 or 1"),
    "box_no_label": (_box(label=""), "bad_box", "has no label"),
    "box_bad_group": (
        _box().replace("/>", ' group_id="two"/>'),
        "bad_box",
        "group_id='two' is not an integer",
    ),
}


@pytest.mark.parametrize("fault", list(SHAPE_FAULTS))
def test_bad_shape_raises_naming_file_image_and_reason(tmp_path, fault):
    body, kind, reason = SHAPE_FAULTS[fault]
    path = _file(tmp_path, body)
    with pytest.raises(BadInputError, match=reason) as info:
        read_cvat(path)
    assert info.value.kind == kind
    assert info.value.path == path
    assert "image 'bad.jpg'" in info.value.reason


@pytest.mark.parametrize("fault", list(SHAPE_FAULTS))
def test_bad_shape_skip_drops_its_image_and_counts_it(tmp_path, fault):
    body, kind, _ = SHAPE_FAULTS[fault]
    policy = ErrorPolicy("skip")
    task = read_cvat(_file(tmp_path, body), policy)
    assert [image.name for image in task.images] == ["good.jpg"]
    report = policy.report()
    assert report["skipped_by_kind"] == {kind: 1}
    assert report["examples"][0]["path"].endswith("task_output_000001_1.xml")


@pytest.mark.parametrize("fault", ["unknown_label", "polygon_two_points", "box_outside"])
def test_bad_shape_skip_with_drop_shape_keeps_the_image(tmp_path, fault):
    body, kind, _ = SHAPE_FAULTS[fault]
    policy = ErrorPolicy("skip")
    task = read_cvat(_file(tmp_path, body), policy, drop="shape")
    bad = images_by_name(task)["bad.jpg"]
    assert bad.shapes == [CvatShape("box", "car", ((30.0, 30.0), (40.0, 40.0)))]
    assert policy.report()["skipped_by_kind"] == {kind: 1}


def test_known_labels_refuse_a_label_the_file_declares(tmp_path):
    path = _file(tmp_path, _polygon("1,1;9,1;5,9"))
    with pytest.raises(BadInputError, match="label 'sidewalk' is not one of the dataset's labels") as info:
        read_cvat(path, known_labels={"car"})
    assert info.value.kind == "unknown_class"


def test_without_a_label_list_only_known_labels_are_checked(tmp_path):
    path = tmp_path / "no_labels.xml"
    path.write_text(
        '<annotations><image id="0" name="a.jpg" width="10" height="10">'
        f"{_box(label='car')}{_box(label='truck')}</image></annotations>",
        encoding="utf-8",
    )
    assert len(read_cvat(path).images[0].shapes) == 2
    with pytest.raises(BadInputError, match="'truck' is not one of the dataset's labels"):
        read_cvat(path, known_labels={"car"})


def test_duplicate_image_name_drops_every_entry_and_counts_each(tmp_path):
    path = _file(tmp_path, "")
    _edit(path, 'name="bad.jpg"', 'name="good.jpg"')
    with pytest.raises(BadInputError, match="image 'good.jpg' is listed 2 times") as info:
        read_cvat(path)
    assert info.value.kind == "duplicate_image"
    policy = ErrorPolicy("skip")
    assert read_cvat(path, policy).images == []
    assert policy.report()["skipped_by_kind"] == {"duplicate_image": 2}


@pytest.mark.parametrize(
    ("image_tag", "reason"),
    [
        ('<image id="3" width="100" height="80">', "<image id='3'> has no name"),
        ('<image id="3" name="bad.jpg" width="wide" height="80">', "width='wide' is not an integer"),
        (
            '<image id="3" name="bad.jpg" width="0" height="80">',
            "needs an id and a positive width and height",
        ),
        ('<image name="bad.jpg" width="100" height="80">', "needs an id"),
    ],
)
def test_bad_image_entry(tmp_path, image_tag, reason):
    path = _file(tmp_path, "")
    _edit(path, '<image id="11" name="bad.jpg" width="100" height="80">', image_tag)
    with pytest.raises(BadInputError, match=reason) as info:
        read_cvat(path)
    assert info.value.kind == "bad_image_entry"
    policy = ErrorPolicy("skip")
    assert [image.name for image in read_cvat(path, policy).images] == ["good.jpg"]
    assert policy.report()["skipped_by_kind"] == {"bad_image_entry": 1}


# ---------------------------------------------------------------- files that are not usable at all

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<annotations><version>1.1</version><meta><task><name>&lol9;</name></task></meta></annotations>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<annotations><version>1.1</version><meta><task><name>&xxe;</name></task></meta></annotations>
"""
EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE annotations SYSTEM "http://example.com/cvat.dtd">
<annotations><version>1.1</version><meta/></annotations>
"""


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "text",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD],
    ids=["billion_laughs", "external_entity", "external_dtd"],
)
def test_refuses_entity_attacks(tmp_path, text):
    path = tmp_path / "evil.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInputError, match=r"evil.xml: refused unsafe XML \(DTDForbidden\)") as info:
        read_cvat(path, ErrorPolicy("skip"))  # a whole unusable file raises in skip mode too
    assert info.value.kind == "unsafe_xml"


def test_refuses_a_voc_file_as_not_cvat(tmp_path):
    path = write_voc(
        tmp_path / "voc.xml", VocAnnotation("a.jpg", 10, 10, objects=[VocObject("car", 1, 1, 5, 5)])
    )
    with pytest.raises(
        BadInputError, match="voc.xml: not a CVAT XML file: root element is <annotation>"
    ) as info:
        read_cvat(path)
    assert info.value.kind == "not_cvat"


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        ("<annotations><version>1.1</version></annotations>", "not_cvat", "has neither <meta> nor <image>"),
        (
            "<annotations><version>2.0</version><meta/></annotations>",
            "not_cvat",
            "version '2.0' is not supported",
        ),
        (
            '<annotations><meta/><track id="0" label="car"><box frame="0"/></track></annotations>',
            "not_cvat",
            "CVAT for video",
        ),
        ("<annotations><image id='0' name='a.jpg'", "malformed_xml", "malformed XML"),
        ("", "malformed_xml", "malformed XML"),
        (
            "<annotations><meta><task><labels><label><color>#fff</color></label></labels></task></meta></annotations>",
            "malformed_xml",
            "label #0 has no <name>",
        ),
        (
            "<annotations><meta><task><labels><label><name>car</name><attributes><attribute>color</attribute>"
            "</attributes></label></labels></task></meta></annotations>",
            "malformed_xml",
            "attribute 'color' with neither a <name>",
        ),
    ],
)
def test_unusable_files_raise_naming_file_and_reason(tmp_path, text, kind, reason):
    path = tmp_path / "x.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInputError, match=reason) as info:
        read_cvat(path)
    assert info.value.kind == kind
    assert info.value.path == str(path)


def test_missing_file(tmp_path):
    with pytest.raises(BadInputError, match="annotation file not found") as info:
        read_cvat(tmp_path / "nope.xml")
    assert info.value.kind == "missing_file"
