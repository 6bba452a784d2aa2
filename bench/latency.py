"""End-to-end latency per window on this machine: frontend + eager engine + events, by model size.

Feeds 40 s of audio through the streaming path (file source, unpaced, 1-s hop, 10-s windows)
and reports the per-window latency and the real-time factor (processing time / audio time;
below 1 keeps up with a microphone at this hop).

    python bench/latency.py [--presets tiny224 small224 base384] [--seconds 40]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine  # noqa: E402
from rtast.detector import Detector  # noqa: E402
from rtast.engine import TorchEngine  # noqa: E402
from rtast.fbank import FrontendConfig  # noqa: E402
from rtast.labels import audioset_labels  # noqa: E402
from rtast.listener import ListenConfig  # noqa: E402
from rtast.model import AST, preset  # noqa: E402
from rtast.sources import FileSource  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["tiny224", "small224", "base384"])
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "noise.wav"
        rng = np.random.default_rng(0)
        sf.write(path, (rng.standard_normal((int(args.seconds * 44100), 2)) * 0.1).astype(np.float32), 44100)
        labels = audioset_labels()
        for name in args.presets:
            torch.manual_seed(0)
            model = AST(preset(name)).eval()
            detector = Detector(TorchEngine(model), FrontendConfig(), labels, name=f"random {name}")
            listener = detector.listener(FileSource(path), [], ListenConfig(hop_seconds=1.0, batch_size=1))
            stats = listener.run()
            s = stats.summary()
            print(
                f"{name:9s} ({sum(p.numel() for p in model.parameters()) / 1e6:5.1f} M params): "
                f"{s['windows']} windows, latency p50 {s['latency_ms_p50']:8.1f} ms, p95 {s['latency_ms_p95']:8.1f} ms,"
                f" real-time factor at 1-s hop {s['real_time_factor']:.3f}"
            )


if __name__ == "__main__":
    main()
