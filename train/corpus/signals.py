"""Signal helpers: 10-ms frame levels, trimming to where a sound is, fades and resampling to 16 kHz mono."""

from __future__ import annotations

import numpy as np
import soxr

from rtast.fbank import SAMPLE_RATE

FRAME = 160  # 10 ms analysis frames for trimming and levels
TRIM_DB = -35.0  # a source's extent: where frames are within this many dB of its loudest frame
SOURCE_PEAK = 0.9  # sources are cached peak-normalised to this


def frame_db(x: np.ndarray) -> np.ndarray:
    """Energy of each 10-ms frame in dB (the last frame zero-padded)."""
    padded = np.pad(x.astype(np.float64), (0, -len(x) % FRAME))
    energy = np.mean(padded.reshape(-1, FRAME) ** 2, axis=1)
    return 10.0 * np.log10(energy + 1e-20)


def active_span(x: np.ndarray, rel_db: float = TRIM_DB) -> tuple[int, int] | None:
    """[start, end) samples from the first to the last frame within ``rel_db`` of the loudest, or None if silent."""
    if len(x) == 0:
        return None
    db = frame_db(x)
    peak = float(db.max())
    if peak < -100.0:
        return None
    frames = np.flatnonzero(db > peak + rel_db)
    threshold = 10.0 ** ((peak + rel_db) / 20.0)
    first = x[frames[0] * FRAME : (frames[0] + 1) * FRAME]
    last = x[frames[-1] * FRAME : (frames[-1] + 1) * FRAME]
    start = frames[0] * FRAME + int(np.argmax(np.abs(first) >= threshold))
    end = frames[-1] * FRAME + len(last) - int(np.argmax(np.abs(last[::-1]) >= threshold))
    return start, max(end, start + 1)


def fade(x: np.ndarray, seconds: float = 0.005) -> np.ndarray:
    """Raised-cosine fade-in and fade-out at both ends."""
    n = min(int(seconds * SAMPLE_RATE), len(x) // 2)
    if n < 1:
        return x
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)
    y = x.copy()
    y[:n] *= ramp
    y[-n:] *= ramp[::-1]
    return y


def trim(x: np.ndarray, rel_db: float = TRIM_DB) -> np.ndarray:
    """``x`` without its leading and trailing quiet parts, with short fades (empty if silent)."""
    span = active_span(x, rel_db)
    return np.zeros(0, x.dtype) if span is None else fade(x[span[0] : span[1]])


def active_rms(x: np.ndarray) -> float:
    """RMS over the frames within 20 dB of the loudest: the level of a sound while it sounds."""
    db = frame_db(x)
    loud = db > db.max() - 20.0
    return float(np.sqrt(np.mean(10.0 ** (db[loud] / 10.0))))


def to_16k_mono(audio: np.ndarray, rate: int) -> np.ndarray:
    """(n,) or (n, channels) at ``rate`` -> (m,) float64 at 16 kHz, resampled with soxr (in float32)."""
    mono = (audio.mean(axis=1) if audio.ndim == 2 else audio).astype(np.float32)
    return (mono if rate == SAMPLE_RATE else soxr.resample(mono, rate, SAMPLE_RATE)).astype(np.float64)
