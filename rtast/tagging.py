"""Offline tagging of audio files: the batch twin of the streaming path.

file -> 16 kHz mono blocks -> incremental fbank -> sliding windows -> engine -> scores per
window, reduced to scores per file. Memory stays bounded by one window and one batch.

Events of a file (``file_events``) are not derived from these windows: the file goes through
the live path itself (start-up windows every hop, the same detector), so ``rtast tag --events``
and ``rtast listen --input`` report the same events for the same file and settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from rtast.configs import ConfigError
from rtast.engine import Engine
from rtast.events import Event, EventConfig
from rtast.fbank import SAMPLE_RATE, FrontendConfig, window_input
from rtast.listener import ListenConfig, Listener
from rtast.sinks import EventCollector
from rtast.sources import FileSource
from rtast.windows import FrameWindow, windows_of_file

T = TypeVar("T")

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
            raise ConfigError(f"reduce {self.reduce!r} not supported; choose one of {REDUCTIONS}")
        if self.hop_seconds is not None and not 0 < self.hop_seconds < math.inf:  # also refuses NaN
            raise ConfigError(f"hop must be a finite number of seconds above 0, got {self.hop_seconds}")
        if self.top_k < 1 or self.batch_size < 1:
            raise ConfigError("top_k and batch_size must be at least 1")


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


def tag_record(kind: str, path: str, scores: np.ndarray, labels: list[str], k: int, **fields) -> dict:
    """One JSON line of ``rtast tag --json``: a "window" or "file" with its top k and every label's score."""
    return {
        "type": kind,
        "file": path,
        **fields,
        "top": [{"label": lab, "score": round(s, 6)} for lab, s in top_k(scores, labels, k)],
        "scores": {lab: round(float(s), 6) for lab, s in zip(labels, scores, strict=True)},
    }


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

    def score_windows(self, windows: list[FrameWindow]) -> list[WindowScores]:
        """Run the engine on one batch of windows."""
        inputs = torch.stack([window_input(w.frames, self.frontend) for w in windows])
        scores = self.engine.run(inputs).numpy()
        return [
            WindowScores(w.start / SAMPLE_RATE, w.end / SAMPLE_RATE, s) for w, s in zip(windows, scores, strict=True)
        ]

    def tag_file(self, path: str | Path, on_window: Callable[[WindowScores], None] | None = None) -> FileScores:
        """Tag one file; ``on_window`` sees each window's scores as soon as they exist."""
        reduced: np.ndarray | None = None
        count, end = 0, 0.0
        for batch in batches(windows_of_file(path, self.frontend, self.hop_seconds), self.config.batch_size):
            for ws in self.score_windows(batch):
                if reduced is None:
                    reduced = ws.scores.copy()
                elif self.reduce == "max":
                    np.maximum(reduced, ws.scores, out=reduced)
                else:
                    reduced += ws.scores
                count, end = count + 1, ws.t_end  # the last window ends at the file's last sample
                if on_window is not None:
                    on_window(ws)
        assert reduced is not None  # iter_audio refuses files without samples
        if self.reduce == "mean":
            reduced /= count
        return FileScores(str(path), end, count, reduced)


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last may be shorter)."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def file_events(
    path: str | Path,
    engine: Engine,
    frontend: FrontendConfig,
    labels: list[str],
    hop_seconds: float | None,
    event_config: EventConfig,
    on_event: Callable[[Event], None] | None = None,
) -> list[Event]:
    """The events ``rtast listen --input path --hop hop_seconds`` would report, as fast as the engine runs
    (``hop_seconds`` None: the model's default hop, as listen's).

    Returns the finished events (onset and offset), in the order they ended.
    """
    collector = EventCollector(on_event)
    config = ListenConfig(hop_seconds=hop_seconds, events=event_config)
    Listener(FileSource(str(path)), engine, frontend, labels, [collector], config).run()
    return collector.finished
