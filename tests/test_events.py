"""rtast.events: smoothing, hysteresis, minimum duration and event times on known score sequences."""

from __future__ import annotations

import numpy as np
import pytest

from rtast.events import Event, EventConfig, EventDetector, Steps

HOP = 1.0
WINDOW = 10.0


def feed(detector: EventDetector, series: list[list[float]]) -> list[Event]:
    """Feed per-window scores; window k ends at (k + 1) * HOP and spans at most WINDOW seconds."""
    events = []
    for k, scores in enumerate(series):
        t_end = (k + 1) * HOP
        events += detector.update(max(0.0, t_end - WINDOW), t_end, np.array(scores, np.float32))
    return events


def test_onset_and_offset_times_without_smoothing():
    det = EventDetector(["dog", "cat"], HOP, EventConfig(threshold=0.5, smoothing="none"))
    series = [[0.1, 0.1]] * 3 + [[0.9, 0.1]] * 12 + [[0.1, 0.1]] * 3
    events = feed(det, series)
    assert [(e.kind, e.label) for e in events] == [("onset", "dog"), ("offset", "dog")]
    onset, offset = events
    assert onset.onset == 3.0  # first active window ends at 4 s: its newest hop starts at 3 s
    assert offset.onset == 3.0
    assert offset.offset == 6.0  # first inactive window [6, 16): the sound ended before 6 s
    assert offset.peak == pytest.approx(0.9)


def test_hysteresis_keeps_an_event_between_release_and_threshold():
    det = EventDetector(["a"], HOP, EventConfig(threshold=0.6, release=0.3, smoothing="none"))
    events = feed(det, [[0.7], [0.4], [0.5], [0.35], [0.2]])
    assert [e.kind for e in events] == ["onset", "offset"]
    # the first inactive window is a start-up window [0, 5): it cannot place the end, so one hop after the onset
    assert events[1].offset == pytest.approx(1.0)


def test_min_duration_drops_short_blips_and_backdates_onsets():
    cfg = EventConfig(threshold=0.5, smoothing="none", min_duration=2.5)
    det = EventDetector(["a"], HOP, cfg)
    assert feed(det, [[0.9], [0.9], [0.1]]) == []  # lasted 2 s: never reported
    det = EventDetector(["a"], HOP, cfg)
    events = feed(det, [[0.1], [0.9], [0.9], [0.9]])
    assert len(events) == 1 and events[0].kind == "onset"
    assert events[0].onset == 1.0  # reported at the third active window, dated to the first


def test_median_smoothing_removes_one_window_spikes():
    det = EventDetector(["a"], HOP, EventConfig(threshold=0.5, smoothing="median", median_windows=3))
    assert feed(det, [[0.1], [0.1], [0.9], [0.1], [0.1], [0.1]]) == []
    det = EventDetector(["a"], HOP, EventConfig(threshold=0.5, smoothing="median", median_windows=3))
    events = feed(det, [[0.1], [0.1], [0.9], [0.9], [0.9], [0.1], [0.1], [0.1]])
    assert [e.kind for e in events] == ["onset", "offset"]
    assert events[0].onset == 2.0  # centred window (ends at 3 s), not the newest (ends at 4 s)


def test_ema_smoothing():
    det = EventDetector(["a"], HOP, EventConfig(threshold=0.5, smoothing="ema", ema_alpha=0.5))
    feed(det, [[1.0]])
    assert det.smoothed[0] == pytest.approx(1.0)
    feed(det, [[0.0]])
    assert det.smoothed[0] == pytest.approx(0.5)


def test_finish_closes_open_events():
    det = EventDetector(["a", "b"], HOP, EventConfig(threshold=0.5, smoothing="none"))
    feed(det, [[0.9, 0.2], [0.9, 0.2]])
    closed = det.finish(2.5)
    assert [(e.label, e.onset, e.offset) for e in closed] == [("a", 0.0, 2.5)]
    assert det.finish(3.0) == []


def test_event_records():
    assert Event("dog", 1.0, None, 0.8).to_dict() == {
        "event": "onset",
        "label": "dog",
        "onset": 1.0,
        "peak": 0.8,
        "timing": "windows",
    }
    d = Event("dog", 1.0, 3.5, 0.8).to_dict()
    assert d["event"] == "offset" and d["duration"] == 2.5


@pytest.mark.parametrize(
    "kwargs", [{"threshold": 0}, {"release": 0.9}, {"smoothing": "mode"}, {"median_windows": 2}, {"ema_alpha": 0}]
)
def test_bad_config(kwargs):
    with pytest.raises(ValueError):
        EventConfig(**kwargs)


def steps_of(t_start: float, active: tuple[float, float] | None, step: float = 0.16, count: int = 18) -> Steps:
    """Frame-head scores of a 2.88-s window: 0.9 for steps inside ``active`` (stream seconds), else 0.05."""
    starts = t_start + step * np.arange(count)
    ends = starts + step
    on = np.zeros(count, bool) if active is None else (ends > active[0]) & (starts < active[1])
    return Steps(starts, ends, np.where(on, 0.9, 0.05)[:, None].astype(np.float32))


def test_frame_head_places_onset_and_offset_inside_the_window():
    """A sound from 3.3 s to 5.1 s: the window scores decide, the steps say where it starts and ends."""
    det = EventDetector(["a"], 1.0, EventConfig(threshold=0.5, smoothing="none"))
    sound = (3.3, 5.1)
    out = []
    for k in range(10):  # windows [k, k + 2.88) every second
        ws = float(k)
        overlap = max(0.0, min(ws + 2.88, sound[1]) - max(ws, sound[0]))
        out += det.update(ws, ws + 2.88, np.array([0.9 if overlap >= 0.5 else 0.1]), steps_of(ws, sound))
    done = [e for e in out if e.offset is not None]
    assert len(done) == 1 and done[0].timing == "frames"
    assert abs(done[0].onset - sound[0]) < 0.16 and abs(done[0].offset - sound[1]) < 0.16
    window_only = EventDetector(["a"], 1.0, EventConfig(threshold=0.5, smoothing="none"))
    out = []
    for k in range(10):
        ws = float(k)
        overlap = max(0.0, min(ws + 2.88, sound[1]) - max(ws, sound[0]))
        out += window_only.update(ws, ws + 2.88, np.array([0.9 if overlap >= 0.5 else 0.1]))
    coarse = [e for e in out if e.offset is not None][0]
    assert coarse.timing == "windows"
    assert abs(coarse.onset - sound[0]) + abs(coarse.offset - sound[1]) > 0.5  # what the frame head fixes


def test_frame_head_silent_steps_fall_back_to_window_times():
    det = EventDetector(["a"], 0.5, EventConfig(threshold=0.5, smoothing="none"))
    events = det.update(0.0, 2.88, np.array([0.9]), steps_of(0.0, None))
    assert events[0].timing == "windows" and events[0].onset == pytest.approx(2.38)


def test_frame_head_onset_not_before_previous_offset():
    det = EventDetector(["a"], 1.0, EventConfig(threshold=0.5, smoothing="none"))
    det.update(0.0, 2.88, np.array([0.9]), steps_of(0.0, (0.0, 2.0)))
    closed = det.update(1.0, 3.88, np.array([0.1]), steps_of(1.0, (1.0, 2.0)))
    assert closed[0].offset == pytest.approx(2.12)
    again = det.update(2.0, 4.88, np.array([0.9]), steps_of(2.0, (2.0, 4.88)))
    assert again[0].onset >= closed[0].offset


def test_frame_head_closes_at_the_end_of_its_steps_when_the_stream_ends():
    """A sound that stopped 1.5 s before the stream did is still in the last windows: its steps say where."""
    det = EventDetector(["a"], 1.0, EventConfig(threshold=0.5, smoothing="none"))
    det.update(0.0, 2.88, np.array([0.9]), steps_of(0.0, (1.0, 3.0)))
    det.update(1.0, 3.88, np.array([0.9]), steps_of(1.0, (1.0, 3.0)))
    (closed,) = det.finish(4.5)
    assert closed.offset == pytest.approx(3.0, abs=0.1) and closed.timing == "frames"
    window_only = EventDetector(["a"], 1.0, EventConfig(threshold=0.5, smoothing="none"))
    window_only.update(0.0, 2.88, np.array([0.9]))
    assert window_only.finish(4.5)[0].offset == 4.5  # nothing better than the end of the stream
