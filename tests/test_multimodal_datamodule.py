"""The multimodal datamodule on hand-made ConversationClip records and a tiny mp4 whose frame k shows a
white square at x = 7k: clip-grouped splits, turn and person samples, a vocabulary of the train scripts
only, dialogue context, crops from the right frames and boxes, batches, augmentation, bad videos, artefacts."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import torch

from aihub_bench.data import multimodal as multimodal_module
from aihub_bench.data.base import EpochShuffle
from aihub_bench.data.multimodal import MultimodalDataModule, dialogue_ids, spread
from aihub_bench.data.splits import SPLITS, LeakageError
from aihub_bench.data.subword import SubwordVocab
from aihub_bench.data.transforms import IMAGENET_MEAN, IMAGENET_STD
from aihub_bench.datasets.multimodal.layout import EMOTIONS, INTENTS
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.records import ConversationClip, FrameBox, PersonTrack, SpeakingTurn

W, H = 160, 48
FRAMES = 20
STEP, SIDE, TOP = 7, 8, 20  # frame k: a white SIDE x SIDE square at (STEP * k, TOP)
CLIPS = 12
TURN_FRAMES = 4  # turn t covers frames [4t, 4t + 4)
SCRIPTS = ("밥 먹었어요", "네 방금 먹었어요", "뭐 먹었어요", "김치찌개 먹었어요")
GREEK = "αβγδεζηθικλμ"  # one letter per clip, in its scripts only


def write_square_video(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (W, H))
    for k in range(FRAMES):
        frame = np.zeros((H, W, 3), np.uint8)
        frame[TOP : TOP + SIDE, STEP * k : STEP * k + SIDE] = 255
        writer.write(frame)
    writer.release()
    return path


def square_box(frame: int) -> FrameBox:
    return (frame, float(STEP * frame), float(TOP), float(STEP * frame + SIDE), float(TOP + SIDE))


def whole_frame(frame: int) -> FrameBox:
    return (frame, 0.0, 0.0, float(W), float(H))


def frame_shown(crop: np.ndarray) -> int:
    """Which frame a whole-frame crop (``(H, W, 3)`` at full size) is: where its square lies."""
    columns = np.flatnonzero(crop[TOP : TOP + SIDE].mean(axis=(0, 2)) > 128)
    return int(round(columns[0] / STEP))


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_square_video(tmp_path_factory.mktemp("videos") / "clip.mp4")


def make_clip(
    i: int,
    video: Path,
    group: str = "",
    box: Callable[[int], FrameBox] = square_box,
    emotions: tuple[str, ...] | None = None,
    ages: tuple[str, str] = ("20s", "40s"),
) -> ConversationClip:
    """Clip ``i``: 4 turns (speakers 1, 2, 1, 2) whose boxes follow the square, 2 persons."""
    emotions = emotions or tuple(EMOTIONS[(i + t) % 3] for t in range(4))
    turns = []
    for t in range(4):
        frames = range(TURN_FRAMES * t, TURN_FRAMES * (t + 1))
        turns.append(
            SpeakingTurn(
                index=t,
                speaker=str(1 + t % 2),
                script=f"{SCRIPTS[t]} {GREEK[i]}",
                start=frames.start,
                end=frames.stop,
                intent=INTENTS[t],
                emotion=emotions[t],
                boxes=tuple(box(f) for f in frames),
            )
        )
    persons = tuple(
        PersonTrack(
            str(p + 1),
            ("female", "male")[p],
            ages[p],
            boxes=tuple(box(f) for t in turns if t.speaker == str(p + 1) for f in range(t.start, t.end)),
        )
        for p in range(2)
    )
    key = f"clip_{i}/clip_{i}"
    return ConversationClip(
        video_path=video,
        json_path=video.with_suffix(".json"),
        key=key,
        clip_id=f"clip_{i}",
        num_frames=FRAMES,
        width=W,
        height=H,
        turns=tuple(turns),
        persons=persons,
        group=group,
    )


def make_clips(video: Path, **kwargs: Any) -> list[ConversationClip]:
    return [make_clip(i, video, **kwargs) for i in range(CLIPS)]


def fake_reader(
    clips: list[ConversationClip], root: Path, policy: ErrorPolicy, **options: Any
) -> list[ConversationClip]:
    policy.count("clips", len(clips))
    return list(reversed(clips))  # the datamodule sorts by key


def datamodule(
    tmp_path: Path, clips: list[ConversationClip], setup: bool = True, **kwargs: Any
) -> MultimodalDataModule:
    settings: dict[str, Any] = {
        "split": {"val_fraction": 0.25, "test_fraction": 0.25, "seed": 1},
        "crop": {"frames": 3, "size": [16, 16], "margin": 0.0, "cache_dir": str(tmp_path / "crops")},
        "text": {"vocab_size": 200, "max_length": 16, "context_turns": 2, "context_max_length": 40},
        "targets": ["emotion"],
        "inputs": ["text", "dialogue", "image"],
        "augment": {"hflip": 0.0},
        "batch_size": 4,
        "num_workers": 0,
    }
    settings.update(kwargs)
    dm = MultimodalDataModule(reader=partial(fake_reader, clips), root=str(tmp_path), **settings)
    if setup:
        dm.setup()
    return dm


def image_pixels(image: torch.Tensor) -> np.ndarray:
    """A ``(3, T, H, W)`` normalised item image back to ``(T, H, W, 3)`` uint8."""
    frames = image.numpy().transpose(1, 2, 3, 0) * IMAGENET_STD + IMAGENET_MEAN
    return np.clip(np.round(frames * 255), 0, 255).astype(np.uint8)


# -- splits --------------------------------------------------------------------------------------------
def test_every_turn_of_a_clip_lands_on_its_clips_side(tmp_path: Path, video: Path) -> None:
    dm = datamodule(tmp_path, make_clips(video))
    side_of_clip = {clip.key: name for name in SPLITS for clip in dm.clips[name]}
    assert [len(dm.clips[n]) for n in SPLITS] == [6, 3, 3]
    for name in SPLITS:
        samples = dm.samples(name)
        assert len(samples) == 4 * len(dm.clips[name])
        assert all(side_of_clip[s.clip] == name for s in samples)
        assert [s.key for s in samples] == sorted(s.key for s in samples)


def test_clips_sharing_a_group_stay_together(tmp_path: Path, video: Path) -> None:
    clips = [make_clip(i, video, group=f"situation_{i // 3}") for i in range(CLIPS)]
    dm = datamodule(tmp_path, clips, split={"val_fraction": 0.25, "test_fraction": 0.25, "seed": 3})
    sides: dict[str, set[str]] = {}
    for name in SPLITS:
        for sample in dm.samples(name):
            sides.setdefault(sample.group, set()).add(name)
            assert sample.group == f"situation_{int(sample.clip.split('/')[0].split('_')[1]) // 3}"
    assert len(sides) == 4 and all(len(s) == 1 for s in sides.values())
    assert all(dm.clips[name] for name in SPLITS)


def test_a_split_that_puts_one_group_on_two_sides_is_a_leakage_error(
    tmp_path: Path, video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clips = [make_clip(i, video, group=f"situation_{i // 2}") for i in range(CLIPS)]

    def careless(groups: list[str], strata: list[Any], *args: Any) -> list[str]:
        return [SPLITS[i % 3] for i in range(len(groups))]

    monkeypatch.setattr(multimodal_module, "stratified_group_split", careless)
    with pytest.raises(LeakageError, match="situation_0"):
        datamodule(tmp_path, clips)


def test_the_split_is_stratified_by_the_clips_most_common_first_target_label(
    tmp_path: Path, video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[Any]] = []
    real = multimodal_module.stratified_group_split

    def recording(groups: list[str], strata: list[Any], *args: Any) -> list[str]:
        seen.append(list(strata))
        return real(groups, strata, *args)

    monkeypatch.setattr(multimodal_module, "stratified_group_split", recording)
    clips = make_clips(video, emotions=("sad", "happy", "sad", "angry"))
    clips[1] = make_clip(1, video, emotions=("happy", "angry", "angry", "happy"))  # a tie: the earlier class
    datamodule(tmp_path, clips)
    sad, happy = EMOTIONS.index("sad"), EMOTIONS.index("happy")
    assert seen == [[sad, happy, *[sad] * (CLIPS - 2)]]


# -- samples and labels ----------------------------------------------------------------------------------
def test_turn_samples_carry_their_labels_and_the_left_out_ones_are_counted(
    tmp_path: Path, video: Path
) -> None:
    clips = make_clips(video)
    odd = clips[0]
    turns = list(odd.turns)
    turns[0] = SpeakingTurn(0, "1", "밥", 0, 4, intent="", emotion="")  # no labels, no boxes
    turns[1] = SpeakingTurn(1, "2", "네", 4, 8, intent="request", emotion="contempt", boxes=turns[1].boxes)
    turns[2] = SpeakingTurn(2, "1", "뭐", 8, 12, intent="question", emotion="sad")  # no boxes
    clips[0] = ConversationClip(**{**vars(odd), "turns": tuple(turns)})
    dm = datamodule(tmp_path, clips, targets=["emotion", "intent"])
    samples = {s.key: s for n in SPLITS for s in dm.samples(n)}
    assert len(samples) == 4 * CLIPS - 3
    assert "clip_0/clip_0#t3" in samples and "clip_0/clip_0#t0" not in samples
    sample = samples["clip_5/clip_5#t2"]
    clip = clips[5]
    assert dm.classes == {"emotion": list(EMOTIONS), "intent": list(INTENTS)}
    assert sample.labels == {
        "emotion": EMOTIONS.index(clip.turns[2].emotion),
        "intent": INTENTS.index(clip.turns[2].intent),
    }
    assert (sample.person, sample.script, sample.clip) == ("1", clip.turns[2].script, clip.key)
    stats = dm.policy.stats
    assert stats["samples_unlabelled/emotion"] == 2 and stats["samples_unlabelled/intent"] == 1
    assert stats["samples_without_boxes"] == 1
    # without image inputs a sample needs no box
    text_only = datamodule(tmp_path, clips, inputs=["text"])
    assert sum(len(text_only.samples(n)) for n in SPLITS) == 4 * CLIPS - 2


def test_a_class_list_restricts_the_samples_and_sets_the_class_order(tmp_path: Path, video: Path) -> None:
    dm = datamodule(tmp_path, make_clips(video), classes={"emotion": ["happy", "neutral"]})
    samples = [s for n in SPLITS for s in dm.samples(n)]
    kept = [t for clip in make_clips(video) for t in clip.turns if t.emotion in ("happy", "neutral")]
    assert len(samples) == len(kept)
    assert dm.policy.stats["samples_unlabelled/emotion"] == 4 * CLIPS - len(kept)
    assert dm.model_kwargs()["targets"] == {"emotion": ["happy", "neutral"]}


def test_person_samples_are_labelled_with_gender_and_the_ages_present_in_order(
    tmp_path: Path, video: Path
) -> None:
    clips = [make_clip(i, video, ages=(("20s", "100s", "40s")[i % 3], "")) for i in range(CLIPS)]
    dm = datamodule(tmp_path, clips, sample="person", targets=["gender", "age"], inputs=["image"])
    assert dm.classes == {"gender": ["male", "female"], "age": ["20s", "40s", "100s"]}
    samples = [s for n in SPLITS for s in dm.samples(n)]
    assert len(samples) == CLIPS and {s.key.split("#")[1] for s in samples} == {"p1"}
    for s in samples:
        clip_index = int(s.clip.split("/")[0].split("_")[1])
        assert s.labels == {"gender": 1, "age": [0, 2, 1][clip_index % 3]}
    assert dm.policy.stats["samples_unlabelled/age"] == CLIPS
    gender_only = datamodule(tmp_path, clips, sample="person", targets=["gender"], inputs=["image"])
    assert sum(len(gender_only.samples(n)) for n in SPLITS) == 2 * CLIPS


def test_max_clips_keeps_the_first_clips_by_key(tmp_path: Path, video: Path) -> None:
    dm = datamodule(tmp_path, make_clips(video), max_clips=9)
    kept = sorted(clip.key for n in SPLITS for clip in dm.clips[n])
    assert kept == sorted(c.key for c in make_clips(video))[:9]
    assert dm.policy.stats["clips_over_max_clips"] == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sample": "frame"}, "dataset.sample"),
        ({"targets": ["gender"]}, "dataset.targets"),
        ({"targets": []}, "dataset.targets"),
        ({"inputs": ["audio"]}, "dataset.inputs"),
        ({"sample": "person", "targets": ["age"], "inputs": ["dialogue"]}, "dataset.inputs"),
        ({"text": {"vocab": 10}}, "dataset.text"),
        ({"text": {"max_length": 64, "context_max_length": 32}}, "context_max_length"),
        ({"crop": {"size": [4, 64]}}, "dataset.crop.size"),
        ({"augment": {"rotate": 0.5}}, "dataset.augment"),
        ({"classes": {"emotion": ["happy", "happy"]}}, "dataset.classes.emotion"),
    ],
)
def test_a_bad_option_is_an_error_naming_it(tmp_path: Path, video: Path, options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        datamodule(tmp_path, make_clips(video), **options)


# -- text ------------------------------------------------------------------------------------------------
def test_the_vocabulary_is_trained_on_the_train_scripts_only(tmp_path: Path, video: Path) -> None:
    dm = datamodule(tmp_path, make_clips(video))
    vocab = dm.vocab
    assert vocab is not None
    letter = {clip.key: GREEK[int(clip.clip_id.split("_")[1])] for n in SPLITS for clip in dm.clips[n]}
    pieces = set(vocab.tokenizer.get_vocab())
    for name in SPLITS:
        for clip in dm.clips[name]:
            known = any(letter[clip.key] in piece for piece in pieces)
            assert known == (name == "train")
    test_sample = dm.samples("test")[0]
    train_sample = dm.samples("train")[0]
    assert vocab.unk_id in test_sample.text and vocab.unk_id not in train_sample.text
    assert vocab.encode(f"먹었어요 {letter[test_sample.clip]}")[-1] == vocab.unk_id
    assert test_sample.text == [vocab.bos_id, *vocab.encode(test_sample.script), vocab.eos_id]
    again = datamodule(tmp_path, make_clips(video))
    assert again.vocab == vocab  # BPE: deterministic


def test_text_is_cut_to_max_length_with_its_end_token(tmp_path: Path, video: Path) -> None:
    dm = datamodule(
        tmp_path, make_clips(video), text={"vocab_size": 60, "max_length": 5, "context_max_length": 12}
    )
    assert dm.vocab is not None
    for s in dm.samples("train"):
        full = dm.vocab.encode(s.script)
        assert s.text == [dm.vocab.bos_id, *full[:3], dm.vocab.eos_id]


def test_dialogue_ids_cut_from_the_left_and_keep_the_current_turn() -> None:
    assert dialogue_ids([[5, 6], [7]], [8, 9], 100, bos=1, eos=2) == (
        [1, 5, 6, 2, 7, 2, 8, 9, 2],
        [0, 0, 0, 0, 0, 0, 1, 1, 1],
    )
    assert dialogue_ids([[5, 6], [7]], [8, 9], 6, bos=1, eos=2) == ([1, 7, 2, 8, 9, 2], [0, 0, 0, 1, 1, 1])
    assert dialogue_ids([], [8], 6, bos=1, eos=2) == ([1, 8, 2], [0, 1, 1])


def test_dialogue_holds_the_previous_turns_of_the_clip_in_order(tmp_path: Path, video: Path) -> None:
    dm = datamodule(tmp_path, make_clips(video))
    vocab = dm.vocab
    assert vocab is not None
    clip = dm.clips["train"][0]
    by_turn = {s.turn: s for s in dm.samples("train") if s.clip == clip.key}

    def ids(t: int) -> list[int]:
        return vocab.encode(clip.turns[t].script)

    first, last = by_turn[0], by_turn[3]
    assert first.dialogue == [vocab.bos_id, *ids(0), vocab.eos_id]
    assert first.segments == [0] + [1] * (len(ids(0)) + 1)
    context = [*ids(1), vocab.eos_id, *ids(2), vocab.eos_id]  # context_turns=2: turn 0 is out
    assert last.dialogue == [vocab.bos_id, *context, *ids(3), vocab.eos_id]
    assert last.segments == [0] * (1 + len(context)) + [1] * (len(ids(3)) + 1)
    # a short budget cuts the context from the left; the current turn stays whole
    short = datamodule(
        tmp_path, make_clips(video), text={"vocab_size": 200, "max_length": 16, "context_max_length": 16}
    )
    cut = next(s for s in short.samples("train") if s.clip == clip.key and s.turn == 3)
    assert len(cut.dialogue) == 16 and cut.dialogue[0] == vocab.bos_id
    assert cut.dialogue[-(len(ids(3)) + 1) :] == [*ids(3), vocab.eos_id]
    assert cut.segments.count(1) == len(ids(3)) + 1 and cut.segments[-1] == 1


# -- images ----------------------------------------------------------------------------------------------
def test_spread_picks_evenly_and_repeats_when_short() -> None:
    boxes = [square_box(f) for f in range(5)]
    assert [b[0] for b in spread(boxes, 3)] == [0, 2, 4]
    assert [b[0] for b in spread(boxes[:2], 4)] == [0, 0, 1, 1]
    assert spread([], 3) == ()


def test_crops_come_from_the_samples_frames(tmp_path: Path, video: Path) -> None:
    dm = datamodule(
        tmp_path,
        make_clips(video, box=whole_frame),
        inputs=["image"],
        crop={"frames": 3, "size": [H, W], "margin": 0.0, "cache_dir": str(tmp_path / "crops")},
    )
    dataset = dm.dataset("val")
    for i, sample in enumerate(dataset.samples):
        t = int(sample.key.split("#t")[1])
        shown = [frame_shown(f) for f in image_pixels(dataset[i]["image"])]
        assert shown == [TURN_FRAMES * t, TURN_FRAMES * t + 2, TURN_FRAMES * t + 3]  # spread over 4 boxes


def test_crops_hold_the_speakers_box(tmp_path: Path, video: Path) -> None:
    dm = datamodule(
        tmp_path,
        make_clips(video),
        inputs=["image"],
        crop={"frames": 2, "size": [16, 16], "margin": 0.5, "cache_dir": str(tmp_path / "crops")},
    )
    dataset = dm.dataset("test")
    at = next(
        i for i, s in enumerate(dataset.samples) if s.turn == 2
    )  # frames 8-11: the square in the middle
    frames = image_pixels(dataset[at]["image"])
    assert frames.shape == (2, 16, 16, 3)
    for frame in frames:  # the square grown by half its side on each side: white inside, black around
        assert frame[5:11, 5:11].mean() > 220 and frame[:3].mean() < 30 and frame[:, :3].mean() < 30
    # one crop array per clip, the union of its samples' boxes, read back from the cache
    clip = dataset.samples[at].clip
    video_path, boxes = dm.crop_jobs[clip]
    assert video_path == video and len(boxes) == 4 * 2
    assert dm.cache is not None and isinstance(dm.cache.get(video_path, boxes), np.memmap)
    copy = pickle.loads(pickle.dumps(dataset))  # what a loader worker gets: no mapped arrays
    assert dataset._open and not copy._open
    torch.testing.assert_close(copy[at]["image"], dataset[at]["image"])


def test_person_crops_spread_over_all_its_boxes(tmp_path: Path, video: Path) -> None:
    dm = datamodule(
        tmp_path,
        make_clips(video, box=whole_frame),
        sample="person",
        targets=["gender"],
        inputs=["image"],
        crop={"frames": 4, "size": [H, W], "margin": 0.0, "cache_dir": str(tmp_path / "crops")},
    )
    dataset = dm.dataset("train")
    shown = {
        s.key.split("#")[1]: [frame_shown(f) for f in image_pixels(dataset[i]["image"])]
        for i, s in enumerate(dataset.samples[:2])
    }
    # person 1 speaks turns 0 and 2 (frames 0-3, 8-11): 8 boxes, 4 spread over them; person 2 turns 1 and 3
    assert shown == {"p1": [0, 2, 9, 11], "p2": [4, 6, 13, 15]}


# -- batches and augmentation ----------------------------------------------------------------------------
def test_batches_hold_padded_text_dialogue_images_and_labels(tmp_path: Path, video: Path) -> None:
    dm = datamodule(tmp_path, make_clips(video), targets=["emotion", "intent"])
    batch = next(iter(dm.val_dataloader()))
    b = 4
    assert batch["text"].dtype == torch.int64 and batch["text_mask"].dtype == torch.bool
    assert batch["text"].shape == batch["text_mask"].shape and batch["text"].shape[0] == b
    assert (batch["text"][~batch["text_mask"]] == 0).all() and (batch["text"][batch["text_mask"]] != 0).all()
    samples = dm.samples("val")[:b]
    assert batch["text_mask"].sum(1).tolist() == [len(s.text) for s in samples]
    assert batch["dialogue"].shape == batch["dialogue_mask"].shape == batch["dialogue_segments"].shape
    assert batch["dialogue_segments"].dtype == torch.int64
    assert batch["dialogue"][0, : len(samples[0].dialogue)].tolist() == samples[0].dialogue
    assert batch["image"].shape == (b, 3, 3, 16, 16) and batch["image"].dtype == torch.float32
    assert set(batch["labels"]) == {"emotion", "intent"}
    assert batch["labels"]["intent"].dtype == torch.int64 and batch["labels"]["intent"].tolist() == [
        s.labels["intent"] for s in samples
    ]
    assert batch["key"] == [s.key for s in samples] and batch["clip"] == [s.clip for s in samples]
    assert batch["person"] == [s.person for s in samples] and batch["script"] == [s.script for s in samples]
    assert next(iter(dm.train_dataloader()))["image"].shape == (b, 3, 3, 16, 16)


@pytest.mark.parametrize(
    ("sample", "targets", "inputs", "present", "absent"),
    [
        ("turn", ["intent"], ["text"], {"text", "text_mask"}, {"dialogue", "image", "dialogue_segments"}),
        ("turn", ["emotion"], ["image"], {"image"}, {"text", "dialogue"}),
        ("person", ["gender", "age"], ["image"], {"image"}, {"text", "text_mask", "dialogue"}),
    ],
)
def test_only_the_inputs_asked_for_are_in_the_batch(
    tmp_path: Path,
    video: Path,
    sample: str,
    targets: list[str],
    inputs: list[str],
    present: set[str],
    absent: set[str],
) -> None:
    dm = datamodule(tmp_path, make_clips(video), sample=sample, targets=targets, inputs=inputs)
    batch = next(iter(dm.test_dataloader()))
    assert present <= set(batch) and not absent & set(batch)
    assert set(batch["labels"]) == set(targets)
    if "image" not in inputs:
        assert dm.cache is None and not (tmp_path / "crops").exists()


def _epoch_images(dataset: Any, epoch: int) -> dict[str, torch.Tensor]:
    sampler = EpochShuffle(len(dataset), seed=7)
    sampler.set_epoch(epoch)
    order = list(sampler)  # seeds the NumPy RNG for (seed, epoch), as at the start of every epoch
    return {dataset.samples[i].key: dataset[i]["image"] for i in order}


def test_hflip_flips_every_frame_of_a_sample_alike_and_is_fixed_by_seed_and_epoch(
    tmp_path: Path, video: Path
) -> None:
    dm = datamodule(tmp_path, make_clips(video), inputs=["image"], augment={"hflip": 0.5})
    train = dm.dataset("train")
    first, again, other = _epoch_images(train, 0), _epoch_images(train, 0), _epoch_images(train, 1)
    flips = {}
    for i, sample in enumerate(train.samples):
        plain = train.frames(i)
        seen = image_pixels(first[sample.key])
        torch.testing.assert_close(first[sample.key], again[sample.key])
        if np.array_equal(seen, plain):
            flips[sample.key] = False
        else:
            np.testing.assert_array_equal(seen, plain[:, :, ::-1])  # every frame mirrored
            flips[sample.key] = True
    assert 0 < sum(flips.values()) < len(flips)
    assert any(not torch.equal(first[k], other[k]) for k in first)
    assert dm.dataset("val").augment is None


# -- bad videos ------------------------------------------------------------------------------------------
def _with_bad_video(tmp_path: Path, video: Path) -> tuple[list[ConversationClip], Path]:
    bad = tmp_path / "clip_3.mp4"
    bad.write_text("not a video", encoding="utf-8")
    clips = make_clips(video)
    clips[3] = ConversationClip(**{**vars(clips[3]), "video_path": bad})
    return clips, bad


def test_skip_mode_drops_the_clip_of_an_unreadable_video_and_counts_it(tmp_path: Path, video: Path) -> None:
    clips, bad = _with_bad_video(tmp_path, video)
    dm = datamodule(tmp_path, clips, on_error="skip")
    kept = [clip.key for n in SPLITS for clip in dm.clips[n]]
    assert "clip_3/clip_3" not in kept and len(kept) == CLIPS - 1
    assert dm.policy.stats["clips_unreadable"] == 1 and dm.policy.stats["samples_dropped"] == 4
    assert dm.policy.counts["unreadable_video"] == 1 and dm.policy.examples[0]["path"] == str(bad)


def test_raise_mode_names_the_unreadable_video(tmp_path: Path, video: Path) -> None:
    clips, bad = _with_bad_video(tmp_path, video)
    with pytest.raises(BadInputError, match="clip_3.mp4") as caught:
        datamodule(tmp_path, clips)
    assert caught.value.kind == "unreadable_video"


# -- what the task and the run directory get --------------------------------------------------------------
def test_model_kwargs_name_the_classes_in_korean_and_size_the_vocabulary(tmp_path: Path, video: Path) -> None:
    dm = datamodule(tmp_path, make_clips(video), setup=False, targets=["emotion", "intent"])
    with pytest.raises(RuntimeError, match="setup"):
        dm.model_kwargs()
    dm.setup()
    kwargs = dm.model_kwargs()
    assert dm.vocab is not None and kwargs["vocab_size"] == dm.vocab.vocab_size <= 200
    assert kwargs["pad_id"] == 0 == SubwordVocab.pad_id
    assert kwargs["targets"] == {"emotion": list(EMOTIONS), "intent": list(INTENTS)}
    assert kwargs["display_names"]["emotion"][1] == "기쁨 (happy)"
    assert kwargs["display_names"]["intent"][1] == "질문 (question)"
    assert kwargs["inputs"] == ["text", "dialogue", "image"]
    persons = datamodule(tmp_path, make_clips(video), sample="person", targets=["age"], inputs=["image"])
    assert persons.model_kwargs()["display_names"] == {"age": ["20대 (20s)", "40대 (40s)"]}
    assert persons.model_kwargs()["vocab_size"] == 0


def test_write_artifacts_lists_the_clips_saves_the_vocabulary_and_reports_counts(
    tmp_path: Path, video: Path
) -> None:
    dm = datamodule(tmp_path, make_clips(video), targets=["emotion", "intent"])
    run_dir = tmp_path / "run"
    dm.write_artifacts(run_dir)
    for name in SPLITS:
        listed = (run_dir / f"clips_{name}.txt").read_text(encoding="utf-8").split()
        assert listed == [clip.key for clip in dm.clips[name]]
    assert SubwordVocab.load(run_dir / "tokenizer.json") == dm.vocab
    report = json.loads((run_dir / "data_report.json").read_text(encoding="utf-8"))
    assert report["stats"]["clips"] == CLIPS  # the reader's count
    assert report["classes"]["intent"] == list(INTENTS)
    assert report["crop_cache"]["clips"] == CLIPS and report["crop_cache"]["crops"] == CLIPS * 4 * 3
    for name in SPLITS:
        sizes = report["split_sizes"][name]
        samples = dm.samples(name)
        assert (sizes["clips"], sizes["groups"], sizes["samples"]) == (len(dm.clips[name]),) * 2 + (
            len(samples),
        )
        for target in ("emotion", "intent"):
            per_class = sizes["samples_per_class"][target]
            assert list(per_class) == dm.classes[target]
            for index, label in enumerate(dm.classes[target]):
                assert per_class[label] == sum(s.labels[target] == index for s in samples)
