"""Inference backends: each runs a batch of normalised fbank windows and returns class scores."""

from rtast.engine import Engine
from rtast.engines.torch_backend import TorchEngine

__all__ = ["Engine", "TorchEngine"]
