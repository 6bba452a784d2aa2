"""rtast.windows: windows of incrementally computed frames equal the batch frontend on their audio."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rtast.audiofile import load_audio
from rtast.fbank import SILENCE_LOG_MEL, FrontendConfig, fbank_from_config, window_input
from rtast.windows import FrameWindows, WindowedFrontend, startup_padding, to_shift_multiple

CONFIG = FrontendConfig(target_length=128, window_seconds=1.0)  # 1-s windows keep the tests fast


def run(audio: np.ndarray, chunk: int, hop_seconds: float, startup: bool, config: FrontendConfig = CONFIG):
    frontend = WindowedFrontend(config, hop_seconds, startup_windows=startup)
    windows = []
    for i in range(0, len(audio), chunk):
        windows += frontend.push(audio[i : i + chunk])
        kept = len(frontend.windows._frames)
        assert kept <= (frontend.windows.window + frontend.windows.hop + chunk) // config.frame_shift + 1
    return frontend, windows + frontend.finish()


@pytest.mark.parametrize("chunk", [1, 100, 160, 161, 399, 1234, 16000])
@pytest.mark.parametrize("startup", [False, True])
def test_window_frames_equal_batch_fbank_of_the_window_audio(speech_wav, chunk, startup):
    audio = load_audio(speech_wav)
    frontend, windows = run(audio, chunk, 0.25, startup)
    assert windows
    for w in windows:
        expected = fbank_from_config(torch.from_numpy(audio[w.start : w.end]), CONFIG)
        assert w.frames.shape == expected.shape
        assert (w.frames - expected).abs().max() <= 1e-5
    covered = np.zeros(len(audio), bool)
    for w in windows:
        covered[w.start : w.end] = True
    assert covered.all()
    assert windows[-1].end == len(audio)


def test_offline_windows_start_at_multiples_of_the_hop():
    audio = np.random.default_rng(0).standard_normal(16000 * 3 + 800).astype(np.float32) * 0.1
    _, windows = run(audio, 4000, 0.5, startup=False)
    assert [(w.start, w.end) for w in windows][:5] == [
        (0, 16000),
        (8000, 24000),
        (16000, 32000),
        (24000, 40000),
        (32000, 48000),
    ]
    assert (windows[-1].start, windows[-1].end) == (len(audio) - 16000, len(audio))  # tail: the last second


def test_streaming_startup_windows_grow_then_slide():
    audio = np.zeros(16000 * 2, np.float32)
    _, windows = run(audio, 1600, 0.25, startup=True)
    spans = [(w.start, w.end) for w in windows]
    assert spans[:5] == [(0, 4000), (0, 8000), (0, 12000), (0, 16000), (4000, 20000)]
    assert len(windows[0].frames) == 23  # (4000 - 400) // 160 + 1


def test_startup_windows_reach_the_model_after_silence():
    """The stream was quiet before it began: a start-up window is the end of a full window, not zero-padded."""
    audio = (np.random.default_rng(0).standard_normal(16000 * 2) * 0.1).astype(np.float32)
    frontend, windows = run(audio, 1600, 0.25, startup=True)
    first, full = windows[0], windows[4]
    inputs = frontend.model_inputs([first, full])
    n = len(first.frames)
    silence = (SILENCE_LOG_MEL - CONFIG.mean) / (2 * CONFIG.std)
    full_frames = len(full.frames)  # 98 of a 1-s window; the model's 128 are reached by padding at the end
    assert torch.allclose(inputs[0, : full_frames - n], torch.tensor(silence, dtype=inputs.dtype))
    assert torch.equal(inputs[0, full_frames - n : full_frames], window_input(first.frames, CONFIG)[:n])
    assert torch.equal(inputs[1], window_input(full.frames, CONFIG))  # a full window is untouched
    assert startup_padding(first.start, first.end, CONFIG) == full_frames - n
    assert startup_padding(full.start, full.end, CONFIG) == 0


def test_short_signal_is_one_window():
    _, windows = run(np.zeros(5000, np.float32), 777, 0.5, startup=False)
    assert [(w.start, w.end) for w in windows] == [(0, 5000)]
    assert window_input(windows[0].frames, CONFIG).shape == (128, 128)


def test_shift_rounding_and_bad_sizes():
    assert to_shift_multiple(1.0, CONFIG) == 16000
    assert to_shift_multiple(0.0001, CONFIG) == 160
    assert to_shift_multiple(0.333, CONFIG) == 5280  # 33 frame shifts
    with pytest.raises(ValueError, match="multiples"):
        FrameWindows(CONFIG, 16000, 100, 16000)
