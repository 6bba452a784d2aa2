"""The graph every compiled backend is built from: normalised fbank windows in, class scores out."""

from __future__ import annotations

import torch

from rtast.configs import ConfigError
from rtast.model import AST

INPUT_NAME = "features"  # (batch, frames, mel_bins) float32, normalised
OUTPUT_NAME = "scores"  # (batch, classes) float32, sigmoid or softmax


class ScoringModel(torch.nn.Module):
    """AST plus its output activation, so an engine returns scores like every other backend."""

    def __init__(self, model: AST, autocast_dtype: torch.dtype | None = None, device_type: str = "cpu"):
        super().__init__()
        self.model = model.eval()
        self.autocast_dtype = autocast_dtype
        self.device_type = device_type

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if self.autocast_dtype is None:
            logits = self.model(features)
        else:
            with torch.autocast(self.device_type, dtype=self.autocast_dtype):
                logits = self.model(features)
        return self.model.scores(logits.float())


def example_input(model: AST, batch: int = 2, device: str = "cpu") -> torch.Tensor:
    c = model.config
    return torch.zeros(batch, c.input_tdim, c.num_mel_bins, device=device)


def batch_dim(max_batch: int) -> torch.export.Dim:
    """The dynamic batch dimension: 1 … max_batch (the number of frames stays fixed per engine)."""
    if max_batch < 1:
        raise ConfigError(f"max batch must be at least 1, got {max_batch}")
    return torch.export.Dim("batch", min=1, max=max(2, max_batch))
