"""The one interface every inference backend implements, and the eager engine of rtast's own model: the
reference every compiled backend (engines/, which depends on rtast) is compared with."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Protocol

import torch

from rtast.configs import ConfigError
from rtast.model import AST

PRECISIONS = ("fp32", "bf16", "fp16")


class BackendUnavailable(RuntimeError):
    """A backend this machine cannot run: a missing package, no GPU, an unsupported version (the message says
    what to install or use instead)."""


class EngineUnreachable(RuntimeError):
    """An engine that runs elsewhere (an inference server) cannot be reached, or stopped answering."""


class Engine(Protocol):
    """Runs the AST on normalised fbank windows."""

    name: str  # backend and precision, e.g. "torch-fp32"
    # Input frames [first, end) of each time step an engine with a frame head scores, else None;
    # such an engine also has run_frames(windows) -> (clip scores, (batch, steps, classes) scores).
    step_spans: list[tuple[int, int]] | None

    def run(self, windows: torch.Tensor) -> torch.Tensor:
        """(batch, frames, mel_bins) float32 -> (batch, classes) float32 scores in [0, 1]."""
        ...


class TorchEngine:
    """Eager AST on the CPU or a GPU; bf16/fp16 by autocast (LayerNorm and softmax stay fp32)."""

    def __init__(self, model: AST, device: str = "cpu", precision: str = "fp32"):
        if precision not in PRECISIONS:
            raise ConfigError(f"precision {precision!r} not supported by the torch backend; choose one of {PRECISIONS}")
        if precision == "fp16" and not device.startswith("cuda"):
            raise ConfigError("fp16 needs a CUDA device; on the CPU use bf16")
        self.model = model.eval().to(device)
        self.device = torch.device(device)
        self.precision = precision
        self.name = f"torch-{precision}"
        # input frames [first, end) of each time step the frame head scores; None without one
        self.step_spans = self.model.config.step_spans if self.model.config.frame_head else None

    def _autocast(self):
        if self.precision == "fp32":
            return nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(self.device.type, dtype=dtype)

    @torch.inference_mode()
    def run(self, windows: torch.Tensor) -> torch.Tensor:
        with self._autocast():
            logits = self.model(windows.to(self.device, torch.float32))
        return self.model.scores(logits.float()).cpu()

    @torch.inference_mode()
    def run_frames(self, windows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(clip scores (batch, classes), frame scores (batch, time_steps, classes)), for a model with a frame head."""
        with self._autocast():
            clip, frames = self.model.forward_with_frames(windows.to(self.device, torch.float32))
        return self.model.scores(clip.float()).cpu(), torch.sigmoid(frames.float()).cpu()
