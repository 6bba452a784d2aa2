"""The room-and-microphone augmentation, and the training precision chosen from the CPU."""

from __future__ import annotations

import numpy as np
import torch

from rtast.cpu import cpu_flags, native_bf16
from rtast.train.augment import band_limit, room_and_microphone, room_impulse, tilt
from rtast.train.precision import auto_precision

RATE = 16000


def band_energy(x: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    return float(spectrum[(f >= low) & (f < high)].sum())


def test_room_impulse_decays_60_db_in_rt60():
    h = room_impulse(np.random.default_rng(0), rt60=0.5)
    assert h[0] == 1.0 and len(h) == 8000
    first, last = h[40:840], h[-800:]  # 50 ms after the direct sound, and the last 50 ms
    drop_db = 10 * np.log10(np.mean(first**2) / np.mean(last**2))
    assert 45 < drop_db < 70  # 60 dB over the 0.45 s between the two, give or take the noise


def test_telephone_band_removes_lows_and_highs():
    x = np.random.default_rng(1).standard_normal(RATE)
    y = band_limit(x, 300.0, 3400.0)
    assert band_energy(y, 0, 200) < 1e-3 * band_energy(x, 0, 200)
    assert band_energy(y, 4500, 8000) < 1e-3 * band_energy(x, 4500, 8000)
    assert band_energy(y, 600, 3000) > 0.95 * band_energy(x, 600, 3000)


def test_microphone_tilt_is_a_slope_around_1khz():
    x = np.random.default_rng(2).standard_normal(4 * RATE)
    y = tilt(x, 3.0)
    ratio = lambda lo, hi: band_energy(y, lo, hi) / band_energy(x, lo, hi)  # noqa: E731
    assert 10 * np.log10(ratio(3800, 4200)) > 5 and 10 * np.log10(ratio(240, 260)) < -5
    assert abs(10 * np.log10(ratio(950, 1050))) < 0.5


def test_room_and_microphone_keeps_lengths_and_changes_only_chosen_items():
    rng = np.random.default_rng(3)
    waves = [torch.from_numpy(rng.standard_normal(n).astype(np.float32) * 0.1) for n in (16000, 4000, 48000)]
    assert room_and_microphone(waves, 0.0, rng) is waves
    out = room_and_microphone(waves, 1.0, rng)
    assert [len(w) for w in out] == [16000, 4000, 48000]
    assert all(w.dtype == torch.float32 and w.abs().max() <= 1.0 for w in out)
    assert all(not torch.equal(a, b) for a, b in zip(waves, out, strict=True))


def test_auto_precision_follows_the_cpu():
    assert native_bf16() == bool({"avx512_bf16", "amx_bf16"} & cpu_flags())
    assert auto_precision(torch.device("cpu")) == ("bf16" if native_bf16() else "fp32")
