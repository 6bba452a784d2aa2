"""train.metrics: numpy AP, AUC, d' and accuracy against scikit-learn (and scipy where installed)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rtast.train.metrics import accuracy, average_precision, d_prime, evaluate, per_class_table, roc_auc

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def random_case(seed: int, clips: int = 300, classes: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Scores with many ties (rounded to 0.05) and sparse targets; class 3 has no positive, class 5 only positives."""
    rng = np.random.default_rng(seed)
    targets = (rng.random((clips, classes)) < rng.uniform(0.02, 0.5, classes)).astype(np.int64)
    scores = np.round(rng.random((clips, classes)) + 0.3 * targets, 2 if seed % 2 else 1)
    targets[0, :], targets[1, :] = 0, 1  # every class has both kinds of target...
    targets[:, 3], targets[:, 5] = 0, 1  # ...but these two
    return scores, targets


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_ap_and_auc_match_sklearn(seed):
    scores, targets = random_case(seed)
    aps, aucs = average_precision(scores, targets), roc_auc(scores, targets)
    assert aps.shape == aucs.shape == (7,)
    for c in range(7):
        if targets[:, c].any():
            expected = sklearn_metrics.average_precision_score(targets[:, c], scores[:, c])
            assert aps[c] == pytest.approx(expected, abs=1e-9)
        else:
            assert math.isnan(aps[c])
        if 0 < targets[:, c].sum() < len(targets):
            assert aucs[c] == pytest.approx(sklearn_metrics.roc_auc_score(targets[:, c], scores[:, c]), abs=1e-9)
        else:
            assert math.isnan(aucs[c])
    assert math.isnan(aps[3]) and aps[5] == pytest.approx(1.0) and math.isnan(aucs[3]) and math.isnan(aucs[5])


def test_extreme_ties():
    targets = np.array([[1], [0], [1], [0], [0]])
    scores = np.full((5, 1), 0.7)
    assert average_precision(scores, targets)[0] == pytest.approx(0.4)
    assert roc_auc(scores, targets)[0] == pytest.approx(0.5)
    perfect = np.array([[0.9], [0.1], [0.8], [0.2], [0.2]])
    assert average_precision(perfect, targets)[0] == 1.0 and roc_auc(perfect, targets)[0] == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_evaluate_means_ignore_undefined_classes(seed):
    scores, targets = random_case(seed)
    labels = [f"class {c}" for c in range(7)]
    ev = evaluate(scores, targets, labels)
    aps = [sklearn_metrics.average_precision_score(targets[:, c], scores[:, c]) for c in range(7) if c != 3]
    aucs = [sklearn_metrics.roc_auc_score(targets[:, c], scores[:, c]) for c in range(7) if c not in (3, 5)]
    assert ev.mAP == pytest.approx(np.mean(aps), abs=1e-9)
    assert ev.mAUC == pytest.approx(np.mean(aucs), abs=1e-9)
    assert ev.d_prime == pytest.approx(d_prime(ev.mAUC))
    expected_accuracy = sklearn_metrics.accuracy_score(np.argmax(targets, 1), np.argmax(scores, 1))
    assert ev.accuracy == pytest.approx(expected_accuracy)
    assert [r["label"] for r in ev.per_class] == labels
    assert [r["positives"] for r in ev.per_class] == targets.sum(0).tolist()
    data = json.loads(json.dumps(ev.to_dict(), allow_nan=False))
    assert data["per_class"][3]["ap"] is None and data["per_class"][5]["auc"] is None


def test_d_prime():
    assert d_prime(0.5) == 0.0
    assert d_prime(0.9) == pytest.approx(1.8124, abs=1e-4)
    assert d_prime(1.0) == math.inf and d_prime(0.0) == -math.inf and math.isnan(d_prime(math.nan))
    with pytest.raises(ValueError, match="AUC 1.5 is out of range"):
        d_prime(1.5)
    try:
        from scipy.stats import norm
    except ImportError:
        return
    for auc in (0.01, 0.3, 0.5, 0.77, 0.9, 0.95, 0.999):
        assert d_prime(auc) == pytest.approx(math.sqrt(2) * norm.ppf(auc), abs=1e-9)


def test_accuracy_single_label():
    rng = np.random.default_rng(9)
    truth = rng.integers(0, 5, 200)
    targets = np.eye(5)[truth]
    scores = rng.random((200, 5)) + 0.5 * targets
    expected = sklearn_metrics.accuracy_score(truth, scores.argmax(1))
    assert accuracy(scores, targets) == pytest.approx(expected) and 0.2 < expected < 1.0


def test_per_class_table():
    scores = np.array([[0.9, 0.1, 0.5], [0.2, 0.8, 0.5], [0.3, 0.4, 0.5]])
    targets = np.array([[1, 0, 0], [0, 0, 0], [0, 1, 0]])
    ev = evaluate(scores, targets, ["dog", "rain", "clock tick"])
    lines = per_class_table(ev).splitlines()
    assert lines[0].split() == ["label", "AP", "AUC", "accuracy", "positives"]
    assert [line.split()[0] for line in lines[1:]] == ["dog", "rain", "clock"]  # AP 1.0, 0.5, undefined last
    assert lines[3].split()[-3:] == ["-", "-", "0"]
    assert len({len(line) for line in lines}) == 1  # aligned columns
    assert len(per_class_table(ev, top=1).splitlines()) == 2


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"shape \(clips, classes\); got \(3,\) and \(3,\)"):
        average_precision(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="targets must be 0 or 1"):
        roc_auc(np.zeros((2, 2)), np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="NaN or infinity"):
        roc_auc(np.full((2, 2), np.nan), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="got 1 labels for 2 score columns"):
        evaluate(np.zeros((2, 2)), np.zeros((2, 2)), ["a"])
    with pytest.raises(ValueError, match="top must be None or a non-negative"):
        per_class_table(evaluate(np.zeros((2, 1)), np.array([[1], [0]]), ["a"]), top=-1)
