"""rtast.fbank against torchaudio's Kaldi fbank (committed reference) and transformers' extractor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rtast.audiofile import load_audio
from rtast.fbank import (
    FLOAT32_EPS,
    FrontendConfig,
    IncrementalFbank,
    fbank,
    fbank_from_config,
    model_input,
    normalize,
    num_frames,
    pad_or_cut,
)

REFERENCE = Path(__file__).parent / "data" / "fbank_reference.npz"
CLIPS = ["speech", "noise", "tone_short", "chirp"]


@pytest.fixture(scope="module")
def reference():
    return np.load(REFERENCE)


# A filter whose energy is 60 dB or more below its frame's loudest holds spectral leakage: its log
# depends on how the CPU's FFT kernels round (AVX2, AVX-512 and AMX builds differ there by up to 8e-3
# on the chirp, and torchaudio and transformers' float64 extractor disagree by 7.6e-3 as well). Those
# cells are compared as power relative to the frame's peak; every other cell's log to 1e-3.
LEAKAGE = np.log(1e-6)


def assert_fbank_close(ours: np.ndarray, expected: np.ndarray, atol: float = 1e-3) -> None:
    assert ours.shape == expected.shape
    peak = expected.max(axis=1, keepdims=True)
    audible = expected >= peak + LEAKAGE
    diff = np.abs(ours - expected)
    print(f"max |ours - torchaudio| = {diff[audible].max():.2e} over {audible.mean():.0%} of the cells")
    assert diff[audible].max() <= atol
    assert np.abs(np.exp(ours - peak) - np.exp(expected - peak))[~audible].max(initial=0.0) <= 1e-6


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", CLIPS)
def test_matches_torchaudio_reference(reference, name, dtype):
    wave = torch.from_numpy(reference[f"{name}_wave"])
    assert_fbank_close(fbank(wave - wave.mean(), dtype=dtype).numpy(), reference[f"{name}_fbank"])


def test_matches_torchaudio_reference_other_options(reference):
    wave = torch.from_numpy(reference["speech_wave"])
    ours = fbank(wave - wave.mean(), num_mel_bins=80, low_freq=20, snip_edges=False).numpy()
    expected = reference["speech_fbank80_nosnip"]
    assert ours.shape == expected.shape
    assert np.abs(ours - expected).max() <= 1e-3


def test_matches_torchaudio_when_importable(reference):
    kaldi = pytest.importorskip(
        "torchaudio.compliance.kaldi",
        reason="torchaudio is not installed here (CUDA-only wheels); the committed reference covers it",
    )
    wave = torch.from_numpy(reference["speech_wave"])[None]
    wave = wave - wave.mean()
    expected = kaldi.fbank(
        wave,
        htk_compat=True,
        sample_frequency=16000,
        use_energy=False,
        window_type="hanning",
        num_mel_bins=128,
        dither=0.0,
        frame_shift=10,
    )
    assert (fbank(wave[0]) - expected).abs().max() <= 1e-3


@pytest.mark.parametrize("rate", [8000, 16000, 44100, 48000])
def test_matches_transformers_feature_extractor(speech_at, rate):
    transformers = pytest.importorskip("transformers")
    extractor = transformers.ASTFeatureExtractor(do_normalize=False)  # numpy path: no torchaudio here
    audio = load_audio(speech_at(rate))  # resampled to 16 kHz by soxr; the extractor only takes 16 kHz
    expected = extractor(audio, sampling_rate=16000, return_tensors="np").input_values[0]
    ours = pad_or_cut(fbank_from_config(torch.from_numpy(audio), FrontendConfig()), 1024).numpy()
    diff = np.abs(ours - expected).max()
    print(f"{rate} Hz speech: max |ours - ASTFeatureExtractor| = {diff:.2e}")
    assert diff <= 1e-3


def test_matches_transformers_on_noise_normalised():
    transformers = pytest.importorskip("transformers")
    noise = (np.random.default_rng(1).standard_normal(16000 * 3) * 0.05).astype(np.float32)
    expected = transformers.ASTFeatureExtractor()(noise, sampling_rate=16000, return_tensors="np").input_values[0]
    ours = model_input(torch.from_numpy(noise), FrontendConfig()).numpy()
    assert np.abs(ours - expected).max() <= 1e-3 / (2 * FrontendConfig().std) + 1e-6


def test_batched_equals_one_by_one(reference):
    a = torch.from_numpy(reference["noise_wave"][:24000])
    b = torch.from_numpy(reference["chirp_wave"][:24000])
    batch = fbank(torch.stack([a, b]))
    assert batch.shape == (2, num_frames(24000), 128)
    assert torch.allclose(batch[0], fbank(a), atol=1e-5)
    assert torch.allclose(batch[1], fbank(b), atol=1e-5)


def test_frame_counts():
    assert num_frames(160000) == 998  # 10 s at 16 kHz, snip_edges
    assert num_frames(399) == 0
    assert num_frames(400) == 1
    assert fbank(torch.zeros(399)).shape == (0, 128)
    assert num_frames(160000, snip_edges=False) == 1000


def test_silence_is_floor_not_nan():
    out = fbank(torch.zeros(16000))
    assert torch.isfinite(out).all()
    assert torch.allclose(out, torch.full_like(out, float(np.log(FLOAT32_EPS))))


def test_pad_cut_and_normalise():
    x = torch.randn(2, 50, 128)
    assert pad_or_cut(x, 80).shape == (2, 80, 128)
    assert (pad_or_cut(x, 80)[:, 50:] == 0).all()
    assert torch.equal(pad_or_cut(x, 30), x[:, :30])
    assert torch.allclose(normalize(torch.tensor([1.0]), 1.0, 2.0), torch.tensor([0.0]))
    assert torch.allclose(normalize(torch.tensor([5.0]), 1.0, 2.0), torch.tensor([1.0]))


def test_a_short_clip_is_padded_as_the_frontend_says():
    """The AST reference pads with zero log-mel frames (imported checkpoints, old files); rtast's own models
    with the frames of digital silence, which is what the fbank of a quiet room's silence gives."""
    clip = torch.randn(8000) * 0.1  # 0.5 s
    clip -= clip.mean()  # the fbank subtracts the signal's mean: with none, recorded silence stays silent
    reference = FrontendConfig(target_length=100, window_seconds=1.0)
    quiet = FrontendConfig(target_length=100, window_seconds=1.0, pad="silence")
    assert FrontendConfig.from_dict({k: v for k, v in reference.to_dict().items() if k != "pad"}) == reference
    n = len(fbank_from_config(clip, reference))
    assert torch.allclose(model_input(clip, reference)[n:], torch.tensor((0.0 - reference.mean) / (2 * reference.std)))
    silence = model_input(torch.cat([clip, torch.zeros(8000)]), quiet)
    assert torch.allclose(model_input(clip, quiet)[n + 3 :], silence[n + 3 :], atol=1e-3)  # as recorded silence
    with pytest.raises(ValueError, match="pad must be one of"):
        FrontendConfig(pad="noise")


def test_model_input_shape_for_each_paper_length():
    wave = torch.randn(16000) * 0.1
    for frames in (128, 512, 1024):
        assert model_input(wave, FrontendConfig(target_length=frames)).shape == (frames, 128)


def test_config_round_trip_and_unknown_keys():
    cfg = FrontendConfig(target_length=512, mean=-6.6, std=5.3)
    assert FrontendConfig.from_dict(cfg.to_dict()) == cfg
    assert (cfg.frame_length, cfg.frame_shift) == (400, 160)
    with pytest.raises(ValueError, match="unknown frontend config keys"):
        FrontendConfig.from_dict({"bogus": 1})


def test_bad_mel_range_is_a_clear_error():
    with pytest.raises(ValueError, match="bad mel range"):
        fbank(torch.zeros(1000), low_freq=9000)


@pytest.mark.parametrize("chunk", [1, 50, 159, 160, 161, 240, 399, 400, 401, 1600, 16000])
def test_incremental_equals_batch_on_speech(speech_wav, chunk):
    audio = torch.from_numpy(load_audio(speech_wav))
    batch = fbank_from_config(audio, FrontendConfig())
    inc = IncrementalFbank(FrontendConfig())
    pieces = []
    for i in range(0, len(audio), chunk):
        pieces.append(inc.push(audio[i : i + chunk]))
        assert len(inc._pending) < FrontendConfig().frame_length  # only the unfinished frame is kept
    streamed = torch.cat(pieces)
    assert streamed.shape == batch.shape
    assert (streamed - batch).abs().max() <= 1e-5


def test_incremental_with_random_chunks(speech_wav):
    audio = torch.from_numpy(load_audio(speech_wav))
    rng = np.random.default_rng(7)
    inc = IncrementalFbank(FrontendConfig())
    pieces, i = [], 0
    while i < len(audio):
        n = int(rng.integers(0, 700))  # empty chunks too
        pieces.append(inc.push(audio[i : i + n]))
        i += n
    assert (torch.cat(pieces) - fbank_from_config(audio, FrontendConfig())).abs().max() <= 1e-5
    assert inc.samples_seen == len(audio) and inc.frames_emitted == num_frames(len(audio))


def test_incremental_refuses_snip_edges_false():
    with pytest.raises(ValueError, match="snip_edges"):
        IncrementalFbank(FrontendConfig(snip_edges=False))
