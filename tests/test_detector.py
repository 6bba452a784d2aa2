"""rtast.open, the front door: one Detector from a model file, the shipped model or a compiled engine."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import random_model_file

import rtast
from rtast.engines.build import build_engine
from rtast.engines.metadata import EngineError
from rtast.listener import ListenConfig
from rtast.modelfile import default_model_path, save_model_file
from rtast.sinks import EventCollector
from rtast.sources import FileSource

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("detector") / "model.pt"
    save_model_file(path, random_model_file(input_tdim=128, num_classes=5, window_seconds=1.0, seed=2))
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("detector_clip") / "noise.wav"
    sf.write(path, (np.random.default_rng(0).standard_normal(16000 * 3) * 0.1).astype(np.float32), 16000)
    return path


def test_the_shipped_model_by_default():
    if default_model_path() is None:
        pytest.skip("no default model is bundled in rtast/data")
    detector = rtast.open()
    assert detector.name == "model default" and "Speech" in detector.labels
    assert detector.frontend.pad == "silence" and detector.engine.name == "torch-fp32"


def test_a_model_file_and_its_engine_give_the_same_stream(model_path, clip):
    eager = rtast.open(model_path)
    engine_path, _ = build_engine(model_path, "onnx", "fp32", output=model_path.with_suffix(".onnx"))
    compiled = rtast.open(model_path, engine=engine_path)  # found through the rtast.engine_loaders entry point
    assert compiled.labels == eager.labels and compiled.frontend == eager.frontend
    assert compiled.name == f"engine {engine_path} (onnx-cpu)"
    results = []
    for detector in (eager, compiled):
        windows = []
        sink = EventCollector()
        sink.window = windows.append
        stats = detector.listener(FileSource(str(clip)), [sink], ListenConfig(hop_seconds=0.5)).run()
        assert stats.windows == len(windows) > 0
        results.append(np.stack([w.scores for w in windows]))
    np.testing.assert_allclose(results[0], results[1], atol=1e-5)
    tagged = compiled.tagger().tag_file(str(clip))
    assert tagged.scores.shape == (len(eager.labels),)


def test_an_engine_of_another_model_is_refused(model_path, tmp_path):
    engine_path, _ = build_engine(model_path, "onnx", "fp32", output=tmp_path / "e.onnx")
    other = tmp_path / "other.pt"
    save_model_file(other, random_model_file(input_tdim=128, num_classes=5, window_seconds=1.0, seed=9))
    with pytest.raises(EngineError, match="built from another model"):
        rtast.open(other, engine=engine_path)


PARTS = ("engines", "apps", "train", "rtast.engines", "rtast.live", "rtast.train")  # top-level names: an old layout


def test_rtast_imports_engines_apps_and_train_only_in_its_cli():
    """The layering: engines/, apps/ and train/ build on rtast; only the CLI (the composition root) knows them."""
    for path in sorted((ROOT / "rtast").glob("*.py")):  # rtast/cli/, the composition root, is not globbed
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(PARTS), f"{path.name} imports {name}"
