"""The event timeline: one row per label that had events, a bar from onset to offset, open events growing.

With a reference (what is being played), each row also gets a thin grey bar under the detected ones for
every played event of its label, as far as it has been played. Hovering over a bar shows its details.
"""

from __future__ import annotations

import numpy as np

from rtast.live.intervals import Interval, Intervals
from rtast.live.qt import FixedPlot, QtCore, pg
from rtast.reference import Played

CLOSED = (42, 161, 152)
OPEN = (133, 200, 60)
MIN_WIDTH = 0.05  # seconds: an event that just started is still visible
BAR_HEIGHT = 0.6
PLAYED = (150, 150, 150)
PLAYED_HEIGHT = 0.18
PLAYED_Y = 0.4  # below the row's centre, under its detected bars (rows grow downwards)


class TimelineView(FixedPlot):
    def __init__(self, span_seconds: float = 60.0, parent=None):
        super().__init__("events (green: going on; hover for details)", "time", "s", parent)
        self.span = span_seconds
        self.getPlotItem().getViewBox().invertY(True)
        self.item = pg.BarGraphItem(x0=[], y=[], width=[], height=BAR_HEIGHT, pen=None)
        self.addItem(self.item)
        self.played_item = pg.BarGraphItem(x0=[], y=[], width=[], height=PLAYED_HEIGHT, pen=None, brush=PLAYED)
        self.addItem(self.played_item)
        self.reference: tuple[Played, ...] = ()
        self.played: list[Played] = []  # drawn: the reference events begun by now
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

    def set_reference(self, reference: tuple[Played, ...]) -> None:
        """What is being played (session times); drawn from the next ``show_intervals`` on."""
        self.reference = tuple(reference)
        if self.reference:
            self.setTitle("events (green: going on; grey: played, under the detected; hover for details)")

    def show_intervals(self, intervals: Intervals, now: float) -> None:
        """Draw the intervals that reach into the last ``span`` seconds before ``now``, and what was played."""
        right = max(now, self.span)
        self.now = now
        self.intervals = shown = [iv for iv in intervals.items if iv.end(now) >= right - self.span]
        self.played = [p for p in self.reference if p.onset <= now and p.offset >= right - self.span]
        begun = (p.label for p in self.reference if p.onset <= now)
        self.rows = list(dict.fromkeys([*begun, *intervals.labels]))
        row = {label: i for i, label in enumerate(self.rows)}
        self.played_item.setOpts(
            x0=np.array([p.onset for p in self.played], float),
            y=np.array([row[p.label] + PLAYED_Y for p in self.played], float),
            width=np.array([max(min(p.offset, now) - p.onset, MIN_WIDTH) for p in self.played], float),
            height=PLAYED_HEIGHT,
        )
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

    def interval_at(self, x: float, y: float) -> Interval | Played | None:
        """The event drawn at view coordinates (x seconds, y row), newest first, or the played event there."""
        for iv in reversed(self.intervals):
            end = iv.onset + max(iv.end(self.now) - iv.onset, MIN_WIDTH)
            if abs(y - self.rows.index(iv.label)) <= BAR_HEIGHT / 2 and iv.onset <= x <= end:
                return iv
        for p in self.played:
            if abs(y - self.rows.index(p.label) - PLAYED_Y) <= PLAYED_HEIGHT / 2 and p.onset <= x <= p.offset:
                return p
        return None

    def _hover(self, scene_pos: QtCore.QPointF) -> None:
        point = self.getPlotItem().getViewBox().mapSceneToView(scene_pos)
        self.show_details_at(point.x(), point.y())

    def show_details_at(self, x: float, y: float) -> Interval | Played | None:
        """Show the details of the event at (x seconds, y row), or hide them if there is none there."""
        found = self.interval_at(x, y)
        if found is None:
            self.details.hide()
            return None
        (left, right), (top, bottom) = self.getPlotItem().getViewBox().viewRange()
        # keep the box inside the plot: left of the pointer in the right half, above it in the lower half
        self.details.setAnchor((1 if x > (left + right) / 2 else 0, 1 if y > (top + bottom) / 2 else 0))
        played = f"{found.label}\nplayed {found.onset:.2f}-{found.offset:.2f} s" if isinstance(found, Played) else ""
        self.details.setText(played or found.describe())
        self.details.setPos(x, y)
        self.details.show()
        return found
