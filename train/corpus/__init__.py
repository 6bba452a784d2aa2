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

Stages, one module each: tables (what is played), deps, sources, melodies, signals, midi, synth, render,
cache, scenes, write, build; ``__main__`` is the command line.
"""

from rtast.train.corpus.build import build_corpus
from rtast.train.corpus.cache import GENERATOR_VERSION, cache_key, finish_source, load_sources
from rtast.train.corpus.deps import (
    SOUNDFONTS,
    THEME_DIR,
    THEME_PACKAGE,
    MissingDependencyError,
    SoundFont,
    check_dependencies,
    missing_dependencies,
    package_version,
)
from rtast.train.corpus.render import render_espeak, render_jobs, render_soundfont, render_theme
from rtast.train.corpus.scenes import Event, mix_scene
from rtast.train.corpus.signals import FRAME, SOURCE_PEAK, TRIM_DB, active_rms, active_span, fade, to_16k_mono, trim
from rtast.train.corpus.sources import (
    SOURCE_SEED,
    SPLIT_IDS,
    SPLITS,
    Source,
    _slug,
    all_sources,
    audioset_classes,
    class_names,
    instrument_sources,
    speech_sources,
    synth_sources,
    theme_sources,
)
from rtast.train.corpus.synth import SYNTHS, render_synth
from rtast.train.corpus.tables import INSTRUMENTS, THEME_FILES, Instrument, ThemeFile
from rtast.train.corpus.write import build_split, write_labels, write_sources

__all__ = [
    "FRAME",
    "GENERATOR_VERSION",
    "INSTRUMENTS",
    "SOUNDFONTS",
    "SOURCE_PEAK",
    "SOURCE_SEED",
    "SPLITS",
    "SPLIT_IDS",
    "SYNTHS",
    "THEME_DIR",
    "THEME_FILES",
    "THEME_PACKAGE",
    "TRIM_DB",
    "Event",
    "Instrument",
    "MissingDependencyError",
    "SoundFont",
    "Source",
    "ThemeFile",
    "_slug",
    "active_rms",
    "active_span",
    "all_sources",
    "audioset_classes",
    "build_corpus",
    "build_split",
    "cache_key",
    "check_dependencies",
    "class_names",
    "fade",
    "finish_source",
    "instrument_sources",
    "load_sources",
    "missing_dependencies",
    "mix_scene",
    "package_version",
    "render_espeak",
    "render_jobs",
    "render_soundfont",
    "render_synth",
    "render_theme",
    "speech_sources",
    "synth_sources",
    "theme_sources",
    "to_16k_mono",
    "trim",
    "write_labels",
    "write_sources",
]
