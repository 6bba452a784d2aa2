"""rtast.tagging: windows, scores and file summaries on real audio."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import random_model_file, write_wav

from rtast.audiofile import load_audio
from rtast.engines import TorchEngine
from rtast.fbank import model_input
from rtast.tagging import TagConfig, Tagger, top_k


def make_tagger(config: TagConfig | None = None, **model_kwargs) -> tuple[Tagger, torch.nn.Module]:
    model_file = random_model_file(**model_kwargs)
    model = model_file.build_model()
    tagger = Tagger(
        TorchEngine(model),
        model_file.frontend,
        model_file.labels,
        model_file.model_config.multilabel,
        config or TagConfig(),
    )
    return tagger, model


def test_short_file_is_one_padded_window_scored_like_the_model(speech_wav):
    tagger, model = make_tagger()
    windows = []
    result = tagger.tag_file(speech_wav, windows.append)
    audio = load_audio(speech_wav)
    assert result.num_windows == 1 and len(windows) == 1
    assert windows[0].t_start == 0 and windows[0].t_end == pytest.approx(len(audio) / 16000)
    with torch.no_grad():
        expected = torch.sigmoid(model(model_input(torch.from_numpy(audio), tagger.frontend)[None]))[0].numpy()
    assert np.allclose(result.scores, expected, atol=1e-5)
    assert result.duration == pytest.approx(len(audio) / 16000)


def test_long_file_windows_and_reductions(tmp_path):
    rng = np.random.default_rng(0)
    path = write_wav(tmp_path / "noise.wav", (rng.standard_normal(16000 * 25) * 0.1).astype(np.float32))
    windows = []
    tagger, _ = make_tagger(TagConfig(hop_seconds=5.0, batch_size=3))
    result = tagger.tag_file(path, windows.append)
    assert [w.t_start for w in windows] == [0.0, 5.0, 10.0, 15.0]
    assert [w.t_end for w in windows] == [10.0, 15.0, 20.0, 25.0]
    stacked = np.stack([w.scores for w in windows])
    assert tagger.reduce == "max"
    assert np.allclose(result.scores, stacked.max(0))
    mean_tagger, _ = make_tagger(TagConfig(hop_seconds=5.0, reduce="mean"))
    assert np.allclose(mean_tagger.tag_file(path).scores, stacked.mean(0), atol=1e-6)


def test_single_label_models_average_by_default(speech_wav):
    tagger, _ = make_tagger(input_tdim=128, num_classes=4, window_seconds=1.0)
    result = tagger.tag_file(speech_wav)
    assert tagger.reduce == "mean"
    assert result.num_windows >= 8  # ~5 s of speech in 1-s windows every 0.5 s
    assert result.scores.sum() == pytest.approx(1.0, abs=1e-5)


def test_top_k_order():
    assert top_k(np.array([0.1, 0.9, 0.5]), ["a", "b", "c"], 2) == [("b", pytest.approx(0.9)), ("c", 0.5)]


def test_bad_config():
    with pytest.raises(ValueError, match="reduce"):
        TagConfig(reduce="median")
    with pytest.raises(ValueError, match="hop"):
        TagConfig(hop_seconds=0)
