"""`rtast demo`: a generated scene with known events, played through the whole live path.

For machines without a microphone: the scene is written to a temporary WAV file and replayed
at real-time speed through the same capture -> frontend -> engine -> events path as
`rtast listen`, so what the detector reports can be compared with what was played.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from rtast.audiofile import load_audio
from rtast.fbank import SAMPLE_RATE


@dataclass(frozen=True)
class PlannedEvent:
    label: str  # AudioSet display name
    onset: float  # seconds
    offset: float


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE


def siren(seconds: float) -> np.ndarray:
    """A wailing siren: a square-ish tone sweeping 700-1500 Hz every 2 s."""
    t = _t(seconds)
    freq = 1100 + 400 * np.sin(2 * np.pi * t / 2.0)
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    return np.tanh(3 * np.sin(phase)) * 0.3


def beeps(count: int, freq: float = 1000.0, on: float = 0.15, gap: float = 0.15) -> np.ndarray:
    """Short sine beeps with gaps."""
    tone = np.sin(2 * np.pi * freq * _t(on)) * 0.4
    silence = np.zeros(int(gap * SAMPLE_RATE))
    return np.concatenate([np.concatenate([tone, silence]) for _ in range(count)])


def whistle(seconds: float, freq: float = 2800.0) -> np.ndarray:
    """A referee-style whistle: a high tone with a fast warble."""
    t = _t(seconds)
    phase = 2 * np.pi * np.cumsum(freq * (1 + 0.03 * np.sin(2 * np.pi * 30 * t))) / SAMPLE_RATE
    return np.sin(phase) * 0.3 * np.minimum(1, np.minimum(t, seconds - t) / 0.02)


def speech(text: str) -> np.ndarray | None:
    """espeak-ng speech at 16 kHz, or None where espeak-ng is not installed."""
    if shutil.which("espeak-ng") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
        return load_audio(path) * 0.8


def make_scene(seed: int = 0) -> tuple[np.ndarray, list[PlannedEvent]]:
    """A ~20-s scene: siren, beeps, speech (if espeak-ng exists), whistle and noise, with gaps."""
    rng = np.random.default_rng(seed)
    parts: list[tuple[str, np.ndarray]] = [("Siren", siren(3.0)), ("Beep, bleep", beeps(6))]
    spoken = speech("Hello, this is the rtast demo. The detector should hear me speaking now.")
    if spoken is not None:
        parts.append(("Speech", spoken))
    parts += [("Whistle", whistle(1.5)), ("White noise", rng.standard_normal(int(2.5 * SAMPLE_RATE)) * 0.05)]
    audio, events, cursor = [np.zeros(SAMPLE_RATE)], [], 1.0
    for label, sound in parts:
        events.append(PlannedEvent(label, cursor, cursor + len(sound) / SAMPLE_RATE))
        audio += [sound, np.zeros(int(1.5 * SAMPLE_RATE))]
        cursor += len(sound) / SAMPLE_RATE + 1.5
    scene = np.concatenate(audio).astype(np.float32)
    scene += (rng.standard_normal(len(scene)) * 1e-4).astype(np.float32)  # a faint room floor
    return scene, events


def write_scene(path: str | Path, seed: int = 0) -> list[PlannedEvent]:
    scene, events = make_scene(seed)
    sf.write(str(path), scene, SAMPLE_RATE, subtype="PCM_16")
    return events
