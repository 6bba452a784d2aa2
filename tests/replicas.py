"""Tiny replicas of the dataset layouts train/ reads (ESC-50, Speech Commands V2, a folder per class),
made with espeak-ng, tones and noise, and the sound makers they use."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from conftest import require, write_wav

AUDIOSET_CSV = Path(__file__).parents[1] / "rtast" / "data" / "audioset_class_labels_indices.csv"
VOICES = ("en-us", "en-gb", "en-gb-scotland")
ESPEAK_RATE = 22050  # what espeak-ng writes


def speak(path: Path, text: str, voice: str = "en-us", rate: int = ESPEAK_RATE, channels: int = 1) -> Path:
    """``text`` spoken by espeak-ng, converted to ``rate`` Hz and ``channels`` channels."""
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, capture_output=True)
    if rate != ESPEAK_RATE or channels != 1:
        audio, _ = sf.read(str(path), dtype="float32")
        audio = soxr.resample(audio, ESPEAK_RATE, rate)
        write_wav(path, np.stack([audio] * channels, axis=1) if channels > 1 else audio, rate, "PCM_16")
    return path


def tone(path: Path, freq: float, seconds: float, rate: int, channels: int = 1) -> Path:
    t = np.arange(round(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * freq * t)
    columns = [wave * (1 - 0.5 * c) for c in range(channels)]
    return write_wav(path, np.stack(columns, axis=1) if channels > 1 else wave, rate)


def noise(path: Path, seconds: float, rate: int, seed: int, channels: int = 1) -> Path:
    samples = np.random.default_rng(seed).normal(0, 0.1, (round(seconds * rate), channels)).astype(np.float32)
    return write_wav(path, samples if channels > 1 else samples[:, 0], rate)


def esc50_replica(root: Path) -> Path:
    """ESC-50: meta/esc50.csv (7 columns, rows not ordered by target) and audio/{fold}-{src}-{take}-{target}.wav."""
    require("espeak-ng")
    (root / "audio").mkdir()
    (root / "meta").mkdir()
    rows = []
    for fold in range(1, 6):
        for target, category in [(2, "rain"), (0, "dog"), (1, "clock_tick")]:
            name = f"{fold}-{1000 * fold + target}-A-{target}.wav"
            path = root / "audio" / name
            if category == "dog":
                speak(path, "woof woof", VOICES[fold % 3], rate=44100)
            elif category == "rain":
                noise(path, 0.5, 44100, seed=fold)
            else:
                tone(path, 1000 + 100 * fold, 0.5, 44100)
            rows.append([name, fold, target, category, str(target == 0), 1000 * fold + target, "A"])
    with (root / "meta" / "esc50.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["filename", "fold", "target", "category", "esc10", "src_file", "take"])
        writer.writerows(rows)
    return root


SPEAKERS = ("0a7c2a8d", "1b4c9b89", "9ff2d2f4")  # speaker 1 -> validation list, speaker 2 -> testing list


def speech_commands_replica(root: Path) -> Path:
    """Speech Commands V2: <word>/<speaker>_nohash_<n>.wav (16 kHz mono PCM_16), split lists, background noise."""
    require("espeak-ng")
    validation, testing = [], []
    for word in ("yes", "no", "up"):
        (root / word).mkdir()
        for s, speaker in enumerate(SPEAKERS):
            for take in range(2):
                name = f"{speaker}_nohash_{take}.wav"
                speak(root / word / name, word, VOICES[s], rate=16000)
                [validation, testing, []][s].append(f"{word}/{name}")
    (root / "_background_noise_").mkdir()
    noise(root / "_background_noise_" / "white_noise.wav", 2.0, 16000, seed=7)
    (root / "_background_noise_" / "README.md").write_text("noise\n")
    (root / "LICENSE").write_text("CC-BY-4.0\n")
    (root / "validation_list.txt").write_text("\n".join(validation) + "\n")
    (root / "testing_list.txt").write_text("\n".join(testing) + "\n")
    return root


def folder_replica(root: Path) -> Path:
    """root/<class>/ with wav, flac and ogg files at 8, 22.05 and 44.1 kHz, mono and stereo, plus clutter."""
    require("espeak-ng")
    for name in ("speech", "whistle", "hiss"):
        (root / name).mkdir()
    for i in range(6):
        speak(
            root / "speech" / f"word{i}.wav", ["hello", "sound", "event", "seven", "river", "table"][i], VOICES[i % 3]
        )
        tone(root / "whistle" / f"w{i}.flac", 600 + 150 * i, 0.8, 44100, channels=2)
        noise(root / "hiss" / f"h{i}.{'ogg' if i % 2 else 'wav'}", 0.4, 8000, seed=i)  # shorter than 0.5 s
    (root / "speech" / "notes.txt").write_text("not audio\n")
    (root / ".cache").mkdir()
    return root
