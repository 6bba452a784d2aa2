"""`rtast listen` end to end on a real audio device: a private PulseAudio null sink's monitor.

paplay plays espeak-ng speech into the sink; rtast captures the monitor through PortAudio
(device "pulse"), runs a speech detector trained by the test, and writes events.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pulse import PulseServer, pulse_unavailable_reason
from speech_detector import speak

SENTENCE = "Hello, this is a test of the live sound event detector. It should hear me speaking now."


@pytest.fixture
def server():
    reason = pulse_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with PulseServer() as s:
        yield s


def listen(server, model, tmp_path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rtast",
            "listen",
            "--device",
            "pulse",
            "--no-gui",
            "--model",
            str(model),
            "--hop",
            "0.25",
            "--events",
            str(tmp_path / "events.jsonl"),
            "--stats-json",
            str(tmp_path / "stats.json"),
            *extra,
        ],
        env={**os.environ, **server.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_capture(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Block until rtast has announced its input (it starts capturing right after)."""
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if line.startswith("rtast listen:") or not line:
            break
    assert line.startswith("rtast listen:"), f"rtast did not start: {line!r} {proc.stderr.read()}"
    time.sleep(1.0)


def wait_for_onset(path: Path, timeout: float = 60.0) -> None:
    """Block until rtast has written an onset to its event log (the data, not a guess at how long it takes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and '"onset"' in path.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"no onset in {path} after {timeout:.0f} s")


def records(tmp_path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]


def test_speech_played_into_the_sink_becomes_an_event(server, speech_detector_path, tmp_path):
    clip = speak("en", SENTENCE, tmp_path / "speech.wav", env={**os.environ, **server.env})
    clip_seconds = float(subprocess.run(["soxi", "-D", str(clip)], capture_output=True, text=True).stdout)
    proc = listen(server, speech_detector_path, tmp_path, "--duration", str(clip_seconds + 6))
    wait_for_capture(proc)
    t_play = time.time()  # the clip cannot start before this; how much later depends on the machine's load
    server.play(clip, block=True)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["overflows"] == 0 and stats["dropped_frames"] == 0  # a busy machine may skip windows, never audio
    assert stats["windows"] + stats["skipped_windows"] >= 4 * (clip_seconds + 5)
    earliest = t_play - stats["started_at"]  # in stream time
    events = [r for r in records(tmp_path) if r["event"] == "offset"]
    print(
        f"clip from {earliest:.2f} s, {clip_seconds:.2f} s long; events "
        + ", ".join(f"{e['label']} {e['onset']}-{e['offset']}" for e in events)
    )
    assert events, out
    first, last = events[0], events[-1]
    assert all(e["label"] == "Speech" for e in events)
    assert first["onset"] >= earliest - 1.0  # 1-s windows every 0.25 s, median of 3
    assert last["offset"] - first["onset"] <= clip_seconds + 2.0  # one stretch of speech, not two
    assert sum(e["duration"] for e in events) >= 0.6 * clip_seconds  # pauses between words may split it


def test_killed_audio_server_is_a_clear_error_and_events_stay_whole(server, speech_detector_path, tmp_path):
    clip = speak("en", SENTENCE, tmp_path / "speech.wav", env={**os.environ, **server.env})
    proc = listen(server, speech_detector_path, tmp_path)
    wait_for_capture(proc)
    server.play(clip)
    wait_for_onset(tmp_path / "events.jsonl")  # speech is being detected: an event is open
    server.kill()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "stopped delivering audio" in err and "Traceback" not in err
    assert "device lost" in err  # the summary still prints
    recs = records(tmp_path)
    assert any(r["event"] == "onset" for r in recs)
    onsets = [r["label"] for r in recs if r["event"] == "onset"]
    offsets = [r["label"] for r in recs if r["event"] == "offset"]
    assert sorted(onsets) == sorted(offsets)  # open events were closed in the file
    stats = json.loads((tmp_path / "stats.json").read_text()) if (tmp_path / "stats.json").exists() else None
    assert stats is None or stats["stopped_by"] == "device lost"


def test_device_that_does_not_exist(server, speech_detector_path, tmp_path):
    for spec, message in [("97", "no input device with index 97"), ("nonexistent-mic", "no input device named")]:
        proc = subprocess.run(
            [sys.executable, "-m", "rtast", "listen", "--device", spec, "--model", str(speech_detector_path)],
            env={**os.environ, **server.env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2 and message in proc.stderr and "pulse" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_devices_lists_the_pulse_device(server):
    proc = subprocess.run(
        [sys.executable, "-m", "rtast", "devices"],
        env={**os.environ, **server.env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and "pulse" in proc.stdout


SLOW_CONSUMER = """
import json, sys, time
sys.path.insert(0, {tests!r})
from conftest import random_model_file
from rtast.engines import TorchEngine
from rtast.sources import MicrophoneSource
from rtast.listener import ListenConfig, Listener

class SlowEngine:
    name = "slow"
    def __init__(self, engine):
        self.engine = engine
    def run(self, x):
        time.sleep(0.8)  # far slower than the 0.25-s hop
        return self.engine.run(x)

mf = random_model_file(input_tdim=128, num_classes=3, window_seconds=1.0)
source = MicrophoneSource("pulse", ring_seconds=0.3)
listener = Listener(source, SlowEngine(TorchEngine(mf.build_model())), mf.frontend,
                    mf.labels, [], ListenConfig(hop_seconds=0.25, max_seconds=4.0))
stats = listener.run()
print(json.dumps(stats.summary()))
"""


def test_slow_consumer_overflows_the_ring_and_every_frame_is_counted(server, tmp_path):
    script = tmp_path / "slow.py"
    script.write_text(SLOW_CONSUMER.format(tests=str(Path(__file__).parent)))
    proc = subprocess.run(
        [sys.executable, str(script)], env={**os.environ, **server.env}, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout.splitlines()[-1])
    print(s)
    assert s["dropped_frames"] > 0  # the 0.3-s ring filled while the engine slept
    assert s["skipped_windows"] > 0
    assert s["frames_captured"] == s["frames_processed"] + s["dropped_frames"] + s["frames_unprocessed_at_stop"]
    assert s["frames_unprocessed_at_stop"] >= 0
