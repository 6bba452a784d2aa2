"""From window scores to sound events: smoothing, thresholds with hysteresis, minimum duration.

Time attribution. A window [t_start, t_end) is scored every hop. An event that begins is first
seen in the window whose newest hop [t_end - hop, t_end) contains its start, so an onset is
placed at ``t_end - hop`` of the first window above the threshold. An event that ends leaves
the windows from their start side, so an offset is placed at ``t_start`` of the first window
below the release threshold, kept at least one hop after the onset (start-up windows all begin
at 0 and say nothing about where a sound stopped) and never after the end of the last active
window. Smoothing over N windows delays decisions by (N - 1) / 2 windows (median) and the
times are taken from the window the smoothed value is centred on.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

SMOOTHING = ("median", "ema", "none")


@dataclass(frozen=True)
class EventConfig:
    """Detection settings; one place for their defaults."""

    threshold: float = 0.5  # smoothed score that starts an event
    release: float | None = None  # smoothed score below which it ends; None = 0.8 * threshold
    smoothing: str = "median"  # median | ema | none
    median_windows: int = 3  # windows in the median filter (odd)
    ema_alpha: float = 0.5  # weight of the newest window in the EMA
    min_duration: float = 0.0  # seconds an event must last before its onset is reported

    def __post_init__(self) -> None:
        if self.smoothing not in SMOOTHING:
            raise ValueError(f"smoothing {self.smoothing!r} not supported; choose one of {SMOOTHING}")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.release is not None and not 0.0 <= self.release <= self.threshold:
            raise ValueError(f"release ({self.release}) must be between 0 and the threshold ({self.threshold})")
        if self.median_windows < 1 or self.median_windows % 2 == 0:
            raise ValueError(f"median_windows must be odd and positive, got {self.median_windows}")
        if not 0.0 < self.ema_alpha <= 1.0:
            raise ValueError(f"ema_alpha must be in (0, 1], got {self.ema_alpha}")
        if not 0.0 <= self.min_duration < float("inf"):
            raise ValueError(f"min_duration must be a finite number of seconds of at least 0, got {self.min_duration}")

    @property
    def release_threshold(self) -> float:
        return self.release if self.release is not None else 0.8 * self.threshold


@dataclass(frozen=True)
class Event:
    """One detected sound event; ``offset`` is None while it is still going on."""

    label: str
    onset: float  # seconds from stream start
    offset: float | None
    peak: float  # highest smoothed score while active

    @property
    def kind(self) -> str:
        return "onset" if self.offset is None else "offset"

    def to_dict(self) -> dict:
        d = {"event": self.kind, "label": self.label, "onset": round(self.onset, 3), "peak": round(self.peak, 4)}
        if self.offset is not None:
            d["offset"] = round(self.offset, 3)
            d["duration"] = round(self.offset - self.onset, 3)
        return d


class EventDetector:
    """Per-class state machine over window scores; ``update`` returns onsets and offsets as they happen."""

    def __init__(self, labels: list[str], hop_seconds: float, config: EventConfig | None = None):
        self.labels = labels
        self.hop = hop_seconds
        self.config = config or EventConfig()
        n = len(labels)
        span = self.config.median_windows if self.config.smoothing == "median" else 1
        self._scores: deque[np.ndarray] = deque(maxlen=span)
        self._times: deque[tuple[float, float]] = deque(maxlen=span)
        self._ema: np.ndarray | None = None
        self.active = np.zeros(n, bool)  # above threshold (reported or not)
        self.reported = np.zeros(n, bool)  # onset already emitted
        self.onset = np.zeros(n)
        self.peak = np.zeros(n)
        self.last_active_end = np.zeros(n)
        self.smoothed = np.zeros(n, np.float32)  # latest smoothed scores, for displays

    def _smooth(self, scores: np.ndarray, t_start: float, t_end: float) -> tuple[np.ndarray, float, float]:
        """Smoothed scores and the (t_start, t_end) of the window they describe."""
        cfg = self.config
        if cfg.smoothing == "ema":
            self._ema = scores.copy() if self._ema is None else cfg.ema_alpha * scores + (1 - cfg.ema_alpha) * self._ema
            return self._ema, t_start, t_end
        self._scores.append(scores)
        self._times.append((t_start, t_end))
        if cfg.smoothing == "none" or len(self._scores) == 1:
            return scores, t_start, t_end
        centre = self._times[len(self._times) // 2]
        return np.median(np.stack(self._scores), axis=0), centre[0], centre[1]

    def update(self, t_start: float, t_end: float, scores: np.ndarray) -> list[Event]:
        """Feed one window's scores (classes,); return the events it starts or ends."""
        smoothed, ws, we = self._smooth(np.asarray(scores, np.float32), t_start, t_end)
        self.smoothed = smoothed.astype(np.float32)
        cfg = self.config
        events: list[Event] = []
        starting = ~self.active & (smoothed >= cfg.threshold)
        self.onset[starting] = max(0.0, we - self.hop)
        self.peak[starting] = 0.0
        self.active |= starting
        ending = self.active & (smoothed < cfg.release_threshold)
        for i in np.flatnonzero(ending):
            if self.reported[i]:
                offset = min(max(ws, self.onset[i] + self.hop), self.last_active_end[i])
                events.append(Event(self.labels[i], float(self.onset[i]), float(offset), float(self.peak[i])))
        self.active &= ~ending
        self.reported &= ~ending
        still = self.active
        self.peak[still] = np.maximum(self.peak[still], smoothed[still])
        self.last_active_end[still] = we
        confirm = still & ~self.reported & (we - self.onset >= cfg.min_duration)
        for i in np.flatnonzero(confirm):
            events.append(Event(self.labels[i], float(self.onset[i]), None, float(self.peak[i])))
        self.reported |= confirm
        return events

    def finish(self, end_time: float) -> list[Event]:
        """Close every reported event at ``end_time`` (end of stream)."""
        events = [
            Event(self.labels[i], float(self.onset[i]), float(max(end_time, self.onset[i])), float(self.peak[i]))
            for i in np.flatnonzero(self.active & self.reported)
        ]
        self.active[:] = False
        self.reported[:] = False
        return events
