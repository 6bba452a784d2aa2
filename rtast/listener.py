"""The live data path: source -> 16 kHz mono -> incremental fbank -> windows -> engine -> events -> sinks.

``Listener.run`` is the worker loop. It drains the source, computes only the new fbank frames,
and scores the windows that are due. A live source keeps producing while the engine works; if
several windows are due at once the worker has fallen behind, so it scores only the newest and
counts the others as skipped. Nothing queues without bound: the ring buffer has a fixed size.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from rtast.configs import ConfigError
from rtast.engine import Engine, EngineUnreachable
from rtast.events import EventConfig, EventDetector, Steps
from rtast.fbank import SAMPLE_RATE, FrontendConfig
from rtast.resample import StreamResampler
from rtast.sinks import Sink, WindowResult
from rtast.sources import DeviceError, Source
from rtast.windows import FrameWindow, WindowedFrontend, default_hop_seconds, startup_padding

LATENCY_HISTORY = 10000  # windows kept for latency percentiles


@dataclass(frozen=True)
class ListenConfig:
    """How the stream is cut and run; one place for the defaults."""

    hop_seconds: float | None = None  # between windows (rounded to 10 ms); None: the model's (hop_for)
    max_seconds: float | None = None  # stop after this much audio (None: until stopped)
    stall_timeout: float = 3.0  # seconds without audio from a live source = device lost
    read_timeout: float = 0.1  # seconds the worker waits for audio before checking for stop
    batch_size: int = 8  # windows per engine call when nothing is skipped (file sources)
    events: EventConfig = field(default_factory=EventConfig)  # how window scores become events

    def __post_init__(self) -> None:
        if self.hop_seconds is not None and not 0 < self.hop_seconds < math.inf:  # also refuses NaN
            raise ConfigError(f"hop must be a finite number of seconds above 0, got {self.hop_seconds}")
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise ConfigError(f"duration must be positive seconds, got {self.max_seconds}")

    def hop_for(self, frontend: FrontendConfig) -> float:
        """The hop a stream of this model uses: the one given, else windows.default_hop_seconds."""
        return default_hop_seconds(frontend) if self.hop_seconds is None else self.hop_seconds


@dataclass
class StreamStats:
    """What happened on one stream; every captured frame is processed or counted as dropped."""

    source: str = ""
    native_rate: int = 0
    frames_captured: int = 0  # at the native rate
    frames_processed: int = 0  # at the native rate, handed to the frontend
    dropped_frames: int = 0  # lost in a full ring buffer
    overflows: int = 0  # reported by PortAudio
    samples_16k: int = 0  # after resampling
    windows: int = 0  # scored
    skipped: int = 0  # due but not scored because the worker was behind
    events: int = 0
    processing_seconds: float = 0.0  # worker time spent on frontend + engine + events
    wall_seconds: float = 0.0
    latencies: deque = field(default_factory=lambda: deque(maxlen=LATENCY_HISTORY))
    stopped_by: str = ""  # end of input | duration reached | stop requested | device lost | server lost | ...
    started_at: float = 0.0  # Unix time when capture started: stream time 0
    stop_signal: int = 0  # the signal that stopped the run (0: none); the exit status is 128 + it

    @property
    def audio_seconds(self) -> float:
        return self.samples_16k / SAMPLE_RATE

    @property
    def real_time_factor(self) -> float:
        """Processing time per second of audio (< 1 keeps up with real time)."""
        return self.processing_seconds / self.audio_seconds if self.audio_seconds else 0.0

    def latency_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000) if self.latencies else float("nan")

    def summary(self) -> dict:
        return {
            "source": self.source,
            "stopped_by": self.stopped_by,
            "started_at": round(self.started_at, 3),
            "audio_seconds": round(self.audio_seconds, 3),
            "wall_seconds": round(self.wall_seconds, 3),
            "windows": self.windows,
            "skipped_windows": self.skipped,
            "events": self.events,
            "overflows": self.overflows,
            "dropped_frames": self.dropped_frames,
            "frames_captured": self.frames_captured,
            "frames_processed": self.frames_processed,
            "frames_unprocessed_at_stop": self.frames_captured - self.frames_processed - self.dropped_frames,
            "latency_ms_p50": round(self.latency_ms(50), 2),
            "latency_ms_p95": round(self.latency_ms(95), 2),
            "real_time_factor": round(self.real_time_factor, 4),
        }

    def describe(self) -> str:
        """The run in one line, without a program name: "end of input. 12.0 s of audio in ..."."""
        s = self.summary()
        return (
            f"{s['stopped_by']}. "
            f"{s['audio_seconds']:.1f} s of audio in {s['wall_seconds']:.1f} s; "
            f"{s['windows']} windows, {s['skipped_windows']} skipped, {s['events']} events; "
            f"{s['overflows']} overflows, {s['dropped_frames']} dropped frames; "
            f"latency p50 {s['latency_ms_p50']:.0f} ms, p95 {s['latency_ms_p95']:.0f} ms; "
            f"real-time factor {s['real_time_factor']:.3f}"
        )


class Listener:
    """Runs one source through the model and hands results to sinks, on the calling thread."""

    def __init__(
        self,
        source: Source,
        engine: Engine,
        frontend: FrontendConfig,
        labels: list[str],
        sinks: list[Sink],
        config: ListenConfig | None = None,
    ):
        self.source = source
        self.engine = engine
        self.config = config or ListenConfig()
        self.frontend = WindowedFrontend(frontend, self.config.hop_for(frontend), startup_windows=True)
        # the hop the windows really have (whole frame shifts), so events and windows agree on it
        self.detector = EventDetector(labels, self.frontend.hop_seconds, self.config.events)
        self.sinks = sinks
        self.stats = StreamStats(source=source.description, native_rate=source.sample_rate)
        spans = getattr(engine, "step_spans", None)  # a frame head places event times inside windows
        self.frame_shift = frontend.frame_shift_ms / 1000
        self.step_offsets = None if spans is None else frontend.frame_seconds(spans)  # (steps, 2) s

    def run(self, stop: threading.Event | None = None) -> StreamStats:
        """Process until the input ends, ``max_seconds`` of audio, ``stop`` is set or the device is lost."""
        stop = stop or threading.Event()
        stats, cfg = self.stats, self.config
        resampler = StreamResampler(self.source.sample_rate)
        max_samples = None if cfg.max_seconds is None else round(cfg.max_seconds * SAMPLE_RATE)
        t_begin = time.monotonic()
        self.source.start()
        stats.started_at = time.time()
        try:
            while True:
                if stop.is_set():
                    stats.stopped_by = "stop requested"
                    break
                block = self.source.read(cfg.read_timeout)
                arrival = self.source.last_arrival
                if len(block) == 0:
                    if self.source.ended:
                        self._process(resampler.flush(), arrival, final=True)
                        stats.stopped_by = "end of input"
                        break
                    if self.source.live and time.monotonic() - arrival > cfg.stall_timeout:
                        raise DeviceError(
                            f"input {self.source.description} delivered no audio for {cfg.stall_timeout:.0f} s "
                            "(device unplugged or audio server gone?)"
                        )
                    continue
                stats.frames_processed += len(block)
                samples = resampler(block)
                if max_samples is not None and stats.samples_16k + len(samples) >= max_samples:
                    self._process(samples[: max_samples - stats.samples_16k], arrival, final=True)
                    stats.stopped_by = "duration reached"
                    break
                self._process(samples, arrival, final=False)
        except DeviceError:
            stats.stopped_by = "device lost"
            raise
        except EngineUnreachable:
            stats.stopped_by = "server lost"
            raise
        finally:
            self.source.stop()
            capture = self.source.stats()
            stats.frames_captured = capture.frames_captured
            stats.dropped_frames = capture.dropped_frames
            stats.overflows = capture.overflows
            for event in self.detector.finish(stats.audio_seconds):
                self._emit_event(event)
            stats.wall_seconds = time.monotonic() - t_begin
        return stats

    def _process(self, samples: np.ndarray, arrival: float, final: bool) -> None:
        t0 = time.perf_counter()
        self.stats.samples_16k += len(samples)
        windows = self.frontend.push(samples)
        if final:
            windows += self.frontend.finish()
        if windows and self.source.live and len(windows) > 1:
            self.stats.skipped += len(windows) - 1  # behind real time: only the newest matters
            windows = windows[-1:]
        size = self.config.batch_size
        for i in range(0, len(windows), size):
            self._score(windows[i : i + size], arrival)
        self.stats.processing_seconds += time.perf_counter() - t0

    def _score(self, windows: list[FrameWindow], arrival: float) -> None:
        inputs = self.frontend.model_inputs(windows)
        if self.step_offsets is None:
            scores, frame_scores = self.engine.run(inputs).numpy(), [None] * len(windows)
        else:
            clip, frames = self.engine.run_frames(inputs)
            scores, frame_scores = clip.numpy(), frames.numpy()
        latency = time.monotonic() - arrival
        for w, s, x, f in zip(windows, scores, inputs, frame_scores, strict=True):
            t_start, t_end = w.start / SAMPLE_RATE, w.end / SAMPLE_RATE
            origin = t_start - startup_padding(w.start, w.end, self.frontend.config) * self.frame_shift
            events = self.detector.update(t_start, t_end, s, self._steps(origin, t_start, t_end, f))
            result = WindowResult(t_start, t_end, s, self.detector.smoothed, latency, x)
            self.stats.windows += 1
            self.stats.latencies.append(latency)
            for sink in self.sinks:
                sink.window(result)
            for event in events:
                self._emit_event(event)

    def _steps(self, origin: float, t_start: float, t_end: float, frame_scores: np.ndarray | None) -> Steps | None:
        """The frame head's steps of one window that hold audio [t_start, t_end); the model's input begins at
        ``origin`` (before t_start for a start-up window: silence) and may be padded after t_end."""
        if frame_scores is None:
            return None
        starts, ends = origin + self.step_offsets[:, 0], origin + self.step_offsets[:, 1]
        keep = (starts < t_end) & (ends > t_start)
        if not keep.any():
            return None
        return Steps(np.maximum(starts[keep], t_start), np.minimum(ends[keep], t_end), frame_scores[keep])

    def _emit_event(self, event) -> None:
        self.stats.events += 1
        for sink in self.sinks:
            sink.event(event)


STOP_SIGNALS = {signal.SIGINT: "interrupted (Ctrl-C)", signal.SIGTERM: "terminated (SIGTERM)"}


@contextmanager
def stop_signals(on_stop: Callable[[], None]) -> Iterator[list[int]]:
    """While inside, SIGINT and SIGTERM call ``on_stop``; yields the signals caught, in order.

    Handlers go in only on the main thread (elsewhere Python cannot), a signal the parent chose to
    ignore (``cmd &`` in a script ignores SIGINT) stays ignored, and the previous handlers return.
    """
    caught: list[int] = []

    def handler(signum: int, frame) -> None:
        caught.append(signum)
        on_stop()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS if signal.getsignal(s) != signal.SIG_IGN}
    try:
        yield caught
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def run_all_until_interrupted(listeners: list[Listener]) -> list[StreamStats]:
    """Run each listener on its own worker thread; SIGINT or SIGTERM stops them all cleanly.

    A stopping signal only sets the stop flag, so every worker closes its open events and the
    stats say which signal it was (``StreamStats.signal``). The first worker error is re-raised
    here after every worker has stopped.
    """
    stop = threading.Event()
    errors: list[BaseException] = []

    def work(listener: Listener, done: threading.Event) -> None:
        try:
            listener.run(stop)
        except BaseException as e:  # handed to the main thread, which reports it
            errors.append(e)
            stop.set()  # one stream failing ends the run for all
        finally:
            done.set()

    done = [threading.Event() for _ in listeners]
    workers = [
        threading.Thread(target=work, args=(x, d), name=f"rtast-worker-{i}", daemon=True)
        for i, (x, d) in enumerate(zip(listeners, done, strict=True))
    ]
    # Handlers instead of KeyboardInterrupt: an exception landing in Thread.join can make it return
    # at once (CPython 3.11), and the process then exits under a running worker (SIGABRT from torch).
    with stop_signals(stop.set) as caught:
        for w in workers:
            w.start()
        for d in done:
            while not d.wait(0.2):
                pass
    if caught:
        for x in listeners:
            x.stats.stopped_by = STOP_SIGNALS[caught[0]]
            x.stats.stop_signal = caught[0]
    if errors:
        raise errors[0]
    return [x.stats for x in listeners]


def run_until_interrupted(listener: Listener) -> StreamStats:
    """Run ``listener`` on a worker thread; SIGINT/SIGTERM stop it cleanly. Worker errors are re-raised here."""
    return run_all_until_interrupted([listener])[0]
