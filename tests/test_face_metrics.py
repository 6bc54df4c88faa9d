"""Face metrics (aihub_bench.metrics.face): hand-computed small cases, and cross-checks of TAR@FAR and
the EER against scikit-learn's ``roc_curve``, of the k-fold accuracy against a brute-force threshold
search, and of the identification ranks against a plain loop."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold

from aihub_bench.metrics import face
from aihub_bench.metrics.face import (
    best_threshold,
    equal_error_rate,
    identification_ranks,
    identity_scores,
    kfold_verification_accuracy,
    rank_accuracy,
    roc_auc,
    tar_at_far,
    top_identities,
)

FARS = (0.0, 1e-4, 1e-3, 1e-2, 0.05, 0.1, 0.29, 0.5, 1.0)


def _random_pairs(seed: int, rounded: bool) -> tuple[np.ndarray, np.ndarray]:
    """Scores of same pairs shifted up; rounded to 1 decimal they tie a lot."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 120))
    labels = rng.integers(0, 2, n)
    labels[:2] = (0, 1)
    scores = rng.normal(size=n) * 0.3 + 0.4 * labels
    return (np.round(scores, 1) if rounded else scores), labels


RANDOM_CASES = [(seed, rounded) for seed in range(12) for rounded in (False, True)]


# -- input checks ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("scores", "labels", "message"),
    [
        ([0.1, 0.2], [0, 1, 1], "differ in length"),
        ([0.1, np.nan], [0, 1], "finite"),
        ([0.1, 0.2], [0, 2], "labels must be 1"),
        ([0.1, 0.2], [1, 1], "every pair is a same-person pair"),
        ([], [], "empty"),
        ([[0.1, 0.2]], [[0, 1]], "1-D"),
    ],
)
def test_bad_scores_or_labels_are_named(scores: list, labels: list, message: str) -> None:
    for metric in (roc_auc, equal_error_rate, lambda s, y: tar_at_far(s, y, 0.1)):
        with pytest.raises(ValueError, match=message):
            metric(scores, labels)


def test_boolean_labels_are_accepted() -> None:
    assert roc_auc([0.9, 0.1], [True, False]) == 1.0


# -- k-fold verification accuracy ------------------------------------------------------------------
def test_best_threshold_by_hand() -> None:
    # candidates 0.1 (2/4), 0.225 (3/4), 0.375 (2/4), 0.6 (3/4), above 0.8 (2/4): the lower tie wins
    assert best_threshold([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx((0.225, 0.75))
    # all one kind: accept everything at the lowest score
    assert best_threshold([0.3, 0.7], [1, 1]) == (0.3, 1.0)
    threshold, accuracy = best_threshold([0.3, 0.7], [0, 0])
    assert accuracy == 1.0 and threshold > 0.7


def test_kfold_on_separable_pairs_with_positives_first() -> None:
    scores = np.array([0.6] * 10 + [0.8] * 10 + [0.2] * 20)
    labels = np.array([1] * 20 + [0] * 20)
    assert kfold_verification_accuracy(scores, labels) == (1.0, 0.0, pytest.approx(0.4))


def test_kfold_by_hand_with_two_folds() -> None:
    # stratified folds without shuffle: fold 0 holds positives 0-1 and negatives 0-1
    scores = [0.9, 0.8, 0.3, 0.7, 0.1, 0.2, 0.6, 0.4]
    labels = [1, 1, 1, 1, 0, 0, 0, 0]
    # fold 0 held out: train (0.3, 0.7 | 0.6, 0.4) -> best 0.65 (3/4) -> held-out (0.9, 0.8 | 0.1, 0.2): 1.0
    # fold 1 held out: train (0.9, 0.8 | 0.1, 0.2) -> best 0.5 (4/4) -> held-out (0.3, 0.7 | 0.6, 0.4): 0.5
    mean, std, threshold = kfold_verification_accuracy(scores, labels, folds=2)
    assert (mean, std, threshold) == pytest.approx((0.75, 0.25, 0.575))


def _brute_force_kfold(scores: np.ndarray, labels: np.ndarray, folds: int) -> tuple[float, float, float]:
    """The same protocol with every threshold tried one by one."""
    n_splits = min(folds, int(labels.sum()), int(len(labels) - labels.sum()))
    accuracies, thresholds = [], []
    for train, test in StratifiedKFold(n_splits).split(scores.reshape(-1, 1), labels):
        values = sorted(set(scores[train].tolist()))
        candidates = [values[0]]
        candidates += [(low + high) / 2 for low, high in zip(values, values[1:], strict=False)]
        candidates += [values[-1] + 1e-9]
        best, best_accuracy = candidates[0], -1.0
        for t in candidates:
            accuracy = float(np.mean((scores[train] >= t) == (labels[train] == 1)))
            if accuracy > best_accuracy:
                best, best_accuracy = t, accuracy
        thresholds.append(best)
        accuracies.append(float(np.mean((scores[test] >= best) == (labels[test] == 1))))
    return float(np.mean(accuracies)), float(np.std(accuracies)), float(np.mean(thresholds))


@pytest.mark.parametrize(("seed", "rounded"), RANDOM_CASES)
def test_kfold_matches_brute_force(seed: int, rounded: bool) -> None:
    scores, labels = _random_pairs(seed, rounded)
    if min(labels.sum(), len(labels) - labels.sum()) < 2:
        labels[2:4] = (0, 1)
    expected = _brute_force_kfold(scores, labels, 10)
    assert kfold_verification_accuracy(scores, labels) == pytest.approx(expected, abs=1e-8)


def test_kfold_uses_fewer_folds_with_few_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[int] = []

    class Recording(StratifiedKFold):
        def __init__(self, n_splits: int) -> None:
            used.append(n_splits)
            super().__init__(n_splits)

    monkeypatch.setattr(face, "StratifiedKFold", Recording)
    kfold_verification_accuracy(np.linspace(0, 1, 33), [1] * 3 + [0] * 30)
    assert used == [3]
    with pytest.raises(ValueError, match="at least 2 same-person"):
        kfold_verification_accuracy([0.9, 0.1, 0.2], [1, 0, 0])
    with pytest.raises(ValueError, match="folds must be at least 2"):
        kfold_verification_accuracy([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0], folds=1)


# -- TAR@FAR ---------------------------------------------------------------------------------------
HAND_POS = [0.95, 0.85, 0.6, 0.5, 0.4]
HAND_NEG = [0.9, 0.5, 0.3, 0.2, 0.1, 0.0, -0.1, -0.2, -0.3, -0.4]


@pytest.mark.parametrize(
    ("far", "tar", "threshold"),
    [
        (0.1, 3 / 5, 0.6),  # one false accept allowed: 0.9 accepted, 0.5 (tied with a positive) not
        (0.2, 1.0, 0.4),  # two: 0.5 accepted with its tied positive; every positive is above 0.3
        (0.05, 1 / 5, 0.95),  # fewer than 1/far negatives: FAR 0, above every negative
        (0.0, 1 / 5, 0.95),
        (1.0, 1.0, -0.4),
    ],
)
def test_tar_at_far_by_hand(far: float, tar: float, threshold: float) -> None:
    scores, labels = HAND_POS + HAND_NEG, [1] * len(HAND_POS) + [0] * len(HAND_NEG)
    assert tar_at_far(scores, labels, far) == (pytest.approx(tar), threshold)


def test_tar_at_far_when_a_negative_scores_highest() -> None:
    tar, threshold = tar_at_far([0.5, 0.4, 0.9], [1, 1, 0], 0.1)
    assert tar == 0.0 and threshold > 0.9


def _sklearn_tar_at_far(scores: np.ndarray, labels: np.ndarray, far: float) -> tuple[float, float]:
    fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
    last = np.flatnonzero(fpr <= far)[-1]  # fpr rises along the curve: the lowest threshold allowed
    return float(tpr[last]), float(thresholds[last])


@pytest.mark.parametrize(("seed", "rounded"), RANDOM_CASES)
def test_tar_at_far_matches_roc_curve(seed: int, rounded: bool) -> None:
    scores, labels = _random_pairs(seed, rounded)
    for far in FARS:
        expected_tar, expected_threshold = _sklearn_tar_at_far(scores, labels, far)
        tar, threshold = tar_at_far(scores, labels, far)
        assert tar == pytest.approx(expected_tar)
        if np.isinf(expected_threshold):  # roc_curve's "accept nothing"
            assert threshold > scores.max()
        else:
            assert threshold == expected_threshold


def test_tar_at_far_rejects_a_far_outside_0_1() -> None:
    with pytest.raises(ValueError, match="far must be in"):
        tar_at_far([0.1, 0.9], [0, 1], 1.5)


# -- EER and AUC -----------------------------------------------------------------------------------
def test_eer_by_hand() -> None:
    # ROC (FAR, TAR): (0, 0) -> (0, 0.5) at 0.9 -> (0.5, 1) at the tie 0.5; FAR = 1 - TAR halfway
    assert equal_error_rate([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]) == pytest.approx((0.25, 0.7))
    # a ROC point on the line: at 0.6, FAR = FRR = 0.5
    assert equal_error_rate([0.9, 0.4, 0.6, 0.1], [1, 1, 0, 0]) == pytest.approx((0.5, 0.6))
    eer, threshold = equal_error_rate([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])
    assert eer == 0.0 and 0.2 < threshold <= 0.8


@pytest.mark.parametrize(("seed", "rounded"), RANDOM_CASES)
def test_eer_matches_roc_curve(seed: int, rounded: bool) -> None:
    scores, labels = _random_pairs(seed, rounded)
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    expected = brentq(lambda x: 1.0 - x - interp1d(fpr, tpr)(x), 0.0, 1.0)
    assert equal_error_rate(scores, labels)[0] == pytest.approx(expected, abs=1e-9)


def test_roc_auc_by_hand_and_against_sklearn() -> None:
    assert roc_auc([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]) == 0.875  # the tie counts a half
    scores, labels = _random_pairs(3, rounded=True)
    assert roc_auc(scores, labels) == roc_auc_score(labels, scores)


# -- identification --------------------------------------------------------------------------------
GALLERY = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
GALLERY_IDS = ["a", "b", "c"]


def test_ranks_by_hand() -> None:
    probes = np.array([[2.0, 0.1], [0.6, 0.8], [1.0, 1.0], [-1.0, -0.2]])
    # a: a first; b: b (0.8) before a (0.6); the tie a = b counts against the probe; c first
    ranks = identification_ranks(GALLERY, GALLERY_IDS, probes, ["a", "a", "b", "c"])
    assert ranks.tolist() == [1, 2, 2, 1]
    assert rank_accuracy(ranks, 1) == 0.5 and rank_accuracy(ranks, 2) == 1.0


def test_a_repeated_gallery_identity_scores_its_best_image() -> None:
    gallery = np.vstack([GALLERY, [[0.0, -1.0]]])
    ranks = identification_ranks(gallery, [*GALLERY_IDS, "a"], [[0.1, -1.0]], ["a"])
    assert ranks.tolist() == [1]


def test_a_probe_without_gallery_identity_is_an_error() -> None:
    with pytest.raises(ValueError, match="1 probe identities have no gallery image, e.g. zz"):
        identification_ranks(GALLERY, GALLERY_IDS, [[1.0, 0.0]], ["zz"])
    with pytest.raises(ValueError, match="all zeros"):
        identification_ranks(GALLERY, GALLERY_IDS, [[0.0, 0.0]], ["a"])
    with pytest.raises(ValueError, match="dims"):
        identification_ranks(GALLERY, GALLERY_IDS, [[1.0, 0.0, 0.0]], ["a"])


def test_ranks_match_a_brute_force_loop() -> None:
    rng = np.random.default_rng(7)
    gallery = rng.normal(size=(30, 8))
    gallery_ids = [f"id{i % 12:02d}" for i in range(30)]  # some identities have several images
    probe_ids = [f"id{int(i):02d}" for i in rng.integers(0, 12, 200)]
    probes = gallery[[gallery_ids.index(p) for p in probe_ids]] + rng.normal(size=(200, 8)) * 1.5
    expected = []
    for probe, own in zip(probes, probe_ids, strict=True):
        best: dict[str, float] = {}
        for emb, identity in zip(gallery, gallery_ids, strict=True):
            cosine = float(probe @ emb / np.linalg.norm(probe) / np.linalg.norm(emb))
            best[identity] = max(best.get(identity, -2.0), cosine)
        expected.append(sum(score >= best[own] for score in best.values()))
    ranks = identification_ranks(gallery, gallery_ids, probes, probe_ids)
    assert ranks.tolist() == expected
    assert rank_accuracy(ranks, 5) == np.mean(np.array(expected) <= 5)


def test_chunks_give_the_same_scores() -> None:
    rng = np.random.default_rng(1)
    gallery, probes = rng.normal(size=(5, 4)), rng.normal(size=(10, 4))
    ids = ["e", "d", "c", "b", "a"]
    (_, identities, whole), *_ = identity_scores(gallery, ids, probes)
    chunks = list(identity_scores(gallery, ids, probes, chunk=3))
    assert [part.start for part, _, _ in chunks] == [0, 3, 6, 9]
    assert identities.tolist() == ["a", "b", "c", "d", "e"]
    np.testing.assert_allclose(np.vstack([scores for _, _, scores in chunks]), whole)


def test_top_identities_by_hand() -> None:
    top = top_identities(GALLERY, GALLERY_IDS, [[0.6, 0.8], [-1.0, 0.1]], k=2)
    assert top == [["b", "a"], ["c", "b"]]


def test_rank_accuracy_checks_its_input() -> None:
    assert rank_accuracy([1, 2, 6, 1], 5) == 0.75
    with pytest.raises(ValueError, match="from 1"):
        rank_accuracy([0, 1], 1)
    with pytest.raises(ValueError, match="non-empty"):
        rank_accuracy([], 1)
