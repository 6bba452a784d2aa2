"""Kaldi-compatible log-mel filterbank (the AST frontend), written in torch.

The numbers follow ``torchaudio.compliance.kaldi.fbank`` with AST's settings (see
``FrontendConfig``): per-frame DC removal, pre-emphasis, a Hanning window, a 512-point power
spectrum, HTK-scale triangular mel filters and a natural log floored at float32 eps.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from rtast.configs import from_dict

SAMPLE_RATE = 16000  # Hz: every model in rtast sees 16 kHz mono audio
FLOAT32_EPS = torch.finfo(torch.float32).eps  # log floor of Kaldi's fbank
SILENCE_LOG_MEL = math.log(FLOAT32_EPS)  # every bin of a frame of digital silence

# Normalisation statistics of the AST paper's datasets (log-mel mean, std).
DATASET_STATS: dict[str, tuple[float, float]] = {
    "audioset": (-4.2677393, 4.5689974),
    "esc50": (-6.6268077, 5.358466),
    "speechcommands": (-6.845978, 5.5654526),
}


# What fills a window after a clip shorter than it: "zeros", the AST reference's zero log-mel frames
# (what AudioSet checkpoints learned, and transformers does), or "silence", the frames of digital
# silence, as in a quiet room (what rtast's own models hear before and after a sound: trained on full
# windows, they took the reference's zeros for loud noise, README).
PADDING = {"zeros": 0.0, "silence": SILENCE_LOG_MEL}


@dataclass(frozen=True)
class FrontendConfig:
    """Everything needed to turn 16 kHz audio into one model input window."""

    sample_rate: int = SAMPLE_RATE  # Hz of the waveform given to fbank()
    frame_length_ms: float = 25.0  # analysis window length
    frame_shift_ms: float = 10.0  # hop between frames
    num_mel_bins: int = 128  # frequency axis of the model input
    low_freq: float = 20.0  # Hz, lowest mel filter edge
    high_freq: float = 0.0  # Hz; <= 0 means Nyquist + high_freq
    preemphasis: float = 0.97
    snip_edges: bool = True  # Kaldi: only frames that fit completely
    target_length: int = 1024  # frames per model input (pad or cut)
    pad: str = "zeros"  # frames that fill a short window: see PADDING
    window_seconds: float = 10.0  # audio per window; the training clip length
    mean: float = DATASET_STATS["audioset"][0]  # log-mel mean for normalisation
    std: float = DATASET_STATS["audioset"][1]  # log-mel std; inputs are (x - mean) / (2 std)

    def __post_init__(self) -> None:
        if self.pad not in PADDING:
            raise ValueError(f"frontend pad must be one of {sorted(PADDING)}, got {self.pad!r}")

    @property
    def pad_value(self) -> float:
        return PADDING[self.pad]

    @property
    def frame_length(self) -> int:
        """Samples per analysis frame (400 at 16 kHz)."""
        return int(self.sample_rate * self.frame_length_ms / 1000)

    @property
    def frame_shift(self) -> int:
        """Samples between frame starts (160 at 16 kHz)."""
        return int(self.sample_rate * self.frame_shift_ms / 1000)

    def frame_seconds(self, frames) -> np.ndarray:
        """Frame counts (any shape, e.g. a frame head's [first, end) spans) as seconds."""
        return np.asarray(frames, np.float64) * (self.frame_shift_ms / 1000)

    @property
    def window_samples(self) -> int:
        """Samples of audio in one model window."""
        return round(self.window_seconds * self.sample_rate)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> FrontendConfig:
        return from_dict(cls, d, "frontend config")


def num_frames(num_samples: int, frame_length: int = 400, frame_shift: int = 160, snip_edges: bool = True) -> int:
    """Number of Kaldi frames for ``num_samples`` samples."""
    if snip_edges:
        return 0 if num_samples < frame_length else 1 + (num_samples - frame_length) // frame_shift
    return (num_samples + frame_shift // 2) // frame_shift


def mel_scale(freq: torch.Tensor | float) -> torch.Tensor | float:
    """HTK mel scale, 1127 ln(1 + f / 700)."""
    if isinstance(freq, torch.Tensor):
        return 1127.0 * torch.log1p(freq / 700.0)
    return 1127.0 * math.log(1.0 + freq / 700.0)


@lru_cache(maxsize=16)
def mel_filterbank(
    num_bins: int, padded_window_size: int, sample_rate: float, low_freq: float, high_freq: float
) -> torch.Tensor:
    """Triangular filters in the mel domain, shape (num_bins, padded_window_size // 2 + 1)."""
    nyquist = 0.5 * sample_rate
    if high_freq <= 0.0:
        high_freq += nyquist
    if not (0.0 <= low_freq < nyquist and 0.0 < high_freq <= nyquist and low_freq < high_freq):
        raise ValueError(f"bad mel range low_freq={low_freq}, high_freq={high_freq} for sample rate {sample_rate}")
    num_fft_bins = padded_window_size // 2
    fft_bin_width = sample_rate / padded_window_size
    mel_low, mel_high = mel_scale(low_freq), mel_scale(high_freq)
    mel_delta = (mel_high - mel_low) / (num_bins + 1)

    bin_index = torch.arange(num_bins, dtype=torch.float32).unsqueeze(1)  # (num_bins, 1)
    left = mel_low + bin_index * mel_delta
    center = mel_low + (bin_index + 1.0) * mel_delta
    right = mel_low + (bin_index + 2.0) * mel_delta
    mel = mel_scale(fft_bin_width * torch.arange(num_fft_bins, dtype=torch.float32)).unsqueeze(0)  # (1, F)
    up_slope = (mel - left) / (center - left)
    down_slope = (right - mel) / (right - center)
    banks = torch.clamp(torch.minimum(up_slope, down_slope), min=0.0)  # (num_bins, F)
    return F.pad(banks, (0, 1))  # the Nyquist bin gets weight 0, as in Kaldi


def _frame(waveform: torch.Tensor, frame_length: int, frame_shift: int, snip_edges: bool) -> torch.Tensor:
    """Cut (batch, samples) into (batch, frames, frame_length) the way Kaldi does."""
    n = waveform.shape[-1]
    frames = num_frames(n, frame_length, frame_shift, snip_edges)
    if frames == 0:
        return waveform.new_zeros(waveform.shape[0], 0, frame_length)
    if not snip_edges:
        # Kaldi reflects the signal at both ends so that frames are centred on multiples of the shift.
        pad_left = frame_length // 2 - frame_shift // 2
        pad_right = (frames - 1) * frame_shift + frame_length - n - pad_left
        left = waveform[:, :pad_left].flip(-1)
        right = waveform[:, max(n - pad_right, 0) :].flip(-1) if pad_right > 0 else waveform[:, :0]
        waveform = torch.cat([left, waveform, right], dim=-1)
    return waveform.unfold(-1, frame_length, frame_shift)[:, :frames]


def fbank(
    waveform: torch.Tensor,
    *,
    sample_frequency: float = SAMPLE_RATE,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    num_mel_bins: int = 128,
    low_freq: float = 20.0,
    high_freq: float = 0.0,
    preemphasis_coefficient: float = 0.97,
    remove_dc_offset: bool = True,
    snip_edges: bool = True,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Kaldi log-mel filterbank with a Hanning window, no dither and no energy term.

    Args:
        waveform: (samples,) or (batch, samples) float audio at ``sample_frequency``.
        sample_frequency: sample rate in Hz (Default: 16000).
        frame_length: frame length in milliseconds (Default: 25.0).
        frame_shift: frame shift in milliseconds (Default: 10.0).
        num_mel_bins: number of triangular mel filters (Default: 128).
        low_freq: lowest filter edge in Hz (Default: 20.0).
        high_freq: highest filter edge in Hz; <= 0 is an offset from Nyquist (Default: 0.0).
        preemphasis_coefficient: pre-emphasis factor (Default: 0.97).
        remove_dc_offset: subtract each frame's mean (Default: True).
        snip_edges: keep only frames that fit in the signal (Default: True).
        dtype: compute precision (Default: float64). float64 keeps rounding out of cells near the
            log floor; float32 reproduces torchaudio's rounding there (differences up to ~1e-2 in
            log-mel only where a filter's energy is within a few eps of zero).

    Returns:
        (frames, num_mel_bins) or (batch, frames, num_mel_bins) float32 natural-log energies.
    """
    squeeze = waveform.dim() == 1
    wave = waveform.unsqueeze(0) if squeeze else waveform
    if wave.dim() != 2:
        raise ValueError(f"waveform must be (samples,) or (batch, samples), got shape {tuple(waveform.shape)}")
    wave = wave.to(dtype)
    window_size = int(sample_frequency * frame_length / 1000)
    shift = int(sample_frequency * frame_shift / 1000)
    padded_window_size = 1 << (window_size - 1).bit_length()  # next power of two: 400 -> 512

    frames = _frame(wave, window_size, shift, snip_edges)  # (B, T, window_size)
    if frames.shape[1] == 0:  # shorter than one frame
        out = torch.zeros(wave.shape[0], 0, num_mel_bins, device=wave.device)
        return out.squeeze(0) if squeeze else out
    if remove_dc_offset:
        frames = frames - frames.mean(dim=-1, keepdim=True)
    if preemphasis_coefficient != 0.0:
        previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)  # Kaldi replicates sample 0
        frames = frames - preemphasis_coefficient * previous
    window = torch.hann_window(window_size, periodic=False, dtype=dtype, device=wave.device)
    frames = F.pad(frames * window, (0, padded_window_size - window_size))  # (B, T, padded)
    power = torch.fft.rfft(frames).abs().pow(2.0)  # (B, T, padded // 2 + 1)
    banks = mel_filterbank(num_mel_bins, padded_window_size, float(sample_frequency), low_freq, high_freq)
    mel_energies = torch.matmul(power, banks.to(power.device, power.dtype).T)  # (B, T, num_mel_bins)
    log_mel = torch.log(torch.clamp(mel_energies, min=FLOAT32_EPS)).to(torch.float32)
    return log_mel.squeeze(0) if squeeze else log_mel


def fbank_kwargs(config: FrontendConfig) -> dict:
    """``fbank()`` keyword arguments for ``config``."""
    return {
        "sample_frequency": config.sample_rate,
        "frame_length": config.frame_length_ms,
        "frame_shift": config.frame_shift_ms,
        "num_mel_bins": config.num_mel_bins,
        "low_freq": config.low_freq,
        "high_freq": config.high_freq,
        "preemphasis_coefficient": config.preemphasis,
        "snip_edges": config.snip_edges,
    }


def fbank_from_config(waveform: torch.Tensor, config: FrontendConfig) -> torch.Tensor:
    """``fbank()`` with every parameter taken from ``config``; the waveform mean is removed first,
    as in the AST reference."""
    waveform = waveform.to(torch.float64)  # exact subtraction: per-frame DC removal then undoes it
    return fbank(waveform - waveform.mean(dim=-1, keepdim=True), **fbank_kwargs(config))


def pad_or_cut(features: torch.Tensor, target_length: int, value: float = 0.0) -> torch.Tensor:
    """Pad (with ``value``) or cut the frame axis (-2) of (..., frames, bins) to ``target_length``."""
    n = features.shape[-2]
    if n < target_length:
        return F.pad(features, (0, 0, 0, target_length - n), value=value)
    return features[..., :target_length, :]


def normalize(features: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """AST normalisation: (x - mean) / (2 std)."""
    return (features - mean) / (2.0 * std)


def window_input(features: torch.Tensor, config: FrontendConfig) -> torch.Tensor:
    """Log-mel frames (…, frames, bins) -> the model's input: padded or cut, then normalised."""
    return normalize(pad_or_cut(features, config.target_length, config.pad_value), config.mean, config.std)


def model_input(waveform: torch.Tensor, config: FrontendConfig) -> torch.Tensor:
    """16 kHz audio (samples,) or (batch, samples) -> normalised (…, target_length, num_mel_bins)."""
    return window_input(fbank_from_config(waveform, config), config)


class IncrementalFbank:
    """The fbank of a growing signal, each frame computed once.

    ``push(samples)`` returns only the frames that the new samples complete, (n, num_mel_bins);
    the concatenation of all returned frames equals ``fbank_from_config`` of the whole signal
    (the waveform-mean subtraction there is undone by per-frame DC removal, up to rounding).
    Work per call is proportional to the new samples, not to the signal so far.
    """

    def __init__(self, config: FrontendConfig):
        if not config.snip_edges:
            raise ValueError("IncrementalFbank needs snip_edges=True (frames must not depend on the future)")
        self.config = config
        self._pending = torch.zeros(0, dtype=torch.float32)  # samples of frames not yet complete
        self.samples_seen = 0  # samples pushed so far
        self.frames_emitted = 0

    def push(self, samples: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Add (n,) float samples; return the newly completed frames, (frames, num_mel_bins)."""
        chunk = torch.as_tensor(samples, dtype=torch.float32).reshape(-1)
        self.samples_seen += len(chunk)
        buffer = torch.cat([self._pending, chunk]) if len(self._pending) else chunk
        cfg = self.config
        n = num_frames(len(buffer), cfg.frame_length, cfg.frame_shift)
        if n == 0:
            self._pending = buffer
            return torch.zeros(0, cfg.num_mel_bins)
        used = (n - 1) * cfg.frame_shift + cfg.frame_length
        frames = fbank(buffer[:used], **fbank_kwargs(cfg))
        self._pending = buffer[n * cfg.frame_shift :].clone()  # overlap with the next frames
        self.frames_emitted += n
        return frames
