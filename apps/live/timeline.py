"""The event timeline: one row per label that had events, a bar from onset to offset, open events growing.

Hovering over a bar shows its label, onset, offset and peak score.
"""

from __future__ import annotations

import numpy as np

from apps.live.intervals import Interval, Intervals
from apps.live.qt import QtCore, pg

CLOSED = (42, 161, 152)
OPEN = (133, 200, 60)
MIN_WIDTH = 0.05  # seconds: an event that just started is still visible
BAR_HEIGHT = 0.6


class TimelineView(pg.PlotWidget):
    def __init__(self, span_seconds: float = 60.0, parent=None):
        super().__init__(parent)
        self.span = span_seconds
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setTitle("events (green: going on; hover for details)")
        self.getAxis("bottom").setLabel("time", units="s")
        self.getPlotItem().getViewBox().invertY(True)
        self.item = pg.BarGraphItem(x0=[], y=[], width=[], height=BAR_HEIGHT, pen=None)
        self.addItem(self.item)
        self.hint = pg.TextItem("no events yet", color=(160, 160, 160), anchor=(0, 0.5))
        self.addItem(self.hint)
        self.details = pg.TextItem(color="w", fill=pg.mkBrush(30, 30, 30, 230), border="w", anchor=(0, 1))
        self.details.setZValue(10)
        self.details.hide()
        self.addItem(self.details)
        self.scene().sigMouseMoved.connect(self._hover)
        self.intervals: list[Interval] = []
        self.rows: list[str] = []
        self.now = 0.0

    def show_intervals(self, intervals: Intervals, now: float) -> None:
        """Draw the intervals that reach into the last ``span`` seconds before ``now``."""
        right = max(now, self.span)
        self.now = now
        self.intervals = shown = [iv for iv in intervals.items if iv.end(now) >= right - self.span]
        self.rows = list(intervals.labels)
        row = {label: i for i, label in enumerate(self.rows)}
        self.item.setOpts(
            x0=np.array([iv.onset for iv in shown], float),
            y=np.array([row[iv.label] for iv in shown], float),
            width=np.array([max(iv.end(now) - iv.onset, MIN_WIDTH) for iv in shown], float),
            height=BAR_HEIGHT,
            brushes=[pg.mkBrush(*(OPEN if iv.offset is None else CLOSED)) for iv in shown],
        )
        self.getAxis("left").setTicks([list(enumerate(self.rows))])
        self.setXRange(right - self.span, right, padding=0)
        self.setYRange(-0.5, max(len(self.rows), 3) - 0.5, padding=0)
        self.hint.setVisible(not self.rows)
        self.hint.setPos(right - self.span, 0)

    def interval_at(self, x: float, y: float) -> Interval | None:
        """The event drawn at view coordinates (x seconds, y row), newest first."""
        for iv in reversed(self.intervals):
            end = iv.onset + max(iv.end(self.now) - iv.onset, MIN_WIDTH)
            if abs(y - self.rows.index(iv.label)) <= BAR_HEIGHT / 2 and iv.onset <= x <= end:
                return iv
        return None

    def _hover(self, scene_pos: QtCore.QPointF) -> None:
        point = self.getPlotItem().getViewBox().mapSceneToView(scene_pos)
        self.show_details_at(point.x(), point.y())

    def show_details_at(self, x: float, y: float) -> Interval | None:
        """Show the details of the event at (x seconds, y row), or hide them if there is none there."""
        found = self.interval_at(x, y)
        if found is None:
            self.details.hide()
            return None
        (left, right), (top, bottom) = self.getPlotItem().getViewBox().viewRange()
        # keep the box inside the plot: left of the pointer in the right half, above it in the lower half
        self.details.setAnchor((1 if x > (left + right) / 2 else 0, 1 if y > (top + bottom) / 2 else 0))
        self.details.setText(found.describe())
        self.details.setPos(x, y)
        self.details.show()
        return found
