"""From window scores to sound events: smoothing, thresholds with hysteresis, minimum duration.

Time attribution. A window [t_start, t_end) is scored every hop. An event that begins is first
seen in the window whose newest hop [t_end - hop, t_end) contains its start, so an onset is
placed at ``t_end - hop`` of the first window above the threshold. An event that ends leaves
the windows from their start side, so an offset is placed at ``t_start`` of the first window
below the release threshold, kept at least one hop after the onset (start-up windows all begin
at 0 and say nothing about where a sound stopped) and never after the end of the last active
window. Smoothing over N windows delays decisions by (N - 1) / 2 windows (median) and the
times are taken from the window the smoothed value is centred on.

With a model's frame head (``Steps``: scores of each ~0.16-s time step of a window) the window
scores still decide that an event begins or ends, and the steps place it: the onset at the first
active step in the deciding window (after the class's previous offset), the offset at the end of
the last active step while the event lasted (``step_activity``: at least half the window's
highest step). ``Event.timing`` says which placed it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from rtast.configs import ConfigError

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
            raise ConfigError(f"smoothing {self.smoothing!r} not supported; choose one of {SMOOTHING}")
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.release is not None and not 0.0 <= self.release <= self.threshold:
            raise ConfigError(f"release ({self.release}) must be between 0 and the threshold ({self.threshold})")
        if self.median_windows < 1 or self.median_windows % 2 == 0:
            raise ConfigError(f"median_windows must be odd and positive, got {self.median_windows}")
        if not 0.0 < self.ema_alpha <= 1.0:
            raise ConfigError(f"ema_alpha must be in (0, 1], got {self.ema_alpha}")
        if not 0.0 <= self.min_duration < float("inf"):
            raise ConfigError(f"min_duration must be a finite number of seconds of at least 0, got {self.min_duration}")

    @property
    def release_threshold(self) -> float:
        return self.release if self.release is not None else 0.8 * self.threshold


@dataclass(frozen=True)
class Steps:
    """Frame-head scores of one window: time step k covers [starts[k], ends[k]) seconds of the stream."""

    starts: np.ndarray  # (steps,)
    ends: np.ndarray  # (steps,)
    scores: np.ndarray  # (steps, classes) in [0, 1]


@dataclass(frozen=True)
class Event:
    """One detected sound event; ``offset`` is None while it is still going on."""

    label: str
    onset: float  # seconds from stream start
    offset: float | None
    peak: float  # highest smoothed score while active
    timing: str = "windows"  # what placed onset and offset: "windows" (window edges) or "frames" (frame head)

    @property
    def kind(self) -> str:
        return "onset" if self.offset is None else "offset"

    def to_dict(self) -> dict:
        d = {"event": self.kind, "label": self.label, "onset": round(self.onset, 3), "peak": round(self.peak, 4)}
        if self.offset is not None:
            d["offset"] = round(self.offset, 3)
            d["duration"] = round(self.offset - self.onset, 3)
        d["timing"] = self.timing
        return d


def sustained(above: np.ndarray, steps: int = 2) -> np.ndarray:
    """Per class (column), the steps in runs of at least ``steps`` above threshold; a class with no such run
    keeps its single steps (a short sound). One stray step beside the sound then does not move its edges."""
    run = np.zeros_like(above)
    for k in range(len(above) - steps + 1):
        together = above[k : k + steps].all(0)
        run[k : k + steps] |= together
    return np.where(run.any(0), run, above)


STEP_FLOOR = 0.1  # a class's steps all below this say nothing about where it is


def step_activity(scores: np.ndarray) -> np.ndarray:
    """(steps, classes) frame-head scores -> where each class sounds in the window: steps at least half its
    highest step (and above STEP_FLOOR). Relative to the peak, as the frame head's scores run lower than
    the window's: on held-out scenes this placed events better than the window threshold (README)."""
    return scores >= np.maximum(0.5 * scores.max(0, keepdims=True), STEP_FLOOR)


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
        self._steps: deque[Steps | None] = deque(maxlen=span)
        self._ema: np.ndarray | None = None
        self.active = np.zeros(n, bool)  # above threshold (reported or not)
        self.reported = np.zeros(n, bool)  # onset already emitted
        self.onset = np.zeros(n)
        self.peak = np.zeros(n)
        self.last_active_end = np.zeros(n)
        self.last_offset = np.zeros(n)  # where the class's previous event ended
        self.step_end = np.full(n, -1.0)  # end of the newest step above threshold while active; -1: none
        self.timing = np.array(["windows"] * n, dtype=object)
        self.smoothed = np.zeros(n, np.float32)  # latest smoothed scores, for displays

    def _smooth(
        self, scores: np.ndarray, t_start: float, t_end: float, steps: Steps | None
    ) -> tuple[np.ndarray, float, float, Steps | None]:
        """Smoothed scores, and the (t_start, t_end) and steps of the window they describe."""
        cfg = self.config
        if cfg.smoothing == "ema":
            self._ema = scores.copy() if self._ema is None else cfg.ema_alpha * scores + (1 - cfg.ema_alpha) * self._ema
            return self._ema, t_start, t_end, steps
        self._scores.append(scores)
        self._times.append((t_start, t_end))
        self._steps.append(steps)
        if cfg.smoothing == "none" or len(self._scores) == 1:
            return scores, t_start, t_end, steps
        centre = len(self._times) // 2
        ws, we = self._times[centre]
        return np.median(np.stack(self._scores), axis=0), ws, we, self._steps[centre]

    def update(self, t_start: float, t_end: float, scores: np.ndarray, steps: Steps | None = None) -> list[Event]:
        """Feed one window's scores (classes,) and a frame head's steps; return the events it starts or ends."""
        smoothed, ws, we, steps = self._smooth(np.asarray(scores, np.float32), t_start, t_end, steps)
        self.smoothed = smoothed.astype(np.float32)
        cfg = self.config
        events: list[Event] = []
        above = None if steps is None else sustained(step_activity(steps.scores))  # (steps, classes)
        starting = ~self.active & (smoothed >= cfg.threshold)
        for i in np.flatnonzero(starting):
            self.onset[i], self.timing[i] = max(0.0, we - self.hop), "windows"
            self.step_end[i] = -1.0
            if above is not None:
                first = np.flatnonzero(above[:, i] & (steps.ends > self.last_offset[i]))
                if len(first):
                    self.onset[i] = max(float(steps.starts[first[0]]), self.last_offset[i])
                    self.timing[i] = "frames"
        self.peak[starting] = 0.0
        self.active |= starting
        if above is not None:
            for i in np.flatnonzero(self.active):
                hit = np.flatnonzero(above[:, i])
                if len(hit):
                    self.step_end[i] = max(self.step_end[i], float(steps.ends[hit[-1]]))
        ending = self.active & (smoothed < cfg.release_threshold)
        for i in np.flatnonzero(ending):
            if self.reported[i]:
                events.append(self._closed(i, self._offset(i, ws)))
        self.active &= ~ending
        self.reported &= ~ending
        still = self.active
        self.peak[still] = np.maximum(self.peak[still], smoothed[still])
        self.last_active_end[still] = we
        confirm = still & ~self.reported & (we - self.onset >= cfg.min_duration)
        for i in np.flatnonzero(confirm):
            events.append(Event(self.labels[i], float(self.onset[i]), None, float(self.peak[i]), self.timing[i]))
        self.reported |= confirm
        return events

    def _offset(self, i: int, window_start: float) -> float:
        """Where event i ends: its last step above threshold, else the start of the window it left."""
        if self.timing[i] == "frames" and self.step_end[i] > self.onset[i]:
            return min(self.step_end[i], self.last_active_end[i])
        return min(max(window_start, self.onset[i] + self.hop), self.last_active_end[i])

    def _closed(self, i: int, offset: float) -> Event:
        self.last_offset[i] = offset
        return Event(self.labels[i], float(self.onset[i]), float(offset), float(self.peak[i]), self.timing[i])

    def finish(self, end_time: float) -> list[Event]:
        """Close every reported event at the end of the stream, ``end_time`` (or, with frames, where its steps
        ended: a sound that stopped shortly before the stream did is still in the last windows)."""
        events = []
        for i in np.flatnonzero(self.active & self.reported):
            ended = self.step_end[i] if self.timing[i] == "frames" and self.step_end[i] > self.onset[i] else end_time
            events.append(self._closed(i, float(max(min(ended, end_time), self.onset[i]))))
        self.active[:] = False
        self.reported[:] = False
        return events
