"""A one-class "Speech" AST trained in seconds on espeak-ng speech against silence, noise and tones.

Tests of the live path need a model whose output depends on the audio; random weights do not.
This trains the real model class through the real frontend on 1-s windows (Speech Commands
shape: 128 frames) and packs it as an rtast model file.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import torch

from rtast.audiofile import load_audio
from rtast.fbank import FrontendConfig, fbank_from_config, model_input
from rtast.model import AST, ASTConfig
from rtast.modelfile import ModelFile

TRAIN_SENTENCES = [
    ("en", "The weather today is cloudy with a chance of rain in the afternoon."),
    ("en+f3", "Please remember to close the window before you leave the house."),
    ("en-us", "Seven green bottles were standing on the old wooden shelf."),
    ("de", "Guten Morgen, wie geht es dir heute an diesem schönen Tag?"),
    ("fr", "Le petit chat dort sur le canapé pendant toute la journée."),
]
HELD_OUT = ("en+m3", "Numbers like forty two and ninety nine are easy to say out loud.")
WINDOW = 16000  # 1 s at 16 kHz


def speak(voice: str, text: str, path: Path, env: dict | None = None) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, capture_output=True, env=env)
    return path


def voiced_fraction(w: np.ndarray) -> float:
    """Share of 20-ms frames above -40 dBFS."""
    frames = w[: len(w) // 320 * 320].reshape(-1, 320)
    return float(np.mean(np.sqrt((frames**2).mean(1)) > 0.01)) if len(frames) else 0.0


def shorten(w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A quarter of the windows are cut to 0.25-1 s, as `rtast tag` scores a file shorter than a window."""
    return w[: int(rng.uniform(0.25, 1.0) * WINDOW)] if rng.random() < 0.25 else w


def speech_windows(audio: np.ndarray, rng: np.random.Generator, n: int, min_voiced: float = 0.25) -> list[np.ndarray]:
    """Windows holding at least ``min_voiced`` s of voiced speech at a random place, silence or faint noise
    around it, at random gains.

    A stream's windows slide over the start and end of speech, so a detector that only ever saw windows
    full of speech scores part-filled ones by chance, and how it then does depends on the CPU's numerics.
    """
    out, tries = [], 0
    while len(out) < n and tries < 50 * n:
        tries += 1
        size = len(shorten(np.zeros(WINDOW), rng))
        length = min(size, int(rng.uniform(0.3, 1.0) * WINDOW))
        start = int(rng.integers(0, max(1, len(audio) - length)))
        piece = audio[start : start + length]
        if voiced_fraction(piece) * len(piece) / 16000 < min_voiced:
            continue
        quiet = rng.random() < 0.5
        w = rng.standard_normal(size) * 10 ** rng.uniform(-5, -3) if quiet else np.zeros(size)
        at = int(rng.integers(0, size - len(piece) + 1))
        w[at : at + len(piece)] += piece * rng.uniform(0.3, 1.5)
        out.append(w.astype(np.float32))
    return out


def background_windows(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    t = np.arange(WINDOW) / 16000
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            w = np.zeros(WINDOW)
        elif kind == 1:
            w = rng.standard_normal(WINDOW) * 10 ** rng.uniform(-4, -1.3)
        elif kind == 2:
            w = rng.uniform(0.05, 0.5) * np.sin(2 * np.pi * rng.uniform(150, 3000) * t)
        else:
            f0, f1 = rng.uniform(200, 4000, 2)
            w = 0.3 * np.sin(2 * np.pi * (f0 * t + (f1 - f0) / 2 * t**2))
        out.append(shorten(w, rng).astype(np.float32))
    # the first windows of every stream are short and, more often than not, silent
    out += [np.zeros(int(rng.uniform(0.05, 0.6) * WINDOW), np.float32) for _ in range(n // 8)]
    return out


def train_speech_detector(work: Path, steps: int = 600, seed: int = 0, env: dict | None = None) -> ModelFile:
    """Train and return the model file; asserts it separates held-out speech from backgrounds."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    speech = [load_audio(speak(v, s, work / f"train{i}.wav", env)) for i, (v, s) in enumerate(TRAIN_SENTENCES)]
    positives = [w for audio in speech for w in speech_windows(audio, rng, 40)]
    negatives = background_windows(rng, len(positives))
    waves = positives + negatives
    labels = torch.tensor([1.0] * len(positives) + [0.0] * len(negatives))[:, None]

    base = FrontendConfig(target_length=128, window_seconds=1.0)
    frames = torch.cat([fbank_from_config(torch.from_numpy(w.astype(np.float32)), base) for w in waves])
    frontend = FrontendConfig(target_length=128, window_seconds=1.0, mean=float(frames.mean()), std=float(frames.std()))
    x = torch.stack([model_input(torch.from_numpy(w.astype(np.float32)), frontend) for w in waves])

    config = ASTConfig(embed_dim=32, depth=1, num_heads=2, fstride=16, tstride=16, input_tdim=128, num_classes=1)
    model = AST(config)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    for _ in range(steps):
        idx = torch.from_numpy(rng.integers(0, len(x), 32))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    model.eval()

    held = load_audio(speak(*HELD_OUT, work / "held_out.wav", env))
    test_pos = speech_windows(held, rng, 12, min_voiced=0.4)
    test_neg = background_windows(np.random.default_rng(seed + 1), 12)
    with torch.no_grad():

        def score(ws):
            return torch.sigmoid(model(torch.stack([model_input(torch.from_numpy(w), frontend) for w in ws])))

        pos, neg = score(test_pos), score(test_neg)
    accuracy = float(((pos > 0.5).float().mean() + (neg < 0.5).float().mean()) / 2)
    assert accuracy >= 0.9, f"speech detector did not learn: held-out balanced accuracy {accuracy:.2f}"
    return ModelFile(
        config,
        frontend,
        ["Speech"],
        model.state_dict(),
        {"source": f"tests/speech_detector.py (held-out balanced accuracy {accuracy:.2f})"},
    )
