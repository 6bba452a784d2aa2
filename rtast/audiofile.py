"""Reading audio files as 16 kHz mono float32 blocks, in bounded memory.

Any rate and channel count that libsndfile reads (WAV, FLAC, OGG, MP3 …) is mixed down to mono
and resampled with soxr's stream resampler, so a one-hour file never sits in memory at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from rtast.fbank import SAMPLE_RATE
from rtast.resample import StreamResampler

BLOCK_SECONDS = 5.0  # seconds of input decoded per read


class AudioFileError(ValueError):
    """An audio file that cannot be used; the message names the file and the reason."""


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    sample_rate: int  # Hz, as stored in the file
    channels: int
    frames: int  # samples per channel

    @property
    def duration(self) -> float:
        """Seconds of audio in the file."""
        return self.frames / self.sample_rate


def sf_name(path: str | Path) -> str | bytes:
    """``path`` as soundfile should get it: bytes on POSIX, so names that are not UTF-8 open too."""
    # soundfile encodes str names strictly, which fails on the surrogates Python uses for such bytes.
    return str(path) if os.name == "nt" else os.fsencode(path)


def probe(path: str | Path) -> AudioInfo:
    """Check that ``path`` is a readable, non-empty audio file and describe it."""
    path = Path(path)
    if not path.exists():
        raise AudioFileError(f"{path}: no such file")
    if path.is_dir():
        raise AudioFileError(f"{path}: is a directory, not an audio file")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path}: empty file (0 bytes)")
    try:
        info = sf.info(sf_name(path))
    except (sf.LibsndfileError, RuntimeError) as e:
        raise AudioFileError(f"{path}: not a readable audio file ({e})") from e
    if info.frames <= 0:
        raise AudioFileError(f"{path}: contains no audio samples (zero length)")
    return AudioInfo(path, int(info.samplerate), int(info.channels), int(info.frames))


def check_finite(samples: np.ndarray, offset_seconds: float, source: str, rate: int = SAMPLE_RATE) -> None:
    """Raise AudioFileError if ``samples`` (frames,) or (frames, channels) hold NaN or infinity, naming where."""
    bad = ~np.isfinite(samples)
    if bad.ndim == 2:
        bad = bad.any(axis=1)
    if bad.any():
        at = offset_seconds + int(np.argmax(bad)) / rate
        raise AudioFileError(f"{source}: contains NaN or infinite samples (first at {at:.3f} s)")


def iter_audio(path: str | Path, block_seconds: float = BLOCK_SECONDS) -> Iterator[np.ndarray]:
    """Yield the file as consecutive 16 kHz mono float32 blocks; their concatenation is the whole file."""
    info = probe(path)
    resampler = StreamResampler(info.sample_rate)
    block_frames = max(1, int(block_seconds * info.sample_rate))
    produced = 0  # 16 kHz samples yielded so far, for error positions
    try:
        with sf.SoundFile(sf_name(info.path)) as f:
            while True:
                block = f.read(block_frames, dtype="float32", always_2d=True)
                last = len(block) < block_frames
                mono = resampler(block)
                if last:
                    mono = np.concatenate([mono, resampler.flush()])
                check_finite(mono, produced / SAMPLE_RATE, str(info.path))
                if len(mono):
                    produced += len(mono)
                    yield mono
                if last:
                    break
    except (sf.LibsndfileError, RuntimeError) as e:
        raise AudioFileError(f"{info.path}: decoding failed after {produced / SAMPLE_RATE:.1f} s ({e})") from e


def load_audio(path: str | Path) -> np.ndarray:
    """The whole file as 16 kHz mono float32 (for short clips; use iter_audio for long ones)."""
    blocks = list(iter_audio(path))
    return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
