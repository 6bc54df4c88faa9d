"""Face recognition evaluator: 1:1 verification on pairs, 1:N identification against a gallery, and
both broken down by capture condition (K-Face's accessory, light, expression and camera codes).

Each processed image is one item (its key, identity, condition codes and L2-normalised embedding);
the base gathers the items of every DDP rank, and :meth:`FaceEvaluator.compute` looks the pair,
gallery and probe keys up among them, so results depend neither on batching nor on rank count.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aihub_bench.fonts import use_korean_font
from aihub_bench.metrics.evaluator import Evaluator, Metrics
from aihub_bench.metrics.face import (
    accuracy_at,
    equal_error_rate,
    identification_ranks,
    kfold_verification_accuracy,
    rank_accuracy,
    roc_auc,
    tar_at_far,
    top_identities,
)
from aihub_bench.records import FACE_FACTORS, FacePair
from aihub_bench.run_dir import write_csv
from aihub_bench.tables import MISSING, count, markdown_table, mean_std, number

log = logging.getLogger(__name__)

TOP_IDENTITIES = 5  # identities listed per probe in identification_<split>.csv
CONDITION_FIELDS = ("factor", "code", "name", "probes", "rank1", "pairs", "verification_accuracy")


@dataclass(frozen=True, eq=False)
class EmbeddedFace:
    """One evaluated image: its key, identity, condition codes and unit-length embedding."""

    key: str
    identity: str
    conditions: dict[str, str]
    embedding: np.ndarray = field(repr=False)


def far_label(far: float) -> str:
    """``1e-2`` for 0.01, ``5e-3`` for 0.005: the FAR as written in the metric keys."""
    mantissa, exponent = f"{far:e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def code_order(code: str) -> tuple[str, int, str]:
    """Sort key putting ``L2`` before ``L10`` (letters, then the number)."""
    match = re.fullmatch(r"(\D*)(\d+)(.*)", code)
    return (match.group(1), int(match.group(2)), match.group(3)) if match else (code, -1, "")


def _embedded(keys: Sequence[str], known: Mapping[str, Any], what: str, split: str) -> int:
    """How many of ``keys`` have no embedding (an epoch cut short by ``limit_<split>_batches``);
    warned about with the first few, so a truncated evaluation is never silent."""
    missing = sorted({key for key in keys if key not in known})
    if missing:
        log.warning(
            "%s: %d %s images were not evaluated (the epoch was cut short?), e.g. %s; left out",
            split,
            len(missing),
            what,
            ", ".join(missing[:3]),
        )
    return len(missing)


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


@dataclass
class _Verification:
    pairs: list[FacePair]
    scores: np.ndarray
    labels: np.ndarray
    threshold: float


@dataclass
class _Identification:
    probes: list[EmbeddedFace]
    ranks: np.ndarray
    top: list[list[str]]
    gallery_size: int


class FaceEvaluator(Evaluator):
    """``process(batch, embeddings)``: the batch's ``key``, ``identity``, ``accessory``, ``light``,
    ``expression``, ``camera`` and one L2-normalised embedding row per image.

    Verification on ``pairs`` (cosine similarity = dot product of the embeddings):
    ``verification_accuracy`` / ``_std`` / ``_threshold`` under the k-fold protocol
    (:func:`~aihub_bench.metrics.face.kfold_verification_accuracy`), ``roc_auc``, ``eer``,
    ``TAR@FAR=<far>`` for each of ``fars``, ``pairs``, ``positive_pairs``, ``negative_pairs``; left
    out, with a warning, unless there are 2 pairs of each kind. Identification of each ``probes`` key
    against the ``gallery`` keys: ``rank1``, ``rank5``, ``probes``, ``gallery``.

    Per condition, for each factor of :data:`~aihub_bench.records.FACE_FACTORS` and each code seen:
    ``<factor>/<code>/rank1`` and ``/probes`` over the probes with that code;
    ``<factor>/<code>/verification_accuracy`` and ``/pairs`` over the pairs in which either image
    has that code, decided at the overall ``verification_threshold`` (the mean of the fold
    thresholds; no threshold is refitted per condition). ``condition_names`` (factor -> code ->
    name) only labels the written tables.
    """

    def __init__(
        self,
        pairs: Sequence[FacePair],
        gallery: Sequence[str],
        probes: Sequence[str],
        split: str = "test",
        fars: Sequence[float] = (1e-2, 1e-3, 1e-4),
        folds: int = 10,
        condition_names: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.pairs = list(pairs)
        self.gallery = list(gallery)
        self.probes = list(probes)
        self.split = split
        self.fars = [float(far) for far in fars]
        self.folds = folds
        self.condition_names = {f: dict(names) for f, names in (condition_names or {}).items()}

    def reset(self) -> None:
        super().reset()
        self._verification: _Verification | None = None
        self._identification: _Identification | None = None

    def process(self, batch: Mapping[str, Any], outputs: torch.Tensor) -> None:
        embeddings = torch.nn.functional.normalize(outputs.detach().float(), dim=1).cpu().numpy()
        keys = [str(k) for k in batch["key"]]
        if embeddings.ndim != 2 or len(embeddings) != len(keys):
            raise ValueError(
                f"embeddings must be (B, D) for a batch of {len(keys)} images; got {tuple(outputs.shape)}"
            )
        columns = [[str(v) for v in batch[factor]] for factor in FACE_FACTORS]
        self.add(
            *(
                EmbeddedFace(
                    key=key,
                    identity=str(batch["identity"][i]),
                    conditions={
                        factor: column[i] for factor, column in zip(FACE_FACTORS, columns, strict=True)
                    },
                    embedding=embeddings[i],
                )
                for i, key in enumerate(keys)
            )
        )

    # -- metrics ---------------------------------------------------------------------------------
    def compute(self, items: list[EmbeddedFace]) -> Metrics:
        faces: dict[str, EmbeddedFace] = {}
        for item in items:  # DDP padding repeats images: keep one per key
            faces.setdefault(item.key, item)
        metrics: Metrics = {}
        # pairs, gallery and probe images without an embedding are left out and counted
        pair_keys = [k for pair in self.pairs for k in (pair.key_a, pair.key_b)]
        if _embedded(pair_keys, faces, "pair", self.split):
            pairs = [p for p in self.pairs if p.key_a in faces and p.key_b in faces]
            metrics["pairs_not_evaluated"] = float(len(self.pairs) - len(pairs))
        else:
            pairs = list(self.pairs)
        gallery = [key for key in self.gallery if key in faces]
        if _embedded(self.gallery, faces, "gallery", self.split):
            metrics["gallery_not_evaluated"] = float(len(self.gallery) - len(gallery))
        # a probe is ranked only against an evaluated gallery image of its identity
        in_gallery = {faces[key].identity for key in gallery}
        probes = [key for key in self.probes if key in faces and faces[key].identity in in_gallery]
        if len(probes) < len(self.probes):
            _embedded(self.probes, faces, "probe", self.split)
            metrics["probes_not_evaluated"] = float(len(self.probes) - len(probes))
        self._verification = self._verify(faces, metrics, pairs)
        self._identification = self._identify(faces, metrics, gallery, probes)
        metrics.update(self._condition_metrics(faces))
        return metrics

    def _verify(
        self, faces: Mapping[str, EmbeddedFace], metrics: Metrics, pairs: Sequence[FacePair]
    ) -> _Verification | None:
        labels = np.array([pair.same for pair in pairs], dtype=np.int64)
        positives, negatives = int(labels.sum()), int(len(labels) - labels.sum())
        if min(positives, negatives) < 2:
            log.warning(
                "%s: %d same-person and %d different-person pairs; verification needs 2 of each, none scored",
                self.split,
                positives,
                negatives,
            )
            return None
        a = np.stack([faces[pair.key_a].embedding for pair in pairs]).astype(np.float64)
        b = np.stack([faces[pair.key_b].embedding for pair in pairs]).astype(np.float64)
        scores = np.einsum("ij,ij->i", a, b)
        accuracy, std, threshold = kfold_verification_accuracy(scores, labels, self.folds)
        metrics.update(
            verification_accuracy=accuracy,
            verification_accuracy_std=std,
            verification_threshold=threshold,
            roc_auc=roc_auc(scores, labels),
            eer=equal_error_rate(scores, labels)[0],
        )
        for far in self.fars:
            metrics[f"TAR@FAR={far_label(far)}"] = tar_at_far(scores, labels, far)[0]
        metrics.update(
            pairs=float(len(labels)), positive_pairs=float(positives), negative_pairs=float(negatives)
        )
        return _Verification(list(pairs), scores, labels, threshold)

    def _identify(
        self,
        faces: Mapping[str, EmbeddedFace],
        metrics: Metrics,
        gallery_keys: Sequence[str],
        probe_keys: Sequence[str],
    ) -> _Identification | None:
        if not gallery_keys or not probe_keys:
            log.warning(
                "%s: %d gallery and %d probe images; identification needs both, none scored",
                self.split,
                len(gallery_keys),
                len(probe_keys),
            )
            return None
        gallery = [faces[key] for key in gallery_keys]
        probes = [faces[key] for key in probe_keys]
        gallery_emb = np.stack([face.embedding for face in gallery])
        gallery_ids = [face.identity for face in gallery]
        probe_emb = np.stack([face.embedding for face in probes])
        ranks = identification_ranks(gallery_emb, gallery_ids, probe_emb, [face.identity for face in probes])
        top = top_identities(gallery_emb, gallery_ids, probe_emb, TOP_IDENTITIES)
        metrics.update(
            rank1=rank_accuracy(ranks, 1),
            rank5=rank_accuracy(ranks, 5),
            probes=float(len(probes)),
            gallery=float(len(set(gallery_ids))),
        )
        return _Identification(probes, ranks, top, len(set(gallery_ids)))

    def _condition_metrics(self, faces: Mapping[str, EmbeddedFace]) -> Metrics:
        metrics: Metrics = {}
        found = self._identification
        if found is not None:
            for factor in FACE_FACTORS:
                by_code: dict[str, list[int]] = defaultdict(list)
                for i, probe in enumerate(found.probes):
                    by_code[probe.conditions[factor]].append(i)
                for code, members in by_code.items():
                    metrics[f"{factor}/{code}/rank1"] = rank_accuracy(found.ranks[members], 1)
                    metrics[f"{factor}/{code}/probes"] = float(len(members))
        checked = self._verification
        if checked is not None:
            for factor in FACE_FACTORS:
                by_code = defaultdict(list)
                for i, pair in enumerate(checked.pairs):
                    codes = {faces[pair.key_a].conditions[factor], faces[pair.key_b].conditions[factor]}
                    for code in codes:
                        by_code[code].append(i)
                for code, members in by_code.items():
                    accuracy = accuracy_at(
                        checked.scores[members], checked.labels[members], checked.threshold
                    )
                    metrics[f"{factor}/{code}/verification_accuracy"] = accuracy
                    metrics[f"{factor}/{code}/pairs"] = float(len(members))
        return metrics

    # -- artefacts -------------------------------------------------------------------------------
    def condition_rows(self) -> list[list[Any]]:
        """One row per (factor, code) with a per-condition metric, fields :data:`CONDITION_FIELDS`;
        factors in :data:`FACE_FACTORS` order, codes in :func:`code_order`; None where undefined
        (an empty cell in the CSV)."""
        rows = []
        for factor in FACE_FACTORS:
            prefix = f"{factor}/"
            codes = {key[len(prefix) :].split("/")[0] for key in self.metrics if key.startswith(prefix)}
            for code in sorted(codes, key=code_order):
                probes, rank1, pairs, accuracy = (
                    self.metrics.get(f"{factor}/{code}/{name}") for name in CONDITION_FIELDS[3:]
                )
                name = self.condition_names.get(factor, {}).get(code, "")
                rows.append([factor, code, name, _whole(probes), rank1, _whole(pairs), accuracy])
        return rows

    def write(self, run_dir: Path) -> list[Path]:
        """``roc_<split>.png``, ``verification_<split>.csv``, ``identification_<split>.csv``,
        ``conditions_<split>.csv`` and ``results.md`` (the parts whose metrics were computed)."""
        if not self.metrics:
            return []
        run_dir.mkdir(parents=True, exist_ok=True)
        written = []
        if self._verification is not None:
            written.append(self._plot_roc(run_dir / f"roc_{self.split}.png"))
            written.append(self._write_verification(run_dir / f"verification_{self.split}.csv"))
        if self._identification is not None:
            written.append(self._write_identification(run_dir / f"identification_{self.split}.csv"))
        written.append(
            write_csv(run_dir / f"conditions_{self.split}.csv", CONDITION_FIELDS, self.condition_rows())
        )
        results = run_dir / "results.md"
        results.write_text(self.results_markdown(), encoding="utf-8")
        written.append(results)
        log.info("%s face recognition results written to %s", self.split, run_dir)
        return written

    def _write_verification(self, path: Path) -> Path:
        found = self._verification
        assert found is not None
        rows = (
            (pair.key_a, pair.key_b, int(label), f"{score:.6f}", int(score >= found.threshold))
            for pair, label, score in zip(found.pairs, found.labels, found.scores, strict=True)
        )
        return write_csv(path, ("key_a", "key_b", "label", "score", "accepted"), rows)

    def _write_identification(self, path: Path) -> Path:
        found = self._identification
        assert found is not None
        depth = min(TOP_IDENTITIES, found.gallery_size)
        fields = ["key", "identity", *FACE_FACTORS, "rank", *(f"top{i + 1}" for i in range(depth))]
        rows = (
            (probe.key, probe.identity, *(probe.conditions[f] for f in FACE_FACTORS), int(rank), *top)
            for probe, rank, top in zip(found.probes, found.ranks, found.top, strict=True)
        )
        return write_csv(path, fields, rows)

    def _plot_roc(self, path: Path) -> Path:
        """TAR against FAR (log scale) with the TAR@FAR operating points marked."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, NullFormatter
        from sklearn.metrics import roc_curve

        found = self._verification
        assert found is not None
        use_korean_font()
        fpr, tpr, _ = roc_curve(found.labels, found.scores)
        negatives = int(len(found.labels) - found.labels.sum())
        lowest = 1.0 / negatives
        fars = [far for far in self.fars if far > 0]  # FAR 0 has no place on a log axis
        fig = Figure(figsize=(6, 5), dpi=150)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        # FAR 0 cannot sit on a log axis: those points are drawn at half the smallest non-zero FAR
        ax.plot(np.clip(fpr, lowest / 2, 1), tpr, lw=1.5, label="ROC")
        for far in fars:
            tar = self.metrics[f"TAR@FAR={far_label(far)}"]
            note = " (FAR 0: too few negatives)" if negatives < 1 / far else ""
            ax.plot([far], [tar], "o", label=f"TAR@FAR={far_label(far)}: {tar:.3f}{note}")
        ax.set_xscale("log")
        # plain "1e-3" tick labels: the default mathtext ones need a minus sign NanumGothic lacks
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: far_label(x)))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set(
            xlim=(min(lowest / 2, *fars) / 2, 1),
            ylim=(0, 1.01),
            xlabel="false accept rate (FAR)",
            ylabel="true accept rate (TAR)",
            title=f"{self.split}: AUC = {self.metrics['roc_auc']:.3f}, EER = {self.metrics['eer']:.3f}",
        )
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower right", fontsize="small")
        fig.tight_layout()
        fig.savefig(path, format="png")
        return path

    def results_markdown(self) -> str:
        """The ``results.md`` text: verification, identification and one table per condition factor."""
        m = self.metrics
        lines = [f"# Face recognition results ({self.split})", ""]
        lines += [f"{MISSING} = not computed (no pairs, probes or images of that kind).", ""]
        lines += ["## 1:1 verification", ""]
        if self._verification is None:
            lines += ["Not scored: fewer than 2 same-person or 2 different-person pairs.", ""]
        else:
            fars = [far_label(far) for far in self.fars]
            header = ["pairs", "same", "different", "accuracy", "AUC", "EER", *(f"TAR@FAR={f}" for f in fars)]
            row = [
                count(m["pairs"]),
                count(m["positive_pairs"]),
                count(m["negative_pairs"]),
                mean_std(m["verification_accuracy"], m["verification_accuracy_std"]),
                number(m["roc_auc"]),
                number(m["eer"]),
                *(number(m[f"TAR@FAR={f}"]) for f in fars),
            ]
            lines += markdown_table(header, [row], numeric_from=0)
            lines += [
                "",
                f"Accuracy: mean ± std over the k-fold protocol (up to {self.folds} folds, stratified), each "
                "fold decided at the threshold best on the other folds; their mean, "
                f"{number(m['verification_threshold'])}, is the threshold used per condition below.",
            ]
            negatives = int(m["negative_pairs"])
            for far, label in zip(self.fars, fars, strict=True):
                if far > 0 and negatives < 1 / far:
                    lines.append(
                        f"TAR@FAR={label}: only {negatives} different-person pairs (< {1 / far:.0f}), so the "
                        "achievable FAR is 0: the threshold lies above every different-person score."
                    )
            lines.append("")
        lines += ["## 1:N identification", ""]
        if self._identification is None:
            lines += ["Not scored: no gallery or no probe images.", ""]
        else:
            row = [count(m["gallery"]), count(m["probes"]), number(m["rank1"]), number(m["rank5"])]
            lines += markdown_table(
                ["gallery identities", "probes", "rank-1", "rank-5"], [row], numeric_from=0
            )
            lines += ["", "One gallery image per identity; every probe is ranked against all of them.", ""]
        lines += self._condition_markdown()
        return "\n".join(lines).rstrip("\n") + "\n"

    def _condition_markdown(self) -> list[str]:
        rows = self.condition_rows()
        if not rows:
            return []
        lines = [
            "## Per condition",
            "",
            "Rank-1 over the probes with the code; verification accuracy over the pairs in which either "
            "image has the code, at the overall threshold (no per-condition refit).",
        ]
        for factor in FACE_FACTORS:
            mine = [row for row in rows if row[0] == factor]
            if not mine:
                continue
            table = [
                [code, name or MISSING, count(probes), number(rank1), count(pairs), number(accuracy)]
                for _, code, name, probes, rank1, pairs, accuracy in mine
            ]
            header = ["code", "name", "probes", "rank-1", "pairs", "verification accuracy"]
            lines += ["", f"### {factor}", "", *markdown_table(header, table, numeric_from=2)]
            scored = [(row[4], code_order(row[1])) for row in mine if row[4] is not None]
            if len(scored) > 1:
                rank1, _ = min(scored)
                worst = [row[1] for row in mine if row[4] == rank1]
                lines += ["", f"Lowest rank-1: {', '.join(worst)} ({number(rank1)})."]
        return [*lines, ""]
