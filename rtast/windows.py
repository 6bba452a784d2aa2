"""Sliding windows over a stream of 16 kHz samples, keeping at most one window in memory."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    start: int  # first sample, counted from the start of the stream
    samples: np.ndarray  # (n,) float32; n == window length except for a final partial window


class SlidingWindows:
    """Cut pushed audio into windows of ``window`` samples starting every ``hop`` samples.

    A stream shorter than one window gives one partial window. At the end, a final partial
    window covers the tail if the last full window stopped before the end of the stream, so
    every sample lands in at least one window (when hop <= window).
    """

    def __init__(self, window: int, hop: int):
        if window <= 0 or hop <= 0:
            raise ValueError(f"window ({window}) and hop ({hop}) must be positive sample counts")
        self.window = window
        self.hop = hop
        self._buffer = np.zeros(0, np.float32)
        self._buffer_start = 0  # stream index of _buffer[0]
        self._next_start = 0  # stream index where the next window begins
        self._emitted = 0  # windows produced so far

    @property
    def total(self) -> int:
        """Samples pushed so far."""
        return self._buffer_start + len(self._buffer)

    def push(self, samples: np.ndarray) -> list[Window]:
        """Add samples; return the windows that are now complete."""
        self._buffer = np.concatenate([self._buffer, np.asarray(samples, np.float32)])
        out = []
        while self._next_start + self.window <= self.total:
            out.append(self._take(self._next_start, self.window))
            self._next_start += self.hop
        self._drop_before(self._next_start)
        return out

    def finish(self) -> list[Window]:
        """The final partial window, if the stream's tail is not yet covered."""
        last_end = self._next_start - self.hop + self.window  # end of the last full window
        if self.total == 0 or (self._emitted and last_end >= self.total) or self._next_start >= self.total:
            return []
        window = self._take(self._next_start, self.total - self._next_start)
        self._next_start = self.total
        self._drop_before(self.total)
        return [window]

    def _take(self, start: int, length: int) -> Window:
        i = start - self._buffer_start
        self._emitted += 1
        return Window(start, self._buffer[i : i + length].copy())

    def _drop_before(self, index: int) -> None:
        drop = min(index, self.total) - self._buffer_start
        if drop > 0:
            self._buffer = self._buffer[drop:]
            self._buffer_start += drop
