"""What the tests of apps/live share: Qt on the offscreen platform, a clip of real speech, the window.

Qt runs on the offscreen platform: QT_QPA_PLATFORM is set before Qt is imported and the
QApplication is made here; the variable is then put back, so that nothing else in the session
(a `rtast listen` child process, say) believes a display exists. The clip is silence, espeak-ng
speech, silence; the model is the session's one-class Speech detector (tests/speech_detector.py,
1-s windows).
"""

from __future__ import annotations

import importlib.util
import os

_PLATFORM = os.environ.get("QT_QPA_PLATFORM")
os.environ["QT_QPA_PLATFORM"] = "offscreen"
try:
    from rtast.live.qt import QtCore, QtGui, QtWidgets  # PySide6, then pyqtgraph on top of it
except ImportError as e:  # the package, or a system library Qt needs (libEGL, libxkbcommon, ...)
    QT_MISSING = f"PySide6 and pyqtgraph are needed for the live window (pip install 'rtast[gui]'): {e}"
    QtCore = QtGui = QtWidgets = None  # the tests that need them skip (the bot fixture says why)
else:
    QT_MISSING = ""
    APP = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["rtast-tests"])
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
from conftest import require  # noqa: E402

from rtast.audiofile import load_audio  # noqa: E402
from rtast.detector import from_model_file  # noqa: E402
from rtast.listener import ListenConfig  # noqa: E402
from rtast.live.inputs import InputChoice  # noqa: E402
from rtast.live.runner import LiveSetup  # noqa: E402

SILENCE_BEFORE = 1.5  # seconds
SILENCE_AFTER = 2.0
HOP = 0.25


def qtbot_or_skip(request):
    """pytest-qt's qtbot, or a skip that says what is missing (for a test module's ``bot`` fixture)."""
    if QT_MISSING:
        pytest.skip(QT_MISSING)
    return request.getfixturevalue("qtbot")


def speech_clip(work):
    """(16 kHz WAV of silence, speech, silence; speech start; speech end), in seconds."""
    from speech_detector import speak

    require("espeak-ng")
    speech = load_audio(speak("en", "Sound events are everywhere around us.", work / "speech.wav"))
    audio = np.concatenate([np.zeros(round(SILENCE_BEFORE * 16000)), speech, np.zeros(round(SILENCE_AFTER * 16000))])
    path = work / "clip.wav"
    sf.write(path, audio.astype(np.float32), 16000)
    return path, SILENCE_BEFORE, SILENCE_BEFORE + len(speech) / 16000


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
