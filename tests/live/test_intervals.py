"""Events folded into the intervals the timeline draws."""

from __future__ import annotations

from rtast.events import Event
from rtast.live.intervals import Intervals


def test_events_fold_into_intervals():
    events = [
        Event("Speech", 1.0, None, 0.7),
        Event("Dog", 1.5, None, 0.6),
        Event("Speech", 1.0, 2.5, 0.9),
        Event("Speech", 4.0, None, 0.8),
    ]
    intervals = Intervals().add(events).items
    assert [(i.label, i.onset, i.offset) for i in intervals] == [
        ("Speech", 1.0, 2.5),
        ("Dog", 1.5, None),
        ("Speech", 4.0, None),
    ]
    assert intervals[1].end(now=3.0) == 3.0 and "ongoing" in intervals[1].describe()
