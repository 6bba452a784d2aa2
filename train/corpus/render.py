"""Rendering sources: espeak-ng speech, sound theme files, fluidsynth batches and synthesis, as jobs."""

from __future__ import annotations

import io
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from rtast.fbank import SAMPLE_RATE
from rtast.train.corpus.midi import midi_file, segment_events
from rtast.train.corpus.signals import to_16k_mono
from rtast.train.corpus.sources import Source
from rtast.train.corpus.synth import render_synth

SEGMENT_TAIL = 2.0  # seconds kept after a segment's last note-off (release and reverb)
FLUIDSYNTH_BATCH = 48  # sources per fluidsynth run; runs go in parallel


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
