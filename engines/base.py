"""The one interface every inference backend implements."""

from __future__ import annotations

from typing import Protocol

import torch


class Engine(Protocol):
    """Runs the AST on normalised fbank windows."""

    name: str  # backend and precision, e.g. "torch-fp32"

    def run(self, windows: torch.Tensor) -> torch.Tensor:
        """(batch, frames, mel_bins) float32 -> (batch, classes) float32 scores in [0, 1]."""
        ...
