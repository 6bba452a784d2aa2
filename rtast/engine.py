"""The one interface every inference backend implements; the backends live in engines/, which depends on rtast."""

from __future__ import annotations

from typing import Protocol

import torch


class BackendUnavailable(RuntimeError):
    """A backend this machine cannot run: a missing package, no GPU, an unsupported version (the message says
    what to install or use instead)."""


class Engine(Protocol):
    """Runs the AST on normalised fbank windows."""

    name: str  # backend and precision, e.g. "torch-fp32"
    # Input frames [first, end) of each time step an engine with a frame head scores, else None;
    # such an engine also has run_frames(windows) -> (clip scores, (batch, steps, classes) scores).
    step_spans: list[tuple[int, int]] | None

    def run(self, windows: torch.Tensor) -> torch.Tensor:
        """(batch, frames, mel_bins) float32 -> (batch, classes) float32 scores in [0, 1]."""
        ...
