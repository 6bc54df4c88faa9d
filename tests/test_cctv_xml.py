"""The CCTV XML codec: header fields, time -> frame, action-range merging, and every fault's kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from aihub_bench.datasets.cctv.layout import canonical_event, folder_event, parse_stem, place_dir_inout
from aihub_bench.datasets.cctv.xml import (
    XmlAction,
    XmlObject,
    format_time,
    merge_ranges,
    parse_time,
    read_cctv_xml,
    write_cctv_xml,
)
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.records import VideoAction

HEADER = """<header>
    <duration> 00:05:11.2 </duration>
    <fps>30</fps>
    <frames>9336</frames>
    <inout>IN</inout>
    <location>PLACE09</location>
    <season>WINTER</season>
    <weather>SUNNY</weather>
    <time>NIGHT</time>
    <population>2</population>
    <character>F30</character>
  </header>"""
EVENT = """<event><eventname>assult</eventname><starttime>00:02:01.5</starttime>
    <duration>00:00:40.0</duration></event>"""
OBJECTS = """<object>
    <objectname>person_1</objectname>
    <position><keyframe>3700</keyframe><keypoint><x>1830</x><y>960.5</y></keypoint></position>
    <action><actionname>punching</actionname>
      <frame><start>3650</start><end>3702</end></frame>
      <frame><start>3702</start><end>3750</end></frame>
      <frame><start>3751</start><end>3800</end></frame>
      <frame><start>3900</start><end>3950</end></frame>
      <frame><start>3920</start><end>3940</end></frame>
    </action>
    <action><actionname>stop  and go</actionname><frame><start>4000.0</start><end>4010</end></frame></action>
  </object>
  <object><objectname>person_2</objectname></object>"""


def _xml(
    tmp_path: Path, header: str = HEADER, event: str = EVENT, objects: str = OBJECTS, head: str = ""
) -> Path:
    path = tmp_path / "24-3_cam01_assault01_place09_night_winter.xml"
    path.write_text(
        f"""<?xml version="1.0" encoding="utf-8"?>{head}
<annotation>
  <folder>24-3</folder>
  <filename>24-3_cam01_assault01_place09_night_winter.mp4</filename>
  <size><width>3840</width><height>2160</height><depth>3</depth></size>
  {header}
  {event}
  {objects}
</annotation>
""",
        encoding="utf-8",
    )
    return path


def test_every_header_field_is_read(tmp_path: Path) -> None:
    ann = read_cctv_xml(_xml(tmp_path))
    h = ann.header
    assert h.duration_seconds == pytest.approx(311.2)
    assert (h.fps, h.frames, h.inout, h.location, h.place) == (30.0, 9336, "indoor", "PLACE09", "place09")
    assert (h.season, h.weather, h.time_of_day, h.population, h.character) == (
        "winter",
        "sunny",
        "night",
        2,
        "F30",
    )
    assert (ann.width, ann.height, ann.depth, ann.folder) == (3840, 2160, 3, "24-3")
    assert ann.filename == "24-3_cam01_assault01_place09_night_winter.mp4"
    assert (ann.event_raw, ann.event, ann.num_frames) == ("assult", "assault", 9336)


def test_times_become_half_open_frame_ranges(tmp_path: Path) -> None:
    ann = read_cctv_xml(_xml(tmp_path))
    # 2:01.5 at 30 fps = frame 3645; 40 s = 1200 frames
    assert (ann.event_start, ann.event_end) == (3645, 4845)
    assert parse_time("00:05:11.2") == pytest.approx(311.2)
    assert parse_time("1:30") == 90.0 and parse_time("12.5") == 12.5
    assert parse_time("aa:bb") is None and parse_time("-1") is None and parse_time("1:2:3:4") is None
    assert (
        format_time(311.2) == "00:05:11.2"
        and format_time(5.25) == "00:00:05.25"
        and format_time(60) == "00:01:00.0"
    )


def test_ranges_sharing_a_boundary_or_overlapping_are_merged(tmp_path: Path) -> None:
    policy = ErrorPolicy("raise")
    ann = read_cctv_xml(_xml(tmp_path), policy)
    punching, stop_and_go = ann.objects[0].actions
    # 3650-3702 and 3702-3750 share frame 3702; 3751 touches 3750; 3920-3940 lies inside 3900-3950
    assert punching == VideoAction("person_1", "punching", ((3650, 3800), (3900, 3950)))
    assert punching.frames == 151 + 51
    assert stop_and_go == VideoAction("person_1", "stop and go", ((4000, 4010),))
    assert policy.stats["action_ranges_merged"] == 3
    kept_apart = read_cctv_xml(_xml(tmp_path), merge_touching=False).objects[0].actions[0]
    assert kept_apart.ranges == ((3650, 3750), (3751, 3800), (3900, 3950))
    assert ann.objects[1].actions == () and ann.objects[1].name == "person_2"
    assert ann.keypoints == [("person_1", 3700, 1830.0, 960.5)]


def test_merge_ranges() -> None:
    assert merge_ranges([(5, 9), (0, 5), (10, 12), (20, 20)]) == (((0, 12), (20, 20)), 2)
    assert merge_ranges([(5, 9), (0, 5), (10, 12)], merge_touching=False) == (((0, 9), (10, 12)), 1)


def test_missing_optional_header_fields_are_counted(tmp_path: Path) -> None:
    policy = ErrorPolicy("raise")
    header = "<header><fps> 30.0 </fps><frames>9336.0</frames><inout>sideways</inout></header>"
    ann = read_cctv_xml(_xml(tmp_path, header=header), policy)
    assert (ann.header.fps, ann.header.frames, ann.header.inout, ann.header.time_of_day) == (
        30.0,
        9336,
        "",
        "",
    )
    missing = {k.split("/", 1)[1] for k in policy.stats if k.startswith("header_missing/")}
    assert missing == {"duration", "location", "season", "weather", "time", "population", "character"}
    assert policy.stats["header_unrecognised/inout"] == 1


def test_round_trip_through_the_writer(tmp_path: Path) -> None:
    path = write_cctv_xml(
        tmp_path / "a.xml",
        folder="101-1",
        filename="a.mp4",
        size=(320, 180, 3),
        header={"fps": "10", "frames": "240", "time": "DAY", "inout": "OUT"},
        event_name="datefight",
        start_seconds=3.4,
        duration_seconds=6.1,
        objects=[XmlObject("person_1", 40, (12.5, 30.0), (XmlAction("pushing", ((34, 45), (45, 56))),))],
    )
    ann = read_cctv_xml(path)
    assert (ann.event, ann.event_start, ann.event_end, ann.header.inout) == ("datefight", 34, 95, "outdoor")
    assert ann.actions == (VideoAction("person_1", "pushing", ((34, 56),)),)
    assert ann.keypoints == [("person_1", 40, 12.5, 30.0)]


BOMB = """<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>"""
EXTERNAL = '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(
    ("name", "kwargs", "kind", "reason"),
    [
        ("billion laughs", {"head": BOMB, "objects": "<object><objectname>&lol3;</objectname></object>"},
         "unsafe_xml", "unsafe XML"),
        ("external entity", {"head": EXTERNAL, "objects": "<object><objectname>&x;</objectname></object>"},
         "unsafe_xml", "unsafe XML"),
        ("bare DTD", {"head": "<!DOCTYPE annotation>"}, "unsafe_xml", "unsafe XML"),
        ("not well-formed", {"objects": "<object><objectname>a</object>"}, "bad_xml", "malformed XML"),
        ("no event", {"event": ""}, "unknown_event", "no <event>"),
        ("unknown event", {"event": EVENT.replace("assult", "picnic")}, "unknown_event", "'picnic'"),
        ("event time", {"event": EVENT.replace("00:02:01.5", "soon")}, "bad_xml", "HH:MM:SS"),
        ("no fps", {"header": HEADER.replace("<fps>30</fps>", "")}, "bad_xml", "no frame rate"),
        ("fps not a number", {"header": HEADER.replace(">30<", ">thirty<")}, "bad_xml", "fps"),
        ("event past the end", {"event": EVENT.replace("00:02:01.5", "00:05:10.0")}, "event_out_of_range",
         "past the video"),
        ("event after the end", {"event": EVENT.replace("00:02:01.5", "00:06:00.0")}, "event_out_of_range",
         "starts at frame"),
        ("range start after end", {"objects": OBJECTS.replace("<start>3900</start>", "<start>3990</start>")},
         "bad_action_range", "start 3990 > end 3950"),
        ("range not a number", {"objects": OBJECTS.replace("<end>3940</end>", "<end>x</end>")},
         "bad_action_range", "not frame indices"),
        ("keypoint not a number", {"objects": OBJECTS.replace("<x>1830</x>", "<x>left</x>")},
         "bad_keypoint", "keypoint"),
    ],
)  # fmt: skip
def test_faults_are_named_with_their_kind(
    tmp_path: Path, name: str, kwargs: dict[str, str], kind: str, reason: str
) -> None:
    path = _xml(tmp_path, **kwargs)
    with pytest.raises(BadInputError) as caught:
        read_cctv_xml(path)
    assert caught.value.kind == kind, name
    assert reason in caught.value.reason and caught.value.path == str(path)


def test_a_bad_range_is_dropped_and_counted_in_skip_mode(tmp_path: Path) -> None:
    policy = ErrorPolicy("skip")
    ann = read_cctv_xml(
        _xml(tmp_path, objects=OBJECTS.replace("<start>3900</start>", "<start>3990</start>")), policy
    )
    assert ann.objects[0].actions[0].ranges == ((3650, 3800), (3920, 3940))  # 3990-3950 gone
    assert ann.objects[0].actions[0].frames == 151 + 21
    assert policy.counts["bad_action_range"] == 1


def test_an_event_slightly_past_the_end_is_clipped(tmp_path: Path) -> None:
    policy = ErrorPolicy("raise")
    # 5:00.0 + 11.5 s ends at frame 9345, 9 frames (0.3 s) past the 9336 frames
    ann = read_cctv_xml(
        _xml(tmp_path, event=EVENT.replace("00:02:01.5", "00:05:00.0").replace("40.0", "11.5")), policy
    )
    assert (ann.event_start, ann.event_end) == (9000, 9336) and policy.stats["event_clipped"] == 1
    with pytest.raises(BadInputError, match="tolerance 0.1 s"):
        read_cctv_xml(ann.path, event_tolerance_seconds=0.1)


def test_names_of_the_release() -> None:
    assert canonical_event("Assult01") == canonical_event("assault") == canonical_event("폭행") == "assault"
    assert canonical_event("Date Fight") == canonical_event("date_fight2") == "datefight"
    assert canonical_event("picnic") is None and canonical_event("brawl", {"Brawl": "fight"}) == "fight"
    assert folder_event("01.폭행(assult)") == "assault" and folder_event("12.주취행동(drunken)") == "drunken"
    assert folder_event("insidedoor_03") is None
    assert (place_dir_inout("insidedoor_03"), place_dir_inout("inside_croki_01")) == ("indoor", "indoor")
    assert (place_dir_inout("outsidedoor_12"), place_dir_inout("24-3")) == ("outdoor", None)
    info = parse_stem("24-3_cam01_assult01_place09_night_winter")
    assert info is not None
    assert (info.scene, info.camera, info.event_raw, info.event) == ("24-3", "cam01", "assult01", "assault")
    assert (info.place, info.time_of_day, info.season) == ("place09", "night", "winter")
    assert parse_stem("24-3_cam01_assault01") is None
