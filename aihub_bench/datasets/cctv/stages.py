"""The twin's 12 events: what the actors do inside the event window, and the XML actions it makes.

Each stage function maps (seconds since the event's start, the event's length in seconds, the take's
:class:`Look`) to the figures and props to draw, person_1 first. Every motion repeats at least every
1.6 s, so any 8-frame window at 5 fps shows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from aihub_bench.datasets.cctv.render import BGR, Block, Drawable, Figure, Pose, pulse, walk_pose
from aihub_bench.datasets.cctv.xml import XmlAction, seconds_to_frame


@dataclass(frozen=True)
class Look:
    u: float  # the event's anchor across the scene
    v: float  # and in depth
    colors: tuple[BGR, BGR]
    facing: int
    prop: BGR


def _assault(t: float, d: float, k: Look) -> list[Drawable]:
    hit = pulse(t, 0.5)
    recoil = pulse(t, 0.5, 0.12)
    attacker = Pose(facing=k.facing, tilt=0.15 * hit, swing=0.25, arm_front=0.2 + 1.35 * hit, arm_back=0.9)
    victim = Pose(facing=-k.facing, tilt=-0.3 * recoil, swing=0.15, arm_front=2.5, arm_back=2.3)
    side = k.facing
    return [
        Figure(k.u, -0.32 * side, k.v, attacker, k.colors[0]),
        Figure(k.u, (0.32 + 0.08 * recoil) * side, k.v, victim, k.colors[1]),
    ]


def _fight(t: float, d: float, k: Look) -> list[Drawable]:
    shift = 0.45 * math.sin(2 * math.pi * t / 1.6)
    a, b = pulse(t, 0.6), pulse(t, 0.6, 0.5)
    step = 0.3 * math.sin(2 * math.pi * t / 0.8)
    pose_a = Pose(facing=1, tilt=0.15 * a - 0.1 * b, swing=step, arm_front=0.3 + 1.3 * a, arm_back=1.0)
    pose_b = Pose(facing=-1, tilt=0.15 * b - 0.1 * a, swing=-step, arm_front=0.3 + 1.3 * b, arm_back=1.0)
    return [
        Figure(k.u, shift - 0.33, k.v, pose_a, k.colors[0]),
        Figure(k.u, shift + 0.33, k.v, pose_b, k.colors[1]),
    ]


def _burglary(t: float, d: float, k: Look) -> list[Drawable]:
    f = k.facing
    p = (t % 1.0) / 1.0
    taken = int(t // 1.0)
    reach = math.sin(math.pi * p)
    pose = Pose(facing=f, tilt=0.3 * reach, swing=0.2, arm_front=0.3 + 1.3 * reach, arm_back=0.2,
                 carry=(30, 200, 240) if p > 0.5 else None)  # fmt: skip
    shelf = [
        Block(k.u, 0.5 * f, k.v - 0.02, 0.5, 0.75, k.prop),
        *(Block(k.u, (0.38 + 0.12 * i) * f, k.v - 0.02, 0.07, 0.07, (30, 200, 240), lift=0.45)
          for i in range(max(0, 3 - taken % 4))),
    ]  # fmt: skip
    pile = Block(k.u, -0.55 * f, k.v + 0.02, 0.3, 0.05 + 0.025 * min(taken, 10), (30, 160, 200))
    return [*shelf, pile, Figure(k.u, 0.0, k.v, pose, k.colors[0])]


def _vandalism(t: float, d: float, k: Look) -> list[Drawable]:
    f = k.facing
    kick = pulse(t, 0.7)
    hits = int(t // 0.7)
    shake = 0.07 * pulse(t, 0.7, 0.15) * (1 if hits % 2 else -1)
    pose = Pose(
        facing=f, tilt=-0.15 * kick, swing=0.1, front_kick=1.1 * kick, arm_front=0.8 * kick, arm_back=0.6
    )
    height = max(0.25, 0.6 - 0.025 * hits)
    pieces = [
        Block(k.u, (0.3 + 0.09 * ((7 * i) % 5)) * f, k.v + 0.03 + 0.01 * (i % 3), 0.06, 0.04, k.prop)
        for i in range(min(hits, 14))
    ]
    flying = 0.5 * (1 - (t % 0.7) / 0.7)  # the latest hit's pieces falling
    pieces += [
        Block(k.u, (0.38 + 0.1 * i) * f, k.v + 0.02, 0.06, 0.05, k.prop, lift=flying) for i in range(2)
    ]
    return [Block(k.u, (0.5 + shake) * f, k.v - 0.02, 0.4, height, k.prop), *pieces,
            Figure(k.u, -0.05 * f, k.v, pose, k.colors[0])]  # fmt: skip


def swoon_fall_seconds(d: float) -> float:
    return min(1.2, d / 4)


def _swoon(t: float, d: float, k: Look) -> list[Drawable]:
    fall = swoon_fall_seconds(d)
    if t < fall:
        sway = 0.25 * math.sin(2 * math.pi * t / 0.5)
        progress = max(0.0, (t - 0.4 * fall) / (0.6 * fall))
        tilt = sway * (1 - progress) + (math.pi / 2) * progress**2
        pose = Pose(facing=k.facing, tilt=tilt, swing=0.2, arm_front=1.0 + progress, arm_back=0.6)
    else:
        pose = Pose(facing=k.facing, tilt=math.pi / 2, swing=0.05, arm_front=0.1, arm_back=0.05)
    return [Figure(k.u, -0.4 * k.facing, k.v, pose, k.colors[0])]


def _wander(t: float, d: float, k: Look) -> list[Drawable]:
    direction = math.cos(2 * math.pi * t / 3.2)
    stride = 0.3 * min(1.0, 2 * abs(direction))  # stops where it turns
    # slow, hands clasped behind the back
    pose = replace(
        walk_pose(t, 1 if direction >= 0 else -1, period=1.4, amount=stride), arm_front=-0.5, arm_back=-0.6
    )
    return [Figure(k.u, 0.3 * math.sin(2 * math.pi * t / 3.2), k.v + 0.18 * math.sin(2 * math.pi * t / 1.3),
                    pose, k.colors[0])]  # fmt: skip


def _trespass(t: float, d: float, k: Look) -> list[Drawable]:
    cycle, p = divmod(t / 1.6, 1.0)
    toward = 1 if int(cycle) % 2 == 0 else -1  # toward the back, then back again
    up = math.sin(math.pi * p)
    pose = Pose(facing=k.facing, tilt=0.2 * up, swing=0.6 * up, arm_front=2.7 - 0.5 * up, arm_back=2.5)
    fence: list[Drawable] = [Block(k.u, 0.0, k.v, 3.2, 0.05, k.prop, lift=0.45)]
    fence += [Block(k.u, -1.5 + 0.5 * i, k.v, 0.05, 0.5, k.prop) for i in range(7)]
    climber = Figure(k.u, 0.25 * math.sin(2 * math.pi * t / 3.2), k.v + 0.1 * (1 - 2 * p) * toward,
                      pose, k.colors[0], lift=0.5 * up)  # fmt: skip
    return [*fence, climber]


def dump_drops(d: float) -> list[float]:
    """When the dumper lets go of each bag (seconds after the event's start)."""
    return [0.85 + 1.2 * i for i in range(int((d - 0.85) // 1.2) + 1)]


def _dump(t: float, d: float, k: Look) -> list[Drawable]:
    f = k.facing
    speed = 2.2 / d

    def x_at(s: float) -> float:
        return (-1.1 + speed * s) * f

    bags: list[Drawable] = []
    for drop in dump_drops(d):
        if drop <= t:
            fallen = min(1.0, (t - drop) / 0.25)
            bags.append(Block(k.u, x_at(drop) + 0.3 * f, k.v + 0.03, 0.22, 0.16, (40, 40, 40),
                               lift=0.35 * (1 - fallen), ellipse=True))  # fmt: skip
    carrying = (t % 1.2) < 0.85 or t < 0.85
    pose = replace(
        walk_pose(t, f, period=1.2, amount=0.3), arm_front=0.5, carry=(40, 40, 40) if carrying else None
    )
    return [*bags, Figure(k.u, x_at(t), k.v, pose, k.colors[0])]


def _robbery(t: float, d: float, k: Look) -> list[Drawable]:
    f = k.facing
    p = (t % 1.6) / 1.6
    item: BGR = (20, 220, 250)
    if p < 0.45:
        robber_x, robber = -1.8 + (1.7 / 0.45) * p, replace(walk_pose(t, 1, 0.45, 0.8), tilt=0.25)
        victim = Pose(facing=-1, arm_front=0.7, carry=item)
    else:
        q = (p - 0.45) / 0.55
        robber_x, robber = -0.1 - 1.9 * q, replace(walk_pose(t, -1, 0.45, 0.8), tilt=0.25, carry=item)
        victim = Pose(facing=-1, tilt=0.25, arm_front=1.6, arm_back=1.2, swing=0.3)
    flip = lambda pose: replace(pose, facing=pose.facing * f)  # noqa: E731
    return [
        Figure(k.u, robber_x * f, k.v + 0.04, flip(robber), k.colors[0]),
        Figure(k.u, 0.35 * f, k.v, flip(victim), k.colors[1]),
    ]


def _datefight(t: float, d: float, k: Look) -> list[Drawable]:
    wave = math.sin(2 * math.pi * t / 1.2)
    gap = 0.5 + 0.2 * wave
    big = Pose(
        facing=1, tilt=-0.25 * max(0.0, -wave) + 0.15 * max(0.0, wave), swing=0.3, arm_front=1.5, arm_back=1.3
    )
    small = Pose(facing=-1, tilt=-0.3 * max(0.0, wave) + 0.1 * max(0.0, -wave), swing=0.25, arm_front=1.5,
                  arm_back=1.2)  # fmt: skip
    return [
        Figure(k.u, -gap / 2 - 0.05 * wave, k.v, big, k.colors[0], size=1.08),
        Figure(k.u, gap / 2 + 0.05 * wave, k.v, small, k.colors[1], size=0.78),
    ]


def _kidnap(t: float, d: float, k: Look) -> list[Drawable]:
    f = k.facing
    x = (-1.6 + 2.0 * (t % 2.0)) * f
    dragger = replace(walk_pose(t, f, period=0.45, amount=0.7), tilt=0.3, arm_back=-1.3, arm_front=0.6)
    victim = Pose(facing=f, tilt=math.pi / 2, swing=0.1, arm_front=2.8, arm_back=2.6)
    return [
        Figure(k.u, x, k.v, dragger, k.colors[0]),
        Figure(k.u, x - 1.2 * f, k.v + 0.02, victim, k.colors[1]),
    ]


def _drunken(t: float, d: float, k: Look) -> list[Drawable]:
    f = k.facing
    sway = math.sin(2 * math.pi * t / 0.9)
    pose = Pose(facing=f, tilt=0.4 * sway, swing=0.35 * math.sin(2 * math.pi * t / 0.8),
                 arm_front=1.2 + 0.3 * sway, arm_back=1.0 - 0.3 * sway)  # fmt: skip
    x = (-1.0 + 2.0 * t / d + 0.3 * math.sin(2 * math.pi * t / 1.1)) * f
    return [Figure(k.u, x, k.v + 0.08 * math.sin(2 * math.pi * t / 1.1 + 1.0), pose, k.colors[0])]


STAGES: dict[str, Callable[[float, float, Look], list[Drawable]]] = {
    "assault": _assault,
    "fight": _fight,
    "burglary": _burglary,
    "vandalism": _vandalism,
    "swoon": _swoon,
    "wander": _wander,
    "trespass": _trespass,
    "dump": _dump,
    "robbery": _robbery,
    "datefight": _datefight,
    "kidnap": _kidnap,
    "drunken": _drunken,
}


def _cycles(start: int, end: int, period: int) -> tuple[tuple[int, int], ...]:
    """Inclusive ranges of consecutive cycles over ``[start, end)``; every other pair shares its
    boundary frame (``next.start == prev.end``), the others touch (``next.start == prev.end + 1``)."""
    ranges = []
    s = start
    k = 0
    while s < end - 1:
        nxt = min(s + period, end - 1)
        e = nxt if k % 2 == 0 else nxt - 1
        ranges.append((s, max(s, e)))
        s = nxt
        k += 1
    return tuple(ranges)


def event_actions(event: str, start: int, end: int, fps: int) -> list[list[XmlAction]]:
    """Per person (``person_1``, ``person_2``), the actions the drawing performs, as frame ranges."""

    def cyc(seconds: float) -> tuple[tuple[int, int], ...]:
        return _cycles(start, end, max(1, seconds_to_frame(seconds, fps)))

    whole = ((start, end - 1),)
    if event == "swoon":
        fallen = start + seconds_to_frame(swoon_fall_seconds((end - start) / fps), fps)
        return [[XmlAction("totter", ((start, fallen),)), XmlAction("falldown", ((fallen - 2, fallen),)),
                 XmlAction("lying", ((fallen, end - 1),))]]  # fmt: skip
    if event == "dump":
        drops = [start + seconds_to_frame(s, fps) for s in dump_drops((end - start) / fps)]
        throws = tuple((f, min(f + seconds_to_frame(0.3, fps), end - 1)) for f in drops if f < end)
        return [[XmlAction("walking", whole), XmlAction("throwing", throws)]]
    table: dict[str, list[list[XmlAction]]] = {
        "assault": [[XmlAction("punching", cyc(0.5))], [XmlAction("standing", whole)]],
        "fight": [
            [XmlAction("punching", cyc(0.6))],
            [XmlAction("punching", cyc(0.6)), XmlAction("kicking", cyc(1.2))],
        ],
        "burglary": [[XmlAction("pick up", cyc(1.0))]],
        "vandalism": [[XmlAction("kicking", cyc(0.7))]],
        "wander": [[XmlAction("stop and go", cyc(1.6)), XmlAction("walking", whole)]],
        "trespass": [[XmlAction("climbing", cyc(1.6))]],
        "robbery": [
            [XmlAction("running", cyc(1.6)), XmlAction("grabbing", cyc(1.6)[:1])],
            [XmlAction("standing", whole)],
        ],
        "datefight": [[XmlAction("pushing", cyc(1.2))], [XmlAction("pulling", cyc(1.2))]],
        "kidnap": [[XmlAction("pulling", cyc(2.0))], [XmlAction("dragged", cyc(2.0))]],
        "drunken": [[XmlAction("totter", cyc(0.9))]],
    }
    return table[event]
