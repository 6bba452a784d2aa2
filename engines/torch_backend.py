"""Eager PyTorch backend: the reference every compiled backend is compared with."""

from __future__ import annotations

import torch

from rtast.model import AST


class TorchEngine:
    """Eager fp32 AST on the CPU (or another torch device)."""

    def __init__(self, model: AST, device: str = "cpu"):
        self.model = model.eval().to(device)
        self.device = torch.device(device)
        self.name = "torch-fp32"

    @torch.inference_mode()
    def run(self, windows: torch.Tensor) -> torch.Tensor:
        logits = self.model(windows.to(self.device, torch.float32))
        return self.model.scores(logits).float().cpu()
