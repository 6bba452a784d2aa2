"""The live window's cost: GUI frame time, and what capture loses with the window open vs headless.

The same generated file (44.1 kHz stereo: noise with a tone every few seconds) is replayed at
real time (``--input FILE --realtime``: a feeder thread delivers it on the wall clock into the
ring buffer, exactly as a microphone would) twice in one run: headless (the Listener on a worker
thread, no sinks, as ``rtast listen --no-gui --quiet``) and with the window. The model is a
random AST of the given preset with AudioSet's 527 labels and 10-s windows (its head bias
spread so that a few labels score high and start events, as a trained tagger's do).

Frame time: per display timer tick, the time of ``refresh`` (snapshot + redraw of what changed)
plus the time Qt then spends painting the window (its UpdateRequest), p50/p95 over all ticks and
over the ticks that drew a new window. Run it under a real X server for the real paint cost:

    xvfb-run -a -s "-screen 0 1280x800x24" python bench/gui.py [--preset tiny224] [--seconds 30] [--hop 1]
    QT_QPA_PLATFORM=offscreen python bench/gui.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
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
from rtast.listener import ListenConfig, StreamStats  # noqa: E402
from rtast.live.app import open_window  # noqa: E402
from rtast.live.inputs import InputChoice  # noqa: E402
from rtast.live.qt import QtCore, QtWidgets  # noqa: E402
from rtast.live.runner import LiveSetup  # noqa: E402
from rtast.live.window import LiveWindow  # noqa: E402
from rtast.model import AST, preset  # noqa: E402
from rtast.sources import FileSource  # noqa: E402


class TimedWindow(LiveWindow):
    """The live window, timing each tick's refresh and the paint that follows it."""

    def __init__(self, *args, **kwargs):
        self.frames: list[list[float]] = []  # per tick: [refresh seconds, paint seconds, drew a new window]
        super().__init__(*args, **kwargs)

    def refresh(self) -> None:
        before = self.shown.version if self.shown is not None else -1
        t0 = time.perf_counter()
        super().refresh()
        drew = self.shown is not None and self.shown.version != before
        self.frames.append([time.perf_counter() - t0, 0.0, drew])

    def event(self, event: QtCore.QEvent) -> bool:
        if event.type() != QtCore.QEvent.Type.UpdateRequest or not self.frames:
            return super().event(event)
        t0 = time.perf_counter()
        handled = super().event(event)
        self.frames[-1][1] += time.perf_counter() - t0
        return handled


def make_file(path: Path, seconds: float, rate: int = 44100) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    audio = 0.05 * rng.standard_normal((len(t), 2))
    tone = (np.sin(2 * np.pi * 880 * t) * ((t % 5) < 1.5))[:, None]
    sf.write(path, (audio + 0.3 * tone).astype(np.float32), rate)


def make_setup(name: str, hop: float) -> LiveSetup:
    torch.manual_seed(0)
    model = AST(preset(name)).eval()
    with torch.no_grad():
        model.head.bias.copy_(torch.randn(527) * 1.5 - 4.0)
    detector = Detector(TorchEngine(model), FrontendConfig(), audioset_labels(), name=f"random {name}")
    return LiveSetup(detector, ListenConfig(hop_seconds=hop, batch_size=1))


def headless(setup: LiveSetup, path: Path) -> StreamStats:
    source = FileSource(path, realtime=True)
    listener = setup.detector.listener(source, [], setup.listen_config)
    worker = threading.Thread(target=listener.run, name="rtast-worker")
    worker.start()
    worker.join()
    return listener.stats


def windowed(setup: LiveSetup, path: Path) -> tuple[StreamStats, TimedWindow, float]:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["rtast-bench"])
    window = open_window(setup, InputChoice.file(path, realtime=True), window_class=TimedWindow)
    t0 = time.monotonic()

    def close_when_done() -> None:
        if window.runner.running:
            QtCore.QTimer.singleShot(200, close_when_done)
        else:
            QtCore.QTimer.singleShot(300, window.close)  # the final snapshot drawn too

    QtCore.QTimer.singleShot(1000, close_when_done)
    app.exec()
    return window.runner.listener.stats, window, time.monotonic() - t0


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    p50, p95 = np.percentile(np.array(values) * 1000, [50, 95])
    return f"p50 {p50:6.2f} ms, p95 {p95:6.2f} ms, max {max(values) * 1000:6.1f} ms (n={len(values)})"


def describe(name: str, stats: StreamStats) -> str:
    s = stats.summary()
    return (
        f"{name:9s} {s['audio_seconds']:6.1f} s audio, {s['windows']:3d} windows, {s['skipped_windows']} skipped, "
        f"{s['overflows']} overflows, {s['dropped_frames']} dropped frames, latency p50 {s['latency_ms_p50']:7.1f} ms "
        f"p95 {s['latency_ms_p95']:7.1f} ms, real-time factor {s['real_time_factor']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="tiny224")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--hop", type=float, default=1.0)
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["rtast-bench"])
    print(f"machine: {machine()}")
    print(f"Qt platform: {app.platformName()}; model: random {args.preset}, 527 labels, 10-s windows, hop {args.hop} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "noise_tones.wav"
        make_file(path, args.seconds)
        setup = make_setup(args.preset, args.hop)
        frontend = setup.detector.frontend
        setup.detector.engine.run(torch.zeros(1, frontend.target_length, frontend.num_mel_bins))  # warm-up
        quiet = headless(setup, path)
        shown, window, wall = windowed(setup, path)
    ticks = window.frames
    total = [refresh + paint for refresh, paint, _ in ticks]
    drawn = [refresh + paint for refresh, paint, drew in ticks if drew]
    print(describe("headless", quiet))
    print(describe("window", shown))
    print(f"GUI ticks: {len(ticks)} in {wall:.1f} s ({len(ticks) / wall:.1f} per second, timer at 30)")
    print(f"frame time, all ticks:           {percentiles(total)}")
    print(f"frame time, ticks with a redraw: {percentiles(drawn)}")
    print(f"  of which refresh:              {percentiles([r for r, _, d in ticks if d])}")
    print(f"  of which paint:                {percentiles([p for _, p, d in ticks if d])}")
    print(f"events: {len(window.intervals.items)} in {len(window.timeline.rows)} timeline rows")


if __name__ == "__main__":
    main()
