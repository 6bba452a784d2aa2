"""Inference backends: each runs a batch of normalised fbank windows and returns class scores."""

from engines.base import Engine
from engines.torch_backend import TorchEngine

__all__ = ["Engine", "TorchEngine"]
