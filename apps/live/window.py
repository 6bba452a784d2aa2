"""The live window: controls on top, bars and spectrogram, the event timeline, the status line.

A QTimer calls ``refresh`` at the display's frame rate; it takes a LiveState snapshot and
redraws what changed. Nothing here waits for audio or runs the model.
"""

from __future__ import annotations

import json
from pathlib import Path

from rtast.live.bars import TopKBars
from rtast.live.frames import colour_levels
from rtast.live.inputs import InputChoice
from rtast.live.intervals import Intervals
from rtast.live.qt import QtCore, QtGui, QtWidgets
from rtast.live.runner import LiveRunner
from rtast.live.spectrogram import SpectrogramView
from rtast.live.state import LiveState, Snapshot
from rtast.live.status import format_status
from rtast.live.timeline import TimelineView

HISTORY_SECONDS = 10.0  # spectrogram
TIMELINE_SECONDS = 30.0


class LiveWindow(QtWidgets.QMainWindow):
    def __init__(
        self,
        runner: LiveRunner,
        state: LiveState,
        choices: list[InputChoice],
        current: int = 0,
        note: str = "",
        fps: float = 30.0,
    ):
        super().__init__()
        self.runner, self.state = runner, state
        self.setup = runner.setup
        self.choices = choices
        self.paused = False
        self.intervals = Intervals()
        self.shown: Snapshot | None = None  # the snapshot on screen
        self._events_seen = 0  # event records folded into the intervals
        self._status_text = ""
        self.setWindowTitle(f"rtast listen — {self.setup.detector.name}")

        frontend = self.setup.detector.frontend
        self.bars = TopKBars()
        self.bars.set_threshold(runner.event_config.threshold)
        self.spectrogram = SpectrogramView(colour_levels(frontend), frontend.frame_shift_ms / 1000, HISTORY_SECONDS)
        self.timeline = TimelineView(TIMELINE_SECONDS)
        self.timeline.set_reference(self.setup.reference)
        self.status_label = QtWidgets.QLabel()
        self.status_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setWordWrap(True)

        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self._controls(current, note))
        top = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        top.addWidget(self.bars)
        top.addWidget(self.spectrogram)
        top.setSizes([380, 620])
        body = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        body.addWidget(top)
        body.addWidget(self.timeline)
        body.setSizes([460, 180])
        layout.addWidget(body, 1)
        layout.addWidget(self.status_label)
        self.setCentralWidget(central)
        self.resize(1100, 720)

        self.timer = QtCore.QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(max(1, round(1000 / fps)))

    def _controls(self, current: int, note: str) -> QtWidgets.QHBoxLayout:
        row = QtWidgets.QHBoxLayout()
        self.input_box = QtWidgets.QComboBox()
        self.input_box.addItems([c.label for c in self.choices])
        self.input_box.setCurrentIndex(current)
        self.input_box.setToolTip(note or "switch input: the running listener stops and a new one starts")
        self.input_box.currentIndexChanged.connect(self.choose_input)
        self.pause_button = QtWidgets.QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("freeze the display; detection and the event log continue")
        self.pause_button.toggled.connect(self.set_paused)
        self.threshold_box = QtWidgets.QDoubleSpinBox()
        self.threshold_box.setRange(0.01, 1.0)
        self.threshold_box.setSingleStep(0.05)
        self.threshold_box.setDecimals(2)
        self.threshold_box.setValue(self.runner.event_config.threshold)
        self.threshold_box.setToolTip("score that starts an event, from the next window on")
        self.threshold_box.valueChanged.connect(self.set_threshold)
        self.top_k_box = QtWidgets.QSpinBox()
        self.top_k_box.setRange(1, max(1, min(20, len(self.setup.detector.labels))))
        self.top_k_box.setValue(min(self.setup.top_k, self.top_k_box.maximum()))
        self.top_k_box.valueChanged.connect(self._redraw)
        self.save_events_button = QtWidgets.QPushButton("Save events…")
        self.save_events_button.clicked.connect(self._save_events_clicked)
        self.screenshot_button = QtWidgets.QPushButton("Screenshot…")
        self.screenshot_button.clicked.connect(self._screenshot_clicked)
        for text, widget in (
            ("Input", self.input_box),
            (None, self.pause_button),
            ("Threshold", self.threshold_box),
            ("Top", self.top_k_box),
        ):
            if text:
                row.addWidget(QtWidgets.QLabel(text))
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.save_events_button)
        row.addWidget(self.screenshot_button)
        self.input_box.setMinimumContentsLength(28)
        return row

    # controls

    def choose_input(self, index: int) -> None:
        """Stop the running listener and start one on the chosen input; the display runs on."""
        self.runner.start(self.choices[index])

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.pause_button.setText("Resume" if paused else "Pause")
        self.refresh()

    def set_threshold(self, threshold: float) -> None:
        self.runner.set_threshold(threshold)
        self.bars.set_threshold(threshold)

    def save_events(self, path: str | Path) -> int:
        """Every event so far as JSON lines (one per onset and offset, session times); the count."""
        events = self.state.events()
        with open(path, "w") as f:
            for event in events:
                f.write(json.dumps(event.to_dict()) + "\n")
        return len(events)

    def save_screenshot(self, path: str | Path) -> None:
        if not self.grab().save(str(path), "PNG"):
            raise OSError(f"cannot write {path}")

    def _save_events_clicked(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save events", "events.jsonl", "JSON lines (*.jsonl)")
        if path:
            self._report(lambda: f"saved {self.save_events(path)} events to {path}")

    def _screenshot_clicked(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save screenshot", "rtast-live.png", "PNG (*.png)")
        if path:
            self._report(lambda: self.save_screenshot(path) or f"saved the window to {path}")

    def _report(self, action) -> None:
        try:
            self.statusBar().showMessage(action(), 8000)
        except OSError as e:
            self.statusBar().showMessage(f"error: {e}", 15000)

    # display

    def refresh(self) -> None:
        """One frame: read a snapshot, redraw what changed (nothing while paused, except the status line)."""
        snap = self.state.snapshot()
        text = format_status(snap.stats, self.setup.detector.name, self.paused)
        if text != self._status_text:
            self._status_text = text
            self.status_label.setText(text)
        if self.paused or (self.shown is not None and snap.version == self.shown.version):
            return
        self._draw(snap)

    def _redraw(self) -> None:
        if self.shown is not None and not self.paused:
            self._draw(self.shown)

    def _draw(self, snap: Snapshot) -> None:
        previous, self.shown = self.shown, snap
        if snap.result is not None:
            self.bars.show_scores(self.setup.detector.labels, snap.result.smoothed, self.top_k_box.value())
        if previous is None or snap.spectrogram is not previous.spectrogram:
            self.spectrogram.show_frames(snap.spectrogram, snap.spectrogram_end)
        new = snap.events_total - self._events_seen
        if new:
            self.intervals.add(snap.events[-new:] if new < len(snap.events) else snap.events)
            self._events_seen = snap.events_total
        if previous is None or new or snap.now != previous.now:
            self.timeline.show_intervals(self.intervals, snap.now)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.timer.stop()
        self.runner.stop()
        super().closeEvent(event)
