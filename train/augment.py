"""Training-time augmentation, in the order of the AST recipes.

waveform mixup -> fbank -> pad/cut -> SpecAugment (on log-mel, mask value 0 like the padding)
-> normalise -> noise + time roll.
"""

from __future__ import annotations

import numpy as np
import torch


def mixup(
    waves: list[torch.Tensor], targets: torch.Tensor, prob: float, rng: np.random.Generator, alpha: float = 10.0
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Waveform mixup: with probability ``prob`` an item becomes lam * x_i + (1 - lam) * x_j.

    The partner j is another item of the batch; lam ~ Beta(alpha, alpha); the target mixes the
    same way. Both waveforms are mean-removed first and the partner is cut or zero-padded to the
    item's length.
    """
    if prob <= 0 or len(waves) < 2:
        return waves, targets
    out_waves, out_targets = list(waves), targets.clone()
    for i in range(len(waves)):
        if rng.random() >= prob:
            continue
        j = int(rng.integers(0, len(waves) - 1))
        j += j >= i  # any other item
        lam = float(rng.beta(alpha, alpha))
        a = waves[i] - waves[i].mean()
        b = waves[j] - waves[j].mean()
        b = b[: len(a)] if len(b) >= len(a) else torch.nn.functional.pad(b, (0, len(a) - len(b)))
        out_waves[i] = lam * a + (1 - lam) * b
        out_targets[i] = lam * targets[i] + (1 - lam) * targets[j]
    return out_waves, out_targets


def spec_augment(features: torch.Tensor, freq_mask: int, time_mask: int, rng: np.random.Generator) -> torch.Tensor:
    """One frequency and one time mask per item of (B, T, F), widths uniform in [0, max), value 0."""
    out = features.clone()
    B, T, F = out.shape
    for b in range(B):
        if freq_mask > 0:
            width = int(rng.integers(0, min(freq_mask, F)))
            start = int(rng.integers(0, F - width + 1))
            out[b, :, start : start + width] = 0
        if time_mask > 0:
            width = int(rng.integers(0, min(time_mask, T)))
            start = int(rng.integers(0, T - width + 1))
            out[b, start : start + width, :] = 0
    return out


def noise_and_roll(features: torch.Tensor, rng: np.random.Generator, max_shift: int = 10) -> torch.Tensor:
    """Speech Commands recipe: add uniform noise of a random scale up to 0.1, roll time by up to 10 frames."""
    out = features.clone()
    for b in range(out.shape[0]):
        scale = float(rng.random()) / 10
        out[b] += torch.rand(out.shape[1:], generator=torch.Generator().manual_seed(int(rng.integers(2**31)))) * scale
        out[b] = torch.roll(out[b], int(rng.integers(-max_shift, max_shift)), dims=0)
    return out
