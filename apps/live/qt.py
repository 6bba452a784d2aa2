"""The Qt binding of the live display: PySide6, imported before pyqtgraph so that pyqtgraph uses it too."""

from PySide6 import QtCore, QtGui, QtWidgets

# isort: split
import pyqtgraph as pg

__all__ = ["FixedPlot", "QtCore", "QtGui", "QtWidgets", "pg"]


class FixedPlot(pg.PlotWidget):
    """A plot that is read, not explored: no context menu, no panning or zooming, no auto-range button."""

    def __init__(self, title: str, bottom: str, units: str | None = None, parent=None):
        super().__init__(parent)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setTitle(title)
        self.getAxis("bottom").setLabel(bottom, units=units)
