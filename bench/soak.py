"""Soak: one hour of audio through the streaming path, faster than real time, in flat memory.

A 44.1 kHz stereo file of an hour (generated) is read by the unpaced file source (no sleeping),
resampled, framed, windowed every second and scored by a small random model; events are logged
to a JSON-lines file. Every 10 minutes of audio the process's resident memory is sampled.
At the end every captured frame must be processed or counted as dropped.

    python bench/soak.py [--minutes 60]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine  # noqa: E402
from rtast.detector import Detector  # noqa: E402
from rtast.engine import TorchEngine  # noqa: E402
from rtast.events import EventConfig  # noqa: E402
from rtast.fbank import FrontendConfig  # noqa: E402
from rtast.labels import audioset_labels  # noqa: E402
from rtast.listener import ListenConfig  # noqa: E402
from rtast.model import AST, ASTConfig  # noqa: E402
from rtast.sinks import EventLog  # noqa: E402
from rtast.sources import FileSource  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class MemoryProbe:
    """A sink that samples resident memory every ``every`` seconds of stream time."""

    def __init__(self, every: float):
        self.every, self.next, self.samples = every, every, []

    def window(self, result) -> None:
        if result.t_end >= self.next:
            self.samples.append((result.t_end, rss_mb()))
            self.next += self.every

    def event(self, event) -> None:
        pass

    def close(self) -> None:
        pass


def write_long_file(path: Path, minutes: float, rate: int = 44100) -> None:
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", rate, 2, "PCM_16") as f:
        for minute in range(int(minutes)):
            t = np.arange(rate * 60) / rate
            tone = 0.3 * np.sin(2 * np.pi * (300 + 50 * minute) * t) * (t % 20 < 5)  # a 5-s tone every 20 s
            noise = rng.standard_normal(rate * 60) * 0.02
            f.write(np.stack([tone + noise, noise], axis=1).astype(np.float32))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hour.wav"
        write_long_file(path, args.minutes)
        torch.manual_seed(0)
        model = AST(ASTConfig(embed_dim=64, depth=2, num_heads=4)).eval()
        labels = audioset_labels()
        log = EventLog(str(Path(tmp) / "events.jsonl"))
        probe = MemoryProbe(every=600.0)
        detector = Detector(TorchEngine(model), FrontendConfig(), labels, name="random tiny model")
        config = ListenConfig(hop_seconds=1.0, events=EventConfig(threshold=0.6))
        listener = detector.listener(FileSource(path), [probe, log], config)
        t0 = time.monotonic()
        stats = listener.run()
        log.close()
        wall = time.monotonic() - t0
        s = stats.summary()
        print(
            f"{s['audio_seconds']:.0f} s of audio in {wall:.0f} s ({s['audio_seconds'] / wall:.0f}x real time); "
            f"{s['windows']} windows, {s['skipped_windows']} skipped, {s['events']} events "
            f"({log.written} lines written)"
        )
        print(
            f"frames captured {s['frames_captured']} = processed {s['frames_processed']} + dropped "
            f"{s['dropped_frames']} + unprocessed {s['frames_unprocessed_at_stop']}"
        )
        assert s["frames_captured"] == s["frames_processed"] + s["dropped_frames"]
        print(
            "resident memory (MB) by stream time: " + ", ".join(f"{t / 60:.0f} min {m:.0f}" for t, m in probe.samples)
        )
        first, last = probe.samples[0][1], probe.samples[-1][1]
        print(
            f"growth from the first to the last sample: {last - first:+.1f} MB; "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )


if __name__ == "__main__":
    main()
