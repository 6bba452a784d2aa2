"""Source descriptions: every sound the scenes are mixed from, with its AudioSet class and split."""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rtast.labels import audioset_labels, audioset_mids
from rtast.train.corpus import deps
from rtast.train.corpus.deps import SOUNDFONTS, THEME_PACKAGE, SoundFont
from rtast.train.corpus.draws import drawn_rows
from rtast.train.corpus.melodies import drum_notes, strike_notes, tonal_notes
from rtast.train.corpus.tables import (
    ALARMS,
    BEEPS,
    BELLS,
    BUSY_TONES,
    DRUM_NOTES,
    INSTRUMENTS,
    NOISES,
    RINGTONES,
    SENTENCES,
    SIRENS,
    SPEECH_PITCHES,
    SPEECH_RATES,
    THEME_FILES,
    VOICES,
    WHISTLES,
    WHISTLING,
)

SOURCE_SEED = 20240917  # fixed: the sources are the same for every --seed
SPLITS = ("train", "eval")
SPLIT_IDS = {"train": 0, "eval": 1}


def audioset_classes() -> dict[str, tuple[int, str]]:
    """AudioSet display name -> (index, mid), from the ontology shipped with rtast."""
    mids = audioset_mids()
    return {name: (index, mids[name]) for index, name in enumerate(audioset_labels())}


@dataclass
class Source:
    """One source sound: how to render it, its AudioSet class and its split."""

    id: str  # unique, e.g. "train/piano/fluidsynth-b0p0-03"
    label: str  # AudioSet display name
    split: str  # "train" or "eval"
    kind: str  # "espeak-ng", "fluidsynth", "sound-theme" or "synthesis"
    group: str  # what train and eval never share: a voice, a soundfont program, a file, a parameter set
    params: dict
    package: str  # the Debian package that provides the tool or the sound ("" for synthesis)
    croppable: bool = False  # a random stretch of it may be used (steady or repeating sounds)
    weight: float = 1.0  # relative chance of being picked among its class's sources
    audio: np.ndarray | None = field(default=None, repr=False)  # 16 kHz mono float32, trimmed, once rendered
    file: str = ""  # cache path relative to the corpus folder


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _rng(*key: int) -> np.random.Generator:
    """A generator for the source identified by ``key``, independent of the scene seed."""
    return np.random.default_rng([SOURCE_SEED, *key])


def speech_sources(split: str) -> list[Source]:
    """espeak-ng sentences: each voice reads each sentence of its language, at a varied rate and pitch."""
    sources = []
    for v, (voice, text_set) in enumerate(VOICES[split]):
        for k, text in enumerate(SENTENCES[text_set]):
            rng = _rng(SPLIT_IDS[split], 1, v, k)
            params = {
                "voice": voice,
                "text": text,
                "rate": int(rng.choice(SPEECH_RATES[split])),
                "pitch": int(rng.choice(SPEECH_PITCHES[split])),
            }
            sid = f"{split}/speech/espeak-{_slug(voice)}-{k:02d}"
            sources.append(Source(sid, "Speech", split, "espeak-ng", f"espeak-ng voice {voice}", params, "espeak-ng"))
    return sources


def theme_sources(split: str) -> list[Source]:
    """Recordings from the freedesktop sound theme (decoded from Ogg Vorbis by libsndfile)."""
    sources = []
    for name, spec in THEME_FILES.items():
        if spec.split != split:
            continue
        params = {"file": str(deps.THEME_DIR / name), "note": spec.note, "trim_db": spec.trim_db}
        sid = f"{split}/{_slug(spec.label)}/theme-{_slug(Path(name).stem)}"
        sources.append(
            Source(
                sid,
                spec.label,
                split,
                "sound-theme",
                f"file {name}",
                params,
                THEME_PACKAGE,
                spec.croppable,
                spec.weight,
            )
        )
    return sources


def instrument_sources(split: str, font: SoundFont | None = None, every_program: bool = False) -> list[Source]:
    """General MIDI melodies, chords, drum patterns and bell strikes, rendered by fluidsynth.

    By default the split's soundfont plays the split's programs. ``font`` plays them in another
    soundfont (a train one: its samples are never heard in eval), ``every_program`` plays the
    programs of both lists there: eval instruments then stay held out by their samples, not by program.
    """
    own = font is None
    font = font or SOUNDFONTS[split]
    # other melodies in each soundfont; the split's own keep their original seeds (and cache)
    key, tag = ((), "") if own else ((zlib.crc32(font.name.encode()),), f"{_slug(font.name)}-")
    sources = []
    for c, inst in enumerate(INSTRUMENTS):
        presets = inst.train if split == "train" else inst.eval
        if every_program:
            presets = tuple(dict.fromkeys(inst.train + inst.eval))
        count = inst.per_split[SPLIT_IDS[split]]
        per_preset = math.ceil(count / len(presets))
        for bank, program, name in presets:
            for k in range(per_preset):
                rng = _rng(SPLIT_IDS[split], 2, c, bank, program, k, *key)
                if inst.style == "drums":
                    notes = drum_notes(rng, DRUM_NOTES[split])
                elif inst.style == "strikes":
                    notes = strike_notes(rng, inst.low, inst.high)
                else:
                    notes = tonal_notes(rng, inst.low, inst.high, inst.style)
                params = {
                    "soundfont": font.name,
                    "soundfont_file": str(font.path),
                    "bank": bank,
                    "program": program,
                    "preset": name,
                    "drums": inst.style == "drums",
                    "notes": notes,
                }
                sid = f"{split}/{_slug(inst.label)}/fluidsynth-{tag}b{bank}p{program}-{k:02d}"
                group = f"{font.name} bank {bank} program {program} ({name})"
                sources.append(Source(sid, inst.label, split, "fluidsynth", group, params, font.package))
    return sources


def _synth(split: str, label: str, k: int, params: dict, group: str, croppable: bool = False) -> Source:
    sid = f"{split}/{_slug(label)}/synth-{params['type']}-{k:02d}"
    return Source(sid, label, split, "synthesis", group, params, "", croppable)


def _rows(label: str, table: dict, split: str) -> list:
    """A synthesised class's parameter sets: its table's, and for training the drawn ones after them."""
    rows = list(table[split])
    if split == "train":
        rows += drawn_rows(label, _rng(7, zlib.crc32(label.encode("utf-8"))))
    return rows


def synth_sources(split: str) -> list[Source]:
    """Synthesised sirens, beeps, alarm clocks, ringtones, busy tones, whistles, whistling, bells and noise."""
    out = []
    for k, p in enumerate(_rows("Siren", SIRENS, split)):
        group = f"siren {p['mode']} {p['low']}-{p['high']} Hz period {p['period']} s"
        out.append(_synth(split, "Siren", k, {"type": "siren", "seconds": 9.0, "start": k / 8, **p}, group, True))
    for k, (freq, count, on, gap, timbre) in enumerate(_rows("Beep, bleep", BEEPS, split)):
        p = {"type": "beep", "freq": freq, "count": count, "on": on, "gap": gap, "timbre": timbre}
        out.append(_synth(split, "Beep, bleep", k, p, f"beep {freq} Hz x{count} {on}/{gap} s {timbre}"))
    for k, (freq, on, off, size, period, timbre) in enumerate(_rows("Alarm clock", ALARMS, split)):
        p = {"type": "alarm", "seconds": 9.0, "freq": freq, "on": on, "off": off, "group": size, "period": period}
        p["timbre"] = timbre
        out.append(_synth(split, "Alarm clock", k, p, f"alarm {freq} Hz {on}/{off} s x{size} every {period} s", True))
    for k, (f1, f2, trill, cadence, timbre) in enumerate(_rows("Ringtone", RINGTONES, split)):
        p = {"type": "ringtone", "seconds": 9.0, "f1": f1, "f2": f2, "trill": trill, "cadence": cadence}
        p["timbre"] = timbre
        out.append(_synth(split, "Ringtone", k, p, f"ringtone {f1}/{f2} Hz trill {trill} Hz", True))
    for k, (country, freqs, cadence) in enumerate(_rows("Busy signal", BUSY_TONES, split)):
        p = {"type": "busy", "seconds": 9.0, "country": country, "freqs": freqs, "cadence": cadence}
        out.append(_synth(split, "Busy signal", k, p, f"busy tone {country}", True))
    for k, (freq, trill, blasts) in enumerate(_rows("Whistle", WHISTLES, split)):
        p = {"type": "whistle", "freq": freq, "trill": trill, "blasts": blasts, "seed": k}
        out.append(_synth(split, "Whistle", k, p, f"pea whistle {freq} Hz trill {trill} Hz blasts {blasts}"))
    for k, (register, rate, depth) in enumerate(_rows("Whistling", WHISTLING, split)):
        p = {
            "type": "whistling",
            "register": register,
            "vibrato": rate,
            "depth": depth,
            "seed": 100 * SPLIT_IDS[split] + k,
        }
        out.append(_synth(split, "Whistling", k, p, f"whistling {register[0]}-{register[1]} Hz vibrato {rate} Hz"))
    for k, (freq, partials, decay) in enumerate(_rows("Bell", BELLS, split)):
        p = {"type": "bell", "freq": freq, "partials": partials, "decay": decay, "seed": 100 * SPLIT_IDS[split] + k}
        out.append(_synth(split, "Bell", k, p, f"bell {partials} partials {freq} Hz"))
    for label, per_split in NOISES.items():
        algorithm, count = per_split[split]
        for k in range(count):
            p = {"type": _slug(label), "algorithm": algorithm, "seconds": 9.0, "seed": 100 * SPLIT_IDS[split] + k}
            out.append(_synth(split, label, k, p, f"{label.lower()} {algorithm}", True))
    return out


def all_sources() -> list[Source]:
    """Every source of both splits, in a fixed order."""
    builders = (speech_sources, theme_sources, instrument_sources, synth_sources)
    return [s for split in SPLITS for build in builders for s in build(split)]


def class_names(sources: list[Source], need_train: bool = True) -> list[str]:
    """The classes that have both train and eval sources (eval only, without ``need_train``), in AudioSet order."""
    table = audioset_classes()
    unknown = sorted({s.label for s in sources} - set(table))
    if unknown:
        raise ValueError(f"not AudioSet display names: {unknown}")
    names = {s.label for s in sources if s.split == "eval"}
    if need_train:
        names &= {s.label for s in sources if s.split == "train"}
    return sorted(names, key=lambda n: table[n][0])


# --- signal helpers ---
