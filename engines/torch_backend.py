"""The torch backend: rtast's eager engine (``rtast.engine.TorchEngine``), as `rtast build-engine --backend
torch` packages it (the model file itself, run eagerly)."""

from rtast.engine import PRECISIONS, TorchEngine

__all__ = ["PRECISIONS", "TorchEngine"]
