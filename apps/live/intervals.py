"""Events as intervals for the timeline: each onset record paired with its offset record, incrementally."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from rtast.events import Event

MAX_INTERVALS = 2000  # kept for the timeline; the event records themselves are kept by LiveState


@dataclass
class Interval:
    label: str
    onset: float  # seconds of session time
    offset: float | None  # None while the event goes on
    peak: float

    def end(self, now: float) -> float:
        """Where the bar ends: the offset, or ``now`` for an open event."""
        return self.offset if self.offset is not None else max(now, self.onset)

    def describe(self) -> str:
        offset = "ongoing" if self.offset is None else f"{self.offset:.2f} s"
        return f"{self.label}\nonset {self.onset:.2f} s\noffset {offset}\npeak {self.peak:.2f}"


class Intervals:
    """The newest intervals, in onset order of arrival; an offset record closes its open interval."""

    def __init__(self, max_intervals: int = MAX_INTERVALS):
        self.items: deque[Interval] = deque(maxlen=max_intervals)
        self.labels: dict[str, None] = {}  # every label that had events, in order of first appearance
        self._open: dict[tuple[str, float], Interval] = {}

    def add(self, events: Iterable[Event]) -> Intervals:
        for e in events:
            self.labels.setdefault(e.label)
            key = (e.label, e.onset)
            if e.offset is None:
                self._open[key] = Interval(e.label, e.onset, None, e.peak)
                self.items.append(self._open[key])
            elif key in self._open:
                interval = self._open.pop(key)
                interval.offset, interval.peak = e.offset, e.peak
            else:  # its onset record was not seen
                self.items.append(Interval(e.label, e.onset, e.offset, e.peak))
        return self
