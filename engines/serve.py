"""`rtast serve`: one detector's engine behind NVIDIA Triton, through PyTriton.

PyTriton runs a real ``tritonserver`` (HTTP on ``port``, gRPC on ``port + 1``, metrics on ``port + 2``)
whose dynamic batcher gathers the windows of every client into one engine call; this process runs
the engine. Two models are served: NAME (input ``features`` (batch, frames, bins), outputs ``scores``
and, with a frame head, ``frame_scores``) and NAME_info, which answers the detector's description
(labels, frontend, window) that ``rtast.open(server=...)`` reads (rtast/remote.py).

PyTriton's Python stub links the system's libpython, so this runs only in a venv made from the
system's own Python (Debian: ``/usr/bin/python3.11 -m venv``; ``scripts/setup-serve.sh``).
"""

from __future__ import annotations

import errno
import json
import re
import socket
import subprocess
import sysconfig
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rtast.detector import Detector
from rtast.engine import BackendUnavailable
from rtast.listener import stop_signals
from rtast.remote import (
    DEFAULT_MODEL_NAME,
    FRAME_OUTPUT_NAME,
    INFO_INPUT,
    INFO_OUTPUT,
    INFO_SUFFIX,
    INPUT_NAME,
    OUTPUT_NAME,
    detector_metadata,
)

SETUP_HINT = "bash scripts/setup-serve.sh makes one (README: Serving)"


class ServeError(RuntimeError):
    """The server cannot start or stopped by itself (a port in use, the wrong Python); the message says why."""


@dataclass(frozen=True)
class ServeConfig:
    """Where and how the engine is served."""

    host: str = "127.0.0.1"  # address to listen on; 0.0.0.0 accepts other machines
    port: int = 8000  # HTTP (what clients name); gRPC on port + 1, metrics on port + 2
    name: str = DEFAULT_MODEL_NAME  # the model's name on the server
    max_batch: int = 16  # windows per engine call, across clients
    max_queue_delay_us: int = 2000  # how long Triton holds a request to fill a batch
    log_file: Path | None = None  # tritonserver's log (None: a file in the temp folder, named by port)

    @property
    def ports(self) -> dict[str, int]:
        return {"HTTP": self.port, "gRPC": self.port + 1, "metrics": self.port + 2}


def check_ports_free(config: ServeConfig) -> None:
    """Raise ServeError naming the first of the server's ports already taken on ``config.host``."""
    for what, port in config.ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tritonserver: TIME_WAIT is no owner
            try:
                probe.bind((config.host, port))
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    raise ServeError(f"cannot listen on {config.host}:{port} ({e.strerror})") from e
                raise ServeError(
                    f"port {port} ({what}) on {config.host} is in use (another server?); choose another --port "
                    f"(rtast serve takes PORT, PORT+1 and PORT+2)"
                ) from e


def system_library(soname: str) -> Path | None:
    """The path the dynamic loader gives ``soname`` (from ``ldconfig -p``; None when unknown)."""
    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    match = re.search(rf"^\s*{re.escape(soname)} \(.*\) => (\S+)$", listing, re.MULTILINE)
    return Path(match.group(1)) if match else None


def check_python() -> None:
    """Refuse an interpreter whose libpython is not the system's: PyTriton's stub would load the system's
    and fail on a mismatched standard library, after a long start-up."""
    soname = sysconfig.get_config_var("INSTSONAME") or ""
    ours = Path(sysconfig.get_config_var("LIBDIR") or "", soname)
    system = system_library(soname) if soname.startswith("libpython") else None
    if system is None or not ours.exists() or system.resolve() == ours.resolve():
        return
    raise ServeError(
        f"PyTriton's Python stub loads the system's {system}, not this Python's {ours}: run rtast serve in a venv "
        f"made with the system's Python (/usr/bin/python3 -m venv); {SETUP_HINT}"
    )


def _pytriton():
    try:
        import pytriton.exceptions
        import pytriton.triton
    except ImportError as e:
        raise BackendUnavailable(f"rtast serve needs PyTriton (nvidia-pytriton) in its own venv; {SETUP_HINT}") from e
    return pytriton


def infer_function(detector: Detector) -> Callable[..., dict[str, np.ndarray]]:
    """The batched callable PyTriton runs: ``features`` (batch, frames, bins) -> scores (and frame scores)."""
    engine = detector.engine
    frames = getattr(engine, "step_spans", None) is not None

    def infer(**inputs: np.ndarray) -> dict[str, np.ndarray]:
        windows = torch.from_numpy(inputs[INPUT_NAME])
        if not frames:
            return {OUTPUT_NAME: engine.run(windows).numpy()}
        clip, steps = engine.run_frames(windows)
        return {OUTPUT_NAME: clip.numpy(), FRAME_OUTPUT_NAME: steps.numpy()}

    return infer


def _bind(triton, detector: Detector, config: ServeConfig) -> None:
    from pytriton.decorators import batch
    from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor

    metadata = detector_metadata(detector)
    answer = np.array([json.dumps(metadata).encode()], dtype=object)
    # NAME_info first: PyTriton loads models in order, so NAME ready means its description is too
    triton.bind(
        model_name=config.name + INFO_SUFFIX,
        infer_func=lambda requests: [{INFO_OUTPUT: answer} for _ in requests],
        inputs=[Tensor(name=INFO_INPUT, dtype=np.int32, shape=(1,))],
        outputs=[Tensor(name=INFO_OUTPUT, dtype=bytes, shape=(1,))],
        config=ModelConfig(batching=False),
    )
    frontend, classes = detector.frontend, len(detector.labels)
    outputs = [Tensor(name=OUTPUT_NAME, dtype=np.float32, shape=(classes,))]
    if metadata["step_spans"] is not None:
        outputs.append(Tensor(name=FRAME_OUTPUT_NAME, dtype=np.float32, shape=(len(metadata["step_spans"]), classes)))
    triton.bind(
        model_name=config.name,
        infer_func=batch(infer_function(detector)),
        inputs=[Tensor(name=INPUT_NAME, dtype=np.float32, shape=(frontend.target_length, frontend.num_mel_bins))],
        outputs=outputs,
        config=ModelConfig(
            max_batch_size=config.max_batch,
            batcher=DynamicBatcher(max_queue_delay_microseconds=config.max_queue_delay_us),
        ),
        strict=True,
    )


def log_path(config: ServeConfig) -> Path:
    """Where tritonserver's own log goes."""
    return config.log_file or Path(tempfile.gettempdir()) / f"rtast-serve-{config.port}.log"


def serve(detector: Detector, config: ServeConfig, on_ready: Callable[[], None] = lambda: None) -> int:
    """Serve ``detector`` until SIGINT or SIGTERM; returns the signal that stopped it.

    ``on_ready`` is called once both models answer. Raises ServeError when a port is taken, the Python
    cannot run PyTriton's stub, or tritonserver exits by itself.
    """
    check_ports_free(config)
    check_python()
    pytriton = _pytriton()
    triton_config = pytriton.triton.TritonConfig(
        http_address=config.host,
        http_port=config.port,
        grpc_address=config.host,
        grpc_port=config.port + 1,
        metrics_address=config.host,
        metrics_port=config.port + 2,
        log_file=log_path(config),
        exit_timeout_secs=5,  # in-flight requests get this long at a stop
    )
    stop = threading.Event()
    with stop_signals(stop.set) as caught:
        triton = pytriton.triton.Triton(config=triton_config)
        try:
            _bind(triton, detector, config)
            try:
                triton.run()  # returns once the models are loaded
            except pytriton.exceptions.PyTritonError as e:
                raise ServeError(f"tritonserver did not start ({e}); its log: {log_path(config)}") from e
            on_ready()
            while not stop.wait(0.5):
                if not triton.is_alive():
                    raise ServeError(f"tritonserver stopped by itself; its log: {log_path(config)}")
        finally:
            triton.stop()
    return caught[0] if caught else 0
