"""The Qt binding of the live display: PySide6, imported before pyqtgraph so that pyqtgraph uses it too."""

from PySide6 import QtCore, QtGui, QtWidgets

# isort: split
import pyqtgraph as pg

__all__ = ["QtCore", "QtGui", "QtWidgets", "pg"]
