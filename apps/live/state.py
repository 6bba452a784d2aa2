"""Where the worker and the GUI meet: the latest window, recent events, frames and stats, under one lock.

The worker thread writes through a ``LiveSink`` (one per Listener); the GUI thread calls
``snapshot()`` at its own frame rate and gets immutable copies, so it never touches a running
Listener. Times are session times: a Listener started after a device switch continues where the
previous one stopped, so the spectrogram and the timeline run on across inputs.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, replace

import numpy as np

from rtast.events import Event
from rtast.fbank import FrontendConfig
from rtast.listener import Listener
from rtast.live.frames import FrameHistory, colour_levels, window_frames
from rtast.sinks import WindowResult

MAX_EVENTS = 100_000  # onset and offset records kept (and saved); older ones are dropped
SNAPSHOT_EVENTS = 1000  # newest records in a snapshot: the display takes only the new ones each frame
STATS_INTERVAL = 0.1  # seconds between stats copies on the worker thread


@dataclass(frozen=True)
class LiveStats:
    """What the status line shows, copied on the worker thread."""

    source: str = ""
    native_rate: int = 0
    windows: int = 0
    skipped: int = 0
    overflows: int = 0
    dropped_frames: int = 0
    latency_p50_ms: float = math.nan
    latency_p95_ms: float = math.nan
    real_time_factor: float = 0.0
    audio_seconds: float = 0.0
    running: bool = False
    stopped_by: str = ""
    error: str = ""

    @classmethod
    def of(cls, listener: Listener, running: bool, error: str = "") -> LiveStats:
        s, capture = listener.stats, listener.source.stats()
        return cls(
            source=s.source,
            native_rate=s.native_rate,
            windows=s.windows,
            skipped=s.skipped,
            overflows=capture.overflows,
            dropped_frames=capture.dropped_frames,
            latency_p50_ms=s.latency_ms(50),
            latency_p95_ms=s.latency_ms(95),
            real_time_factor=s.real_time_factor,
            audio_seconds=s.audio_seconds,
            running=running,
            stopped_by=s.stopped_by,
            error=error,
        )


@dataclass(frozen=True)
class Snapshot:
    version: int  # changes whenever anything below changes
    result: WindowResult | None  # newest scored window (stream times of its own Listener)
    now: float  # session time of the end of the newest scored window
    spectrogram: np.ndarray  # (frames, mel_bins), oldest first
    spectrogram_end: float  # session time where the newest frame starts + one frame shift
    events: tuple[Event, ...]  # the newest onset and offset records (at most SNAPSHOT_EVENTS), session time
    events_total: int  # records ever added: the display tells the new ones from this
    stats: LiveStats


class LiveSink:
    """The Sink of one Listener: forwards into the LiveState, shifted to session time."""

    def __init__(self, state: LiveState, offset: float):
        self.state = state
        self.offset = offset
        self.listener: Listener | None = None
        self.last_stats = 0.0

    def bind(self, listener: Listener) -> None:
        self.listener = listener

    def window(self, result: WindowResult) -> None:
        self.state.add_window(self, result)

    def event(self, event: Event) -> None:
        offset = None if event.offset is None else event.offset + self.offset
        self.state.add_event(replace(event, onset=event.onset + self.offset, offset=offset))

    def close(self) -> None:
        pass


class LiveState:
    """The latest window, a bounded deque of events, the spectrogram history and stats, under a lock."""

    def __init__(self, frontend: FrontendConfig, history_seconds: float = 10.0, max_events: int = MAX_EVENTS):
        self.frontend = frontend
        self._lock = threading.Lock()
        self._frames_per_second = frontend.sample_rate / frontend.frame_shift
        capacity = round(history_seconds * self._frames_per_second)
        self._history = FrameHistory(capacity, frontend.num_mel_bins, colour_levels(frontend)[0])
        self._image = self._history.image()
        self._image_dirty = False
        self._events: deque[Event] = deque(maxlen=max_events)
        self._events_tuple: tuple[Event, ...] = ()
        self._events_total = 0
        self._events_copied = 0  # the total _events_tuple was made at
        self._version = 0
        self._result: WindowResult | None = None
        self._now = 0.0
        self._session_end = 0.0  # session time the next Listener starts at
        self._stats = LiveStats()

    # worker side

    def new_sink(self, source_description: str = "", native_rate: int = 0) -> LiveSink:
        """A sink for the next Listener; its stream time 0 is the session time reached so far."""
        with self._lock:
            self._stats = LiveStats(source=source_description, native_rate=native_rate, running=True)
            self._version += 1
            return LiveSink(self, self._session_end)

    def add_window(self, sink: LiveSink, result: WindowResult) -> None:
        """A scored window of ``sink``'s Listener (its worker thread calls this)."""
        first, frames = window_frames(result, self.frontend)
        first += round(sink.offset * self._frames_per_second)
        stats = None
        now = time.monotonic()
        if sink.listener is not None and now - sink.last_stats >= STATS_INTERVAL:
            stats, sink.last_stats = LiveStats.of(sink.listener, running=True), now
        with self._lock:
            self._history.add(first, frames)
            self._image_dirty = True
            self._result = result
            self._now = sink.offset + result.t_end
            self._session_end = max(self._session_end, self._now)
            if stats is not None:
                self._stats = stats
            self._version += 1

    def add_event(self, event: Event) -> None:
        """An onset or offset, already in session time."""
        with self._lock:
            self._events.append(event)
            self._events_total += 1
            self._version += 1

    def finished(self, sink: LiveSink, error: str = "") -> None:
        """The sink's Listener has stopped (``error``: why, if it failed); keep its final stats."""
        stats = LiveStats.of(sink.listener, running=False, error=error) if sink.listener else None
        with self._lock:
            if stats is not None:
                self._stats = stats
                self._session_end = max(self._session_end, sink.offset + stats.audio_seconds)
            self._version += 1

    def report_error(self, message: str, source_description: str = "") -> None:
        """An input that could not be opened: no Listener runs now."""
        with self._lock:
            self._stats = LiveStats(source=source_description, error=message)
            self._version += 1

    # GUI side

    def snapshot(self) -> Snapshot:
        with self._lock:
            if self._image_dirty:
                self._image = self._history.image()
                self._image_dirty = False
            if self._events_copied != self._events_total:
                newest = itertools.islice(reversed(self._events), SNAPSHOT_EVENTS)
                self._events_tuple = tuple(newest)[::-1]
                self._events_copied = self._events_total
            return Snapshot(
                self._version,
                self._result,
                self._now,
                self._image,
                self._history.end / self._frames_per_second,
                self._events_tuple,
                self._events_total,
                self._stats,
            )

    def events(self) -> list[Event]:
        """Every event record kept so far (at most ``MAX_EVENTS``), oldest first."""
        with self._lock:
            return list(self._events)
