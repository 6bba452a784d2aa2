"""Random note lists for the General MIDI sources: melodies and chords, bell strikes and drum patterns."""

from __future__ import annotations

import numpy as np

from rtast.train.corpus.tables import SCALES


def _scale_pitches(rng: np.random.Generator, low: int, high: int) -> list[int]:
    scale = SCALES[str(rng.choice(sorted(SCALES)))]
    root = int(rng.integers(12))
    return [n for n in range(low, high + 1) if (n - root) % 12 in scale]


def tonal_notes(rng: np.random.Generator, low: int, high: int, style: str) -> list[list[float]]:
    """A random melody as [start s, duration s, MIDI note, velocity] rows, 1.5-5 s long.

    "keys" and "strum" add chords (strummed for "strum"), "mallet" plays short notes, "melody" is
    monophonic and sometimes one held note.
    """
    pitches = _scale_pitches(rng, low, high)
    beat = 60.0 / rng.uniform(72, 150)
    target = rng.uniform(1.5, 5.0)
    if style == "melody" and rng.random() < 0.15:
        return [[0.0, round(target, 3), pitches[int(rng.integers(len(pitches)))], int(rng.integers(70, 112))]]
    lengths = (0.25, 0.5, 0.5, 1.0) if style == "mallet" else (0.5, 1.0, 1.0, 1.5, 2.0)
    chord_chance = {"keys": 0.35, "strum": 0.5}.get(style, 0.0)
    pos = int(rng.integers(len(pitches) // 4, 3 * len(pitches) // 4 + 1))
    notes, t = [], 0.0
    while t < target:
        length = beat * float(rng.choice(lengths))
        pos = int(np.clip(pos + int(rng.choice((-2, -1, -1, 0, 1, 1, 2))), 0, len(pitches) - 1))
        velocity = int(rng.integers(70, 112))
        chord = [pos] + ([k for k in (pos - 2, pos - 4) if k >= 0] if rng.random() < chord_chance else [])
        for i, k in enumerate(chord):
            delay = 0.025 * i if style == "strum" else 0.0
            notes.append([round(t + delay, 3), round(max(0.9 * length - delay, 0.05), 3), pitches[k], velocity])
        t += length
    return notes


def strike_notes(rng: np.random.Generator, low: int, high: int) -> list[list[float]]:
    """One to three bell strikes, 0.8-1.6 s apart."""
    pitches = _scale_pitches(rng, low, high)
    notes, t = [], 0.0
    for _ in range(int(rng.integers(1, 4))):
        notes.append([round(t, 3), 1.0, pitches[int(rng.integers(len(pitches)))], int(rng.integers(80, 120))])
        t += rng.uniform(0.8, 1.6)
    return notes


def drum_notes(rng: np.random.Generator, kit: dict[str, tuple[int, ...]]) -> list[list[float]]:
    """A one- to two-bar drum pattern in eighths: kick and snare grooves with tom fills."""
    step = 30.0 / rng.uniform(80, 150)
    steps = int(rng.choice((8, 12, 16)))
    notes = []
    for s in range(steps):
        t = round(s * step, 3)
        if (s % 4 == 0 and rng.random() < 0.9) or (s % 2 == 0 and rng.random() < 0.25):
            notes.append([t, 0.1, int(rng.choice(kit["kick"])), int(rng.integers(90, 120))])
        if s % 4 == 2 and rng.random() < 0.9:
            notes.append([t, 0.1, int(rng.choice(kit["snare"])), int(rng.integers(85, 120))])
        elif rng.random() < 0.1:
            notes.append([t, 0.1, int(rng.choice(kit["snare"])), int(rng.integers(40, 70))])
        if (s >= steps - 4 and rng.random() < 0.6) or rng.random() < 0.08:
            notes.append([t, 0.1, int(rng.choice(kit["toms"])), int(rng.integers(80, 115))])
    return notes or [[0.0, 0.1, kit["kick"][0], 100]]
