"""rtast: real-time sound event detection with the Audio Spectrogram Transformer."""

__version__ = "0.1.0"
