"""The top-k labels as horizontal bars, best at the top, each with its name and score; the threshold as a line."""

from __future__ import annotations

import numpy as np

from rtast.live.qt import FixedPlot, QtCore, pg

ABOVE = (230, 126, 34)  # a bar at or above the event threshold
BELOW = (52, 101, 164)
MIN_ROWS = 5  # rows the plot is divided into even when k is smaller: bars keep a bar's height


class TopKBars(FixedPlot):
    def __init__(self, parent=None):
        super().__init__("top labels (smoothed scores)", "score", parent=parent)
        self.getPlotItem().getViewBox().invertY(True)
        self.getAxis("left").setTicks([[]])
        self.getAxis("left").setWidth(8)
        self.setXRange(0.0, 1.0, padding=0.02)
        self.item = pg.BarGraphItem(x0=[], y=[], width=[], height=0.75, pen=None)
        self.addItem(self.item)
        self.threshold_line = pg.InfiniteLine(
            pos=0.5, angle=90, pen=pg.mkPen((220, 50, 47), width=2, style=QtCore.Qt.PenStyle.DashLine)
        )
        self.addItem(self.threshold_line)
        self._texts: list[pg.TextItem] = []
        self.shown: list[tuple[str, float]] = []  # (label, score) from the top bar down
        self.threshold = 0.5

    def set_threshold(self, threshold: float) -> None:
        self.threshold = threshold
        self.threshold_line.setValue(threshold)
        self._draw()

    def show_scores(self, labels: list[str], scores: np.ndarray, k: int) -> None:
        order = np.argsort(-np.asarray(scores), kind="stable")[:k]
        shown = [(labels[i], float(scores[i])) for i in order]
        if shown != self.shown:
            self.shown = shown
            self._draw()
        self.setYRange(-0.5, max(k, MIN_ROWS) - 0.5, padding=0)

    def _draw(self) -> None:
        n = len(self.shown)
        scores = np.array([s for _, s in self.shown], float)
        brushes = [pg.mkBrush(*(ABOVE if s >= self.threshold else BELOW)) for s in scores]
        self.item.setOpts(x0=np.zeros(n), y=np.arange(n), width=scores, height=0.75, brushes=brushes)
        while len(self._texts) < n:
            text = pg.TextItem(color="w", anchor=(0, 0.5))
            text.setFont(self.font())
            self.addItem(text)
            self._texts.append(text)
        for i, text in enumerate(self._texts):
            if i < n:
                label, score = self.shown[i]
                text.setText(f"{label}  {score:.2f}")
                text.setPos(0.0, i)
            text.setVisible(i < n)
