"""Inference backends: each runs a batch of normalised fbank windows and returns class scores."""

from engines.torch_backend import TorchEngine
from rtast.engine import Engine

__all__ = ["Engine", "TorchEngine"]
