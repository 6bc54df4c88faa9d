"""Face verification (1:1) and identification (1:N) metrics, in NumPy.

Verification: ``scores`` are the similarities of image pairs (cosine: higher = more likely the same
person), ``labels`` 1 for a same-person pair and 0 for a different-person pair; a pair is accepted
as "same" when ``score >= threshold`` throughout. Identification: a probe's embedding is compared
with one gallery embedding per identity; its rank is the position of its own identity.

Hand-written where no library does it: the LFW-style 10-fold accuracy (as insightface's
``verification.py``), TAR at a FAR cap and the EER on the exact ROC steps, the ranks. The folds
come from scikit-learn and the AUC is scikit-learn's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

#: Probes scored against the gallery at a time (bounds the memory of the similarity matrix).
PROBE_CHUNK = 4096


def validate_scores(
    scores: ArrayLike, labels: ArrayLike, both_classes: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """``scores`` as float64 and ``labels`` as int64 0/1 arrays; ValueError on anything else.

    Checks: 1-D, same non-zero length, numeric finite scores, labels only 0/1 (bools allowed) and,
    with ``both_classes``, at least one pair of each label.
    """
    s = np.asarray(scores)
    y = np.asarray(labels)
    if s.ndim != 1 or y.ndim != 1:
        raise ValueError(f"scores and labels must be 1-D; got shapes {s.shape} and {y.shape}")
    if len(s) != len(y):
        raise ValueError(f"scores and labels differ in length: {len(s)} vs {len(y)}")
    if len(s) == 0:
        raise ValueError("scores and labels are empty")
    if s.dtype.kind not in "biuf":
        raise ValueError(f"scores must be numeric; got dtype {s.dtype}")
    if not np.isfinite(s).all():
        raise ValueError(f"scores must be finite; {int((~np.isfinite(s)).sum())} are NaN or infinite")
    if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
        found = np.unique(y[~np.isin(y, (0, 1))])[:5] if y.dtype.kind in "biuf" else y.dtype
        raise ValueError(f"labels must be 1 (same person) or 0 (different); found {found}")
    y = y.astype(np.int64)
    if both_classes and y.min() == y.max():
        kind = "same-person" if y[0] == 1 else "different-person"
        raise ValueError(f"every pair is a {kind} pair; both kinds are needed")
    return s.astype(np.float64), y


def accuracy_at(scores: ArrayLike, labels: ArrayLike, threshold: float) -> float:
    """Fraction of pairs decided right when ``score >= threshold`` means "same person"."""
    s, y = validate_scores(scores, labels, both_classes=False)
    return float(np.mean((s >= threshold) == (y == 1)))


def best_threshold(scores: ArrayLike, labels: ArrayLike) -> tuple[float, float]:
    """``(threshold, accuracy)``: the threshold with the highest accuracy on these pairs.

    Candidates: the lowest score (accept all), the midpoints between consecutive distinct scores and
    the next float above the highest score (reject all). On a tie the lowest candidate wins.
    """
    s, y = validate_scores(scores, labels, both_classes=False)
    distinct = np.unique(s)
    candidates = np.concatenate(
        [distinct[:1], (distinct[:-1] + distinct[1:]) / 2, [np.nextafter(distinct[-1], np.inf)]]
    )
    positives, negatives = np.sort(s[y == 1]), np.sort(s[y == 0])
    accepted_same = len(positives) - np.searchsorted(positives, candidates, side="left")
    rejected_different = np.searchsorted(negatives, candidates, side="left")
    correct = accepted_same + rejected_different
    best = int(np.argmax(correct))  # the first maximum: the lowest threshold
    return float(candidates[best]), float(correct[best] / len(s))


def kfold_verification_accuracy(
    scores: ArrayLike, labels: ArrayLike, folds: int = 10
) -> tuple[float, float, float]:
    """``(mean, std, threshold)`` of the verification accuracy under the LFW k-fold protocol.

    For each fold, :func:`best_threshold` on the other folds is applied to the held-out fold; the
    result is the mean and the population std (ddof=0, as insightface) of the held-out accuracies,
    and the mean of the chosen thresholds. Folds are stratified and deterministic (scikit-learn's
    ``StratifiedKFold`` without shuffling), so a list with all positives first still gives folds
    with both kinds. With fewer than ``folds`` pairs of a kind, the number of folds drops to that
    count; fewer than 2 of either kind is a ValueError.
    """
    if folds < 2:
        raise ValueError(f"folds must be at least 2; got {folds}")
    s, y = validate_scores(scores, labels)
    n_splits = min(folds, int(y.sum()), int(len(y) - y.sum()))
    if n_splits < 2:
        raise ValueError(
            f"k-fold verification needs at least 2 same-person and 2 different-person pairs; "
            f"got {int(y.sum())} and {int(len(y) - y.sum())}"
        )
    accuracies, thresholds = [], []
    for train, held_out in StratifiedKFold(n_splits=n_splits).split(s.reshape(-1, 1), y):
        threshold, _ = best_threshold(s[train], y[train])
        thresholds.append(threshold)
        accuracies.append(accuracy_at(s[held_out], y[held_out], threshold))
    return float(np.mean(accuracies)), float(np.std(accuracies)), float(np.mean(thresholds))


def _false_accepts_allowed(far: float, negatives: int) -> int:
    """The largest count ``k`` of false accepts with ``k / negatives <= far`` (exact float test)."""
    k = min(int(np.floor(far * negatives)), negatives)
    while k < negatives and (k + 1) / negatives <= far:
        k += 1
    while k > 0 and k / negatives > far:
        k -= 1
    return k


def tar_at_far(scores: ArrayLike, labels: ArrayLike, far: float) -> tuple[float, float]:
    """``(tar, threshold)``: the true-accept rate at the largest false-accept rate ``<= far``.

    Over the thresholds "accept when ``score >= t``", ``t`` is the lowest observed score that
    accepts at most ``far * negatives`` different-person pairs (scores tied with the last rejected
    negative are rejected too); TAR is the fraction of same-person pairs accepted there. When no
    observed score qualifies, ``t`` is the next float above the highest score and TAR is 0. With
    fewer than ``1 / far`` negative pairs the only achievable FAR is 0: TAR is then the fraction of
    positives scoring above every negative — defined, but a strict operating point, not the FAR
    asked for.
    """
    if not 0 <= far <= 1:
        raise ValueError(f"far must be in [0, 1]; got {far}")
    s, y = validate_scores(scores, labels)
    negatives = np.sort(s[y == 0])[::-1]
    allowed = _false_accepts_allowed(far, len(negatives))
    if allowed >= len(negatives):
        return 1.0, float(s.min())
    bound = negatives[allowed]  # the highest negative score that must be rejected
    above = s[s > bound]
    threshold = float(above.min()) if above.size else float(np.nextafter(s.max(), np.inf))
    return float(np.mean(s[y == 1] > bound)), threshold


def _roc_steps(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(far, tar, thresholds)`` at every distinct score, highest first, after a reject-all point."""
    order = np.argsort(-s, kind="stable")
    s_desc, y_desc = s[order], y[order]
    last_of_value = np.r_[np.flatnonzero(np.diff(s_desc)), len(s_desc) - 1]
    true_accepts = np.cumsum(y_desc)[last_of_value]
    false_accepts = (last_of_value + 1) - true_accepts
    far = np.r_[0.0, false_accepts / (len(y) - y.sum())]
    tar = np.r_[0.0, true_accepts / y.sum()]
    thresholds = np.r_[np.nextafter(s_desc[0], np.inf), s_desc[last_of_value]]
    return far, tar, thresholds


def equal_error_rate(scores: ArrayLike, labels: ArrayLike) -> tuple[float, float]:
    """``(eer, threshold)``: the rate where FAR equals FRR (= 1 - TAR).

    On the ROC points of every distinct threshold, the EER is where the segment between the two
    points that bracket FAR = FRR crosses that line (linear interpolation, as the usual
    ``brentq(1 - x - interp(x))``); the threshold is interpolated between the two points' thresholds.
    """
    s, y = validate_scores(scores, labels)
    far, tar, thresholds = _roc_steps(s, y)
    gap = far - (1.0 - tar)  # non-decreasing from -1 (reject all) to 1 (accept all)
    i = int(np.argmax(gap >= 0))
    if gap[i] == 0:
        return float(far[i]), float(thresholds[i])
    weight = -gap[i - 1] / (gap[i] - gap[i - 1])
    eer = far[i - 1] + weight * (far[i] - far[i - 1])
    threshold = thresholds[i - 1] + weight * (thresholds[i] - thresholds[i - 1])
    return float(eer), float(threshold)


def roc_auc(scores: ArrayLike, labels: ArrayLike) -> float:
    """Area under the ROC curve (scikit-learn's ``roc_auc_score``)."""
    s, y = validate_scores(scores, labels)
    return float(roc_auc_score(y, s))


# -- identification --------------------------------------------------------------------------------
def _unit_rows(embeddings: ArrayLike, name: str) -> np.ndarray:
    e = np.asarray(embeddings, dtype=np.float64)
    if e.ndim != 2 or len(e) == 0:
        raise ValueError(f"{name} embeddings must be a non-empty (N, D) array; got shape {e.shape}")
    if not np.isfinite(e).all():
        raise ValueError(f"{name} embeddings hold NaN or infinite values")
    norms = np.linalg.norm(e, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ValueError(f"{int((norms == 0).sum())} {name} embeddings are all zeros (no direction)")
    return e / norms


def identity_scores(
    gallery_emb: ArrayLike,
    gallery_ids: Sequence[str],
    probe_emb: ArrayLike,
    chunk: int = PROBE_CHUNK,
) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
    """Yield ``(probe slice, identities, scores)`` per chunk of probes: ``scores[i, j]`` is the
    cosine similarity of probe ``i`` to identity ``identities[j]`` (sorted), the best over that
    identity's gallery embeddings."""
    gallery = _unit_rows(gallery_emb, "gallery")
    probes = _unit_rows(probe_emb, "probe")
    if len(gallery_ids) != len(gallery):
        raise ValueError(f"{len(gallery)} gallery embeddings but {len(gallery_ids)} gallery identities")
    if gallery.shape[1] != probes.shape[1]:
        raise ValueError(f"gallery embeddings have {gallery.shape[1]} dims, probes {probes.shape[1]}")
    identities, column_identity = np.unique(np.asarray(gallery_ids, dtype=str), return_inverse=True)
    order = np.argsort(column_identity, kind="stable")
    starts = np.searchsorted(column_identity[order], np.arange(len(identities)))
    gallery = gallery[order]
    for begin in range(0, len(probes), chunk):
        part = slice(begin, min(begin + chunk, len(probes)))
        similarity = probes[part] @ gallery.T
        yield part, identities, np.maximum.reduceat(similarity, starts, axis=1)


def identification_ranks(
    gallery_emb: ArrayLike, gallery_ids: Sequence[str], probe_emb: ArrayLike, probe_ids: Sequence[str]
) -> np.ndarray:
    """The 1-based rank of each probe's identity among the gallery identities, by cosine similarity.

    An identity with several gallery embeddings scores its best one. Ties are pessimistic: every
    other identity scoring as high as the true one ranks above it. A probe whose identity has no
    gallery embedding is a ValueError.
    """
    truth = np.asarray(probe_ids, dtype=str)
    if len(truth) != len(np.asarray(probe_emb)):
        raise ValueError(f"{len(np.asarray(probe_emb))} probe embeddings but {len(truth)} probe identities")
    unknown = sorted(set(truth.tolist()) - {str(i) for i in gallery_ids})
    if unknown:
        raise ValueError(
            f"{len(unknown)} probe identities have no gallery image, e.g. {', '.join(unknown[:5])}"
        )
    ranks = np.empty(len(truth), dtype=np.int64)
    for part, identities, scores in identity_scores(gallery_emb, gallery_ids, probe_emb):
        own = scores[np.arange(len(scores)), np.searchsorted(identities, truth[part])]
        ranks[part] = (scores >= own[:, None]).sum(axis=1)
    return ranks


def top_identities(
    gallery_emb: ArrayLike, gallery_ids: Sequence[str], probe_emb: ArrayLike, k: int = 5
) -> list[list[str]]:
    """Each probe's ``k`` most similar gallery identities, best first (ties in identity order)."""
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k}")
    best: list[list[str]] = []
    for _, identities, scores in identity_scores(gallery_emb, gallery_ids, probe_emb):
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        best.extend(identities[row].tolist() for row in order)
    return best


def rank_accuracy(ranks: ArrayLike, k: int) -> float:
    """Fraction of probes whose identity ranks within the top ``k`` (rank-k accuracy)."""
    r = np.asarray(ranks)
    if r.ndim != 1 or len(r) == 0:
        raise ValueError(f"ranks must be a non-empty 1-D array; got shape {r.shape}")
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k}")
    if r.dtype.kind not in "iu" or (r < 1).any():
        raise ValueError("ranks must be integers from 1 (the best)")
    return float(np.mean(r <= k))
