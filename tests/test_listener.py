"""rtast.listener: the live path on file sources: accounting, skipping, overflow, stopping."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from conftest import random_model_file, write_wav

from rtast.engine import EngineUnreachable
from rtast.engines import TorchEngine
from rtast.events import EventConfig
from rtast.listener import ListenConfig, Listener, run_until_interrupted
from rtast.sinks import EventLog
from rtast.sources import CaptureStats, DeviceError, FileSource
from rtast.tagging import TagConfig, Tagger


class Recorder:
    """A sink that keeps everything it is given."""

    def __init__(self):
        self.windows, self.events = [], []

    def window(self, result):
        self.windows.append(result)

    def event(self, event):
        self.events.append(event)

    def close(self):
        pass


class SlowEngine:
    """Wraps an engine and sleeps first: an artificially slow consumer."""

    def __init__(self, engine, seconds: float):
        self.engine, self.seconds, self.name = engine, seconds, "slow"

    def run(self, windows: torch.Tensor) -> torch.Tensor:
        time.sleep(self.seconds)
        return self.engine.run(windows)


@pytest.fixture(scope="module")
def model_file():
    return random_model_file(input_tdim=1024, num_classes=527)


def listener_for(model_file, source, engine=None, hop=1.0, sinks=None, **config):
    engine = engine or TorchEngine(model_file.build_model())
    config = ListenConfig(hop_seconds=hop, events=EventConfig(threshold=0.55, smoothing="none"), **config)
    return Listener(source, engine, model_file.frontend, model_file.labels, sinks or [], config)


def noise_file(tmp_path, seconds: float, rate: int = 44100, channels: int = 2):
    data = np.random.default_rng(0).standard_normal((int(seconds * rate), channels)).astype(np.float32) * 0.1
    return write_wav(tmp_path / f"noise_{seconds}_{rate}.wav", data, rate=rate, subtype="FLOAT")


def test_file_stream_accounts_for_every_sample_and_matches_tag(tmp_path, model_file):
    path = noise_file(tmp_path, 25.0)
    rec = Recorder()
    stats = listener_for(model_file, FileSource(path), sinks=[rec]).run()
    assert stats.stopped_by == "end of input"
    assert stats.frames_captured == stats.frames_processed == 25 * 44100
    assert stats.dropped_frames == 0 and stats.skipped == 0
    assert abs(stats.audio_seconds - 25.0) < 1e-3
    assert [(w.t_start, w.t_end) for w in rec.windows][:3] == [(0.0, 1.0), (0.0, 2.0), (0.0, 3.0)]
    assert [w.t_end for w in rec.windows] == [float(k) for k in range(1, 26)]
    # The batch twin: rtast tag's window [10, 20) has the same scores as the stream's window ending at 20 s.
    tagged = []
    Tagger(
        TorchEngine(model_file.build_model()), model_file.frontend, model_file.labels, True, TagConfig(hop_seconds=5.0)
    ).tag_file(path, tagged.append)
    tag_window = next(w for w in tagged if (w.t_start, w.t_end) == (10.0, 20.0))
    stream_window = next(w for w in rec.windows if (w.t_start, w.t_end) == (10.0, 20.0))
    assert np.abs(tag_window.scores - stream_window.scores).max() < 1e-5
    assert stats.latency_ms(50) > 0 and stats.real_time_factor > 0  # measured, not bounded: no timing thresholds


def test_slow_engine_skips_windows_and_counts_them(tmp_path, model_file):
    path = noise_file(tmp_path, 4.0, rate=16000, channels=1)
    rec = Recorder()
    listener = listener_for(
        model_file,
        FileSource(path, realtime=True),
        SlowEngine(TorchEngine(model_file.build_model()), 0.45),
        hop=0.1,
        sinks=[rec],
    )
    stats = listener.run()
    due = 40  # one window every 0.1 s of 4 s
    assert stats.skipped > 0
    assert stats.windows + stats.skipped == due
    assert stats.windows == len(rec.windows)
    assert stats.dropped_frames == 0  # the 30-s ring absorbed the delay: skipping, not losing audio


def test_overflowing_ring_counts_dropped_frames(tmp_path, model_file):
    path = noise_file(tmp_path, 3.0, rate=16000, channels=1)
    source = FileSource(path, realtime=True, ring_seconds=0.2)
    stats = listener_for(model_file, source, SlowEngine(TorchEngine(model_file.build_model()), 0.6), hop=0.5).run()
    assert stats.dropped_frames > 0
    assert stats.frames_captured == 3 * 16000
    assert stats.frames_captured == stats.frames_processed + stats.dropped_frames  # every frame accounted for
    assert stats.summary()["frames_unprocessed_at_stop"] == 0


def test_duration_limit_and_stop_event(tmp_path, model_file):
    path = noise_file(tmp_path, 12.0, rate=16000, channels=1)
    stats = listener_for(model_file, FileSource(path), max_seconds=5.0).run()
    assert stats.stopped_by == "duration reached" and stats.audio_seconds == pytest.approx(5.0)
    stop = threading.Event()

    class StopAtFirstWindow(Recorder):
        def window(self, result):
            super().window(result)
            stop.set()

    stats = listener_for(model_file, FileSource(path, realtime=True), sinks=[StopAtFirstWindow()]).run(stop)
    assert stats.stopped_by == "stop requested" and stats.audio_seconds < 12


def test_the_detector_places_events_with_the_hop_the_windows_really_have(tmp_path, model_file):
    path = noise_file(tmp_path, 3.0, rate=16000, channels=1)
    recorder = Recorder()
    listener = listener_for(model_file, FileSource(path), hop=0.3333, sinks=[recorder])
    listener.run()
    ends = [w.t_end for w in recorder.windows]
    assert np.allclose(np.diff(ends[:-1]), 0.33), ends  # whole 10-ms frame shifts (the last: end of stream)
    assert listener.detector.hop == pytest.approx(0.33)  # onsets at t_end - hop fall on the newest hop's start


def test_without_a_hop_a_stream_takes_a_sixth_of_the_models_window(tmp_path):
    from rtast.fbank import FrontendConfig

    assert ListenConfig().hop_for(FrontendConfig(window_seconds=3.0)) == 0.5  # the shipped model's
    assert ListenConfig().hop_for(FrontendConfig(window_seconds=10.0)) == 1.0  # AudioSet's: at most 1 s
    assert ListenConfig().hop_for(FrontendConfig(window_seconds=1.0)) == 0.25  # at least 0.25 s
    assert ListenConfig(hop_seconds=2.0).hop_for(FrontendConfig(window_seconds=3.0)) == 2.0
    short = random_model_file(input_tdim=298, num_classes=3, window_seconds=3.0)
    recorder = Recorder()
    path = noise_file(tmp_path, 3.0, rate=16000, channels=1)
    engine = TorchEngine(short.build_model())
    Listener(FileSource(path), engine, short.frontend, short.labels, [recorder], ListenConfig()).run()
    assert [w.t_end for w in recorder.windows] == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])


class StalledSource:
    """A live source whose device stops delivering after one block."""

    sample_rate, channels, description, live = 16000, 1, "stalled test device", True

    def __init__(self):
        self.sent, self.ended, self.last_arrival = False, False, time.monotonic()

    def start(self):
        self.last_arrival = time.monotonic()

    def read(self, timeout):
        time.sleep(timeout)
        if not self.sent:
            self.sent = True
            self.last_arrival = time.monotonic()
            return np.zeros((16000, 1), np.float32)
        return np.zeros((0, 1), np.float32)

    def stats(self):
        return CaptureStats(16000, 0, 0)

    def stop(self):
        pass


def test_a_stalled_device_is_reported_and_events_are_closed(tmp_path, model_file):
    log_path = tmp_path / "ev.jsonl"
    log = EventLog(str(log_path))
    listener = listener_for(model_file, StalledSource(), sinks=[log], stall_timeout=0.5)
    with pytest.raises(DeviceError, match="delivered no audio for"):
        run_until_interrupted(listener)
    log.close()
    assert listener.stats.stopped_by == "device lost"
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    onsets = {r["label"] for r in records if r["event"] == "onset"}
    offsets = {r["label"] for r in records if r["event"] == "offset"}
    assert onsets == offsets  # every open event was closed in the file


class LosingEngine:
    """Answers ``calls`` times, then is lost: a remote engine whose server went away."""

    def __init__(self, engine, calls: int):
        self.engine, self.calls, self.name = engine, calls, "losing"

    def run(self, windows: torch.Tensor) -> torch.Tensor:
        self.calls -= 1
        if self.calls < 0:
            raise EngineUnreachable("lost the inference server 127.0.0.1:1 (test)")
        return self.engine.run(windows)


def test_a_lost_server_ends_the_stream_and_closes_its_events(tmp_path, model_file):
    log_path = tmp_path / "ev.jsonl"
    log = EventLog(str(log_path))
    engine = LosingEngine(TorchEngine(model_file.build_model()), calls=2)
    listener = listener_for(model_file, FileSource(str(noise_file(tmp_path, 12.0))), engine, sinks=[log])
    with pytest.raises(EngineUnreachable, match="lost the inference server"):
        run_until_interrupted(listener)
    log.close()
    assert listener.stats.stopped_by == "server lost" and listener.stats.windows > 0
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert {r["label"] for r in records if r["event"] == "onset"} == {
        r["label"] for r in records if r["event"] == "offset"
    }


@pytest.mark.parametrize(
    ("signum", "status", "stopped_by"),
    [(signal.SIGINT, 130, "interrupted (Ctrl-C)"), (signal.SIGTERM, 143, "terminated (SIGTERM)")],
)
def test_cli_listen_ctrl_c_prints_summary_and_keeps_events(tmp_path, model_file, signum, status, stopped_by):
    """SIGINT and SIGTERM close every open event with its offset, print the summary and exit 128 + signal."""
    from rtast.modelfile import save_model_file

    model = tmp_path / "m.pt"
    save_model_file(model, model_file)
    path = noise_file(tmp_path, 30.0, rate=16000, channels=1)
    events = tmp_path / "ev.jsonl"
    stats_json = tmp_path / "stats.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rtast",
            "listen",
            "--model",
            str(model),
            "--input",
            str(path),
            "--realtime",
            "--no-gui",
            "--hop",
            "0.5",
            "--threshold",
            "0.52",
            "--events",
            str(events),
            "--stats-json",
            str(stats_json),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    while not any("s]" in line for line in seen[-1:]):  # stop once windows are being scored
        line = proc.stdout.readline()
        assert line, f"rtast listen ended before scoring a window: {proc.stderr.read()}"
        seen.append(line)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    out = "".join(seen) + out
    assert proc.returncode == status, err  # never -6 (SIGABRT from a worker killed at exit)
    assert "Traceback" not in err and "terminate called" not in err
    assert stopped_by in err and "latency p50" in err
    summary = json.loads(stats_json.read_text())
    assert 0 < summary["audio_seconds"] < 30 and summary["windows"] >= 1
    logged = [json.loads(line) for line in events.read_text().splitlines()]  # whole lines only
    onsets = [(e["label"], e["onset"]) for e in logged if e["event"] == "onset"]
    offsets = [(e["label"], e["onset"]) for e in logged if e["event"] == "offset"]
    assert onsets and sorted(onsets) == sorted(offsets)  # every open event was closed
    assert all(e["offset"] <= summary["audio_seconds"] for e in logged if e["event"] == "offset")
    assert "s]" in out  # live lines were printed


def test_cli_listen_usage_errors(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "rtast", "listen", "--realtime", "--model", "x.pt"], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "--realtime replays a file" in proc.stderr


def test_cli_listen_several_files_share_one_engine(tmp_path, model_file):
    from rtast.modelfile import save_model_file

    model = tmp_path / "m.pt"
    save_model_file(model, model_file)
    paths = [noise_file(tmp_path, s, rate=16000, channels=1) for s in (6.0, 7.0, 8.0)]
    events = tmp_path / "ev.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rtast",
            "listen",
            "--model",
            str(model),
            "--hop",
            "1",
            "--threshold",
            "0.55",
            "--events",
            str(events),
            "--quiet",
        ]
        + [a for p in paths for a in ("--input", str(p))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    for i in (1, 2, 3):
        assert f"#{i} rtast listen: end of input" in proc.stderr
    calls = [line for line in proc.stderr.splitlines() if "engine calls" in line]
    assert calls and calls[0].split()[2] == str(6 + 7 + 8)  # every stream's windows went through the batcher
    sources = {json.loads(line)["source"] for line in events.read_text().splitlines()}
    assert sources <= {str(p) for p in paths}
