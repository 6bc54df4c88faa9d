"""Face evaluator (aihub_bench.metrics.face_evaluator) on hand-made embeddings whose right numbers are
known: six identities with one-hot embeddings; their C1 and C4 images are right, their C10 images
(accessory S002) carry the *next* identity's embedding, so everything touching C10 / S002 fails."""

from __future__ import annotations

import csv
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from aihub_bench import distributed
from aihub_bench.metrics.face import kfold_verification_accuracy
from aihub_bench.metrics.face_evaluator import FaceEvaluator, code_order, far_label
from aihub_bench.records import FACE_FACTORS, FacePair

IDS = [f"1900000{i}" for i in range(1, 7)]
DIM = 8


def _key(identity: str, camera: str) -> str:
    accessory = "S002" if camera == "C10" else "S001"
    return f"{identity}/{accessory}/L1/E01/{camera}.jpg"


def _images() -> list[tuple[str, str, np.ndarray]]:
    """(key, identity, embedding): C7 (the gallery image), C1, C4 right; C10 the next identity's."""
    rows = []
    for i, identity in enumerate(IDS):
        for camera in ("C7", "C1", "C4", "C10"):
            owner = (i + 1) % len(IDS) if camera == "C10" else i
            rows.append((_key(identity, camera), identity, np.eye(DIM)[owner] * (1 + i)))
    return rows


def _pairs() -> list[FacePair]:
    """Per identity 3 same pairs and 3 different ones (with the next identity); C10's are wrong."""
    same, different = [], []
    for i, identity in enumerate(IDS):
        other = IDS[(i + 1) % len(IDS)]
        same += [
            FacePair(_key(identity, "C1"), _key(identity, "C4"), True),
            FacePair(_key(identity, "C7"), _key(identity, "C1"), True),
            FacePair(_key(identity, "C10"), _key(identity, "C7"), True),
        ]
        different += [
            FacePair(_key(identity, "C1"), _key(other, "C4"), False),
            FacePair(_key(identity, "C7"), _key(other, "C1"), False),
            FacePair(_key(identity, "C10"), _key(other, "C7"), False),
        ]
    return same + different


def _expected_scores() -> np.ndarray:
    """Cosine of each pair of :func:`_pairs`: 1 for the clean same pairs and the C10 different ones."""
    per_identity_same, per_identity_different = [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]
    return np.array(per_identity_same * len(IDS) + per_identity_different * len(IDS))


GALLERY = [_key(identity, "C7") for identity in IDS]
PROBES = [key for key, _, _ in _images() if not key.endswith("C7.jpg")]
NAMES = {"camera": {"C7": "frontal"}, "accessory": {"S001": "none", "S002": "glasses"}}


def _batches(
    rows: list[tuple[str, str, np.ndarray]], size: int = 5
) -> list[tuple[dict[str, Any], torch.Tensor]]:
    batches = []
    for start in range(0, len(rows), size):
        part = rows[start : start + size]
        batch: dict[str, Any] = {"key": [key for key, _, _ in part], "identity": [i for _, i, _ in part]}
        for position, factor in enumerate(FACE_FACTORS):
            batch[factor] = [key.split("/")[1 + position].removesuffix(".jpg") for key, _, _ in part]
        batches.append((batch, torch.tensor(np.stack([emb for _, _, emb in part]), dtype=torch.float32)))
    return batches


def _evaluated(rows: list[tuple[str, str, np.ndarray]] | None = None, **kwargs: Any) -> FaceEvaluator:
    evaluator = FaceEvaluator(_pairs(), GALLERY, PROBES, folds=5, condition_names=NAMES, **kwargs)
    for batch, embeddings in _batches(_images() if rows is None else rows):
        evaluator.process(batch, embeddings)
    evaluator.evaluate()
    return evaluator


def test_overall_metrics_equal_the_known_numbers() -> None:
    metrics = _evaluated().metrics
    scores, labels = _expected_scores(), np.array([1] * 18 + [0] * 18)
    accuracy, std, threshold = kfold_verification_accuracy(scores, labels, folds=5)
    assert metrics["verification_accuracy"] == pytest.approx(accuracy)
    assert metrics["verification_accuracy_std"] == pytest.approx(std)
    assert metrics["verification_threshold"] == pytest.approx(threshold) == pytest.approx(0.5)
    # same pairs: 12 at 1, 6 at 0; different: 6 at 1, 12 at 0 -> 144 wins, 72 + 72 ties of 324
    assert metrics["roc_auc"] == pytest.approx((144 + 0.5 * (72 + 72)) / 324)
    assert metrics["eer"] == pytest.approx(1 / 3)
    assert metrics["TAR@FAR=1e-2"] == metrics["TAR@FAR=1e-4"] == 0.0  # a different pair scores 1
    assert (metrics["pairs"], metrics["positive_pairs"], metrics["negative_pairs"]) == (36, 18, 18)
    # C10 probes: the next identity scores 1, the own and four others 0 -> pessimistic rank 6
    assert metrics["rank1"] == pytest.approx(2 / 3) and metrics["rank5"] == pytest.approx(2 / 3)
    assert (metrics["probes"], metrics["gallery"]) == (18, 6)


def test_the_failing_condition_stands_out() -> None:
    metrics = _evaluated().metrics
    assert metrics["camera/C10/rank1"] == 0.0 and metrics["accessory/S002/rank1"] == 0.0
    assert metrics["camera/C1/rank1"] == metrics["camera/C4/rank1"] == metrics["accessory/S001/rank1"] == 1.0
    assert metrics["camera/C10/probes"] == 6 and metrics["accessory/S001/probes"] == 12
    assert metrics["camera/C10/verification_accuracy"] == 0.0 and metrics["camera/C10/pairs"] == 12
    assert metrics["camera/C1/verification_accuracy"] == 1.0 and metrics["camera/C1/pairs"] == 24
    assert metrics["camera/C7/verification_accuracy"] == 0.5 and metrics["camera/C7/pairs"] == 24
    # a pair counts once for a code both its images have
    assert metrics["light/L1/pairs"] == 36
    assert metrics["light/L1/verification_accuracy"] == pytest.approx(24 / 36)


def test_per_condition_keys() -> None:
    metrics = _evaluated().metrics
    per_condition = {key for key in metrics if key.split("/")[0] in FACE_FACTORS}
    expected = {
        f"{factor}/{code}/{name}"
        for factor, codes in (("accessory", ("S001", "S002")), ("light", ("L1",)), ("expression", ("E01",)))
        for code in codes
        for name in ("rank1", "probes", "verification_accuracy", "pairs")
    }
    expected |= {f"camera/{c}/{n}" for c in ("C1", "C4", "C10") for n in ("rank1", "probes")}
    expected |= {
        f"camera/{c}/{n}" for c in ("C1", "C4", "C7", "C10") for n in ("verification_accuracy", "pairs")
    }
    assert per_condition == expected  # no camera/C7/rank1: C7 images are all in the gallery


def test_duplicates_and_two_ranks_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    single = _evaluated().metrics
    assert _evaluated(_images() + _images()[:7]).metrics == single  # DDP padding repeats images
    rank1 = FaceEvaluator(_pairs(), GALLERY, PROBES, folds=5)
    for batch, embeddings in _batches(_images()[1::2]):
        rank1.process(batch, embeddings)
    rank0 = FaceEvaluator(_pairs(), GALLERY, PROBES, folds=5)
    for batch, embeddings in _batches(_images()[::2]):
        rank0.process(batch, embeddings)
    monkeypatch.setattr(distributed, "gather_lists", lambda items, interleave=False: [*items, *rank1._items])
    assert rank0.evaluate() == single


def test_embeddings_are_normalised_so_scores_are_cosines() -> None:
    # _images scales identity i's vectors by (1 + i); unnormalised dot products would exceed 1
    evaluator = _evaluated()
    assert evaluator.metrics["verification_threshold"] == pytest.approx(0.5)
    stored = np.stack([item.embedding for item in evaluator.gathered])
    np.testing.assert_allclose(np.linalg.norm(stored, axis=1), 1.0, rtol=1e-6)


def test_images_not_evaluated_are_left_out_counted_and_warned(caplog: pytest.LogCaptureFixture) -> None:
    # an epoch cut short (limit_test_batches) leaves images without an embedding
    complete = _evaluated().metrics
    rows = [row for row in _images() if row[0] not in {_key(IDS[0], "C4"), _key(IDS[1], "C7")}]
    with caplog.at_level(logging.WARNING):
        metrics = _evaluated(rows).metrics
    assert "19000001/S001/L1/E01/C4.jpg" in caplog.text
    assert metrics["pairs_not_evaluated"] > 0
    assert metrics["pairs"] == complete["pairs"] - metrics["pairs_not_evaluated"]
    # IDS[1]'s gallery image is gone: its probes cannot be ranked and are counted too
    assert metrics["gallery_not_evaluated"] == 1
    assert metrics["gallery"] == complete["gallery"] - 1
    lost = sum(1 for key in PROBES if key.startswith(IDS[1]) or key == _key(IDS[0], "C4"))
    assert metrics["probes_not_evaluated"] == lost
    assert metrics["probes"] == complete["probes"] - lost
    assert "pairs_not_evaluated" not in complete and "probes_not_evaluated" not in complete


def test_without_pairs_only_identification_is_scored(tmp_path: Path) -> None:
    evaluator = FaceEvaluator([], GALLERY, PROBES)
    for batch, embeddings in _batches(_images()):
        evaluator.process(batch, embeddings)
    metrics = evaluator.evaluate()
    assert "verification_accuracy" not in metrics and "camera/C1/pairs" not in metrics
    assert metrics["rank1"] == pytest.approx(2 / 3)
    names = sorted(path.name for path in evaluator.write(tmp_path))
    assert names == ["conditions_test.csv", "identification_test.csv", "results.md"]
    assert "Not scored: fewer than 2 same-person" in (tmp_path / "results.md").read_text(encoding="utf-8")


def test_a_batch_and_embeddings_of_different_sizes_are_refused() -> None:
    batch, embeddings = _batches(_images())[0]
    with pytest.raises(ValueError, match="for a batch of 5 images"):
        FaceEvaluator(_pairs(), GALLERY, PROBES).process(batch, embeddings[:3])


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_files_written_and_their_content(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    evaluator = _evaluated(split="val")
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        written = evaluator.write(tmp_path)
    assert not [w for w in caught if "glyph" in str(w.message)]
    assert "glyph" not in caplog.text
    assert sorted(path.name for path in written) == [
        "conditions_val.csv",
        "identification_val.csv",
        "results.md",
        "roc_val.png",
        "verification_val.csv",
    ]
    assert (tmp_path / "roc_val.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    verification = _read_csv(tmp_path / "verification_val.csv")
    assert [(row["key_a"], row["key_b"], row["label"] == "1") for row in verification] == [
        (p.key_a, p.key_b, p.same) for p in _pairs()
    ]
    np.testing.assert_allclose([float(row["score"]) for row in verification], _expected_scores(), atol=1e-6)
    assert [row["accepted"] for row in verification] == [str(int(s)) for s in _expected_scores()]

    identification = {row["key"]: row for row in _read_csv(tmp_path / "identification_val.csv")}
    assert len(identification) == 18
    wrong = identification[_key(IDS[0], "C10")]
    assert (wrong["identity"], wrong["accessory"], wrong["camera"], wrong["rank"], wrong["top1"]) == (
        IDS[0],
        "S002",
        "C10",
        "6",
        IDS[1],
    )
    right = identification[_key(IDS[3], "C4")]
    assert (right["rank"], right["top1"]) == ("1", IDS[3])
    assert "top5" in right and "top6" not in right

    conditions = _read_csv(tmp_path / "conditions_val.csv")
    cameras = [row for row in conditions if row["factor"] == "camera"]
    assert [row["code"] for row in cameras] == ["C1", "C4", "C7", "C10"]  # numeric order
    c7 = cameras[2]
    assert (c7["name"], c7["probes"], c7["rank1"], c7["pairs"]) == ("frontal", "", "", "24")
    c10 = cameras[3]
    assert (float(c10["rank1"]), float(c10["verification_accuracy"])) == (0.0, 0.0)


def test_results_markdown(tmp_path: Path) -> None:
    _evaluated().write(tmp_path)
    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "# Face recognition results (test)" in text
    assert "| 36 | 18 | 18 |" in text  # pairs, same, different
    assert "| 6 | 18 | 0.667 | 0.667 |" in text  # gallery identities, probes, rank-1, rank-5
    assert "TAR@FAR=1e-2: only 18 different-person pairs (< 100)" in text
    assert "at the overall threshold" in text
    camera = text.split("### camera")[1]
    assert camera.index("| C1 |") < camera.index("| C4 |") < camera.index("| C7 |") < camera.index("| C10 |")
    assert "| C7 | frontal | — | — | 24 | 0.500 |" in camera
    assert "| C10 | — | 6 | 0.000 | 12 | 0.000 |" in camera
    assert "Lowest rank-1: C10 (0.000)." in camera
    assert "Lowest rank-1" not in text.split("### light")[1].split("###")[0]  # a single code
    assert "| S002 | glasses | 6 | 0.000 | 12 | 0.000 |" in text.split("### accessory")[1]


def test_key_helpers() -> None:
    assert [far_label(f) for f in (1e-2, 1e-3, 1e-4, 5e-3, 0.015)] == [
        "1e-2",
        "1e-3",
        "1e-4",
        "5e-3",
        "1.5e-2",
    ]
    assert sorted(["L10", "L2", "L1", "E01", "S001"], key=code_order) == ["E01", "L1", "L2", "L10", "S001"]


def test_custom_fars_name_their_keys(tmp_path: Path) -> None:
    evaluator = _evaluated(fars=(0.0, 0.5))
    metrics = evaluator.metrics
    assert "TAR@FAR=1e-2" not in metrics
    # FAR 0: above every different pair's score (1) -> nothing accepted; FAR 0.5: 9 false accepts
    # allowed, the 6 at score 1 all accepted with the 12 clean same pairs
    assert (metrics["TAR@FAR=0e0"], metrics["TAR@FAR=5e-1"]) == (0.0, pytest.approx(12 / 18))
    assert (tmp_path / "roc_test.png") in evaluator.write(tmp_path)
