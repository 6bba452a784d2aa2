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
    """Top-1 accuracy: share of clips whose highest score is at the argmax of their targets.

    Clips of no class (background) have no right top-1 answer and are left out.
    """
    scores, positive = _check_inputs(scores, targets)
    some = positive.any(axis=1)
    if not some.any():
        return math.nan
    return float(np.mean(np.argmax(scores[some], axis=1) == np.argmax(positive[some], axis=1)))


NONE_LABEL = "(none)"  # the confusion matrix's row and column for clips of no class


def confusion_matrix(
    scores: np.ndarray, targets: np.ndarray, none_threshold: float | None = None
) -> tuple[np.ndarray, bool]:
    """(counts, has_none): rows are true classes, columns the top-scoring class, of clips with at most one class.

    With ``none_threshold`` (sigmoid models), a clip whose top score is below it is predicted "none", and
    the matrix gets a last row and column for "none" (clips of no class, predictions of no class).
    """
    scores, positive = _check_inputs(scores, targets)
    classes = scores.shape[1]
    has_none = none_threshold is not None
    size = classes + has_none
    counts = np.zeros((size, size), np.int64)
    for row_scores, row_positive in zip(scores, positive, strict=True):
        n = int(row_positive.sum())
        if n > 1 or (n == 0 and not has_none):
            continue  # a clip of several classes has no single row
        truth = int(np.argmax(row_positive)) if n else classes
        guess = int(np.argmax(row_scores)) if len(row_scores) else classes
        if has_none and row_scores[guess] < none_threshold:
            guess = classes
        counts[truth, guess] += 1
    return counts, has_none


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
    per_class: list[dict]  # {"label", "ap", "auc", "accuracy", "positives"} per class, in class order
    confusion: dict | None = None  # {"labels": [...], "counts": [[...]]}: rows true, columns predicted

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


def evaluate(
    scores: np.ndarray, targets: np.ndarray, labels: list[str], none_threshold: float | None = None
) -> Evaluation:
    """All metrics for (N, C) scores and 0/1 targets, with ``labels`` naming the C classes.

    ``none_threshold``: for sigmoid models, the score below which a clip counts as "none" in the
    confusion matrix and per-class accuracy (rtast listen's default threshold is 0.5).
    """
    scores, positive = _check_inputs(scores, targets)
    if len(labels) != scores.shape[1]:
        raise ValueError(f"got {len(labels)} labels for {scores.shape[1]} score columns; give one label per class")
    aps, aucs = average_precision(scores, positive), roc_auc(scores, positive)
    positives = positive.sum(axis=0)
    counts, has_none = confusion_matrix(scores, positive, none_threshold)
    rows = counts.sum(axis=1)
    class_accuracy = np.where(rows > 0, np.diag(counts) / np.maximum(rows, 1), math.nan)[: len(labels)]
    per_class = [
        {"label": label, "ap": float(ap), "auc": float(auc), "accuracy": float(acc), "positives": int(count)}
        for label, ap, auc, acc, count in zip(labels, aps, aucs, class_accuracy, positives, strict=True)
    ]
    confusion = {"labels": list(labels) + [NONE_LABEL] * has_none, "counts": counts.tolist()}
    mean_auc = _nanmean(aucs)
    return Evaluation(_nanmean(aps), mean_auc, d_prime(mean_auc), accuracy(scores, positive), per_class, confusion)


def per_class_table(ev: Evaluation, top: int | None = None) -> str:
    """Aligned text table of the classes by AP (highest first, undefined AP last); ``top`` keeps the first rows."""
    if top is not None and top < 0:
        raise ValueError(f"top must be None or a non-negative number of rows, got {top}")
    rows = sorted(ev.per_class, key=lambda r: (math.isnan(r["ap"]), -r["ap"] if not math.isnan(r["ap"]) else 0.0))
    if top is not None:
        rows = rows[:top]

    def number(value: float | None) -> str:
        return "-" if value is None or math.isnan(value) else f"{value:.4f}"

    cells = [("label", "AP", "AUC", "accuracy", "positives")]
    cells += [
        (r["label"], number(r["ap"]), number(r["auc"]), number(r.get("accuracy")), str(r["positives"])) for r in rows
    ]
    width = [max(len(row[i]) for row in cells) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(width[i]) if i == 0 else cell.rjust(width[i]) for i, cell in enumerate(row))
        for row in cells
    )


def confusion_table(ev: Evaluation) -> str:
    """The confusion matrix as aligned text: one row per true class, columns numbered like the rows."""
    if ev.confusion is None:
        return ""
    labels, counts = ev.confusion["labels"], ev.confusion["counts"]
    name_width = max(len(f"{i}. {label}") for i, label in enumerate(labels))
    width = max(len(str(max(max(row, default=0) for row in counts))), len(str(len(labels) - 1)))
    header = " " * name_width + "  " + " ".join(str(i).rjust(width) for i in range(len(labels)))
    lines = [header + "  <- predicted"]
    for i, (label, row) in enumerate(zip(labels, counts, strict=True)):
        lines.append(f"{i}. {label}".ljust(name_width) + "  " + " ".join(str(c).rjust(width) for c in row))
    return "\n".join(lines)
