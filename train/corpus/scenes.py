"""Scene mixing: a background and 0-4 events from the split's sources, at random levels and times."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rtast.fbank import SAMPLE_RATE
from rtast.train.corpus.signals import FRAME, SOURCE_PEAK, active_rms, trim
from rtast.train.corpus.sources import Source
from rtast.train.corpus.synth import shaped_noise

SCENE_PEAK = 0.89  # -1 dBFS: scenes louder than this are scaled down, never clipped

EVENT_COUNTS = (0, 1, 2, 3, 4)
EVENT_COUNT_WEIGHTS = (0.04, 0.30, 0.30, 0.22, 0.14)  # 0 events: a scene with only its background
EVENT_LEVEL_DB = (-30.0, -12.0)  # event level (active RMS, dBFS) range
CROP_SECONDS = (1.5, 8.0)  # length range of a stretch cut from a croppable source
BACKGROUNDS = {  # kind: (probability, level range dBFS RMS); never a labelled class
    "silence": (0.3, None),
    "noise floor": (0.2, (-84.0, -72.0)),  # faint white noise, like a quiet recording chain
    "room": (0.5, (-60.0, -45.0)),  # brown (1/f^2) rumble
}


@dataclass
class Event:
    label: str
    onset: float  # seconds
    offset: float
    source: str  # source id
    level_db: float  # active RMS in the scene before any scene normalisation


def background(rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict]:
    """A scene background: digital silence, a faint noise floor or a low rumble."""
    kinds = list(BACKGROUNDS)
    kind = kinds[int(rng.choice(len(kinds), p=[BACKGROUNDS[k][0] for k in kinds]))]
    levels = BACKGROUNDS[kind][1]
    if levels is None:
        return np.zeros(n), {"kind": kind, "level_db": None}
    level = float(rng.uniform(*levels))
    noise = shaped_noise(rng, n, 0.0 if kind == "noise floor" else 2.0)
    return noise * 10.0 ** (level / 20.0), {"kind": kind, "level_db": round(level, 2)}


# Speech is what users meet first, and its sources vary most (speakers, languages, microphones): it is
# drawn this many times as often as any other class.
CLASS_WEIGHTS = {"Speech": 6.0}
UTTERANCE_GAP = (0.1, 0.5)  # seconds between recorded utterances strung into one stretch of speech


def pick_label(rng: np.random.Generator, labels: list[str]) -> str:
    weights = np.array([CLASS_WEIGHTS.get(label, 1.0) for label in labels])
    return labels[int(rng.choice(len(labels), p=weights / weights.sum()))]


def speech_stretch(
    rng: np.random.Generator, x: np.ndarray, source: Source, pool: list[Source], n_scene: int
) -> np.ndarray:
    """Half of the time, 1-4 more utterances of the same speaker after ``x``: people rarely say one word."""
    if source.kind != "debian-file" or rng.random() < 0.5:
        return x
    same = [s for s in pool if s.group == source.group]
    for _ in range(int(rng.integers(1, 5))):
        nxt = same[int(rng.integers(len(same)))].audio
        gap = np.zeros(int(rng.uniform(*UTTERANCE_GAP) * SAMPLE_RATE))
        if len(x) + len(gap) + len(nxt) > n_scene // 2:
            break
        x = np.concatenate([x, gap, nxt])
    return x


def pick_source(rng: np.random.Generator, pool: list[Source]) -> Source:
    weights = np.array([s.weight for s in pool])
    return pool[int(rng.choice(len(pool), p=weights / weights.sum()))]


def event_audio(rng: np.random.Generator, source: Source, n_scene: int) -> np.ndarray:
    """The source's audio for one event: a random stretch of a croppable source, at most the scene long."""
    x = source.audio.astype(np.float64)
    max_len = min(len(x), n_scene)
    if source.croppable and len(x) > CROP_SECONDS[0] * SAMPLE_RATE:
        seconds = rng.uniform(CROP_SECONDS[0], min(CROP_SECONDS[1], max_len / SAMPLE_RATE))
        length = min(round(seconds * SAMPLE_RATE), max_len)
        start = int(rng.integers(0, len(x) - length + 1))
        x = x[start : start + length]
    elif len(x) > n_scene:
        x = x[:n_scene]
    y = trim(x)
    return y if len(y) >= FRAME else trim(source.audio[:max_len].astype(np.float64))


def mix_scene(
    rng: np.random.Generator, pools: dict[str, list[Source]], n: int
) -> tuple[np.ndarray, list[Event], dict, float]:
    """(audio, events sorted by onset, background description, normalisation gain in dB) of one scene."""
    mix, bg = background(rng, n)
    events = []
    count = int(rng.choice(EVENT_COUNTS, p=EVENT_COUNT_WEIGHTS))
    labels = sorted(pools)
    for _ in range(count):
        label = pick_label(rng, labels)
        source = pick_source(rng, pools[label])
        x = event_audio(rng, source, n)
        if label == "Speech":
            x = speech_stretch(rng, x, source, pools[label], n)
        level = float(rng.uniform(*EVENT_LEVEL_DB))
        gain = min(10.0 ** (level / 20.0) / active_rms(x), SOURCE_PEAK / np.max(np.abs(x)))
        start = int(rng.integers(0, n - len(x) + 1))
        mix[start : start + len(x)] += gain * x
        level = 20.0 * math.log10(gain * active_rms(x))
        events.append(Event(label, start / SAMPLE_RATE, (start + len(x)) / SAMPLE_RATE, source.id, round(level, 2)))
    peak = float(np.max(np.abs(mix))) if n else 0.0
    scale = min(1.0, SCENE_PEAK / peak) if peak > 0 else 1.0
    events.sort(key=lambda e: (e.onset, e.offset, e.label))
    return mix * scale, events, bg, round(20.0 * math.log10(scale), 2)


# --- writing ---
