"""What a run reports: metrics.jsonl records, epoch lines, notes, TensorBoard scalars and figures."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from rtast.train.distributed import Dist
from rtast.train.metrics import Evaluation


def finite(record: dict) -> dict:
    """The record with NaN and infinities as None, so that metrics.jsonl is valid JSON."""
    return {k: v if not isinstance(v, float) or math.isfinite(v) else None for k, v in record.items()}


def epoch_line(record: dict) -> str:
    """One readable line per epoch: lr in scientific notation, seconds as seconds."""
    parts = []
    for k, v in record.items():
        if k == "lr":
            parts.append(f"lr={v:.1e}")
        elif k == "seconds":
            parts.append(f"{v:.1f} s")
        elif isinstance(v, float):
            parts.append(f"{k}={v:.4f}")
        else:
            parts.append(f"{k}={v}")
    return " ".join(parts)


def note(d: Dist, text: str) -> None:
    if d.main:
        print(f"python -m train: note: {text}", file=sys.stderr, flush=True)


def tensorboard_writer(folder: Path):
    """A SummaryWriter for ``folder``, or None (with a note) where the tensorboard package is missing."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # torch raises it when the tensorboard package is absent
        print("python -m train: note: no TensorBoard logs (pip install tensorboard)", file=sys.stderr)
        return None
    return SummaryWriter(str(folder))


def log_epoch(writer, record: dict, evaluation: Evaluation | None) -> None:
    """Epoch scalars (held-out metrics, per-class AP and accuracy) for TensorBoard."""
    step = record["step"]
    writer.add_scalar("train/epoch_loss", record["train_loss"], step)
    if evaluation is None:
        return
    for key in ("mAP", "mAUC", "accuracy"):
        value = getattr(evaluation, key)
        if math.isfinite(value):
            writer.add_scalar(f"eval/{key}", value, step)
    for row in evaluation.per_class:
        for key in ("ap", "accuracy"):
            if row.get(key) is not None and math.isfinite(row[key]):
                writer.add_scalar(f"{key}/{row['label']}", row[key], step)
    writer.flush()


def write_figures(out_dir: Path, best: Evaluation | None, d: Dist) -> None:
    """learning_curves.png from metrics.jsonl and confusion.png of the best epoch, if matplotlib is there."""
    from rtast.train.plots import PlotsUnavailable, confusion_png, learning_curves

    log = out_dir / "metrics.jsonl"
    try:
        if log.exists():
            learning_curves(
                [json.loads(line) for line in log.read_text().splitlines() if line], out_dir / "learning_curves.png"
            )
        if best is not None and best.confusion is not None:
            confusion_png(best.confusion, out_dir / "confusion.png", "best epoch, held-out clips")
    except PlotsUnavailable as e:
        note(d, str(e))
