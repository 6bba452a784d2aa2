"""The spectrogram history: the newest feature frames of a stream, assembled from overlapping windows.

Every WindowResult carries the normalised (target_length, mel_bins) input the model saw. Its
real frames are the first ``num_frames(end - start)`` rows (the rest is padding of a start-up
window); they are frames ``start / frame_shift ...`` of the stream, so consecutive windows
overlap and only the frames past the newest one kept are new.
"""

from __future__ import annotations

import numpy as np

from rtast.fbank import SILENCE_LOG_MEL, FrontendConfig, num_frames
from rtast.sinks import WindowResult
from rtast.windows import startup_padding

LOUD_LOG_MEL = 5.0  # log-mel of loud audio; the top of the colour scale


def window_frames(result: WindowResult, config: FrontendConfig) -> tuple[int, np.ndarray]:
    """(stream index of the first frame, (n, mel_bins) real frames) of one scored window."""
    if result.features is None:
        return 0, np.zeros((0, config.num_mel_bins), np.float32)
    start = round(result.t_start * config.sample_rate)
    end = round(result.t_end * config.sample_rate)
    before = startup_padding(start, end, config)  # silence in front of a start-up window
    n = min(num_frames(end - start, config.frame_length, config.frame_shift), config.target_length - before)
    frames = result.features[before : before + n].detach().cpu().numpy().astype(np.float32, copy=False)
    return start // config.frame_shift, frames


def colour_levels(config: FrontendConfig) -> tuple[float, float]:
    """Normalised values of digital silence (the log floor) and of loud audio: the colour scale."""
    scale = 2.0 * config.std
    return (SILENCE_LOG_MEL - config.mean) / scale, (LOUD_LOG_MEL - config.mean) / scale


class FrameHistory:
    """A ring of the newest ``capacity`` frames; frames that never arrived read as ``fill``."""

    def __init__(self, capacity: int, bins: int, fill: float):
        self.capacity = capacity
        self.fill = fill
        self._ring = np.full((capacity, bins), fill, np.float32)
        self.end = 0  # stream index one past the newest frame held

    def add(self, first: int, frames: np.ndarray) -> None:
        """Add a window's frames, which start at stream frame ``first``; only the new ones are kept."""
        last = first + len(frames)
        if last <= self.end:
            return
        begin = max(self.end, first, last - self.capacity)
        gap = np.arange(max(self.end, begin - self.capacity), begin)
        self._ring[gap % self.capacity] = self.fill  # frames skipped over (a gap longer than a window)
        self._ring[np.arange(begin, last) % self.capacity] = frames[begin - first :]
        self.end = last

    def image(self) -> np.ndarray:
        """(capacity, bins) copy, oldest frame first; the last row is frame ``end - 1``."""
        split = self.end % self.capacity
        return np.concatenate([self._ring[split:], self._ring[:split]])
