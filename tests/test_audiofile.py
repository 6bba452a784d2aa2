"""rtast.audiofile: any rate and channel count to 16 kHz mono; clear errors for bad files."""

from __future__ import annotations

import numpy as np
import pytest
import soxr
from conftest import write_wav

from rtast.audiofile import AudioFileError, iter_audio, load_audio, probe


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_rates_become_16k(speech_at, rate):
    path = speech_at(rate)
    info = probe(path)
    audio = load_audio(path)
    assert audio.dtype == np.float32
    assert abs(len(audio) - info.duration * 16000) <= 2
    assert np.sqrt(np.mean(audio**2)) > 0.01  # real speech, not silence


def test_streaming_resampler_equals_one_shot(speech_at):
    import soundfile as sf

    path = speech_at(44100)
    raw, _ = sf.read(str(path), dtype="float32")
    once = soxr.resample(raw, 44100, 16000)
    streamed = np.concatenate(list(iter_audio(path, block_seconds=0.37)))
    assert len(streamed) == len(once)
    assert np.abs(streamed - once).max() < 1e-4


def test_stereo_is_mixed_down(tmp_path):
    t = np.arange(16000) / 16000
    left, right = np.sin(2 * np.pi * 440 * t), np.zeros_like(t)
    path = write_wav(tmp_path / "st.wav", np.stack([left, right], 1).astype(np.float32), subtype="FLOAT")
    audio = load_audio(path)
    assert np.allclose(audio, left / 2, atol=1e-6)


def test_bad_files(tmp_path):
    with pytest.raises(AudioFileError, match="no such file"):
        probe(tmp_path / "missing.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioFileError, match="empty file"):
        probe(tmp_path / "empty.wav")
    (tmp_path / "text.wav").write_text("this is not audio\n" * 10)
    with pytest.raises(AudioFileError, match="not a readable audio file"):
        probe(tmp_path / "text.wav")
    write_wav(tmp_path / "zero.wav", np.zeros(0, np.float32))
    with pytest.raises(AudioFileError, match="zero length"):
        probe(tmp_path / "zero.wav")
    with pytest.raises(AudioFileError, match="directory"):
        probe(tmp_path)


def test_nan_samples_are_reported_with_their_time(tmp_path):
    x = np.zeros(32000, np.float32)
    x[24000] = np.nan
    path = write_wav(tmp_path / "nan.wav", x, subtype="FLOAT")
    with pytest.raises(AudioFileError, match=r"NaN or infinite samples \(first at 1.500 s\)"):
        load_audio(path)
