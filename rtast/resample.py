"""Streaming conversion of any-rate, any-channel audio blocks to 16 kHz mono float32."""

from __future__ import annotations

import numpy as np
import soxr

from rtast.fbank import SAMPLE_RATE


def to_mono(block: np.ndarray) -> np.ndarray:
    """(samples, channels) or (samples,) -> (samples,) float32, averaging channels."""
    return (block.mean(axis=1) if block.ndim == 2 else block).astype(np.float32, copy=False)


class StreamResampler:
    """Mix blocks down to mono and resample them to 16 kHz, keeping filter state across blocks.

    The concatenation of the outputs equals resampling the whole signal at once (soxr's stream
    resampler); ``flush()`` returns the filter's tail at the end of the stream.
    """

    def __init__(self, input_rate: int, quality: str = "HQ"):
        if input_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {input_rate}")
        self.input_rate = input_rate
        self._soxr = None
        if input_rate != SAMPLE_RATE:
            self._soxr = soxr.ResampleStream(input_rate, SAMPLE_RATE, 1, dtype="float32", quality=quality)

    def __call__(self, block: np.ndarray) -> np.ndarray:
        mono = to_mono(block)
        return mono if self._soxr is None else self._soxr.resample_chunk(mono)

    def flush(self) -> np.ndarray:
        if self._soxr is None:
            return np.zeros(0, np.float32)
        return self._soxr.resample_chunk(np.zeros(0, np.float32), last=True)
