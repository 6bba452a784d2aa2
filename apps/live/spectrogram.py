"""The scrolling log-mel spectrogram: the normalised frames the model saw, the last seconds of them."""

from __future__ import annotations

import numpy as np

from rtast.live.qt import FixedPlot, QtCore, pg


class SpectrogramView(FixedPlot):
    def __init__(self, levels: tuple[float, float], frame_seconds: float, history_seconds: float, parent=None):
        super().__init__("log-mel input (normalised, as the model sees it)", "time", "s", parent)
        self.frame_seconds = frame_seconds
        self.history_seconds = history_seconds
        self.getAxis("left").setLabel("mel bin")
        self.image_item = pg.ImageItem()  # image[x = frame, y = mel bin]
        self.image_item.setColorMap(pg.colormap.get("inferno"))
        self.image_item.setLevels(levels)
        self.levels = levels
        self.addItem(self.image_item)
        self.end_time = 0.0  # session time just after the newest frame shown

    def show_frames(self, image: np.ndarray, end_time: float) -> None:
        """``image``: (frames, mel_bins), oldest first; its last frame ends the display at ``end_time``."""
        frames, bins = image.shape
        self.image_item.setImage(image, autoLevels=False, levels=self.levels)
        width = frames * self.frame_seconds
        self.image_item.setRect(QtCore.QRectF(end_time - width, 0.0, width, bins))
        right = max(end_time, self.history_seconds)
        self.setXRange(right - self.history_seconds, right, padding=0)
        self.setYRange(0, bins, padding=0)
        self.end_time = end_time

    def recent_columns(self, seconds: float) -> np.ndarray:
        """The shown frames of the last ``seconds`` (for tests and tools)."""
        image = self.image_item.image
        if image is None:
            return np.zeros((0, 0), np.float32)
        return image[len(image) - max(1, round(seconds / self.frame_seconds)) :]
