"""train/data.py: dataset specs and the waveform dataset (crops, targets, resampling, unreadable clips)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from replicas import (
    noise,
    tone,
)

from rtast.audiofile import AudioFileError, load_audio
from rtast.train.data import Clip, DatasetSpec, WaveformDataset
from rtast.train.layouts import (
    folder_dataset,
    speech_commands_dataset,
)

# --- WaveformDataset ---


def test_waveforms_are_load_audio_cut_to_the_window(folder_root):
    spec = folder_dataset(folder_root)
    window = 8000  # 0.5 s: speech and tones are longer, some noise clips too
    dataset = WaveformDataset(spec, window, train=False)
    assert len(dataset) == 18
    lengths = set()
    for i, clip in enumerate(spec.clips):
        waveform, target = dataset[i]
        full = load_audio(clip.path)
        assert waveform.dtype == torch.float32 and waveform.ndim == 1 and len(waveform) == min(len(full), window)
        assert torch.equal(waveform, torch.from_numpy(full[:window]))
        assert target.dtype == torch.float32 and target.tolist() == [float(k == clip.targets[0]) for k in range(3)]
        lengths.add(len(waveform) < window)
    assert lengths == {True, False}  # both cut and unpadded short clips occurred


def test_random_crops_depend_on_seed_and_epoch_only(speech_commands_root):
    spec = speech_commands_dataset(speech_commands_root, "train")
    window = 4000
    full = [load_audio(c.path) for c in spec.clips]
    assert all(len(f) > window + 100 for f in full)

    def crops(seed: int, epoch: int, order=None) -> list[int]:
        dataset = WaveformDataset(spec, window, train=True, seed=seed)
        dataset.set_epoch(epoch)
        starts = {}
        for i in order or range(len(spec.clips)):
            waveform = dataset[i][0].numpy()
            assert len(waveform) == window
            found = [s for s in range(len(full[i]) - window + 1) if np.array_equal(full[i][s : s + window], waveform)]
            assert found, "a training crop must be a slice of load_audio's output"
            starts[i] = found[0]
        return [starts[i] for i in sorted(starts)]

    first = crops(0, 0)
    assert crops(0, 0, order=list(reversed(range(len(spec.clips))))) == first  # independent of loading order
    assert crops(0, 1) != first and crops(1, 0) != first
    assert len(set(first)) > 1


def test_crops_are_the_same_in_dataloader_workers(speech_commands_root):
    spec = speech_commands_dataset(speech_commands_root, "validation")
    dataset = WaveformDataset(spec, 4000, train=True, seed=3)
    dataset.set_epoch(5)
    direct = [dataset[i][0] for i in range(len(dataset))]
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2)
    assert all(torch.equal(a, b) for a, b in zip(direct, [w for w, _ in loader], strict=True))


def test_multilabel_targets_and_resampled_stereo(tmp_path):
    stereo = tone(tmp_path / "stereo44k.wav", 1000, 1.0, 44100, channels=2)
    low = noise(tmp_path / "low8k.wav", 0.3, 8000, seed=1)
    spec = DatasetSpec([Clip(stereo, (0, 2)), Clip(low, ())], ["a", "b", "c"], multilabel=True, name="t")
    dataset = WaveformDataset(spec, 16000, train=True)
    waveform, target = dataset[0]
    assert target.tolist() == [1.0, 0.0, 1.0] and torch.equal(waveform, torch.from_numpy(load_audio(stereo)))
    assert abs(len(waveform) - 16000) <= 1  # 1 s at 44.1 kHz became 16 kHz (not longer than the window)
    waveform, target = dataset[1]
    assert target.tolist() == [0.0, 0.0, 0.0] and abs(len(waveform) - 4800) <= 1


def test_unreadable_clips_raise_audio_file_errors(tmp_path):
    (tmp_path / "text.wav").write_text("this is not audio\n" * 20)
    spec = DatasetSpec([Clip(tmp_path / "gone.wav", (0,)), Clip(tmp_path / "text.wav", (0,))], ["a"], False, "t")
    dataset = WaveformDataset(spec, 16000, train=False)
    with pytest.raises(AudioFileError, match="gone.wav: no such file"):
        dataset[0]
    with pytest.raises(AudioFileError, match="text.wav: not a readable audio file"):
        dataset[1]
    with pytest.raises(IndexError, match="clip index 2 is out of range for 2 clips"):
        dataset[2]
    with pytest.raises(ValueError, match="window_samples must be a positive integer, got 0"):
        WaveformDataset(spec, 0, train=False)
