"""rtast: real-time sound event detection with the Audio Spectrogram Transformer."""

__version__ = "0.1.0"


def open(model=None, engine=None, device=None, **server):  # noqa: A001 (the front door: rtast.open)
    """The Detector of a model file, hub id, compiled engine or inference server: see rtast.detector.open."""
    from rtast.detector import open as open_detector

    return open_detector(model, engine, device, **server)
