"""Shared fixtures: real audio made with espeak-ng and sox, and small random AST model files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from rtast.fbank import FrontendConfig
from rtast.labels import audioset_labels
from rtast.model import AST, ASTConfig
from rtast.modelfile import ModelFile, save_model_file

SENTENCE = "The quick brown fox jumps over the lazy dog. Sound events are everywhere."


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (apt-get install {tool}); .ci/run installs it")
    return path


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory) -> Path:
    """Real speech from espeak-ng, as it writes it (22.05 kHz mono 16-bit)."""
    require("espeak-ng")
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(path), SENTENCE], check=True, capture_output=True)
    return path


@pytest.fixture(scope="session")
def speech_at(speech_wav, tmp_path_factory):
    """speech_at(rate, channels) -> the speech clip converted by sox."""
    require("sox")
    out_dir = tmp_path_factory.mktemp("rates")

    def make(rate: int, channels: int = 1) -> Path:
        path = out_dir / f"speech_{rate}_{channels}ch.wav"
        if not path.exists():
            subprocess.run(["sox", "-D", str(speech_wav), "-r", str(rate), "-c", str(channels), str(path)], check=True)
        return path

    return make


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000, subtype: str | None = None) -> Path:
    sf.write(str(path), samples, rate, subtype=subtype)
    return path


def random_model_file(
    input_tdim: int = 1024, num_classes: int = 527, window_seconds: float = 10.0, seed: int = 0, **overrides
) -> ModelFile:
    """A small randomly initialised AST packed as a model file."""
    torch.manual_seed(seed)
    config = ASTConfig(
        embed_dim=64,
        depth=2,
        num_heads=4,
        input_tdim=input_tdim,
        num_classes=num_classes,
        multilabel=num_classes == 527,
        **overrides,
    )
    labels = audioset_labels() if num_classes == 527 else [f"class_{i}" for i in range(num_classes)]
    frontend = FrontendConfig(target_length=input_tdim, window_seconds=window_seconds)
    return ModelFile(config, frontend, labels, AST(config).state_dict(), {"source": "test:random"})


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    """A random 527-class AudioSet-shaped model file (10-s windows, 1024 frames)."""
    path = tmp_path_factory.mktemp("models") / "model.pt"
    save_model_file(path, random_model_file())
    return path


@pytest.fixture(scope="session")
def speech_detector_path(tmp_path_factory) -> Path:
    """A one-class Speech model trained on espeak-ng speech (see speech_detector.py), 1-s windows."""
    require("espeak-ng")
    from speech_detector import train_speech_detector

    work = tmp_path_factory.mktemp("speech_detector")
    path = work / "speech.pt"
    # Another seed stands in for another CPU's numerics: the live tests must pass with any of them.
    save_model_file(path, train_speech_detector(work, seed=int(os.environ.get("RTAST_TEST_DETECTOR_SEED", "0"))))
    return path


# tiny replicas of the dataset layouts train/ reads (tests/replicas.py), built once per session


@pytest.fixture(scope="session")
def esc50_root(tmp_path_factory) -> Path:
    from replicas import esc50_replica

    return esc50_replica(tmp_path_factory.mktemp("ESC-50-master"))


@pytest.fixture(scope="session")
def speech_commands_root(tmp_path_factory) -> Path:
    from replicas import speech_commands_replica

    return speech_commands_replica(tmp_path_factory.mktemp("speech_commands_v0.02"))


@pytest.fixture(scope="session")
def folder_root(tmp_path_factory) -> Path:
    from replicas import folder_replica

    return folder_replica(tmp_path_factory.mktemp("my_sounds"))
