"""Offline tagging of audio files: the batch twin of the streaming path.

file -> 16 kHz mono blocks -> incremental fbank -> sliding windows -> engine -> scores per
window, reduced to scores per file. Memory stays bounded by one window and one batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.base import Engine
from rtast.audiofile import iter_audio
from rtast.fbank import SAMPLE_RATE, FrontendConfig
from rtast.windows import FrameWindow, WindowedFrontend

REDUCTIONS = ("auto", "max", "mean")


@dataclass(frozen=True)
class TagConfig:
    """How files are cut into windows and summarised."""

    hop_seconds: float | None = None  # between window starts; None = half the model's window
    top_k: int = 5  # labels shown per window and per file
    batch_size: int = 4  # windows per engine call
    reduce: str = "auto"  # file scores from window scores: max, mean, auto (max if multi-label)

    def __post_init__(self) -> None:
        if self.reduce not in REDUCTIONS:
            raise ValueError(f"reduce {self.reduce!r} not supported; choose one of {REDUCTIONS}")
        if self.hop_seconds is not None and self.hop_seconds <= 0:
            raise ValueError(f"hop must be positive seconds, got {self.hop_seconds}")
        if self.top_k < 1 or self.batch_size < 1:
            raise ValueError("top_k and batch_size must be at least 1")


@dataclass(frozen=True)
class WindowScores:
    t_start: float  # seconds from the start of the file
    t_end: float
    scores: np.ndarray  # (classes,) float32


@dataclass(frozen=True)
class FileScores:
    path: str
    duration: float  # seconds of audio decoded
    num_windows: int
    scores: np.ndarray  # (classes,) float32, reduced over windows


def top_k(scores: np.ndarray, labels: list[str], k: int) -> list[tuple[str, float]]:
    """The k best (label, score) pairs, best first."""
    order = np.argsort(-scores, kind="stable")[:k]
    return [(labels[i], float(scores[i])) for i in order]


class Tagger:
    """Tags files with one engine, its frontend and its labels."""

    def __init__(
        self,
        engine: Engine,
        frontend: FrontendConfig,
        labels: list[str],
        multilabel: bool,
        config: TagConfig = TagConfig(),
    ):
        self.engine = engine
        self.frontend = frontend
        self.labels = labels
        self.config = config
        self.reduce = config.reduce if config.reduce != "auto" else ("max" if multilabel else "mean")
        self.hop_seconds = config.hop_seconds if config.hop_seconds is not None else frontend.window_seconds / 2

    def score_windows(self, windowed: WindowedFrontend, windows: list[FrameWindow]) -> list[WindowScores]:
        """Run the engine on one batch of windows."""
        scores = self.engine.run(windowed.model_inputs(windows)).numpy()
        return [
            WindowScores(w.start / SAMPLE_RATE, w.end / SAMPLE_RATE, s) for w, s in zip(windows, scores, strict=True)
        ]

    def tag_file(self, path: str | Path, on_window: Callable[[WindowScores], None] | None = None) -> FileScores:
        """Tag one file; ``on_window`` sees each window's scores as soon as they exist."""
        windowed = WindowedFrontend(self.frontend, self.hop_seconds, startup_windows=False)
        pending: list[FrameWindow] = []
        reduced: np.ndarray | None = None
        count = 0

        def flush() -> None:
            nonlocal reduced, count
            size = self.config.batch_size
            for i in range(0, len(pending), size):
                for ws in self.score_windows(windowed, pending[i : i + size]):
                    if reduced is None:
                        reduced = ws.scores.copy()
                    elif self.reduce == "max":
                        np.maximum(reduced, ws.scores, out=reduced)
                    else:
                        reduced += ws.scores
                    count += 1
                    if on_window is not None:
                        on_window(ws)
            pending.clear()

        for block in iter_audio(path):
            pending.extend(windowed.push(block))
            if len(pending) >= self.config.batch_size:
                flush()
        pending.extend(windowed.finish())
        if pending:
            flush()
        assert reduced is not None  # iter_audio refuses files without samples
        if self.reduce == "mean":
            reduced /= count
        return FileScores(str(path), windowed.fbank.samples_seen / SAMPLE_RATE, count, reduced)
