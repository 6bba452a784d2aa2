"""`rtast serve` end to end on 127.0.0.1: a real tritonserver (PyTriton) and concurrent streaming clients.

The server runs in the venv of the system's Python (scripts/setup-serve.sh; PyTriton's stub links the
system's libpython); the clients are this interpreter. Without that venv or the Triton client these tests
skip, saying what to install.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import random_model_file

import rtast
from rtast.cli import main
from rtast.engine import EngineUnreachable
from rtast.engines.serve import ServeConfig, ServeError, check_ports_free, check_python, system_library
from rtast.listener import ListenConfig
from rtast.modelfile import save_model_file
from rtast.remote import server_counts, wait_until_ready
from rtast.sinks import EventCollector
from rtast.sources import FileSource

ROOT = Path(__file__).resolve().parents[2]
SERVE_PYTHON = Path(os.environ.get("RTAST_SERVE_PYTHON", ROOT / ".serve-venv" / "bin" / "python"))
START_DEADLINE = 180.0  # seconds for torch, PyTriton and tritonserver to start on a busy 2-core machine
CLIENTS = 8


def needs_server():
    if not SERVE_PYTHON.exists():
        pytest.skip(f"no serving venv at {SERVE_PYTHON}: bash scripts/setup-serve.sh makes it (.ci/run does)")
    pytest.importorskip("tritonclient.http", reason="the Triton client: pip install 'rtast[serve]'")


def free_port_triple() -> int:
    """A port P with P, P+1 and P+2 free on 127.0.0.1 (the server's HTTP, gRPC and metrics ports)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 65000:
            try:
                check_ports_free(ServeConfig(port=port))
                return port
            except ServeError:
                continue
    raise RuntimeError("no three consecutive free ports on 127.0.0.1")


class Server:
    """`rtast serve` in its own process group (so that killing it kills tritonserver too)."""

    def __init__(self, model: Path, work: Path):
        self.port = free_port_triple()
        self.address = f"127.0.0.1:{self.port}"
        self.err = work / f"serve-{self.port}.err"
        self.log = work / f"tritonserver-{self.port}.log"
        with open(self.err, "w") as err:
            self.process = subprocess.Popen(
                [SERVE_PYTHON, "-m", "rtast", "serve", "--model", model, "--port", str(self.port), "--log", self.log],
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        try:
            wait_until_ready(self.address, timeout=START_DEADLINE, starting=lambda: self.process.poll() is None)
        except EngineUnreachable as e:
            pytest.fail(f"{e}: {self.err.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    """A tiny random AST with a frame head, 1-s windows: fast to run, and it exercises the frame scores."""
    path = tmp_path_factory.mktemp("serve_model") / "model.pt"
    save_model_file(path, random_model_file(input_tdim=128, num_classes=5, window_seconds=1.0, seed=3, frame_head=True))
    return path


@pytest.fixture(scope="module")
def server(model_path, tmp_path_factory):
    needs_server()
    running = Server(model_path, tmp_path_factory.mktemp("serve"))
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


def test_a_taken_port_is_refused_before_the_model_loads(tmp_path, capsys):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1] - 1  # the gRPC port (PORT+1) is the taken one
        code = main(["serve", "--model", str(tmp_path / "no-such-model.pt"), "--port", str(port)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith(f"rtast serve: error: port {port + 1} (gRPC) on 127.0.0.1 is in use"), err


def test_a_python_whose_libpython_is_not_the_systems_is_refused(monkeypatch, tmp_path):
    ours = Path(sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("INSTSONAME"))
    if not ours.exists():
        pytest.skip(f"this Python has no shared {ours.name}")
    monkeypatch.setattr("rtast.engines.serve.system_library", lambda soname: ours)
    check_python()  # the system's own: accepted
    other = tmp_path / ours.name
    other.write_bytes(b"")
    monkeypatch.setattr("rtast.engines.serve.system_library", lambda soname: other)
    with pytest.raises(ServeError, match=r"stub loads the system's .* not this Python's .*scripts/setup-serve.sh"):
        check_python()


def test_system_library_reads_the_loaders_cache():
    found = system_library("libc.so.6")
    assert found is None or found.name == "libc.so.6"


def stream_of(detector, path: Path, hop: float = 0.25) -> tuple[np.ndarray, list, object]:
    """(window scores (windows, classes), finished events, stats) of ``path`` streamed through ``detector``."""
    windows = []
    sink = EventCollector()
    sink.window = windows.append
    stats = detector.listener(FileSource(str(path)), [sink], ListenConfig(hop_seconds=hop)).run()
    return np.stack([w.scores for w in windows]), sink.finished, stats


def test_eight_concurrent_clients_get_local_scores(server, model_path, speech_wav):
    local_scores, local_events, _ = stream_of(rtast.open(model_path), speech_wav)
    results: dict[int, tuple] = {}
    errors: list[BaseException] = []

    def client(i: int) -> None:
        try:
            detector = rtast.open(server=server.address)
            results[i] = stream_of(detector, speech_wav)
            detector.engine.close()
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    before = server_counts(server.address)
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    for scores, events, stats in results.values():
        assert stats.skipped == 0 and stats.stopped_by == "end of input"
        np.testing.assert_allclose(scores, local_scores, atol=1e-5, rtol=0)
        assert [(e.label, e.timing) for e in events] == [(e.label, e.timing) for e in local_events]
        assert [e.timing for e in events] == ["frames"] * len(events)  # the frame head's steps came back
        np.testing.assert_allclose([(e.onset, e.offset) for e in events], [(e.onset, e.offset) for e in local_events])
    after = server_counts(server.address)
    assert after["requests"] - before["requests"] >= CLIENTS
    assert after["calls"] - before["calls"] < after["requests"] - before["requests"], "no two requests were batched"


def test_listen_server_writes_the_events_of_local_inference(server, model_path, speech_wav, tmp_path, capsys):
    scores = stream_of(rtast.open(model_path), speech_wav)[0]
    threshold = f"{np.quantile(scores, 0.8):.4f}"  # a random model: a threshold its scores cross
    flags = ["--input", str(speech_wav), "--hop", "0.25", "--threshold", threshold, "--smoothing", "none"]
    remote, local = tmp_path / "remote.tsv", tmp_path / "local.tsv"
    assert main(["listen", "--server", server.address, *flags, "--no-gui", "--quiet", "--events", str(remote)]) == 0
    assert f"server {server.address} (model rtast_ast: model " in capsys.readouterr().err
    assert main(["listen", "--model", str(model_path), *flags, "--no-gui", "--quiet", "--events", str(local)]) == 0
    assert remote.read_text() == local.read_text() and len(remote.read_text().splitlines()) > 1


def test_a_second_server_on_a_taken_port_says_so_in_one_line(server, model_path):
    out = subprocess.run(
        [SERVE_PYTHON, "-m", "rtast", "serve", "--model", model_path, "--port", str(server.port)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"rtast serve: error: port {server.port} (HTTP) on 127.0.0.1 is in use (another server?); choose another "
        "--port (rtast serve takes PORT, PORT+1 and PORT+2)"
    )


def test_sigterm_stops_the_server_and_frees_its_ports(server):
    assert server.stop(signal.SIGTERM) == 128 + signal.SIGTERM
    assert server.err.read_text().splitlines()[-1] == "rtast serve: terminated (SIGTERM); the server is down"
    check_ports_free(ServeConfig(port=server.port))  # tritonserver is gone too
    with pytest.raises(EngineUnreachable, match="cannot reach an inference server"):
        rtast.open(server=server.address, timeout=5)


def window_line(stream, deadline: float) -> str:
    """The first window line ("[   0.0-1.0 s] ...") of a pipe, or "" when ``deadline`` (monotonic) passes first."""
    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        while sel.select(max(0.0, deadline - time.monotonic())):
            line = stream.readline()
            if not line or line.startswith("["):
                return line
    return ""


def test_a_server_killed_mid_stream_ends_the_client_in_one_line(model_path, speech_wav, tmp_path):
    """SIGKILL of the whole server (a machine gone): the client says so, closes its events, prints its summary."""
    needs_server()
    audio, rate = sf.read(speech_wav)
    long_wav = tmp_path / "long.wav"
    sf.write(long_wav, np.tile(audio, 4), rate)  # ~20 s: the stream is still running when the server dies
    killed = Server(model_path, tmp_path)
    events = tmp_path / "events.jsonl"
    try:
        killed.wait_ready()
        client = subprocess.Popen(
            [sys.executable, "-m", "rtast", "listen", "--server", killed.address, "--input", long_wav, "--realtime"]
            + ["--no-gui", "--threshold", "0.01", "--hop", "0.5", "--events", events, "--server-timeout", "5"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = window_line(client.stdout, time.monotonic() + 60)
            assert line.startswith("["), f"no window line from the client: {line!r} {client.stderr.read()}"
        finally:
            killed.stop(signal.SIGKILL)
        t_killed = time.monotonic()
        out, err = client.communicate(timeout=60)
        took = time.monotonic() - t_killed
    finally:
        if client.poll() is None:
            client.kill()
    assert client.returncode == 1, err
    assert took < 20, f"the client took {took:.1f} s to notice"
    errors = [x for x in err.splitlines() if "error" in x]
    assert len(errors) == 1 and errors[0].startswith(f"rtast listen: error: lost the inference server {killed.address}")
    assert "rtast listen: server lost. " in err and "Traceback" not in err
    records = [json.loads(x) for x in events.read_text().splitlines()]
    onsets = [r for r in records if r["event"] == "onset"]
    offsets = [r for r in records if r["event"] == "offset"]
    assert onsets and len(offsets) == len(onsets)  # every event the stream opened was closed
