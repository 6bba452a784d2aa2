"""The test harness's own characterisation: the private PulseAudio server (tests/pulse.py) really delivers
audio to sounddevice, and a killed server is observable. It tests no rtast code; the live tests rely on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import require
from pulse import MONITOR, SINK, PulseServer, pulse_unavailable_reason

UNAVAILABLE = pulse_unavailable_reason()
pytestmark = [pytest.mark.harness, pytest.mark.skipif(UNAVAILABLE is not None, reason=UNAVAILABLE or "")]

RATE = 16000

# Runs in a child process: python -c CHILD MODE ARGS... Prints "started" once its stream runs, then one JSON line.
# A faulthandler watchdog ends it (with tracebacks) if anything hangs.
CHILD = r"""
import faulthandler, json, os, sys, time
faulthandler.dump_traceback_later(15, exit=True)
import numpy as np
import sounddevice as sd

mode, args = sys.argv[1], sys.argv[2:]
RATE = 16000


def stop_and_close(stream):
    out = {}
    for op in ("stop", "close"):
        t = time.monotonic()
        try:
            getattr(stream, op)()
            out[op] = None
        except Exception as error:
            out[op] = repr(error)
        out[op + "_seconds"] = time.monotonic() - t
    return out


if mode == "record":  # args: device seconds out.wav; records until that much audio has arrived
    import threading

    import soundfile as sf

    device, seconds, out = args[0], float(args[1]), args[2]
    chunks, statuses, enough = [], set(), threading.Event()

    def callback(indata, frames, time_info, status):
        if status:
            statuses.add(str(status))
        chunks.append(indata.copy())
        if sum(map(len, chunks)) >= seconds * RATE:
            enough.set()

    with sd.InputStream(device=device, samplerate=RATE, channels=1, callback=callback):
        print("started", flush=True)
        enough.wait()
    audio = np.concatenate(chunks)[:, 0] if chunks else np.zeros(0, np.float32)
    sf.write(out, audio, RATE)
    names = [d["name"] for d in sd.query_devices()]
    print(json.dumps({"devices": names, "frames": len(audio), "statuses": sorted(statuses)}), flush=True)

elif mode == "kill-callback":  # the parent kills the server while we record; wait for PortAudio to notice
    events, finished = [], []
    stream = sd.InputStream(
        device="pulse",
        samplerate=RATE,
        channels=1,
        callback=lambda indata, frames, t, status: events.append((time.monotonic(), frames, str(status))),
        finished_callback=lambda: finished.append(time.monotonic()),
    )
    stream.start()
    while len(events) <= 10:  # audio flows before the parent kills the server
        time.sleep(0.01)
    print("started", flush=True)
    deadline = time.monotonic() + 8
    while not finished and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # would callbacks resume?
    result = {
        "finished_at": finished[0] if finished else None,
        "callbacks": len(events),
        "last_callback_at": events[-1][0] if events else None,
        "statuses": sorted({status for _, _, status in events if status}),
        "active": stream.active,
        "stopped": stream.stopped,
    }
    result.update(stop_and_close(stream))
    print(json.dumps(result), flush=True)

elif mode == "kill-read":  # the same with blocking reads
    stream = sd.InputStream(device="pulse", samplerate=RATE, channels=1, blocksize=800)
    stream.start()
    for _ in range(6):  # audio flows before the parent kills the server
        stream.read(800)
    print("started", flush=True)
    reads, errors, last_read_at = 6, [], None
    deadline = time.monotonic() + 8
    while len(errors) < 3 and time.monotonic() < deadline:
        try:
            stream.read(800)
            reads += 1
            last_read_at = time.monotonic()
        except sd.PortAudioError as error:
            errors.append({"at": time.monotonic(), "args": json.loads(json.dumps(error.args))})
    result = {"reads": reads, "last_read_at": last_read_at, "errors": errors, "active": stream.active}
    result.update(stop_and_close(stream))
    print(json.dumps(result), flush=True)

elif mode == "same-process":  # args: the server's env as JSON; our own env points at no server
    names = lambda: [d["name"] for d in sd.query_devices()]
    result = {"at_import": names()}
    os.environ.update(json.loads(args[0]))
    result["after_environ_update"] = names()
    sd._terminate()
    sd._initialize()
    result["after_reinitialise"] = names()
    result["frames"] = len(sd.rec(RATE // 4, samplerate=RATE, channels=1, device="pulse", blocking=True))
    print(json.dumps(result), flush=True)
"""


def run_child(server: PulseServer, *args: str, env: dict[str, str] | None = None, on_started=None) -> tuple[dict, str]:
    """Run CHILD with the server's env; call on_started() once its stream runs; return its JSON result and stderr."""
    env = {**os.environ, **server.env} if env is None else env
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if on_started is not None:
            assert child.stdout is not None
            line = child.stdout.readline()  # the child's watchdog bounds this wait
            if line.strip() != "started":
                stdout, stderr = child.communicate(timeout=20)
                raise AssertionError(f"child did not start ({child.returncode}): {line}{stdout}\n{stderr}")
            on_started()
        stdout, stderr = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, f"child failed ({child.returncode}):\n{stdout}\n{stderr}"
    return json.loads(stdout.strip().splitlines()[-1]), stderr


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


@pytest.fixture
def server():
    with PulseServer() as pulse:
        yield pulse


@pytest.fixture
def speech_2s(server, tmp_path) -> Path:
    """About 2 s of espeak-ng speech (22.05 kHz mono)."""
    require("espeak-ng")
    path = tmp_path / "speech_2s.wav"
    # espeak-ng connects to a PulseAudio server even with -w: give it ours, not the user's session.
    env = {**os.environ, **server.env}
    subprocess.run(["espeak-ng", "-w", str(path), "Testing the real time sound tagger."], check=True, env=env)
    return path


def test_server_defaults_and_cleanup():
    with PulseServer() as server:
        info = server.pactl("info").stdout
        assert f"Default Sink: {SINK}" in info
        assert f"Default Source: {MONITOR}" in info
        assert server.env["PULSE_SERVER"] == f"unix:{server.socket}"
        daemon, root = server.process, server.root
        assert daemon is not None and server.alive
    assert daemon.poll() is not None
    assert not root.exists()


def test_restart_after_kill_reuses_the_socket(server):
    server.kill()
    assert not server.alive
    assert server.pactl("info", check=False).returncode != 0
    server.start()
    assert f"Default Source: {MONITOR}" in server.pactl("info").stdout


def test_start_failure_reports_the_daemon_log(monkeypatch):
    monkeypatch.setattr(PulseServer, "_script", lambda self: "load-module module-that-does-not-exist\n")
    server = PulseServer()
    with pytest.raises(RuntimeError, match="module-that-does-not-exist"):
        server.start()
    server.stop()
    assert not server.root.exists()


def test_recording_the_monitor_hears_the_played_clip(server, speech_2s, tmp_path):
    silent, _ = run_child(server, "record", "default", "1.5", str(tmp_path / "silent.wav"))
    heard, _ = run_child(
        server, "record", "pulse", "4", str(tmp_path / "heard.wav"), on_started=lambda: server.play(speech_2s)
    )
    silent_audio, rate = sf.read(tmp_path / "silent.wav")
    heard_audio, _ = sf.read(tmp_path / "heard.wav")
    clip, _ = sf.read(speech_2s)
    print(
        f"devices {heard['devices']}; silent: {silent['frames']} frames, RMS {rms(silent_audio):.5f}; "
        f"speech: {heard['frames']} frames, RMS {rms(heard_audio):.5f} (clip {rms(clip):.5f}, "
        f"{len(clip) / 22050:.2f} s)"
    )
    assert rate == RATE
    assert "pulse" in heard["devices"] and "default" in heard["devices"]
    assert heard["statuses"] == [] and silent["statuses"] == []
    # Samples flow from the start (the keep-alive stream), and silence is digital zero.
    assert silent["frames"] >= 1.5 * RATE and heard["frames"] >= 4 * RATE
    assert rms(silent_audio) < 1e-4
    assert rms(heard_audio) > 0.02 and rms(heard_audio) > 100 * rms(silent_audio)
    # The whole clip arrived: about as many loud samples as the clip has, at 16 kHz.
    loud_seconds = np.count_nonzero(np.abs(heard_audio) > 0.01) / RATE
    clip_loud_seconds = np.count_nonzero(np.abs(clip) > 0.01) / 22050
    print(f"loud: {loud_seconds:.2f} s recorded, {clip_loud_seconds:.2f} s in the clip")
    assert loud_seconds == pytest.approx(clip_loud_seconds, rel=0.2)


def test_killed_server_ends_a_callback_stream_silently(server):
    killed_at = []

    def kill_later():
        killed_at.append(time.monotonic())  # CLOCK_MONOTONIC is shared with the child
        server.kill()

    result, stderr = run_child(server, "kill-callback", on_started=kill_later)
    print(f"stream finished {result['finished_at'] - killed_at[0]:.4f} s after the kill", result, stderr, sep="\n")
    # Observed: within milliseconds of the kill PortAudio's ALSA thread fails (it prints "Expression
    # 'alsa_snd_pcm_poll_descriptors_revents(...)' failed" to stderr); callbacks stop without any status flag,
    # finished_callback runs, stream.active turns False (stream.stopped stays False), and stop()/close() return at once
    # without raising. The application gets no exception: only a silent end of callbacks / active == False.
    assert result["callbacks"] > 10
    assert result["finished_at"] is not None
    assert (
        0 <= result["finished_at"] - killed_at[0] < 10.0
    )  # promptly, not a speed bound: the point is that it is noticed at all
    assert result["last_callback_at"] < result["finished_at"]
    assert result["statuses"] == []
    assert result["active"] is False and result["stopped"] is False
    assert result["stop"] is None and result["close"] is None
    assert result["stop_seconds"] < 10.0 and result["close_seconds"] < 10.0  # returns, never hangs


def test_killed_server_makes_blocking_reads_raise(server):
    killed_at = []

    def kill_later():
        killed_at.append(time.monotonic())
        server.kill()

    result, stderr = run_child(server, "kill-read", on_started=kill_later)
    print(f"read() raised {result['errors'][0]['at'] - killed_at[0]:.4f} s after the kill", result, stderr, sep="\n")
    # Observed: the next read() raises PortAudioError('Unanticipated host error', -9999, (0, -5, 'Input/output
    # error')) at once, and so does every later read(); stream.active stays True; stop()/close() do not raise.
    assert result["reads"] > 5
    assert len(result["errors"]) == 3
    first = result["errors"][0]
    assert 0 <= first["at"] - killed_at[0] < 10.0
    assert first["args"][:2] == ["Unanticipated host error", -9999]
    assert first["args"][2][1:] == [-5, "Input/output error"]
    assert result["active"] is True
    assert result["stop"] is None and result["close"] is None


def test_same_process_needs_environ_before_import_or_reinitialise(server):
    # The child starts pointed at no server (a dead socket) and switches its os.environ after importing sounddevice.
    env = {**os.environ, **server.env, "PULSE_SERVER": f"unix:{server.root / 'no-such-socket'}"}
    result, _ = run_child(server, "same-process", json.dumps(server.env), env=env)
    print(result)
    assert "pulse" not in result["at_import"]
    assert "pulse" not in result["after_environ_update"]
    assert {"pulse", "default"} <= set(result["after_reinitialise"])
    assert result["frames"] == RATE // 4
