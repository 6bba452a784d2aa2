"""``rtast listen`` in a window: build the state, the runner and the window, run Qt until the window closes."""

from __future__ import annotations

from dataclasses import dataclass

from rtast.listener import STOP_SIGNALS, StreamStats, stop_signals
from rtast.live.inputs import InputChoice, input_choices
from rtast.live.qt import QtCore, QtWidgets
from rtast.live.runner import LiveRunner, LiveSetup
from rtast.live.state import LiveState
from rtast.live.window import HISTORY_SECONDS, LiveWindow
from rtast.sources import Source

_APP: list[QtWidgets.QApplication] = []  # the QApplication this module made, kept alive


def application() -> QtWidgets.QApplication:
    """The process's QApplication, made on first use."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(["rtast"])
        _APP.append(app)
    return app


@dataclass(frozen=True)
class GuiResult:
    stats: StreamStats  # of the last Listener
    error: BaseException | None  # why the last Listener failed, if it did


def open_window(
    setup: LiveSetup,
    current: InputChoice,
    source: Source | None = None,
    fps: float = 30.0,
    window_class: type[LiveWindow] = LiveWindow,
) -> LiveWindow:
    """A shown window whose worker already runs ``current`` (``source``: that input, already opened)."""
    application()
    state = LiveState(setup.detector.frontend, HISTORY_SECONDS)
    runner = LiveRunner(setup, state)
    choices, note = input_choices(current)
    window = window_class(runner, state, choices, choices.index(current) if current in choices else 0, note, fps)
    window.show()
    runner.start(current, source)
    return window


def run_gui(setup: LiveSetup, current: InputChoice, source: Source | None = None) -> GuiResult:
    """Show the window until it is closed (or Ctrl-C, or SIGTERM); the last Listener's stats and error."""
    app = application()
    window = open_window(setup, current, source)
    wake = QtCore.QTimer()  # lets Python run its SIGINT handler while Qt waits
    wake.timeout.connect(lambda: None)
    wake.start(200)
    try:
        with stop_signals(window.close) as caught:
            app.exec()
    finally:
        wake.stop()
        window.close()
    runner = window.runner
    runner.stop()
    stats = runner.listener.stats if runner.listener is not None else StreamStats(source=current.label)
    if caught:  # the listener's summary closes its open events either way; the exit status says why
        stats.stopped_by, stats.stop_signal = STOP_SIGNALS[caught[0]], caught[0]
    elif stats.stopped_by == "stop requested":
        stats.stopped_by = "window closed"
    return GuiResult(stats, runner.error)
