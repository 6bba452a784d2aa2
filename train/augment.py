"""Training-time augmentation, in the order of the AST recipes.

waveform mixup -> fbank -> pad/cut -> SpecAugment (on log-mel, mask value 0 like the padding)
-> normalise -> noise + time roll.
"""

from __future__ import annotations

import numpy as np
import torch

from rtast.fbank import SAMPLE_RATE


def mixup(
    waves: list[torch.Tensor], targets: torch.Tensor, prob: float, rng: np.random.Generator, alpha: float = 10.0
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Waveform mixup: with probability ``prob`` an item becomes lam * x_i + (1 - lam) * x_j.

    The partner j is another item of the batch; lam ~ Beta(alpha, alpha); the target mixes the
    same way. Both waveforms are mean-removed first and the partner is cut or zero-padded to the
    item's length.
    """
    if prob <= 0 or len(waves) < 2:
        return waves, targets
    out_waves, out_targets = list(waves), targets.clone()
    for i in range(len(waves)):
        if rng.random() >= prob:
            continue
        j = int(rng.integers(0, len(waves) - 1))
        j += j >= i  # any other item
        lam = float(rng.beta(alpha, alpha))
        a = waves[i] - waves[i].mean()
        b = waves[j] - waves[j].mean()
        b = b[: len(a)] if len(b) >= len(a) else torch.nn.functional.pad(b, (0, len(a) - len(b)))
        out_waves[i] = lam * a + (1 - lam) * b
        out_targets[i] = lam * targets[i] + (1 - lam) * targets[j]
    return out_waves, out_targets


def spec_augment(features: torch.Tensor, freq_mask: int, time_mask: int, rng: np.random.Generator) -> torch.Tensor:
    """One frequency and one time mask per item of (B, T, F), widths uniform in [0, max), value 0."""
    out = features.clone()
    B, T, F = out.shape
    for b in range(B):
        if freq_mask > 0:
            width = int(rng.integers(0, min(freq_mask, F)))
            start = int(rng.integers(0, F - width + 1))
            out[b, :, start : start + width] = 0
        if time_mask > 0:
            width = int(rng.integers(0, min(time_mask, T)))
            start = int(rng.integers(0, T - width + 1))
            out[b, start : start + width, :] = 0
    return out


def noise_and_roll(features: torch.Tensor, rng: np.random.Generator, max_shift: int = 10) -> torch.Tensor:
    """Speech Commands recipe: add uniform noise of a random scale up to 0.1, roll time by up to 10 frames."""
    out = features.clone()
    for b in range(out.shape[0]):
        scale = float(rng.random()) / 10
        out[b] += torch.rand(out.shape[1:], generator=torch.Generator().manual_seed(int(rng.integers(2**31)))) * scale
        out[b] = torch.roll(out[b], int(rng.integers(-max_shift, max_shift)), dims=0)
    return out


def room_impulse(rng: np.random.Generator, rt60: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A synthetic room: a direct path, then Gaussian noise decaying by 60 dB in ``rt60`` seconds.

    Exponentially decaying noise is the statistical model of late reverberation (Polack); the
    direct-to-reverberant ratio is drawn so that near and far microphones both occur.
    """
    n = max(1, int(rt60 * sample_rate))
    t = np.arange(n) / sample_rate
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)  # ln(1000) = 60 dB of amplitude decay
    tail[: int(0.002 * sample_rate)] = 0.0  # the first reflections arrive after the direct sound
    tail *= 10 ** (rng.uniform(-12.0, 3.0) / 20) / (np.sqrt(np.sum(tail**2)) + 1e-12)  # reverberant vs direct
    tail[0] = 1.0
    return tail


def band_limit(x: np.ndarray, low: float, high: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Keep ``low``..``high`` Hz (a brick-wall mask with 1/8-octave raised-cosine edges)."""
    spectrum = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / sample_rate)
    gain = np.clip((np.log2(np.maximum(f, 1.0) / low) + 0.125) / 0.25, 0, 1)
    gain *= np.clip((np.log2(high / np.maximum(f, 1.0)) + 0.125) / 0.25, 0, 1)
    return np.fft.irfft(spectrum * (0.5 - 0.5 * np.cos(np.pi * gain)), len(x))


def tilt(x: np.ndarray, db_per_octave: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A microphone's colouring: a spectral slope of ``db_per_octave`` around 1 kHz."""
    spectrum = np.fft.rfft(x)
    f = np.maximum(np.fft.rfftfreq(len(x), 1 / sample_rate), 50.0)
    return np.fft.irfft(spectrum * 10 ** (db_per_octave * np.log2(f / 1000.0) / 20), len(x))


def room_and_microphone(waves: list[torch.Tensor], prob: float, rng: np.random.Generator) -> list[torch.Tensor]:
    """With probability ``prob`` per item, play it in a room and record it with another microphone.

    Each item independently gets reverberation (RT60 0.15-1.0 s, half of the time), a telephone band
    (300-3400 Hz, one time in five) or a microphone slope (+-3 dB/octave), a gain of -12..+6 dB and,
    one time in ten, clipping at 0.3-0.9 of full scale. Lengths are kept.
    """
    if prob <= 0:
        return waves
    out = []
    for wave in waves:
        if rng.random() >= prob or len(wave) < 2:
            out.append(wave)
            continue
        x = wave.double().numpy()
        if rng.random() < 0.5:
            peak = np.max(np.abs(x)) + 1e-12
            h = room_impulse(rng, float(rng.uniform(0.15, 1.0)))
            n = len(x) + len(h) - 1
            x = np.fft.irfft(np.fft.rfft(x, n) * np.fft.rfft(h, n), n)[: len(wave)]
            x *= peak / (np.max(np.abs(x)) + 1e-12)
        x = band_limit(x, 300.0, 3400.0) if rng.random() < 0.2 else tilt(x, float(rng.uniform(-3.0, 3.0)))
        x *= 10 ** (rng.uniform(-12.0, 6.0) / 20)
        if rng.random() < 0.1:
            level = float(rng.uniform(0.3, 0.9))
            x = np.clip(x, -level, level)
        out.append(torch.from_numpy(np.clip(x, -1.0, 1.0).astype(np.float32)))
    return out
