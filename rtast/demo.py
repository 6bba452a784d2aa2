"""`rtast demo`: a generated scene with known events, played through the whole live path.

For machines without a microphone: the scene is written to a temporary WAV file and replayed
at real-time speed through the same capture -> frontend -> engine -> events path as
`rtast listen`, so what the detector reports can be compared with what was played.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from rtast.audiofile import load_audio
from rtast.fbank import SAMPLE_RATE
from rtast.reference import Played


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE


def siren(seconds: float) -> np.ndarray:
    """A wailing siren: a square-ish tone sweeping 700-1500 Hz every 2 s."""
    t = _t(seconds)
    freq = 1100 + 400 * np.sin(2 * np.pi * t / 2.0)
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    return np.tanh(3 * np.sin(phase)) * 0.3


def busy_tone(seconds: float, freq: float = 425.0, on: float = 0.48, off: float = 0.48) -> np.ndarray:
    """A telephone busy tone (the European 425 Hz, on and off every half second)."""
    t = _t(seconds)
    gate = ((t % (on + off)) < on).astype(float)
    ramp = np.convolve(gate, np.ones(80) / 80, mode="same")  # 5-ms edges, no clicks
    return np.sin(2 * np.pi * freq * t) * ramp * 0.3


def speech(text: str) -> np.ndarray | None:
    """espeak-ng speech at 16 kHz, or None where espeak-ng is not installed."""
    if shutil.which("espeak-ng") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
        return load_audio(path) * 0.8


def make_scene(seed: int = 0) -> tuple[np.ndarray, list[Played]]:
    """A ~20-s scene: siren, busy tone, speech (if espeak-ng exists) and noise, with gaps: classes the default
    model detects (it still misses beeps and referee whistles: its card says so)."""
    rng = np.random.default_rng(seed)
    parts: list[tuple[str, np.ndarray]] = [("Siren", siren(3.0)), ("Busy signal", busy_tone(3.0))]
    spoken = speech("Hello, this is the rtast demo. The detector should hear me speaking now.")
    if spoken is not None:
        parts.append(("Speech", spoken))
    parts.append(("White noise", rng.standard_normal(int(2.5 * SAMPLE_RATE)) * 0.05))
    audio, events, cursor = [np.zeros(SAMPLE_RATE)], [], 1.0
    for label, sound in parts:
        events.append(Played(label, cursor, cursor + len(sound) / SAMPLE_RATE))
        audio += [sound, np.zeros(int(1.5 * SAMPLE_RATE))]
        cursor += len(sound) / SAMPLE_RATE + 1.5
    scene = np.concatenate(audio).astype(np.float32)
    scene += (rng.standard_normal(len(scene)) * 1e-4).astype(np.float32)  # a faint room floor
    return scene, events


def write_scene(path: str | Path, seed: int = 0) -> list[Played]:
    scene, events = make_scene(seed)
    sf.write(str(path), scene, SAMPLE_RATE, subtype="PCM_16")
    return events
