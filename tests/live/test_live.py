"""apps/live: the desktop window of `rtast listen`, driven with real audio through the real worker and model.

The clip is silence, espeak-ng speech, silence; the model is the session's one-class Speech detector
(tests/speech_detector.py, 1-s windows). Qt runs on the offscreen platform: QT_QPA_PLATFORM is set
before Qt is imported and the QApplication is made here; the variable is then put back, so that
nothing else in the session (a `rtast listen` child process, say) believes a display exists.
"""

from __future__ import annotations

import importlib.util
import json
import os

_PLATFORM = os.environ.get("QT_QPA_PLATFORM")
os.environ["QT_QPA_PLATFORM"] = "offscreen"
try:
    from rtast.live.qt import QtCore, QtGui, QtWidgets  # PySide6, then pyqtgraph on top of it
except ImportError as e:  # the package, or a system library Qt needs (libEGL, libxkbcommon, ...)
    QT_MISSING = f"PySide6 and pyqtgraph are needed for the live window (pip install 'rtast[gui]'): {e}"
else:
    QT_MISSING = ""
    APP = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["test_apps_live"])
finally:
    if _PLATFORM is None:
        del os.environ["QT_QPA_PLATFORM"]
    else:
        os.environ["QT_QPA_PLATFORM"] = _PLATFORM
if not QT_MISSING and importlib.util.find_spec("pytestqt") is None:
    QT_MISSING = "pytest-qt is needed to drive the live window (pip install pytest-qt)"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import soundfile as sf  # noqa: E402
from conftest import random_model_file, require, write_wav  # noqa: E402

from rtast.audiofile import load_audio  # noqa: E402
from rtast.detector import from_model_file  # noqa: E402
from rtast.events import Event, EventConfig  # noqa: E402
from rtast.fbank import IncrementalFbank, normalize  # noqa: E402
from rtast.listener import ListenConfig  # noqa: E402
from rtast.live.availability import gui_unavailable_reason  # noqa: E402
from rtast.live.frames import FrameHistory, colour_levels  # noqa: E402
from rtast.live.inputs import InputChoice  # noqa: E402
from rtast.live.intervals import Intervals  # noqa: E402
from rtast.live.runner import LiveSetup, with_threshold  # noqa: E402
from rtast.live.state import LiveState, LiveStats  # noqa: E402
from rtast.live.status import format_status  # noqa: E402
from rtast.modelfile import load_model_file  # noqa: E402
from rtast.sources import FileSource  # noqa: E402

SILENCE_BEFORE = 1.5  # seconds
SILENCE_AFTER = 2.0
HOP = 0.25


# fixtures


@pytest.fixture
def bot(request):
    """pytest-qt's qtbot, or a skip that says what is missing."""
    if QT_MISSING:
        pytest.skip(QT_MISSING)
    return request.getfixturevalue("qtbot")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """(16 kHz WAV of silence, speech, silence; speech start; speech end), in seconds."""
    from speech_detector import speak

    require("espeak-ng")
    work = tmp_path_factory.mktemp("live")
    speech = load_audio(speak("en", "Sound events are everywhere around us.", work / "speech.wav"))
    audio = np.concatenate([np.zeros(round(SILENCE_BEFORE * 16000)), speech, np.zeros(round(SILENCE_AFTER * 16000))])
    path = work / "clip.wav"
    sf.write(path, audio.astype(np.float32), 16000)
    return path, SILENCE_BEFORE, SILENCE_BEFORE + len(speech) / 16000


@pytest.fixture(scope="module")
def speech_model(speech_detector_path):
    return load_model_file(speech_detector_path)


def live_setup(model_file, **overrides):
    return LiveSetup(from_model_file(model_file, "speech.pt"), ListenConfig(hop_seconds=HOP), **overrides)


def open_live(bot, setup, path, realtime: bool):
    from rtast.live.app import open_window

    window = open_window(setup, InputChoice.file(path, realtime=realtime))
    bot.addWidget(window)  # closed after the test: its closeEvent stops the worker
    return window


def top_score(window) -> float:
    """The score of the top bar on screen (0 before the first window)."""
    return window.bars.shown[0][1] if window.bars.shown else 0.0


def shown_end(window) -> float:
    """Stream time at the end of the window on screen (one Listener: session time = stream time)."""
    return window.shown.result.t_end if window.shown is not None and window.shown.result is not None else -1.0


# the window, with real speech


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


def test_gui_unavailable_reasons(monkeypatch):
    assert gui_unavailable_reason({}).startswith("no display")
    with monkeypatch.context() as m:
        m.setattr(importlib.util, "find_spec", lambda name: None)
        reason = gui_unavailable_reason({"DISPLAY": ":0"})
    assert reason == "PySide6-Essentials is not installed; pip install 'rtast[gui]'"
    if QT_MISSING:
        pytest.skip(QT_MISSING)
    assert gui_unavailable_reason({**os.environ, "QT_QPA_PLATFORM": "offscreen"}) is None
    reason = gui_unavailable_reason({**os.environ, "QT_QPA_PLATFORM": "no-such-platform"})
    assert reason.startswith("Qt cannot start here: ") and "no-such-platform" in reason


# the parts without Qt


def test_spectrogram_history_is_the_frames_the_model_saw(tmp_path):
    """Start-up windows growing from 0 s, then full overlapping windows: the history equals the batch fbank."""
    mf = random_model_file(input_tdim=128, num_classes=3, window_seconds=1.0)
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(16000 * 3 + 1234) * 0.1).astype(np.float32)
    path = write_wav(tmp_path / "noise.wav", audio)
    state = LiveState(mf.frontend, history_seconds=2.0)
    sink = state.new_sink()
    listener = from_model_file(mf).listener(FileSource(path), [sink], ListenConfig(hop_seconds=0.3))
    sink.bind(listener)
    seen = []
    original = state.add_window
    state.add_window = lambda s, r: (original(s, r), seen.append(state.snapshot().spectrogram))
    listener.run()

    # the stream's own frontend over the whole clip at once: the frames every window was cut from
    heard = sf.read(path, dtype="float32")[0]  # as the file holds it (16-bit)
    frames = normalize(IncrementalFbank(mf.frontend).push(heard), mf.frontend.mean, mf.frontend.std).numpy()
    first = seen[0]  # after 0.3 s: 28 frames, the rest of the 2-s history is empty (silence floor)
    floor = colour_levels(mf.frontend)[0]
    np.testing.assert_allclose(first[-28:], frames[:28], atol=1e-6)
    assert np.all(first[:-28] == floor)
    final = state.snapshot()
    np.testing.assert_allclose(final.spectrogram, frames[-200:], atol=1e-6)
    assert final.spectrogram_end == pytest.approx(len(frames) / 100)


def test_frame_history_gaps_and_overlaps():
    h = FrameHistory(capacity=5, bins=1, fill=-1.0)
    h.add(0, np.array([[0.0], [1.0], [2.0]]))
    h.add(1, np.array([[1.0], [2.0], [3.0]]))  # overlaps: only frame 3 is new
    assert h.image()[:, 0].tolist() == [-1, 0, 1, 2, 3]
    h.add(6, np.array([[6.0], [7.0]]))  # frames 4 and 5 never arrived (skipped windows)
    assert h.image()[:, 0].tolist() == [3, -1, -1, 6, 7] and h.end == 8
    h.add(20, np.arange(20, 28, dtype=float)[:, None])  # more than the capacity
    assert h.image()[:, 0].tolist() == [23, 24, 25, 26, 27]


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


def test_timeline_draws_what_was_played_under_what_was_detected(bot):
    from rtast.live.intervals import Intervals
    from rtast.live.timeline import PLAYED_Y, TimelineView
    from rtast.reference import Played

    view = TimelineView(30.0)
    bot.addWidget(view)
    view.set_reference((Played("Siren", 1.0, 4.0), Played("Speech", 6.0, 9.0), Played("Dog", 20.0, 22.0)))
    detected = Intervals().add([Event("Speech", 6.2, None, 0.8), Event("Speech", 6.2, 8.9, 0.9)])
    view.show_intervals(detected, now=7.0)
    # rows: the played labels begun by now, then the detected ones; the dog has not been played yet
    assert view.rows == ["Siren", "Speech"]
    assert [(p.label, p.onset) for p in view.played] == [("Siren", 1.0), ("Speech", 6.0)]
    x0, y, width = (view.played_item.opts[k] for k in ("x0", "y", "width"))
    assert list(x0) == [1.0, 6.0] and list(y) == [PLAYED_Y, 1 + PLAYED_Y]
    assert list(width) == [3.0, 1.0]  # the speech is drawn as far as it has been played
    assert view.show_details_at(2.0, PLAYED_Y) == Played("Siren", 1.0, 4.0)
    assert "played 1.00-4.00 s" in view.details.toPlainText()
    assert isinstance(view.show_details_at(7.0, 1.0), type(detected.items[0]))  # the detected bar above it
    assert "played" in view.getPlotItem().titleLabel.text


def test_threshold_keeps_an_explicit_release_below_it():
    assert with_threshold(EventConfig(), 0.9).release_threshold == pytest.approx(0.72)
    assert with_threshold(EventConfig(threshold=0.6, release=0.5), 0.3).release == 0.3
    assert with_threshold(EventConfig(threshold=0.6, release=0.2), 0.3).release == 0.2


def test_status_line():
    stats = LiveStats("mic (device 3)", 48000, 10, 1, 2, 480, 12.4, 30.6, 0.05, 10.0, running=True)
    text = format_status(stats, "audioset.pt", paused=True)
    assert text.splitlines()[0] == "mic (device 3) · native rate 48000 Hz · model audioset.pt"
    for part in ("p50 12 ms", "p95 31 ms", "real-time factor 0.050", "1 skipped", "2 overflows", "480 dropped"):
        assert part in text
    assert "display paused" in text
    assert "error: gone" in format_status(LiveStats(source="mic", error="gone"), "m")


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
