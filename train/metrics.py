"""Evaluation metrics (numpy only): per-class AP and ROC AUC, d', top-1 accuracy and a summary.

AP and AUC follow the definitions of ``sklearn.metrics.average_precision_score`` and ``roc_auc_score``:
samples with equal scores form one threshold, AP is the step-wise sum of precision times recall gain,
and AUC is the trapezoidal area under the ROC curve (ties count one half).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np


def _check_inputs(scores: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores float64 (N, C), targets bool (N, C)) after checking shapes and values."""
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets)
    if scores.ndim != 2 or scores.shape != targets.shape:
        raise ValueError(
            f"scores and targets must both have shape (clips, classes); got {scores.shape} and {targets.shape}"
        )
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or infinity; only finite scores can be ranked")
    if not np.isin(targets, (0, 1)).all():
        raise ValueError("targets must be 0 or 1 (multi-hot); found other values")
    return scores, targets.astype(bool)


def _cumulative_counts(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True and false positives above each distinct score, from the highest score down (ties grouped)."""
    order = np.argsort(-scores, kind="stable")
    ranked_scores, ranked_positive = scores[order], positive[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(ranked_scores)), len(ranked_scores) - 1]
    true_positives = np.cumsum(ranked_positive)[last_of_tie]
    false_positives = last_of_tie + 1 - true_positives
    return true_positives, false_positives


def _binary_average_precision(scores: np.ndarray, positive: np.ndarray) -> float:
    true_positives, false_positives = _cumulative_counts(scores, positive)
    if true_positives[-1] == 0:
        return math.nan
    precision = true_positives / (true_positives + false_positives)
    recall_gain = np.diff(true_positives, prepend=0) / true_positives[-1]
    return float(np.sum(recall_gain * precision))


def _binary_roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    true_positives, false_positives = _cumulative_counts(scores, positive)
    if true_positives[-1] == 0 or false_positives[-1] == 0:
        return math.nan
    tpr = np.r_[0, true_positives] / true_positives[-1]
    fpr = np.r_[0, false_positives] / false_positives[-1]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def average_precision(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Average precision per class: (N, C) scores and 0/1 targets -> (C,), NaN where a class has no positive."""
    scores, positive = _check_inputs(scores, targets)
    return np.array([_binary_average_precision(scores[:, c], positive[:, c]) for c in range(scores.shape[1])])


def roc_auc(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Area under the ROC curve per class: (C,), NaN where a class has only positives or only negatives."""
    scores, positive = _check_inputs(scores, targets)
    return np.array([_binary_roc_auc(scores[:, c], positive[:, c]) for c in range(scores.shape[1])])


def d_prime(auc: float) -> float:
    """Sensitivity index sqrt(2) * Phi^-1(auc); +-inf at AUC 1 and 0, NaN for NaN."""
    if math.isnan(auc):
        return math.nan
    if not 0.0 <= auc <= 1.0:
        raise ValueError(f"AUC {auc} is out of range; allowed: 0 to 1")
    if auc in (0.0, 1.0):
        return math.copysign(math.inf, auc - 0.5)
    return math.sqrt(2.0) * NormalDist().inv_cdf(auc)


def accuracy(scores: np.ndarray, targets: np.ndarray) -> float:
    """Top-1 accuracy: share of clips whose highest score is at the argmax of their targets."""
    scores, positive = _check_inputs(scores, targets)
    if len(scores) == 0:
        return math.nan
    return float(np.mean(np.argmax(scores, axis=1) == np.argmax(positive, axis=1)))


def _nanmean(values: np.ndarray) -> float:
    """Mean over the non-NaN values; NaN (without a warning) when there are none."""
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if len(kept) else math.nan


@dataclass
class Evaluation:
    """Summary of one evaluation pass; means skip classes whose metric is undefined (NaN)."""

    mAP: float
    mAUC: float
    d_prime: float  # of mAUC, as in the AST paper
    accuracy: float
    per_class: list[dict]  # {"label", "ap", "auc", "positives"} per class, in class order

    def to_dict(self) -> dict:
        """Plain JSON-ready values; NaN becomes None so that json.dumps writes valid JSON."""

        def clean(value):
            if isinstance(value, float) and not math.isfinite(value):
                return None if math.isnan(value) else value
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(v) for v in value]
            return value

        return clean(asdict(self))


def evaluate(scores: np.ndarray, targets: np.ndarray, labels: list[str]) -> Evaluation:
    """All metrics for (N, C) scores and 0/1 targets, with ``labels`` naming the C classes."""
    scores, positive = _check_inputs(scores, targets)
    if len(labels) != scores.shape[1]:
        raise ValueError(f"got {len(labels)} labels for {scores.shape[1]} score columns; give one label per class")
    aps, aucs = average_precision(scores, positive), roc_auc(scores, positive)
    positives = positive.sum(axis=0)
    per_class = [
        {"label": label, "ap": float(ap), "auc": float(auc), "positives": int(count)}
        for label, ap, auc, count in zip(labels, aps, aucs, positives, strict=True)
    ]
    mean_auc = _nanmean(aucs)
    return Evaluation(_nanmean(aps), mean_auc, d_prime(mean_auc), accuracy(scores, positive), per_class)


def per_class_table(ev: Evaluation, top: int | None = None) -> str:
    """Aligned text table of the classes by AP (highest first, undefined AP last); ``top`` keeps the first rows."""
    if top is not None and top < 0:
        raise ValueError(f"top must be None or a non-negative number of rows, got {top}")
    rows = sorted(ev.per_class, key=lambda r: (math.isnan(r["ap"]), -r["ap"] if not math.isnan(r["ap"]) else 0.0))
    if top is not None:
        rows = rows[:top]

    def number(value: float) -> str:
        return "-" if math.isnan(value) else f"{value:.4f}"

    cells = [("label", "AP", "AUC", "positives")]
    cells += [(r["label"], number(r["ap"]), number(r["auc"]), str(r["positives"])) for r in rows]
    width = [max(len(row[i]) for row in cells) for i in range(4)]
    lines = [
        f"{label:<{width[0]}}  {ap:>{width[1]}}  {auc:>{width[2]}}  {count:>{width[3]}}"
        for label, ap, auc, count in cells
    ]
    return "\n".join(lines)
