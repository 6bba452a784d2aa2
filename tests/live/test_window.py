"""apps/live's window, driven with real audio through the real worker and model, and `rtast listen` opening it.

The clip is silence, espeak-ng speech, silence; the model is the session's one-class Speech detector
(tests/speech_detector.py, 1-s windows); Qt runs offscreen (live_helpers.py).
"""

from __future__ import annotations

import json
import os

import pytest
from live_helpers import (
    HOP,
    QtCore,
    QtGui,
    QtWidgets,
    live_setup,
    open_live,
    qtbot_or_skip,
    shown_end,
    speech_clip,
    top_score,
)

from rtast.live.inputs import InputChoice
from rtast.modelfile import load_model_file


@pytest.fixture
def bot(request):
    return qtbot_or_skip(request)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return speech_clip(tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="module")
def speech_model(speech_detector_path):
    return load_model_file(speech_detector_path)


def record_frames(window) -> list[tuple[float, str, float, float]]:
    """Every frame the window draws, as (end of the window shown, top label, its score, loudness of the
    last 0.5 s of spectrogram): what a person saw, whatever the machine's speed let the display show."""
    frames, draw = [], window._draw

    def recorded(snap):
        draw(snap)
        if snap.result is not None and window.bars.shown:
            label, score = window.bars.shown[0]
            frames.append((snap.result.t_end, label, score, float(window.spectrogram.recent_columns(0.5).mean())))

    window._draw = recorded
    return frames


def test_window_shows_speech_while_it_is_spoken(bot, clip, speech_model):
    path, start, end = clip
    window = open_live(bot, live_setup(speech_model), path, realtime=True)
    frames = record_frames(window)
    bot.waitUntil(lambda: not window.runner.running, timeout=60000)  # end of the file
    bot.waitUntil(lambda: window.shown.version == window.state.snapshot().version, timeout=30000)  # all drawn

    before = [f for f in frames if f[0] <= start]  # windows [t-1, t) of silence
    during = [f for f in frames if start + HOP <= f[0] < end]
    after = [f for f in frames if f[0] >= end + 1.25]  # the bars' median of 3 windows has left the speech
    assert before and during and after and {f[1] for f in frames} == {"Speech"}
    assert max(f[2] for f in before) < 0.2 and max(f[2] for f in after) < 0.2
    assert max(f[2] for f in during) > 0.8  # the bars go up while the speech is spoken
    assert window.bars.item.opts["width"][0] == pytest.approx(frames[-1][2])  # the bar drawn is that score
    silence, speech = max(f[3] for f in before), max(f[3] for f in during)
    assert speech > silence + 0.3 and frames[-1][3] < speech - 0.3, (silence, speech, frames[-1][3])

    bot.waitUntil(lambda: window.shown.stats.stopped_by == "end of input", timeout=30000)
    assert window.timeline.rows == ["Speech"]
    (event,) = [iv for iv in window.timeline.intervals if iv.label == "Speech"]
    assert abs(event.onset - start) <= 0.5 and abs(event.offset - end) <= 0.75 and event.peak > 0.8
    # the spectrogram holds the whole clip: bright where the speech was, dark before and after
    image, frames_end = window.spectrogram.image_item.image, window.shown.spectrogram_end
    column = lambda t: len(image) - round((frames_end - t) * 100)  # noqa: E731
    assert image[column(start + 0.2) : column(end - 0.2)].mean() > image[column(0.2) : column(start - 0.1)].mean() + 0.3

    status = window.status_label.text()
    assert path.name in status and "native rate 16000 Hz" in status and "model speech.pt" in status
    assert "latency p50" in status and " skipped" in status and "0 overflows" in status  # a busy CPU may skip
    assert "0 dropped frames" in status and "stopped: end of input" in status

    # hovering over the event's bar shows its details
    timeline = window.timeline
    scene = timeline.getPlotItem().getViewBox().mapViewToScene(QtCore.QPointF((event.onset + event.offset) / 2, 0))
    bot.mouseMove(timeline.viewport(), timeline.mapFromScene(scene))
    bot.waitUntil(timeline.details.isVisible, timeout=30000)
    details = timeline.details.textItem.toPlainText()
    assert details.startswith("Speech") and f"onset {event.onset:.2f} s" in details
    assert f"offset {event.offset:.2f} s" in details and f"peak {event.peak:.2f}" in details


def test_pause_freezes_the_display_and_threshold_reaches_the_detector(bot, clip, speech_model):
    from rtast.live.bars import BELOW

    path, start, end = clip
    window = open_live(bot, live_setup(speech_model), path, realtime=True)
    bot.waitUntil(lambda: shown_end(window) >= 0.5, timeout=60000)

    # threshold 1.0 before the speech starts: the detector uses it from its next window on
    window.threshold_box.setValue(1.0)
    detector = window.runner.listener.detector
    assert detector.config.threshold == 1.0 and detector.config.release_threshold == pytest.approx(0.8)
    assert window.bars.threshold_line.value() == 1.0

    bot.mouseClick(window.pause_button, QtCore.Qt.MouseButton.LeftButton)
    assert window.paused and window.pause_button.text() == "Resume"
    frozen = window.shown
    bot.waitUntil(lambda: window.state.snapshot().now >= frozen.now + 0.5, timeout=60000)  # detection goes on ...
    assert window.shown is frozen  # ... and nothing is redrawn
    assert "display paused" in window.status_label.text()
    bot.mouseClick(window.pause_button, QtCore.Qt.MouseButton.LeftButton)
    assert not window.paused and window.pause_button.text() == "Pause"
    bot.waitUntil(lambda: window.shown.now > frozen.now + 0.5, timeout=30000)

    bot.waitUntil(lambda: top_score(window) > 0.8 or shown_end(window) >= end, timeout=60000)
    label, score = window.bars.shown[0]
    assert label == "Speech" and 0.8 < score < 1.0  # the default threshold would have started an event by now
    assert window.bars.item.opts["brushes"][0].color().getRgb()[:3] == BELOW  # drawn as below the threshold
    bot.waitUntil(lambda: not window.runner.running, timeout=60000)
    assert window.state.events() == []  # but 1.0 is above every score: no event


def test_save_events_and_screenshot_buttons(bot, clip, speech_model, tmp_path, monkeypatch):
    path, start, _ = clip
    window = open_live(bot, live_setup(speech_model), path, realtime=False)
    bot.waitUntil(lambda: not window.runner.running and bool(window.timeline.intervals), timeout=60000)
    bot.waitUntil(lambda: window.shown.stats.stopped_by == "end of input", timeout=30000)

    answers = iter([str(tmp_path / "events.jsonl"), str(tmp_path / "live.png")])
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (next(answers), ""))
    bot.mouseClick(window.save_events_button, QtCore.Qt.MouseButton.LeftButton)
    records = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [r["event"] for r in records] == ["onset", "offset"] and {r["label"] for r in records} == {"Speech"}
    assert abs(records[0]["onset"] - start) <= 0.5 and records[1]["duration"] > 1.0
    assert "saved 2 events" in window.statusBar().currentMessage()

    bot.mouseClick(window.screenshot_button, QtCore.Qt.MouseButton.LeftButton)
    image = QtGui.QImage(str(tmp_path / "live.png"))
    assert not image.isNull() and image.width() >= window.width() and image.height() >= window.height()
    assert "saved the window" in window.statusBar().currentMessage()


def test_switching_input_stops_the_listener_and_continues_the_session(bot, clip, speech_model):
    path, start, end = clip
    window = open_live(bot, live_setup(speech_model), path, realtime=True)
    bot.waitUntil(lambda: shown_end(window) >= 0.5, timeout=60000)
    first = window.runner.listener
    other = InputChoice.file(path, realtime=False)  # the same clip, unpaced: a second input
    window.choices.append(other)
    window.input_box.addItem(other.label)
    window.input_box.setCurrentIndex(1)
    bot.waitUntil(lambda: window.runner.listener is not first and not window.runner.running, timeout=60000)
    assert first.stats.stopped_by == "stop requested"
    offset = first.stats.audio_seconds  # the second listener starts where the first stopped
    bot.waitUntil(lambda: window.shown.stats.stopped_by == "end of input", timeout=30000)
    (event,) = window.timeline.intervals
    assert abs(event.onset - (offset + start)) <= 0.5
    assert window.shown.now == pytest.approx(offset + window.runner.listener.stats.audio_seconds, abs=0.02)
    assert "stopped: end of input" in window.status_label.text() and "real time" not in window.status_label.text()


# the command line


def test_listen_opens_the_window_when_it_can(bot, clip, speech_detector_path, tmp_path, monkeypatch, capsys):
    from rtast.cli import main
    from rtast.live.window import LiveWindow

    path, start, _ = clip
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")

    def close_when_done():
        windows = [w for w in QtWidgets.QApplication.topLevelWidgets() if isinstance(w, LiveWindow)]
        if windows and not windows[0].runner.running:
            windows[0].close()
        else:
            QtCore.QTimer.singleShot(100, close_when_done)

    QtCore.QTimer.singleShot(100, close_when_done)
    events = tmp_path / "events.jsonl"
    argv = ["listen", "--model", str(speech_detector_path), "--input", str(path), "--hop", "0.25"]
    assert main([*argv, "--events", str(events)]) == 0
    err = capsys.readouterr().err
    assert "close the window" in err and "no window" not in err and "end of input" in err
    records = [json.loads(line) for line in events.read_text().splitlines()]
    assert [r["event"] for r in records] == ["onset", "offset"] and abs(records[0]["onset"] - start) <= 0.5


def test_listen_says_why_there_is_no_window_and_uses_the_terminal(speech_detector_path, clip, monkeypatch, capsys):
    from rtast.cli import main

    path, _, _ = clip
    for variable in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(variable, raising=False)
    argv = ["listen", "--model", str(speech_detector_path), "--input", str(path), "--hop", "0.5"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    (line,) = [line for line in err.splitlines() if "no window" in line]
    assert line == (
        "rtast listen: no window (no display: DISPLAY, WAYLAND_DISPLAY and QT_QPA_PLATFORM are not set); "
        "running in the terminal"
    )
    assert "Speech" in out and "Ctrl-C stops" in err
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # a window could open, but --no-gui wins
    assert main([*argv, "--no-gui", "--quiet"]) == 0
    assert "no window" not in capsys.readouterr().err


def test_sigterm_closes_the_window_and_its_open_events(bot, clip, speech_model, tmp_path):
    """SIGTERM while speech sounds: the window closes, the open Speech event gets its offset, and the
    stats say which signal stopped the run (rtast listen exits 128 + it)."""
    import signal

    from rtast.live.app import run_gui
    from rtast.live.window import LiveWindow
    from rtast.sinks import EventLog

    path, start, _ = clip
    log = EventLog(str(tmp_path / "events.jsonl"))
    seen = []

    class Seen:
        window = close = staticmethod(lambda *_: None)
        event = staticmethod(seen.append)

    def terminate_once_speech_is_on():
        windows = [w for w in QtWidgets.QApplication.topLevelWidgets() if isinstance(w, LiveWindow) and w.isVisible()]
        if windows and [e.kind for e in seen] == ["onset"]:  # speech began and goes on
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            QtCore.QTimer.singleShot(50, terminate_once_speech_is_on)

    QtCore.QTimer.singleShot(50, terminate_once_speech_is_on)
    result = run_gui(live_setup(speech_model, sinks=[log, Seen()]), InputChoice.file(path, realtime=True))
    log.close()
    assert result.error is None
    assert result.stats.stop_signal == signal.SIGTERM and result.stats.stopped_by == "terminated (SIGTERM)"
    records = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [r["event"] for r in records] == ["onset", "offset"] and records[1]["offset"] >= records[0]["onset"]
