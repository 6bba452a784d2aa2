"""Write ``fbank_reference.npz``: torchaudio Kaldi fbank outputs for tests.

Run with a Python that has torch, torchaudio, numpy and soxr installed (not
the main environment), with ``espeak-ng`` on PATH::

    /tmp/ta-venv/bin/python tests/data/make_fbank_reference.py

For each input ``<name>`` the archive holds ``<name>_wave`` (the 16 kHz
float32 waveform, before mean subtraction) and ``<name>_fbank`` (the AST
frontend: 128 mel bins, Hanning window, 10 ms shift, no dither, float32 of
shape (frames, 128)). It also holds ``speech_fbank80_nosnip`` (80 mel bins,
``low_freq=20``, ``snip_edges=False``) and ``versions`` (torch, torchaudio).
"""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Any

import numpy as np
import soxr
import torch
import torchaudio

SR = 16000
OUT = Path(__file__).resolve().parent / "fbank_reference.npz"
SENTENCE = "The quick brown fox jumps over the lazy dog"


def speech() -> np.ndarray:
    """Synthesize SENTENCE with espeak-ng and resample it to 16 kHz."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.wav"
        subprocess.run(["espeak-ng", "-w", str(path), SENTENCE], check=True)
        with wave.open(str(path), "rb") as f:
            assert f.getsampwidth() == 2 and f.getnchannels() == 1
            sr = f.getframerate()
            pcm = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2")
    x = pcm.astype(np.float32) / 32768.0
    return np.asarray(soxr.resample(x, sr, SR), dtype=np.float32)


def noise() -> np.ndarray:
    """2.0 s of white Gaussian noise, scaled by 0.1."""
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal(2 * SR)).astype(np.float32)


def tone_short() -> np.ndarray:
    """0.3 s of a 440 Hz sine, amplitude 0.5."""
    t = np.arange(int(0.3 * SR)) / SR
    return (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)


def chirp() -> np.ndarray:
    """1.5 s linear chirp from 100 Hz to 7900 Hz, amplitude 0.3."""
    dur, f0, f1 = 1.5, 100.0, 7900.0
    t = np.arange(int(dur * SR)) / SR
    phase = 2 * np.pi * (f0 * t + (f1 - f0) / (2 * dur) * t**2)
    return (0.3 * np.sin(phase)).astype(np.float32)


def fbank(x: np.ndarray, **overrides: Any) -> np.ndarray:
    """AST frontend: mean-subtracted Kaldi fbank, float32 (frames, bins)."""
    w = torch.from_numpy(x)[None]
    w = w - w.mean()
    kwargs: dict[str, Any] = {
        "htk_compat": True,
        "sample_frequency": SR,
        "use_energy": False,
        "window_type": "hanning",
        "num_mel_bins": 128,
        "dither": 0.0,
        "frame_shift": 10,
    }
    kwargs.update(overrides)
    out = torchaudio.compliance.kaldi.fbank(w, **kwargs)
    return out.numpy().astype(np.float32)


def main() -> None:
    """Compute all references and write them to OUT."""
    inputs = {
        "speech": speech(),
        "noise": noise(),
        "tone_short": tone_short(),
        "chirp": chirp(),
    }
    arrays: dict[str, np.ndarray] = {}
    for name, x in inputs.items():
        arrays[f"{name}_wave"] = x
        arrays[f"{name}_fbank"] = fbank(x)
    arrays["speech_fbank80_nosnip"] = fbank(
        inputs["speech"], num_mel_bins=80, low_freq=20, snip_edges=False
    )
    arrays["versions"] = np.array(
        [f"torch={torch.__version__}", f"torchaudio={torchaudio.__version__}"]
    )
    np.savez_compressed(OUT, **arrays)
    for key, value in arrays.items():
        print(f"{key}: {value.shape} {value.dtype}")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
