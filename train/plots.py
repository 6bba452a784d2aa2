"""PNG figures of a run: the learning curves and a confusion matrix (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path


class PlotsUnavailable(RuntimeError):
    """matplotlib is not installed; the run itself is unaffected."""


def _pyplot():
    try:
        import matplotlib
    except ImportError as e:
        raise PlotsUnavailable("no PNG figures: matplotlib is not installed (pip install 'rtast[train]')") from e
    matplotlib.use("Agg")  # files only: no display needed, and no GUI backend pulled in
    import matplotlib.pyplot as plt

    return plt


def learning_curves(records: list[dict], path: Path) -> Path:
    """Train loss, held-out metrics and learning rate per epoch (the records of metrics.jsonl) as one PNG."""
    plt = _pyplot()
    epochs = [r["epoch"] for r in records]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, constrained_layout=True)
    top.plot(epochs, [r["train_loss"] for r in records], "o-", label="train loss")
    top.set_ylabel("loss")
    scored = [k for k in ("accuracy", "mAP") if any(r.get(k) is not None for r in records)]
    if scored:
        right = top.twinx()
        for key in scored:
            right.plot(epochs, [r.get(key) for r in records], "s--", label=f"held-out {key}")
        right.set_ylim(0, 1.02)
        right.set_ylabel("held-out")
        right.legend(loc="center right")
    top.legend(loc="upper right")
    bottom.plot(epochs, [r["lr"] for r in records], "o-", color="grey")
    bottom.set_yscale("log")
    bottom.set_ylabel("learning rate (end of epoch)")
    bottom.set_xlabel("epoch")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def confusion_png(confusion: dict, path: Path, title: str = "") -> Path:
    """A confusion matrix ({"labels", "counts"}: rows true, columns predicted) as a PNG, counts in the cells."""
    plt = _pyplot()
    labels, counts = confusion["labels"], confusion["counts"]
    n = len(labels)
    side = min(4 + 0.45 * n, 24)
    fig, ax = plt.subplots(figsize=(side, side), constrained_layout=True)
    ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(n), labels, rotation=90)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = max((max(row, default=0) for row in counts), default=0)
    if n <= 40:
        for i, row in enumerate(counts):
            for j, count in enumerate(row):
                if count:
                    ax.text(j, i, str(count), ha="center", va="center", color="white" if count > top / 2 else "black")
    ax.set_title(title)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
