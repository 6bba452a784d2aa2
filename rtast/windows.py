"""Sliding model windows over incrementally computed fbank frames.

A window covers the audio samples [start, end) and holds the fbank frames that fit inside it,
exactly the frames the batch frontend would compute from that audio alone (frames start every
frame shift, so window starts are kept on that grid). Window ends are ``first_end + k * hop``:

- offline tagging uses ``first_end = window``: full windows from the start of the file;
- streaming uses ``first_end = hop`` (start-up windows): before one full window of audio exists,
  every hop scores the audio so far, so labels appear one hop after start instead of one window.
  The model sees it after silence (``WindowedFrontend.model_inputs``), as the end of a full window
  of a stream that was quiet before it began: a model trained on crops of long recordings knows
  that, not the zero log-mel frames the AST reference pads short clips with (which read as loud
  noise to a model trained on full windows; `rtast tag` pads a file shorter than a window as the
  model's frontend says, ``FrontendConfig.pad``).

``finish()`` adds a final window that ends at the last sample when the tail is not yet covered
(the whole signal when it is shorter than one window).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rtast.audiofile import iter_audio
from rtast.configs import ConfigError
from rtast.fbank import SILENCE_LOG_MEL, FrontendConfig, IncrementalFbank, num_frames, window_input


@dataclass(frozen=True)
class FrameWindow:
    start: int  # first sample, counted from the start of the stream
    end: int  # one past the last sample
    frames: torch.Tensor  # (n, mel_bins) log-mel frames of [start, end), not yet padded or normalised


class FrameWindows:
    """Cut a stream of fbank frames into windows of ``window`` samples every ``hop`` samples."""

    def __init__(self, config: FrontendConfig, window: int, hop: int, first_end: int):
        shift = config.frame_shift
        if window < config.frame_length or hop <= 0:
            raise ConfigError(f"window ({window} samples) must hold one frame and hop ({hop}) must be positive")
        if window % shift or hop % shift or first_end % shift:
            raise ConfigError(f"window, hop and first end must be multiples of the frame shift ({shift} samples)")
        self.config = config
        self.window = window
        self.hop = hop
        self._next_end = first_end
        self._emitted_end = 0  # end of the last window produced
        self._frames = torch.zeros(0, config.num_mel_bins)
        self._first_frame = 0  # stream index of _frames[0]
        self.total = 0  # samples the frames were computed from

    def push(self, frames: torch.Tensor, total_samples: int) -> list[FrameWindow]:
        """Add newly computed frames; ``total_samples`` is the stream length so far."""
        self._frames = torch.cat([self._frames, frames]) if len(self._frames) else frames
        self.total = total_samples
        out = []
        while self._next_end <= self.total:
            out.append(self._take(self._next_end))
            self._next_end += self.hop
        # Keep only what later windows (and the final tail window) may still need: every one of them
        # starts at or after total - window, so a hop longer than the window never piles frames up.
        keep_from = max(0, self.total - self.window) // self.config.frame_shift
        drop = keep_from - self._first_frame
        if drop > 0:
            self._frames = self._frames[drop:]
            self._first_frame = keep_from
        return out

    def finish(self) -> list[FrameWindow]:
        """A final window ending at the last sample, if the tail is not covered yet."""
        if self.total == 0 or self._emitted_end >= self.total:
            return []
        shift = self.config.frame_shift
        end = self.total
        return [self._take(end, start=max(0, end - self.window) // shift * shift)]

    def _take(self, end: int, start: int | None = None) -> FrameWindow:
        if start is None:
            start = max(0, end - self.window)
        cfg = self.config
        first = start // cfg.frame_shift - self._first_frame
        count = num_frames(end - start, cfg.frame_length, cfg.frame_shift)
        self._emitted_end = end
        return FrameWindow(start, end, self._frames[first : first + count])


def to_shift_multiple(seconds: float, config: FrontendConfig) -> int:
    """Seconds -> samples, rounded to a whole number of frame shifts (at least one)."""
    shifts = max(1, round(seconds * config.sample_rate / config.frame_shift))
    return shifts * config.frame_shift


def default_hop_seconds(config: FrontendConfig) -> float:
    """The hop a stream uses unless told: a sixth of the model's window, between 0.25 and 1 s.

    0.5 s for the shipped 3-s model, where its held-out event F1 and delay were measured best (README),
    1 s for 10-s AudioSet models, whose windows cost much more to score.
    """
    return min(1.0, max(0.25, config.window_seconds / 6))


class WindowedFrontend:
    """16 kHz samples in, model-ready windows out: IncrementalFbank followed by FrameWindows."""

    def __init__(self, config: FrontendConfig, hop_seconds: float, startup_windows: bool):
        self.config = config
        self.fbank = IncrementalFbank(config)
        window = to_shift_multiple(config.window_seconds, config)
        hop = to_shift_multiple(hop_seconds, config)
        self.windows = FrameWindows(config, window, hop, first_end=hop if startup_windows else window)

    @property
    def hop_seconds(self) -> float:
        return self.windows.hop / self.config.sample_rate

    def push(self, samples: np.ndarray | torch.Tensor) -> list[FrameWindow]:
        frames = self.fbank.push(samples)
        return self.windows.push(frames, self.fbank.samples_seen)

    def finish(self) -> list[FrameWindow]:
        return self.windows.finish()

    def model_inputs(self, windows: list[FrameWindow]) -> torch.Tensor:
        """(batch, target_length, mel_bins) normalised engine input for these windows (start-up windows
        after silence frames, to a full window's length)."""
        return torch.stack([window_input(self.full_frames(w), self.config) for w in windows])

    def full_frames(self, w: FrameWindow) -> torch.Tensor:
        """The window's frames, preceded by digital silence when the stream began less than a window ago."""
        missing = startup_padding(w.start, w.end, self.config)
        if missing == 0:
            return w.frames
        silence = torch.full((missing, w.frames.shape[1]), SILENCE_LOG_MEL, dtype=w.frames.dtype)
        return torch.cat([silence, w.frames])


def startup_padding(start: int, end: int, config: FrontendConfig) -> int:
    """Silence frames before the start-up window [start, end) samples (one that begins at the stream's start
    and is shorter than the model's window) that make it a full window's frames; 0 for any other window."""
    window = to_shift_multiple(config.window_seconds, config)
    if start > 0 or end >= window:
        return 0
    full = num_frames(window, config.frame_length, config.frame_shift)
    return full - num_frames(end - start, config.frame_length, config.frame_shift)


def windows_of_file(path: str | Path, config: FrontendConfig, hop_seconds: float) -> Iterator[FrameWindow]:
    """The offline windows of an audio file (full windows from its start, then the tail), in bounded memory.

    The last window ends at the file's last sample.
    """
    windowed = WindowedFrontend(config, hop_seconds, startup_windows=False)
    for block in iter_audio(path):
        yield from windowed.push(block)
    yield from windowed.finish()
