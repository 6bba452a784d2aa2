"""Synthesise a strongly labelled sound-event corpus from sounds that Debian ships and from signal synthesis.

``python -m train.corpus OUT_DIR`` renders SOURCE sounds (espeak-ng speech, General MIDI instruments played
by fluidsynth, recordings of the freedesktop sound theme, synthesised sirens, beeps, whistles, tones and
noise), each tagged with an AudioSet class, and mixes them into 10-s scenes at 16 kHz with exact event
times. Sources are split into TRAIN and disjoint HELD-OUT sources: the eval scenes use other voices and
languages, another soundfont with other programs and melodies, other recordings and other synthesis
parameters than the train scenes.

Written under OUT_DIR:

- ``labels.csv``: ``index,mid,display_name`` of the classes, with their AudioSet mids;
- ``{train,eval}/clips/scene_00001.wav`` …: 16-bit PCM, 16 kHz mono scenes;
- ``{train,eval}/manifest.json``: AST format ``{"data": [{"wav": "clips/…", "labels": "mid,mid"}]}``;
- ``{train,eval}/events.tsv``: DCASE strong labels ``filename onset offset event_label``;
- ``{train,eval}/scenes.json``: per scene the background and each event's source, level and times;
- ``sources.json``: every source (voice, program, file, synthesis parameters) and its split;
- ``sources/``: the rendered sources, reused by later runs.

The sources do not depend on ``--seed`` (they use a fixed seed, so every corpus has the same ones);
the seed chooses the scenes. The same seed gives byte-identical output.

"Silence" is not a class: a scene without events (4 % of them) has an empty label list, because the gaps
between events in every other scene are just as silent and carry no label either.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from tqdm import tqdm

from rtast.fbank import SAMPLE_RATE

GENERATOR_VERSION = 1  # bump when rendering changes, so cached sources are rendered again
SOURCE_SEED = 20240917  # fixed: the sources are the same for every --seed
SPLITS = ("train", "eval")
SPLIT_IDS = {"train": 0, "eval": 1}
FRAME = 160  # 10 ms analysis frames for trimming and levels
TRIM_DB = -35.0  # a source's extent: where frames are within this many dB of its loudest frame
TONE_LIMIT_HZ = 7600.0  # synthesised partials fade out towards this frequency (Nyquist is 8 kHz)
SOURCE_PEAK = 0.9  # sources are cached peak-normalised to this
SCENE_PEAK = 0.89  # -1 dBFS: scenes louder than this are scaled down, never clipped

THEME_DIR = Path("/usr/share/sounds/freedesktop/stereo")
THEME_PACKAGE = "sound-theme-freedesktop"


class MissingDependencyError(RuntimeError):
    """A Debian package that the corpus needs is not installed; the message names it."""


@dataclass(frozen=True)
class SoundFont:
    path: Path
    package: str
    name: str


# Train instruments come from one soundfont and held-out ones from an unrelated other (TimGM6mb and
# csound's sf_GMbank share samples, FluidR3 Mono does not share with either), so eval never reuses a sample.
SOUNDFONTS = {
    "train": SoundFont(Path("/usr/share/sounds/sf3/FluidR3Mono_GM.sf3"), "fluidr3mono-gm-soundfont", "FluidR3 Mono GM"),
    "eval": SoundFont(Path("/usr/share/sounds/sf2/TimGM6mb.sf2"), "timgm6mb-soundfont", "TimGM6mb"),
}
TOOLS = {"espeak-ng": "espeak-ng", "fluidsynth": "fluidsynth"}  # executable -> Debian package


# --- dependencies ---


def missing_dependencies() -> list[tuple[str, str]]:
    """(what is missing, the Debian package that provides it) for each missing tool, soundfont or sound theme."""
    missing = [(f"the {tool} program", package) for tool, package in TOOLS.items() if shutil.which(tool) is None]
    for font in SOUNDFONTS.values():
        if not font.path.is_file():
            missing.append((f"the soundfont {font.path}", font.package))
    absent = [name for name in THEME_FILES if not (THEME_DIR / name).is_file()]
    if absent:
        missing.append((f"the sound theme files {THEME_DIR}/{absent[0]} …", THEME_PACKAGE))
    return missing


def check_dependencies() -> None:
    """Raise MissingDependencyError naming every missing Debian package."""
    missing = missing_dependencies()
    if missing:
        what = "; ".join(f"{thing} (Debian package {package})" for thing, package in missing)
        packages = " ".join(sorted({package for _, package in missing}))
        raise MissingDependencyError(f"the corpus generator needs {what}. Install with: apt-get install {packages}")


def package_version(package: str) -> str | None:
    """The installed version of a Debian package, or None when dpkg does not know it."""
    try:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


# --- AudioSet classes ---


def audioset_classes() -> dict[str, tuple[int, str]]:
    """AudioSet display name -> (index, mid), from the ontology CSV shipped with rtast."""
    text = resources.files("rtast").joinpath("data/audioset_class_labels_indices.csv").read_text("utf-8")
    return {row["display_name"]: (int(row["index"]), row["mid"]) for row in csv.DictReader(text.splitlines())}


# --- source descriptions ---


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


# Speech: espeak-ng voices, with sentences written for this corpus; train and eval share neither voice nor text.
SENTENCES = {
    "en-train": (
        "The morning train to the city was late again today.",
        "Please remember to switch off the lights when you leave the room.",
        "We planted tomatoes and beans in the garden last spring.",
        "Could you tell me the way to the nearest post office?",
        "The children were laughing as they ran across the field.",
        "Our meeting has been moved to Thursday afternoon at three.",
        "She bought a new bicycle and rode it all the way to the lake.",
        "The weather forecast says it will rain all weekend.",
        "He opened the window and listened to the birds outside.",
        "Dinner will be ready in about twenty minutes.",
        "The library closes early on Sundays and public holidays.",
        "I think we should leave before the traffic gets worse.",
    ),
    "en-eval": (
        "A cup of hot tea is the best thing on a cold evening.",
        "The museum has a new exhibition about ancient ships.",
        "Turn left at the bakery and walk straight for two blocks.",
        "My brother is learning to play the drums this year.",
        "The battery is almost empty, so I need to charge my phone.",
        "They watched the sunset from the top of the hill.",
        "Every Friday we order pizza and watch an old film.",
        "The river was so calm that it looked like a mirror.",
    ),
    "de": (
        "Heute Morgen war der Zug wieder einmal zu spät.",
        "Kannst du mir bitte das Salz reichen?",
        "Wir fahren im Sommer mit dem Fahrrad an die Ostsee.",
        "Das Wetter soll am Wochenende sonnig und warm werden.",
        "Die Kinder spielen im Garten mit dem kleinen Hund.",
        "Ich habe das Buch in zwei Tagen zu Ende gelesen.",
        "Der Supermarkt an der Ecke hat bis zehn Uhr geöffnet.",
        "Morgen treffen wir uns um acht Uhr vor dem Bahnhof.",
    ),
    "fr": (
        "Le train de ce matin est encore arrivé en retard.",
        "Pourriez-vous me dire où se trouve la gare, s'il vous plaît ?",
        "Nous avons passé nos vacances au bord de la mer.",
        "Il fait beau aujourd'hui, allons nous promener au parc.",
        "Ma sœur prépare un gâteau au chocolat pour ce soir.",
        "Le musée est fermé le lundi et les jours fériés.",
        "Les enfants jouent au football dans la cour de l'école.",
        "Je voudrais un café et un croissant, s'il vous plaît.",
    ),
    "es": (
        "El autobús de la mañana llegó tarde otra vez.",
        "¿Puedes decirme dónde está la estación de tren?",
        "Este verano vamos a viajar a la costa con mis abuelos.",
        "Hace mucho calor, vamos a la piscina esta tarde.",
        "Mi hermano está aprendiendo a tocar la guitarra.",
        "La tienda de la esquina abre a las nueve de la mañana.",
        "Los niños juegan en el parque después de la escuela.",
        "Me gustaría una mesa para dos personas, por favor.",
    ),
    "it": (
        "Il treno per Roma parte alle otto e mezza.",
        "Domani andiamo al mare con i nostri amici.",
        "Vorrei un caffè e un bicchiere d'acqua, per favore.",
        "La biblioteca è chiusa la domenica pomeriggio.",
        "Mia nonna prepara la pasta fatta in casa ogni sabato.",
        "Scusi, sa dirmi dove si trova la farmacia?",
    ),
    "pt": (
        "O comboio para Lisboa sai às nove horas.",
        "Amanhã vamos jantar a casa dos meus pais.",
        "Gostaria de um café e um pastel de nata, por favor.",
        "O tempo está ótimo para um passeio na praia.",
        "As crianças brincam no jardim depois da escola.",
        "Pode dizer-me onde fica a estação de autocarros?",
    ),
    "nl": (
        "De trein naar Amsterdam vertrekt om half negen.",
        "Morgen gaan we met de fiets naar het strand.",
        "Mag ik een kopje koffie en een stuk appeltaart?",
        "De bibliotheek is op zondag de hele dag gesloten.",
        "Mijn broer speelt elke zaterdag voetbal met zijn vrienden.",
        "Kunt u mij vertellen waar het station is?",
    ),
}
VOICES = {  # split -> (espeak-ng voice, sentence set)
    "train": (
        ("en", "en-train"),
        ("en-us", "en-train"),
        ("en+f3", "en-train"),
        ("en+m1", "en-train"),
        ("de", "de"),
        ("de+f2", "de"),
        ("fr", "fr"),
        ("fr+f2", "fr"),
        ("es", "es"),
        ("es+f3", "es"),
    ),
    "eval": (
        ("en+m3", "en-eval"),
        ("en+f4", "en-eval"),
        ("it", "it"),
        ("pt", "pt"),
        ("nl", "nl"),
    ),
}
SPEECH_RATES = {"train": (140, 160, 180), "eval": (150, 170)}  # words per minute (espeak-ng -s)
SPEECH_PITCHES = {"train": (40, 50, 60), "eval": (35, 55, 65)}  # espeak-ng -p, 0..99


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


@dataclass(frozen=True)
class ThemeFile:
    label: str
    split: str
    note: str  # what the recording is, as checked by listening to its spectrum and envelope
    croppable: bool = False
    weight: float = 1.0
    trim_db: float = TRIM_DB


THEME_FILES = {
    # Real speech (one adult female speaker names loudspeaker positions): files split between train and eval.
    "audio-channel-front-left.oga": ThemeFile("Speech", "train", "spoken words 'front left'", weight=5.0),
    "audio-channel-front-right.oga": ThemeFile("Speech", "train", "spoken words 'front right'", weight=5.0),
    "audio-channel-front-center.oga": ThemeFile("Speech", "train", "spoken words 'front center'", weight=5.0),
    "audio-channel-rear-left.oga": ThemeFile("Speech", "train", "spoken words 'rear left'", weight=5.0),
    "audio-channel-rear-right.oga": ThemeFile("Speech", "train", "spoken words 'rear right'", weight=5.0),
    "audio-channel-rear-center.oga": ThemeFile("Speech", "eval", "spoken words 'rear center'", weight=5.0),
    "audio-channel-side-left.oga": ThemeFile("Speech", "eval", "spoken words 'side left'", weight=5.0),
    "audio-channel-side-right.oga": ThemeFile("Speech", "eval", "spoken words 'side right'", weight=5.0),
    # Single recordings of a class are held out: train learns the class from synthesis, eval tests it on these.
    "alarm-clock-elapsed.oga": ThemeFile(
        "Alarm clock",
        "eval",
        "digital alarm clock: pairs of ~4.1 kHz beeps every ~1.1 s, over a -60 dB noise floor",
        croppable=True,
        weight=4.0,
        trim_db=-20.0,
    ),
    "phone-incoming-call.oga": ThemeFile(
        "Ringtone", "eval", "electronic telephone ringer: 860/1080 Hz trill at ~12.5 Hz", weight=4.0
    ),
    "phone-outgoing-busy.oga": ThemeFile(
        "Busy signal", "eval", "European busy tone: 425 Hz, ~0.5 s on / 0.5 s off, 8 kHz telephone audio", True, 4.0
    ),
    "suspend-error.oga": ThemeFile("Beep, bleep", "eval", "a 1.2 s 1424 Hz error beep", weight=4.0),
    "bell.oga": ThemeFile("Bell", "eval", "a short bell 'ding' (0.14 s; inharmonic partials 824-2007 Hz)", weight=2.0),
    "audio-test-signal.oga": ThemeFile(
        "Pink noise", "eval", "audio test noise with about equal energy per octave (125 Hz - 8 kHz)", weight=2.0
    ),
}


def theme_sources(split: str) -> list[Source]:
    """Recordings from the freedesktop sound theme (decoded from Ogg Vorbis by libsndfile)."""
    sources = []
    for name, spec in THEME_FILES.items():
        if spec.split != split:
            continue
        params = {"file": str(THEME_DIR / name), "note": spec.note, "trim_db": spec.trim_db}
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


@dataclass(frozen=True)
class Instrument:
    """A class played by General MIDI presets: (bank, program, preset name) per split, a note range, a style."""

    label: str
    style: str  # "keys", "strum", "melody", "mallet", "strikes" or "drums"
    low: int  # MIDI note range (drums: unused)
    high: int
    train: tuple[tuple[int, int, str], ...]  # in SOUNDFONTS["train"]
    eval: tuple[tuple[int, int, str], ...]  # in SOUNDFONTS["eval"]
    per_split: tuple[int, int] = (18, 8)  # melodies per class: train, eval


INSTRUMENTS = (
    Instrument(
        "Piano",
        "keys",
        36,
        96,
        ((0, 0, "Acoustic Grand Piano"), (0, 3, "Honky-tonk Piano")),
        ((0, 1, "Bright Acoustic Piano"), (0, 2, "Electric Grand Piano")),
    ),
    Instrument(
        "Guitar",
        "strum",
        40,
        84,
        ((0, 24, "Acoustic Guitar (nylon)"), (0, 27, "Electric Guitar (clean)"), (0, 30, "Distortion Guitar")),
        ((0, 25, "Acoustic Guitar (steel)"), (0, 26, "Electric Guitar (jazz)"), (0, 29, "Overdriven Guitar")),
    ),
    Instrument("Violin, fiddle", "melody", 55, 93, ((0, 40, "Violin"), (8, 40, "Slow Violin")), ((0, 110, "Fiddle"),)),
    Instrument(
        "Flute", "melody", 60, 93, ((0, 73, "Flute"), (0, 75, "Pan Flute")), ((0, 72, "Piccolo"), (0, 74, "Recorder"))
    ),
    Instrument(
        "Organ",
        "keys",
        36,
        84,
        ((0, 16, "Drawbar Organ"), (0, 19, "Church Organ"), (0, 20, "Reed Organ")),
        ((0, 17, "Percussive Organ"), (0, 18, "Rock Organ")),
    ),
    Instrument("Trumpet", "melody", 55, 82, ((0, 56, "Trumpet"),), ((0, 59, "Muted Trumpet"),)),
    Instrument(
        "Saxophone",
        "melody",
        46,
        80,
        ((0, 65, "Alto Sax"), (0, 66, "Tenor Sax")),
        ((0, 64, "Soprano Sax"), (0, 67, "Baritone Sax")),
    ),
    Instrument(
        "Accordion", "keys", 48, 84, ((0, 21, "Accordion"), (8, 21, "Italian Accordion")), ((0, 23, "Tango Accordion"),)
    ),
    Instrument("Marimba, xylophone", "mallet", 48, 96, ((0, 12, "Marimba"),), ((0, 13, "Xylophone"),)),
    Instrument(
        "Drum",
        "drums",
        0,
        0,
        ((128, 0, "Standard kit"), (128, 8, "Room kit"), (128, 16, "Power kit")),
        ((128, 0, "Standard kit"), (128, 32, "Jazz kit"), (128, 40, "Brush kit")),
    ),
    Instrument("Bell", "strikes", 55, 84, ((8, 14, "Church Bell"),), ((0, 112, "Tinkle Bell"),), per_split=(8, 4)),
)
# Drum notes (GM percussion key map): only drums, no cymbals or hi-hats, different drums in eval.
DRUM_NOTES = {
    "train": {"kick": (36,), "snare": (38,), "toms": (41, 45, 48)},  # bass drum 1, acoustic snare, toms
    "eval": {"kick": (35,), "snare": (40,), "toms": (43, 47, 50)},  # acoustic bass drum, electric snare, toms
}
SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "pentatonic": (0, 2, 4, 7, 9),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
}


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


# Synthesis parameter sets: train and eval never share a parameter combination (the group names them).
SIRENS = {
    "train": (
        {"mode": "wail", "low": 550, "high": 1350, "period": 4.0, "timbre": "saw"},
        {"mode": "wail", "low": 600, "high": 1450, "period": 5.0, "timbre": "square"},
        {"mode": "wail", "low": 500, "high": 1250, "period": 6.0, "timbre": "triangle"},
        {"mode": "yelp", "low": 600, "high": 1400, "period": 0.30, "timbre": "square"},
        {"mode": "yelp", "low": 650, "high": 1500, "period": 0.36, "timbre": "saw"},
        {"mode": "hilo", "low": 440, "high": 585, "period": 1.2, "timbre": "saw"},
        {"mode": "hilo", "low": 490, "high": 650, "period": 1.6, "timbre": "square"},
        {"mode": "hilo", "low": 370, "high": 494, "period": 1.0, "timbre": "triangle"},
    ),
    "eval": (
        {"mode": "wail", "low": 720, "high": 1750, "period": 2.6, "timbre": "square"},
        {"mode": "yelp", "low": 700, "high": 1650, "period": 0.20, "timbre": "triangle"},
        {"mode": "hilo", "low": 435, "high": 488, "period": 1.1, "timbre": "square"},
        {"mode": "hilo", "low": 660, "high": 880, "period": 0.9, "timbre": "saw"},
    ),
}
BEEPS = {  # frequency Hz, count, on s, gap s, timbre
    "train": (
        (1000, 1, 0.25, 0.0, "sine"),
        (2000, 2, 0.08, 0.08, "sine"),
        (800, 3, 0.15, 0.10, "square"),
        (1500, 1, 0.60, 0.0, "sine"),
        (2500, 2, 0.12, 0.06, "triangle"),
        (1200, 1, 0.10, 0.0, "square"),
        (3000, 3, 0.05, 0.05, "sine"),
        (600, 2, 0.30, 0.20, "triangle"),
    ),
    "eval": (
        (1800, 1, 0.35, 0.0, "square"),
        (900, 2, 0.10, 0.10, "sine"),
        (2200, 3, 0.07, 0.07, "triangle"),
        (700, 1, 0.15, 0.0, "sine"),
    ),
}
ALARMS = {  # frequency Hz, pulse on s, pulse off s, pulses per group, group period s, timbre
    "train": (
        (3100, 0.06, 0.06, 4, 1.0, "square"),
        (2700, 0.10, 0.10, 2, 0.8, "square"),
        (3400, 0.05, 0.05, 3, 0.9, "sine"),
        (3900, 0.08, 0.08, 4, 1.2, "square"),
        (2900, 0.12, 0.08, 2, 1.0, "sine"),
        (3600, 0.04, 0.04, 6, 1.0, "square"),
        (3200, 0.20, 0.20, 1, 0.8, "square"),
        (2800, 0.07, 0.07, 4, 1.4, "triangle"),
    ),
    "eval": (
        (2600, 0.09, 0.09, 3, 1.1, "square"),
        (3700, 0.06, 0.05, 4, 0.9, "sine"),
        (3000, 0.15, 0.15, 2, 1.3, "square"),
        (4000, 0.05, 0.05, 5, 1.2, "square"),
    ),
}
RINGTONES = {  # two trill frequencies Hz, trill rate Hz, ring cadence [(on s, off s) ...], timbre
    "train": (
        (1000, 1250, 16, ((1.2, 0.8),), "square"),
        (900, 1200, 20, ((1.0, 1.0),), "triangle"),
        (1300, 1600, 12, ((1.5, 0.6),), "square"),
        (800, 1000, 25, ((0.4, 0.2), (0.4, 1.2)), "sine"),
        (1100, 1400, 18, ((2.0, 1.0),), "triangle"),
        (1500, 1900, 15, ((1.0, 0.5),), "square"),
        (700, 880, 10, ((1.2, 0.8),), "triangle"),
        (1200, 1500, 22, ((0.4, 0.2), (0.4, 1.0)), "square"),
    ),
    "eval": (
        (750, 950, 17, ((1.0, 0.7),), "square"),
        (1400, 1750, 13, ((1.3, 0.9),), "triangle"),
        (950, 1150, 24, ((0.4, 0.2), (0.4, 1.4)), "sine"),
        (1050, 1320, 11, ((1.6, 0.8),), "square"),
    ),
}
BUSY_TONES = {  # national busy tones: frequencies Hz, cadence (on s, off s)
    "train": (
        ("US", (480, 620), (0.5, 0.5)),
        ("UK", (400,), (0.375, 0.375)),
        ("Japan", (400,), (0.5, 0.5)),
        ("India", (400,), (0.75, 0.75)),
        ("China", (450,), (0.35, 0.35)),
        ("Russia", (425,), (0.4, 0.4)),
    ),
    "eval": (
        ("Spain", (425,), (0.2, 0.2)),
        ("Brazil", (425,), (0.25, 0.25)),
        ("Australia", (425,), (0.375, 0.375)),
    ),
}
WHISTLES = {  # pea (referee) whistle: frequency Hz, pea trill Hz, blast pattern [(blast s, gap s) ...]
    "train": (
        (2400, 28, ((1.2, 0.0),)),
        (2800, 35, ((0.25, 0.15), (0.25, 0.15), (0.9, 0.0))),
        (3200, 42, ((0.6, 0.3), (0.6, 0.0))),
        (3600, 28, ((1.6, 0.0),)),
        (2400, 42, ((0.3, 0.2), (0.3, 0.2), (0.3, 0.0))),
        (2800, 28, ((2.0, 0.0),)),
        (3200, 35, ((0.15, 0.1), (0.15, 0.1), (1.2, 0.0))),
        (3600, 42, ((0.8, 0.4), (0.8, 0.0))),
    ),
    "eval": (
        (2600, 24, ((1.4, 0.0),)),
        (3000, 32, ((0.2, 0.12), (0.2, 0.12), (1.0, 0.0))),
        (3400, 46, ((0.5, 0.25), (0.5, 0.0))),
        (3000, 24, ((0.25, 0.2), (0.25, 0.2), (0.25, 0.0))),
    ),
}
WHISTLING = {  # human whistling: register Hz, vibrato rate Hz, vibrato depth (fraction of the pitch)
    "train": tuple(((900, 1800), 5.0, 0.010) if k % 2 else ((1100, 2200), 6.0, 0.020) for k in range(8)),
    "eval": tuple(((1000, 2000), 4.5, 0.015) if k % 2 else ((1200, 2400), 6.5, 0.025) for k in range(4)),
}
BELL_PARTIALS = {  # ratio to the strike note, amplitude, decay time as a fraction of the bell's
    # Risset's bell (Dodge & Jerse), with its beating pairs: train
    "risset": (
        (0.56, 1.0, 1.0),
        (0.5625, 0.67, 0.9),
        (0.92, 1.0, 0.65),
        (0.925, 1.8, 0.55),
        (1.19, 2.67, 0.325),
        (1.7, 1.67, 0.35),
        (2.0, 1.46, 0.25),
        (2.74, 1.33, 0.2),
        (3.0, 1.33, 0.15),
        (3.76, 1.0, 0.1),
        (4.07, 1.33, 0.075),
    ),
    # a tuned church bell (hum, prime, minor-third tierce, quint, nominal, upper partials): eval
    "church": (
        (0.5, 0.6, 1.0),
        (1.0, 0.9, 0.7),
        (1.2, 1.0, 0.55),
        (1.5, 0.5, 0.45),
        (2.0, 1.0, 0.5),
        (2.5, 0.4, 0.3),
        (3.0, 0.35, 0.25),
        (4.0, 0.25, 0.18),
        (5.33, 0.15, 0.12),
    ),
}
BELLS = {  # strike frequency Hz, partial set, decay s
    "train": tuple((f, "risset", d) for f, d in ((196, 6.0), (294, 5.0), (415, 4.0), (587, 3.0)) for _ in range(2)),
    "eval": ((262, "church", 5.5), (370, "church", 4.5), (523, "church", 3.5), (698, "church", 2.5)),
}
NOISES = {  # class -> split -> (algorithm, sources)
    "White noise": {"train": ("gaussian", 4), "eval": ("uniform", 2)},
    "Pink noise": {"train": ("fft-1/f", 4), "eval": ("voss-mccartney", 2)},
}


def _synth(split: str, label: str, k: int, params: dict, group: str, croppable: bool = False) -> Source:
    sid = f"{split}/{_slug(label)}/synth-{params['type']}-{k:02d}"
    return Source(sid, label, split, "synthesis", group, params, "", croppable)


def synth_sources(split: str) -> list[Source]:
    """Synthesised sirens, beeps, alarm clocks, ringtones, busy tones, whistles, whistling, bells and noise."""
    out = []
    for k, p in enumerate(SIRENS[split]):
        group = f"siren {p['mode']} {p['low']}-{p['high']} Hz period {p['period']} s"
        out.append(_synth(split, "Siren", k, {"type": "siren", "seconds": 9.0, "start": k / 8, **p}, group, True))
    for k, (freq, count, on, gap, timbre) in enumerate(BEEPS[split]):
        p = {"type": "beep", "freq": freq, "count": count, "on": on, "gap": gap, "timbre": timbre}
        out.append(_synth(split, "Beep, bleep", k, p, f"beep {freq} Hz x{count} {on}/{gap} s {timbre}"))
    for k, (freq, on, off, size, period, timbre) in enumerate(ALARMS[split]):
        p = {"type": "alarm", "seconds": 9.0, "freq": freq, "on": on, "off": off, "group": size, "period": period}
        p["timbre"] = timbre
        out.append(_synth(split, "Alarm clock", k, p, f"alarm {freq} Hz {on}/{off} s x{size} every {period} s", True))
    for k, (f1, f2, trill, cadence, timbre) in enumerate(RINGTONES[split]):
        p = {"type": "ringtone", "seconds": 9.0, "f1": f1, "f2": f2, "trill": trill, "cadence": cadence}
        p["timbre"] = timbre
        out.append(_synth(split, "Ringtone", k, p, f"ringtone {f1}/{f2} Hz trill {trill} Hz", True))
    for k, (country, freqs, cadence) in enumerate(BUSY_TONES[split]):
        p = {"type": "busy", "seconds": 9.0, "country": country, "freqs": freqs, "cadence": cadence}
        out.append(_synth(split, "Busy signal", k, p, f"busy tone {country}", True))
    for k, (freq, trill, blasts) in enumerate(WHISTLES[split]):
        p = {"type": "whistle", "freq": freq, "trill": trill, "blasts": blasts, "seed": k}
        out.append(_synth(split, "Whistle", k, p, f"pea whistle {freq} Hz trill {trill} Hz blasts {blasts}"))
    for k, (register, rate, depth) in enumerate(WHISTLING[split]):
        p = {
            "type": "whistling",
            "register": register,
            "vibrato": rate,
            "depth": depth,
            "seed": 100 * SPLIT_IDS[split] + k,
        }
        out.append(_synth(split, "Whistling", k, p, f"whistling {register[0]}-{register[1]} Hz vibrato {rate} Hz"))
    for k, (freq, partials, decay) in enumerate(BELLS[split]):
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


def frame_db(x: np.ndarray) -> np.ndarray:
    """Energy of each 10-ms frame in dB (the last frame zero-padded)."""
    padded = np.pad(x.astype(np.float64), (0, -len(x) % FRAME))
    energy = np.mean(padded.reshape(-1, FRAME) ** 2, axis=1)
    return 10.0 * np.log10(energy + 1e-20)


def active_span(x: np.ndarray, rel_db: float = TRIM_DB) -> tuple[int, int] | None:
    """[start, end) samples from the first to the last frame within ``rel_db`` of the loudest, or None if silent."""
    if len(x) == 0:
        return None
    db = frame_db(x)
    peak = float(db.max())
    if peak < -100.0:
        return None
    frames = np.flatnonzero(db > peak + rel_db)
    threshold = 10.0 ** ((peak + rel_db) / 20.0)
    first = x[frames[0] * FRAME : (frames[0] + 1) * FRAME]
    last = x[frames[-1] * FRAME : (frames[-1] + 1) * FRAME]
    start = frames[0] * FRAME + int(np.argmax(np.abs(first) >= threshold))
    end = frames[-1] * FRAME + len(last) - int(np.argmax(np.abs(last[::-1]) >= threshold))
    return start, max(end, start + 1)


def fade(x: np.ndarray, seconds: float = 0.005) -> np.ndarray:
    """Raised-cosine fade-in and fade-out at both ends."""
    n = min(int(seconds * SAMPLE_RATE), len(x) // 2)
    if n < 1:
        return x
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)
    y = x.copy()
    y[:n] *= ramp
    y[-n:] *= ramp[::-1]
    return y


def trim(x: np.ndarray, rel_db: float = TRIM_DB) -> np.ndarray:
    """``x`` without its leading and trailing quiet parts, with short fades (empty if silent)."""
    span = active_span(x, rel_db)
    return np.zeros(0, x.dtype) if span is None else fade(x[span[0] : span[1]])


def active_rms(x: np.ndarray) -> float:
    """RMS over the frames within 20 dB of the loudest: the level of a sound while it sounds."""
    db = frame_db(x)
    loud = db > db.max() - 20.0
    return float(np.sqrt(np.mean(10.0 ** (db[loud] / 10.0))))


def to_16k_mono(audio: np.ndarray, rate: int) -> np.ndarray:
    """(n,) or (n, channels) at ``rate`` -> (m,) float64 at 16 kHz, resampled with soxr (in float32)."""
    mono = (audio.mean(axis=1) if audio.ndim == 2 else audio).astype(np.float32)
    return (mono if rate == SAMPLE_RATE else soxr.resample(mono, rate, SAMPLE_RATE)).astype(np.float64)


# --- rendering: espeak-ng and sound theme files ---


def render_espeak(source: Source) -> np.ndarray:
    """Speak the source's sentence with espeak-ng (22.05 kHz WAV on stdout)."""
    p = source.params
    cmd = ["espeak-ng", "-v", p["voice"], "-s", str(p["rate"]), "-p", str(p["pitch"]), "--stdout", p["text"]]
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode != 0 or not done.stdout:
        raise RuntimeError(f"espeak-ng failed for voice {p['voice']!r}: {done.stderr.decode(errors='replace').strip()}")
    audio, rate = sf.read(io.BytesIO(done.stdout), dtype="float64")
    return to_16k_mono(audio, rate)


def render_theme(source: Source) -> np.ndarray:
    """Decode a freedesktop sound theme file (Ogg Vorbis) to 16 kHz mono."""
    audio, rate = sf.read(source.params["file"], dtype="float64", always_2d=True)
    return to_16k_mono(audio, rate)


# --- rendering: fluidsynth ---

TICKS_PER_BEAT = 480
TICKS_PER_SECOND = 960  # at the default tempo of 120 beats per minute
SEGMENT_TAIL = 2.0  # seconds kept after a segment's last note-off (release and reverb)
FLUIDSYNTH_BATCH = 48  # sources per fluidsynth run; runs go in parallel


def _vlq(value: int) -> bytes:
    """A MIDI variable-length quantity."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


def midi_file(events: list[tuple[int, int, bytes]]) -> bytes:
    """A format-0 Standard MIDI File from (tick, order, message) events; order breaks ties (offs first)."""
    track, now = bytearray(), 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):
        track += _vlq(tick - now) + message
        now = tick
    track += _vlq(0) + b"\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_BEAT)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)


def _ticks(seconds: float) -> int:
    return round(seconds * TICKS_PER_SECOND)


def segment_events(source: Source, start: float) -> tuple[list[tuple[int, int, bytes]], float]:
    """MIDI events playing ``source`` from ``start`` s (bank, program, notes), and when its last note ends."""
    p = source.params
    channel = 9 if p["drums"] else 0
    events = [(_ticks(start), 1, bytes([0xB0 | channel, 121, 0]))]  # reset controllers
    if not p["drums"]:
        events.append((_ticks(start), 1, bytes([0xB0 | channel, 0, p["bank"]])))  # bank select
    events.append((_ticks(start), 1, bytes([0xC0 | channel, p["program"]])))
    first, end = start + 0.05, start + 0.05
    for onset, duration, note, velocity in p["notes"]:
        on, off = first + onset, first + onset + duration
        events.append((_ticks(on), 2, bytes([0x90 | channel, int(note), int(velocity)])))
        events.append((_ticks(off), 0, bytes([0x80 | channel, int(note), 0])))
        end = max(end, off)
    events.append((_ticks(end + 0.01), 1, bytes([0xB0 | channel, 123, 0])))  # all notes off
    return events, end


def render_soundfont(font: Path, sources: list[Source]) -> dict[str, np.ndarray]:
    """Play every source in one fluidsynth run, one after another with gaps, and cut them apart."""
    events, windows, t = [], [], 0.2
    for source in sources:
        segment, end = segment_events(source, t)
        events += segment
        windows.append((t, end + SEGMENT_TAIL))
        t = end + SEGMENT_TAIL + 0.3
    with tempfile.TemporaryDirectory(prefix="rtast-corpus-") as tmp:
        midi, wav = Path(tmp) / "sources.mid", Path(tmp) / "sources.wav"
        midi.write_bytes(midi_file(events))
        cmd = ["fluidsynth", "-n", "-i", "-q", "-C", "0", "-T", "wav", "-O", "float", "-r", "44100", "-F", str(wav)]
        done = subprocess.run([*cmd, str(font), str(midi)], capture_output=True, text=True, check=False)
        if done.returncode != 0 or not wav.is_file():
            raise RuntimeError(f"fluidsynth failed on {font}: {done.stderr.strip() or done.stdout.strip()}")
        audio, rate = sf.read(str(wav), dtype="float32", always_2d=True)
    mono = to_16k_mono(audio, rate)
    return {
        s.id: mono[round(a * SAMPLE_RATE) : round(b * SAMPLE_RATE)] for s, (a, b) in zip(sources, windows, strict=True)
    }


# --- rendering: synthesis ---


def harmonics(timbre: str) -> list[tuple[int, float]]:
    """(harmonic number, amplitude) of a waveform: sine, saw, square or triangle."""
    if timbre == "sine":
        return [(1, 1.0)]
    if timbre == "saw":
        return [(n, 1.0 / n) for n in range(1, 40)]
    if timbre == "square":
        return [(n, 1.0 / n) for n in range(1, 40, 2)]
    if timbre == "triangle":
        return [(n, (-1.0) ** (n // 2) / n**2) for n in range(1, 40, 2)]
    raise ValueError(f"unknown timbre {timbre!r}; use sine, saw, square or triangle")


def tone(freq: np.ndarray, timbre: str = "sine", phase0: float = 0.0) -> np.ndarray:
    """A band-limited tone following the per-sample frequency track ``freq`` (Hz)."""
    phase = phase0 + 2.0 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    out = np.zeros(len(freq))
    for n, amp in harmonics(timbre):
        weight = np.clip((TONE_LIMIT_HZ - n * freq) / 500.0, 0.0, 1.0)
        if not weight.any():
            break
        out += amp * weight * np.sin(n * phase)
    return out


def smooth(x: np.ndarray, seconds: float) -> np.ndarray:
    """Moving-average smoothing (for gates and pitch glides), same length, edges held."""
    n = max(int(seconds * SAMPLE_RATE), 1)
    if n == 1:
        return x
    padded = np.pad(x, (n // 2, n - 1 - n // 2), mode="edge")
    return np.convolve(padded, np.ones(n) / n, mode="valid")


def gate(total: float, intervals: list[tuple[float, float]], ramp: float = 0.005) -> np.ndarray:
    """An on/off envelope of ``total`` s, on during each (start, end) interval, with ``ramp``-s edges."""
    g = np.zeros(round(total * SAMPLE_RATE))
    for a, b in intervals:
        g[round(a * SAMPLE_RATE) : round(b * SAMPLE_RATE)] = 1.0
    return smooth(g, ramp)


def cadence(total: float, pattern: list[tuple[float, float]] | tuple, offset: float = 0.0) -> list[tuple[float, float]]:
    """On intervals of a repeating (on, off) cadence filling ``total`` s."""
    intervals, t = [], offset
    while t < total:
        for on, off in pattern:
            intervals.append((t, min(t + on, total)))
            t += on + off
    return intervals


def band_noise(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """Gaussian noise band-limited to [low, high] Hz, unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    x = np.fft.irfft(spectrum * ((freqs >= low) & (freqs <= high)), n)
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def shaped_noise(rng: np.random.Generator, n: int, exponent: float, uniform: bool = False) -> np.ndarray:
    """Noise with power spectrum ~ 1/f**exponent (0 white, 1 pink, 2 brown) above 20 Hz, unit RMS."""
    white = rng.uniform(-1.0, 1.0, n) if uniform else rng.standard_normal(n)
    if exponent:
        freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
        white = np.fft.irfft(np.fft.rfft(white) / np.maximum(freqs, 20.0) ** (exponent / 2.0), n)
    return white / (np.sqrt(np.mean(white**2)) + 1e-12)


def voss_pink(rng: np.random.Generator, n: int, rows: int = 16) -> np.ndarray:
    """Pink noise by the Voss-McCartney method: white rows held for 1, 2, 4 … samples, summed; unit RMS."""
    x = rng.standard_normal(n)
    for k in range(1, rows):
        hold = 2**k
        x += np.repeat(rng.standard_normal(n // hold + 1), hold)[:n]
    x -= x.mean()
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def synth_siren(p: dict) -> np.ndarray:
    """Electronic siren: wail (slow rise and fall), yelp (fast sweeps) or hi-lo (two alternating tones)."""
    t = np.arange(round(p["seconds"] * SAMPLE_RATE)) / SAMPLE_RATE
    u = (t / p["period"] + p["start"]) % 1.0
    if p["mode"] == "hilo":
        shape = smooth((u < 0.5).astype(float), 0.02)
    else:
        rise = 0.6 if p["mode"] == "wail" else 0.85
        shape = np.where(u < rise, u / rise, (1.0 - u) / (1.0 - rise))
        shape = 0.5 - 0.5 * np.cos(np.pi * shape)
    return tone(p["low"] + (p["high"] - p["low"]) * shape, p["timbre"])


def synth_beep(p: dict) -> np.ndarray:
    """One to three electronic beeps."""
    total = p["count"] * (p["on"] + p["gap"]) + 0.02
    intervals = [
        (0.01 + k * (p["on"] + p["gap"]), 0.01 + k * (p["on"] + p["gap"]) + p["on"]) for k in range(p["count"])
    ]
    envelope = gate(total, intervals)
    return envelope * tone(np.full(len(envelope), float(p["freq"])), p["timbre"])


def synth_alarm(p: dict) -> np.ndarray:
    """Digital alarm clock: groups of short high beeps, repeated."""
    rest = p["period"] - p["group"] * p["on"] - (p["group"] - 1) * p["off"]
    pulses = [(p["on"], p["off"])] * (p["group"] - 1) + [(p["on"], rest)]
    envelope = gate(p["seconds"], cadence(p["seconds"], pulses, 0.02), 0.003)
    return envelope * tone(np.full(len(envelope), float(p["freq"])), p["timbre"])


def synth_ringtone(p: dict) -> np.ndarray:
    """Electronic telephone ringer: a fast trill between two tones, in rings."""
    n = round(p["seconds"] * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    freq = np.where((t * p["trill"]) % 1.0 < 0.5, float(p["f1"]), float(p["f2"]))
    envelope = gate(p["seconds"], cadence(p["seconds"], p["cadence"], 0.02), 0.004)
    return envelope * tone(smooth(freq, 0.002), p["timbre"])


def telephone_band(x: np.ndarray) -> np.ndarray:
    """Band-limit to the 300-3400 Hz telephone channel."""
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1.0 / SAMPLE_RATE)
    return np.fft.irfft(spectrum * ((freqs >= 300.0) & (freqs <= 3400.0)), len(x))


def synth_busy(p: dict) -> np.ndarray:
    """A national busy tone: steady tone(s) in an on/off cadence, through a telephone band."""
    n = round(p["seconds"] * SAMPLE_RATE)
    mixed = sum(tone(np.full(n, float(f))) for f in p["freqs"]) / len(p["freqs"])
    envelope = gate(p["seconds"], cadence(p["seconds"], [tuple(p["cadence"])], 0.02), 0.01)
    return telephone_band(envelope * mixed)


def synth_whistle(p: dict) -> np.ndarray:
    """Pea (referee) whistle: a high tone warbled by the rolling pea, with breath noise, in blasts."""
    rng = _rng(3, p["seed"], p["freq"], p["trill"])
    intervals, t = [], 0.01
    for blast, pause in p["blasts"]:
        intervals.append((t, t + blast))
        t += blast + pause
    total = t + 0.02
    n = round(total * SAMPLE_RATE)
    time = np.arange(n) / SAMPLE_RATE
    warble = np.sin(2.0 * np.pi * p["trill"] * time)
    x = tone(p["freq"] * (1.0 + 0.03 * warble)) * (1.0 - 0.45 * (0.5 + 0.5 * warble))
    x += 0.12 * band_noise(rng, n, p["freq"] - 800.0, p["freq"] + 800.0)
    return gate(total, intervals, 0.015)[:n] * x


def synth_whistling(p: dict) -> np.ndarray:
    """Human whistling: a tune of pure tones with glides, vibrato and a little breath."""
    rng = _rng(4, p["seed"])
    low, high = p["register"]
    steps = np.arange(0, 37)
    pitches = [f for f in low * 2.0 ** (steps / 12.0) if f <= high]
    scale = SCALES[str(rng.choice(sorted(SCALES)))]
    pitches = [f for i, f in enumerate(pitches) if i % 12 in scale]
    track, intervals, t, pos = [], [], 0.05, int(rng.integers(len(pitches)))
    for _ in range(int(rng.integers(4, 12))):
        length = float(rng.uniform(0.15, 0.6))
        pos = int(np.clip(pos + int(rng.integers(-2, 3)), 0, len(pitches) - 1))
        track.append(np.full(round(length * SAMPLE_RATE), pitches[pos]))
        gap = 0.06 if rng.random() < 0.3 else 0.0
        intervals.append((t, t + length - gap))
        t += length
    total = t + 0.05
    n = round(total * SAMPLE_RATE)
    freq = np.pad(np.concatenate(track), (round(0.05 * SAMPLE_RATE), 0), mode="edge")
    freq = smooth(np.pad(freq, (0, max(n - len(freq), 0)), mode="edge")[:n], 0.04)
    time = np.arange(n) / SAMPLE_RATE
    freq = freq * (1.0 + p["depth"] * np.sin(2.0 * np.pi * p["vibrato"] * time))
    x = tone(freq) + 0.04 * band_noise(rng, n, 800.0, 4000.0)
    return gate(total, intervals, 0.02)[:n] * x


def synth_bell(p: dict) -> np.ndarray:
    """A struck bell: inharmonic partials with exponential decays, struck one to three times."""
    rng = _rng(5, p["seed"])
    strikes = np.cumsum([0.0, *rng.uniform(0.9, 1.8, int(rng.integers(0, 3)))])
    n = round((strikes[-1] + p["decay"]) * SAMPLE_RATE)
    out = np.zeros(n)
    for strike in strikes:
        start = round(strike * SAMPLE_RATE)
        t = np.arange(n - start) / SAMPLE_RATE
        ring = np.zeros(len(t))
        for ratio, amp, decay in BELL_PARTIALS[p["partials"]]:
            freq = p["freq"] * ratio
            if freq < TONE_LIMIT_HZ:
                ring += (
                    amp * np.exp(-6.9 * t / (p["decay"] * decay)) * np.sin(2.0 * np.pi * freq * t + rng.uniform(0, 6.3))
                )
        out[start:] += ring * float(rng.uniform(0.6, 1.0))
    return out


def synth_noise(p: dict) -> np.ndarray:
    """White (gaussian or uniform) or pink (1/f by FFT shaping, or Voss-McCartney) noise."""
    rng = _rng(6, p["seed"], zlib.crc32(p["algorithm"].encode("utf-8")))
    n = round(p["seconds"] * SAMPLE_RATE)
    if p["algorithm"] == "voss-mccartney":
        return voss_pink(rng, n)
    exponent = 1.0 if p["algorithm"] == "fft-1/f" else 0.0
    return shaped_noise(rng, n, exponent, uniform=p["algorithm"] == "uniform")


SYNTHS: dict[str, Callable[[dict], np.ndarray]] = {
    "siren": synth_siren,
    "beep": synth_beep,
    "alarm": synth_alarm,
    "ringtone": synth_ringtone,
    "busy": synth_busy,
    "whistle": synth_whistle,
    "whistling": synth_whistling,
    "bell": synth_bell,
    "white-noise": synth_noise,
    "pink-noise": synth_noise,
}


def render_synth(source: Source) -> np.ndarray:
    return SYNTHS[source.params["type"]](source.params)


# --- the source cache ---


def cache_key(source: Source, versions: dict[str, str | None]) -> str:
    """A short hash of everything that determines a source's audio."""
    what = {
        "generator": GENERATOR_VERSION,
        "rate": SAMPLE_RATE,
        "kind": source.kind,
        "params": source.params,
        "package": versions.get(source.package) if source.package else None,
        "tool": versions.get("fluidsynth") if source.kind == "fluidsynth" else None,
    }
    return hashlib.sha1(json.dumps(what, sort_keys=True).encode("utf-8")).hexdigest()[:10]


def finish_source(audio: np.ndarray, source: Source) -> np.ndarray:
    """Trim a rendered source to where its energy is and peak-normalise it."""
    x = trim(np.asarray(audio, np.float64), source.params.get("trim_db", TRIM_DB))
    if len(x) < FRAME:
        raise RuntimeError(f"source {source.id} rendered silent (check {source.kind} and {source.package or 'numpy'})")
    return x * (SOURCE_PEAK / np.max(np.abs(x)))


def render_jobs(sources: list[Source]) -> list[tuple[str, Callable[[], dict[str, np.ndarray]]]]:
    """(description, job) pairs that render ``sources``; each job returns {source id: 16 kHz audio}."""
    jobs = []
    fonts = sorted({s.params["soundfont_file"] for s in sources if s.kind == "fluidsynth"})
    for font in fonts:
        midi = [s for s in sources if s.kind == "fluidsynth" and s.params["soundfont_file"] == font]
        for i in range(0, len(midi), FLUIDSYNTH_BATCH):
            batch = midi[i : i + FLUIDSYNTH_BATCH]
            what = f"fluidsynth {batch[0].params['soundfont']}"
            jobs.append((what, lambda m=batch, f=Path(font): render_soundfont(f, m)))
    from rtast.train.realsources import render_file  # it builds on this module

    single = {"espeak-ng": render_espeak, "sound-theme": render_theme, "synthesis": render_synth}
    single["debian-file"] = render_file
    for source in sources:
        if source.kind in single:
            jobs.append((source.id, lambda s=source, r=single[source.kind]: {s.id: r(s)}))
    return jobs


def load_sources(out_dir: Path, sources: list[Source], progress: bool, workers: int = 4) -> None:
    """Fill every source's ``audio`` from the cache under out_dir/sources, rendering what is missing."""
    versions = {p: package_version(p) for p in sorted({s.package for s in sources if s.package} | {"fluidsynth"})}
    for source in sources:
        source.file = f"sources/{source.id}.{cache_key(source, versions)}.wav"
    missing = [s for s in sources if not (out_dir / s.file).is_file()]
    by_id = {s.id: s for s in sources}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(job): what for what, job in render_jobs(missing)}
        for future in tqdm(as_completed(futures), total=len(futures), desc="render sources", disable=not progress):
            try:
                rendered = future.result()
            except (OSError, RuntimeError, sf.LibsndfileError) as e:
                raise RuntimeError(f"rendering {futures[future]} failed: {e}") from e
            for sid, audio in rendered.items():
                path = out_dir / by_id[sid].file
                path.parent.mkdir(parents=True, exist_ok=True)
                sf.write(str(path), finish_source(audio, by_id[sid]).astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
    for source in sources:
        source.audio = sf.read(str(out_dir / source.file), dtype="float32")[0]
    remove_stale_cache(out_dir, {s.file for s in sources})


def remove_stale_cache(out_dir: Path, keep: set[str]) -> None:
    """Delete cached source files that no current source uses."""
    root = out_dir / "sources"
    for path in root.rglob("*.wav"):
        if path.relative_to(out_dir).as_posix() not in keep:
            path.unlink()


# --- scenes ---

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


def scene_name(index: int) -> str:
    return f"scene_{index:05d}.wav"


def write_labels(out_dir: Path, names: list[str]) -> dict[str, str]:
    """Write labels.csv (index,mid,display_name in ``names`` order) and return name -> mid."""
    table = audioset_classes()
    with (out_dir / "labels.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["index", "mid", "display_name"])
        writer.writerows([i, table[name][1], name] for i, name in enumerate(names))
    return {name: table[name][1] for name in names}


def event_note(event: Event) -> dict:
    """An event as described in scenes.json."""
    return {
        "label": event.label,
        "onset": round(event.onset, 3),
        "offset": round(event.offset, 3),
        "source": event.source,
        "level_db": event.level_db,
    }


def build_split(
    out_dir: Path,
    split: str,
    count: int,
    seed: int,
    pools: dict[str, list[Source]],
    mids: dict[str, str],
    n: int,
    progress: bool,
) -> int:
    """Mix and write ``count`` scenes of one split with their manifest, events and scene notes; returns events."""
    folder = out_dir / split
    clips = folder / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    for old in clips.glob("scene_*.wav"):
        old.unlink()
    order = list(mids)
    entries, rows, notes = [], [], []
    for index in tqdm(range(1, count + 1), desc=f"{split} scenes", disable=not progress):
        rng = np.random.default_rng([seed, SPLIT_IDS[split], index])
        audio, events, bg, norm_db = mix_scene(rng, pools, n)
        name = scene_name(index)
        sf.write(str(clips / name), audio.astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
        present = sorted({e.label for e in events}, key=order.index)
        entries.append({"wav": f"clips/{name}", "labels": ",".join(mids[label] for label in present)})
        rows += [(name, f"{e.onset:.3f}", f"{e.offset:.3f}", e.label) for e in events]
        notes.append(
            {
                "wav": f"clips/{name}",
                "background": bg,
                "normalise_db": norm_db,
                "events": [event_note(e) for e in events],
            }
        )
    (folder / "manifest.json").write_text(json.dumps({"data": entries}, indent=1) + "\n", encoding="utf-8")
    with (folder / "events.tsv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["filename", "onset", "offset", "event_label"])
        writer.writerows(rows)
    (folder / "scenes.json").write_text(json.dumps({"scenes": notes}, indent=1) + "\n", encoding="utf-8")
    return len(rows)


def source_record(source: Source, mids: dict[str, str]) -> dict:
    """A source as described in sources.json."""
    return {
        "id": source.id,
        "label": source.label,
        "mid": mids[source.label],
        "split": source.split,
        "kind": source.kind,
        "group": source.group,
        "package": source.package or None,
        "croppable": source.croppable,
        "weight": source.weight,
        "seconds": round(len(source.audio) / SAMPLE_RATE, 3),
        "file": source.file,
        "params": source.params,
    }


def write_sources(out_dir: Path, sources: list[Source], mids: dict[str, str], fetched: dict | None = None) -> None:
    """sources.json: the packages, classes and every source, for the model card.

    ``fetched``: Debian packages of real recordings (name -> train.debsources.Package), with their licences.
    """
    fetched = fetched or {}
    packages = sorted(({s.package for s in sources if s.package} | {"fluidsynth"}) - set(fetched))
    counts = {
        name: {split: sum(s.label == name and s.split == split for s in sources) for split in SPLITS} for name in mids
    }
    document = {
        "generator": "rtast.train.corpus",
        "generator_version": GENERATOR_VERSION,
        "source_seed": SOURCE_SEED,
        "sample_rate": SAMPLE_RATE,
        "packages": {p: package_version(p) for p in packages},
        "recordings": {name: p.record() for name, p in fetched.items()},
        "soundfonts": {
            split: {"file": str(f.path), "package": f.package, "name": f.name} for split, f in SOUNDFONTS.items()
        },
        "classes": [{"display_name": n, "mid": mids[n], "sources": counts[n]} for n in mids],
        "sources": [source_record(s, mids) for s in sources],
    }
    (out_dir / "sources.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def build_corpus(
    out_dir: str | Path,
    train_scenes: int,
    eval_scenes: int,
    seed: int,
    scene_seconds: float = 10.0,
    progress: bool = True,
    real_table: str | None = None,
) -> dict:
    """Render the sources (or reuse them from out_dir/sources) and write the train and eval scenes.

    ``real_table``: the text of a real-sources table (train/realsources.py; ``"default"`` for the shipped
    one). Its packages are fetched, and a class it covers is learned and tested from those recordings
    only: its synthetic and espeak-ng sources are dropped. Its soundfont rows add instruments.

    Returns counts: classes, scenes, events and sources per split.

    Raises:
        MissingDependencyError: a needed Debian package is not installed (the message names it).
        ValueError: a negative scene count or seed, or a scene length under one second.
    """
    if train_scenes < 0 or eval_scenes < 0:
        raise ValueError(f"scene counts must be >= 0, got train {train_scenes} and eval {eval_scenes}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if not scene_seconds >= 1.0:
        raise ValueError(f"scene_seconds must be at least 1 s, got {scene_seconds}")
    check_dependencies()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sources, fetched = all_sources(), {}
    if real_table is not None:
        from rtast.train.realsources import default_table, read_table, real_sources

        real, fetched = real_sources(read_table(default_table() if real_table == "default" else real_table))
        covered = {s.label for s in real if s.kind == "debian-file"}
        synthetic = ("synthesis", "espeak-ng")
        sources = [s for s in sources if not (s.label in covered and s.kind in synthetic)] + real
    names = class_names(sources, need_train=train_scenes > 0)  # held-out scenes alone need no train sources
    sources = [s for s in sources if s.label in names]
    load_sources(out_dir, sources, progress)
    mids = write_labels(out_dir, names)
    write_sources(out_dir, sources, mids, fetched)
    n = round(scene_seconds * SAMPLE_RATE)
    counts = {"classes": len(names)}
    for split, count in zip(SPLITS, (train_scenes, eval_scenes), strict=True):
        pools = {name: [s for s in sources if s.label == name and s.split == split] for name in names}
        counts[f"{split}_scenes"] = count
        counts[f"{split}_events"] = build_split(out_dir, split, count, seed, pools, mids, n, progress)
        counts[f"{split}_sources"] = sum(s.split == split for s in sources)
    return counts


HELP = """\
Synthesise a strongly labelled sound-event corpus for training rtast models: 10-s, 16 kHz mono scenes
mixing 0-4 events (speech, instruments, alarms, sirens, beeps, whistles, noise) over silence or a
low background, with exact onsets and offsets. Eval scenes use held-out sources only (other voices and
languages, another soundfont with other programs and melodies, other recordings, other synthesis
parameters).

Writes under OUT_DIR: labels.csv (index,mid,display_name), {train,eval}/manifest.json (AST format),
{train,eval}/events.tsv (DCASE), {train,eval}/scenes.json, {train,eval}/clips/*.wav, sources.json
(every source and its split, for the model card) and sources/ (rendered sources, reused next time).
The sources are the same for every seed; the seed chooses the scenes; the same seed gives the same bytes.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m train.corpus",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Needs the Debian packages espeak-ng, fluidsynth, fluidr3mono-gm-soundfont, timgm6mb-soundfont "
        "and sound-theme-freedesktop.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="folder to write the corpus to (created)")
    parser.add_argument("--train-scenes", type=int, default=2000, metavar="N", help="training scenes (default 2000)")
    parser.add_argument("--eval-scenes", type=int, default=400, metavar="M", help="held-out scenes (default 400)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="chooses the scenes (default 0)")
    parser.add_argument(
        "--scene-seconds", type=float, default=10.0, metavar="SECONDS", help="scene length (default 10)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--real",
        nargs="?",
        const="default",
        metavar="TABLE",
        help="add real recordings from Debian packages (fetched with apt-get download into the cache) as listed "
        "in TABLE (default: the reviewed train/data/real_sources.tsv); classes they cover drop their synthesis",
    )
    args = parser.parse_args(argv)
    try:
        table = None if args.real is None or args.real == "default" else Path(args.real).read_text("utf-8")
        counts = build_corpus(
            args.out_dir,
            args.train_scenes,
            args.eval_scenes,
            args.seed,
            args.scene_seconds,
            not args.quiet,
            real_table=table or args.real,
        )
    except (RuntimeError, ValueError) as e:  # MissingDependencyError, a failed renderer, bad arguments
        print(f"python -m train.corpus: {e}", file=sys.stderr)
        return 2
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
