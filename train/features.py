"""Model inputs: batches of log-mel features with the recipe's augmentation, and the dataset statistics."""

from __future__ import annotations

import math

import numpy as np
import torch
from tqdm import tqdm

from rtast.fbank import FrontendConfig, fbank_from_config, normalize, pad_or_cut
from rtast.train.augment import mixup, noise_and_roll, room_and_microphone, spec_augment
from rtast.train.data import DatasetSpec, WaveformDataset
from rtast.train.recipes import TrainConfig

MAX_MASK_SHARE = 0.2  # a SpecAugment mask hides at most this share of the frames or bins


def mask_widths(config: TrainConfig, frames: int, bins: int) -> tuple[int, int]:
    """(freq, time) SpecAugment maximum widths, clipped so that a mask never hides the whole input.

    A recipe's 96-frame time mask was made for 512-frame inputs; on a 98-frame input it can erase everything.
    """
    return min(config.freq_mask, max(1, int(MAX_MASK_SHARE * bins))), min(
        config.time_mask, max(1, int(MAX_MASK_SHARE * frames))
    )


class BatchMaker:
    """Collate (waveform, target) items into model inputs, with the recipe's augmentation when training.

    Items with a third element, step targets (steps, classes) for a frame head, give a third batch
    tensor (B, steps, classes); mixup mixes them with the clip targets' weights.
    """

    def __init__(self, frontend: FrontendConfig, config: TrainConfig, train: bool):
        self.frontend, self.config, self.train = frontend, config, train
        self.rng = np.random.default_rng(config.seed)

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, items: list[tuple[torch.Tensor, ...]]) -> tuple[torch.Tensor, ...]:
        waves = [item[0] for item in items]
        classes = items[0][1].shape[-1]
        # clip and step targets side by side, so that mixup weighs both alike
        targets = torch.stack([torch.cat([t.flatten() for t in item[1:]]) for item in items])
        cfg, fe = self.config, self.frontend
        if self.train:
            waves = room_and_microphone(waves, cfg.room, self.rng)
            waves, targets = mixup(waves, targets, cfg.mixup, self.rng)
        feats = torch.stack(
            [pad_or_cut(fbank_from_config(w, fe), fe.target_length, fe.pad_value) for w in waves]
        )  # (B, T, F) log-mel
        if self.train and (cfg.freq_mask or cfg.time_mask):
            freq_mask, time_mask = mask_widths(cfg, feats.shape[1], feats.shape[2])
            feats = spec_augment(feats, freq_mask, time_mask, self.rng)
        feats = normalize(feats, self.frontend.mean, self.frontend.std)
        if self.train and cfg.noise:
            feats = noise_and_roll(feats, self.rng)
        if len(items[0]) == 3:
            return feats, targets[:, :classes], targets[:, classes:].reshape(len(items), -1, classes)
        return feats, targets


def compute_stats(
    spec: DatasetSpec, frontend: FrontendConfig, max_clips: int | None = None, progress: bool = True
) -> tuple[float, float]:
    """Mean and std of the log-mel frames of a dataset's clips (padding excluded)."""
    dataset = WaveformDataset(spec, frontend.window_samples, train=False)
    total, total_sq, count = 0.0, 0.0, 0
    n = len(dataset) if max_clips is None else min(max_clips, len(dataset))
    for i in tqdm(range(n), desc="stats", unit="clip", disable=not progress):
        frames = fbank_from_config(dataset[i][0], frontend).double()
        total += float(frames.sum())
        total_sq += float((frames**2).sum())
        count += frames.numel()
    if count == 0:
        raise ValueError("no fbank frames: every clip is shorter than one 25-ms frame")
    mean = total / count
    return mean, math.sqrt(max(total_sq / count - mean * mean, 0.0))
