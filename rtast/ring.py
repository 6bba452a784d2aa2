"""The capture ring: a preallocated single-producer, single-consumer buffer from a capture callback to the worker."""

from __future__ import annotations

import threading
import time

import numpy as np


class RingBuffer:
    """Single-producer, single-consumer ring of float32 (frames, channels); it never grows.

    ``write`` (the producer, e.g. the PortAudio callback) copies what fits and counts the frames
    that did not; ``read`` (the consumer) takes everything available. The indices only grow and
    each is written by one side only, so no lock is needed; an Event wakes the consumer.
    """

    def __init__(self, capacity: int, channels: int):
        self.capacity = capacity
        self._data = np.zeros((capacity, channels), np.float32)
        self._write = 0  # frames ever written (producer)
        self._read = 0  # frames ever read (consumer)
        self._ready = threading.Event()
        self.dropped = 0  # frames that did not fit
        self.last_write_time = 0.0  # time.monotonic() of the newest write

    def write(self, block: np.ndarray) -> int:
        """Copy (frames, channels) into the ring; return the number of frames that fit."""
        n = len(block)
        free = self.capacity - (self._write - self._read)
        k = min(n, free)
        start = self._write % self.capacity
        first = min(k, self.capacity - start)
        self._data[start : start + first] = block[:first]
        if k > first:
            self._data[: k - first] = block[first:k]
        self._write += k
        self.dropped += n - k
        self.last_write_time = time.monotonic()
        self._ready.set()
        return k

    def read(self) -> np.ndarray:
        """Everything written and not yet read, as a new (frames, channels) array."""
        self._ready.clear()
        end = self._write
        n = end - self._read
        start = self._read % self.capacity
        first = min(n, self.capacity - start)
        out = np.concatenate([self._data[start : start + first], self._data[: n - first]])
        self._read = end
        return out

    def wake(self) -> None:
        """Wake a consumer waiting in ``wait`` (the producer has ended or failed)."""
        self._ready.set()

    def wait(self, timeout: float) -> bool:
        """Block until data may be available or ``timeout`` seconds pass."""
        return self._write > self._read or self._ready.wait(timeout)

    @property
    def available(self) -> int:
        return self._write - self._read

    @property
    def written(self) -> int:
        """Frames accepted so far."""
        return self._write
