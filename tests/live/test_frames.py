"""The scrolling spectrogram: the frames the model saw, with gaps where windows were skipped."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from conftest import random_model_file, write_wav

from rtast.detector import from_model_file
from rtast.fbank import IncrementalFbank, normalize
from rtast.listener import ListenConfig
from rtast.live.frames import FrameHistory, colour_levels
from rtast.live.state import LiveState
from rtast.sources import FileSource


def test_spectrogram_history_is_the_frames_the_model_saw(tmp_path):
    """Start-up windows growing from 0 s, then full overlapping windows: the history equals the batch fbank."""
    mf = random_model_file(input_tdim=128, num_classes=3, window_seconds=1.0)
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(16000 * 3 + 1234) * 0.1).astype(np.float32)
    path = write_wav(tmp_path / "noise.wav", audio)
    state = LiveState(mf.frontend, history_seconds=2.0)
    sink = state.new_sink()
    listener = from_model_file(mf).listener(FileSource(path), [sink], ListenConfig(hop_seconds=0.3))
    sink.bind(listener)
    seen = []
    original = state.add_window
    state.add_window = lambda s, r: (original(s, r), seen.append(state.snapshot().spectrogram))
    listener.run()

    # the stream's own frontend over the whole clip at once: the frames every window was cut from
    heard = sf.read(path, dtype="float32")[0]  # as the file holds it (16-bit)
    frames = normalize(IncrementalFbank(mf.frontend).push(heard), mf.frontend.mean, mf.frontend.std).numpy()
    first = seen[0]  # after 0.3 s: 28 frames, the rest of the 2-s history is empty (silence floor)
    floor = colour_levels(mf.frontend)[0]
    np.testing.assert_allclose(first[-28:], frames[:28], atol=1e-6)
    assert np.all(first[:-28] == floor)
    final = state.snapshot()
    np.testing.assert_allclose(final.spectrogram, frames[-200:], atol=1e-6)
    assert final.spectrogram_end == pytest.approx(len(frames) / 100)


def test_frame_history_gaps_and_overlaps():
    h = FrameHistory(capacity=5, bins=1, fill=-1.0)
    h.add(0, np.array([[0.0], [1.0], [2.0]]))
    h.add(1, np.array([[1.0], [2.0], [3.0]]))  # overlaps: only frame 3 is new
    assert h.image()[:, 0].tolist() == [-1, 0, 1, 2, 3]
    h.add(6, np.array([[6.0], [7.0]]))  # frames 4 and 5 never arrived (skipped windows)
    assert h.image()[:, 0].tolist() == [3, -1, -1, 6, 7] and h.end == 8
    h.add(20, np.arange(20, 28, dtype=float)[:, None])  # more than the capacity
    assert h.image()[:, 0].tolist() == [23, 24, 25, 26, 27]
