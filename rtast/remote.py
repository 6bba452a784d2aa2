"""Inference on a server: an engine that sends windows to Triton (``rtast serve``, or a full Triton server).

Capture, resampling, the incremental fbank and events stay in the client; only normalised windows
``features (batch, frames, bins)`` travel, and ``scores (batch, classes)`` (with ``frame_scores
(batch, steps, classes)`` when the server's model has a frame head) come back. The labels, frontend and
window length are read from the server, so ``rtast.open(server="HOST:PORT")`` is a Detector like any
other. Every request has a timeout: a lost server ends the stream with ``EngineUnreachable``, never a hang.

The Triton client (``tritonclient[http]``, ``pip install 'rtast[serve]'``) is imported only here, when used.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.request
from collections.abc import Callable

import numpy as np
import torch

from rtast import __version__
from rtast.configs import ConfigError
from rtast.engine import BackendUnavailable, EngineUnreachable

DEFAULT_MODEL_NAME = "rtast_ast"  # the model's name on the server (`rtast serve --name`, `rtast export-triton --name`)
DEFAULT_TIMEOUT = 10.0  # seconds: connecting, and each request
INPUT_NAME, OUTPUT_NAME, FRAME_OUTPUT_NAME = "features", "scores", "frame_scores"
# Where a server keeps the detector's description: a parameter of the model's config (a full Triton server
# reading `rtast export-triton`'s repository), or, where the config cannot carry one (PyTriton), a companion
# model NAME_info that answers it.
METADATA_PARAMETER = "rtast"
INFO_SUFFIX, INFO_INPUT, INFO_OUTPUT = "_info", "request", "metadata"


def detector_metadata(detector) -> dict:
    """What a client needs to know of a served detector: labels, frontend, frame-head steps (JSON-able)."""
    spans = getattr(detector.engine, "step_spans", None)
    return {
        "rtast": __version__,
        "engine": detector.name or detector.engine.name,
        "labels": list(detector.labels),
        "multilabel": bool(detector.multilabel),
        "frontend": detector.frontend.to_dict(),
        "step_spans": None if spans is None else [list(s) for s in spans],
        "input_name": INPUT_NAME,
        "output_name": OUTPUT_NAME,
    }


def _client_module():
    try:
        import tritonclient.http as triton_http
    except ImportError as e:
        raise BackendUnavailable(
            "inference on a server needs the Triton client: pip install 'rtast[serve]' (tritonclient[http])"
        ) from e
    return triton_http


def _network_errors() -> tuple[type[BaseException], ...]:
    from tritonclient.utils import InferenceServerException

    return OSError, http.client.HTTPException, InferenceServerException


def server_address(server: str) -> str:
    """``HOST:PORT`` (an ``http://`` prefix is dropped); ConfigError for anything else."""
    address = server.removeprefix("http://").rstrip("/")
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"server {server!r} is not HOST:PORT (e.g. 127.0.0.1:8000, the HTTP port of rtast serve)")
    return address


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__


class RemoteEngine:
    """Scores windows on a Triton server; thread-safe (one HTTP connection per calling thread)."""

    def __init__(self, address: str, model: str, metadata: dict, max_batch: int, timeout: float = DEFAULT_TIMEOUT):
        self.address, self.model, self.timeout = address, model, timeout
        self.max_batch = max(1, max_batch)
        self.input_name = metadata.get("input_name", INPUT_NAME)
        self.output_name = metadata.get("output_name", OUTPUT_NAME)
        spans = metadata.get("step_spans")
        self.step_spans = None if spans is None else [tuple(s) for s in spans]
        self.name = f"triton {address}/{model}"
        self._local = threading.local()
        self._clients: list = []
        self._lock = threading.Lock()

    def _client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            client = connect(self.address, self.timeout)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def run(self, windows: torch.Tensor) -> torch.Tensor:
        return self._infer(windows, (self.output_name,))[0]

    def run_frames(self, windows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(clip scores (batch, classes), frame scores (batch, steps, classes)), when the server has a frame head."""
        clip, frames = self._infer(windows, (self.output_name, FRAME_OUTPUT_NAME))
        return clip, frames

    def _infer(self, windows: torch.Tensor, outputs: tuple[str, ...]) -> list[torch.Tensor]:
        triton_http = _client_module()
        parts: list[list[np.ndarray]] = [[] for _ in outputs]
        for i in range(0, len(windows), self.max_batch):  # the server refuses batches above its max_batch_size
            x = np.ascontiguousarray(windows[i : i + self.max_batch].numpy(), dtype=np.float32)
            request = triton_http.InferInput(self.input_name, list(x.shape), "FP32")
            request.set_data_from_numpy(x)
            wanted = [triton_http.InferRequestedOutput(name) for name in outputs]
            try:
                result = self._client().infer(self.model, [request], outputs=wanted)
            except _network_errors() as e:
                raise EngineUnreachable(f"lost the inference server {self.address} ({_describe(e)})") from e
            for part, name in zip(parts, outputs, strict=True):
                part.append(result.as_numpy(name))
        return [torch.from_numpy(np.concatenate(part)) for part in parts]

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()


def connect(address: str, timeout: float = DEFAULT_TIMEOUT):
    """A Triton HTTP client of ``address`` whose every request times out after ``timeout`` seconds."""
    triton_http = _client_module()
    return triton_http.InferenceServerClient(address, connection_timeout=timeout, network_timeout=timeout)


def read_metadata(client, model: str) -> tuple[dict, dict]:
    """(detector metadata, model config) of ``model`` on the server ``client`` talks to."""
    triton_http = _client_module()
    config = client.get_model_config(model)
    parameter = config.get("parameters", {}).get(METADATA_PARAMETER)
    if parameter is not None:
        return json.loads(parameter["string_value"]), config
    request = triton_http.InferInput(INFO_INPUT, [1], "INT32")
    request.set_data_from_numpy(np.zeros(1, np.int32))
    answer = client.infer(model + INFO_SUFFIX, [request]).as_numpy(INFO_OUTPUT)
    return json.loads(bytes(answer[0])), config


def wait_until_ready(
    server: str,
    model: str = DEFAULT_MODEL_NAME,
    timeout: float = 120.0,
    starting: Callable[[], bool] = lambda: True,
) -> None:
    """Return once ``model`` is ready on ``server``; EngineUnreachable after ``timeout`` seconds, or as soon as
    ``starting()`` says the server is no longer starting (its process died)."""
    address = server_address(server)
    client = connect(address, min(timeout, DEFAULT_TIMEOUT))
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                if client.is_model_ready(model):
                    return
            except _network_errors():
                pass  # not listening yet
            if not starting():
                raise EngineUnreachable(f"the inference server {address} stopped while starting")
            if time.monotonic() > deadline:
                raise EngineUnreachable(f"the inference server {address} has no model {model!r} after {timeout:.0f} s")
            time.sleep(0.2)  # polling the readiness endpoint
    finally:
        client.close()


def server_counts(server: str, model: str = DEFAULT_MODEL_NAME) -> dict[str, float]:
    """Triton's counters of ``model`` from its metrics port (the HTTP port + 2, as Triton's 8000/8002 and
    ``rtast serve``): ``requests`` answered, ``windows`` scored and engine ``calls`` (windows / calls: mean batch)."""
    host, port = server_address(server).rsplit(":", 1)
    with urllib.request.urlopen(f"http://{host}:{int(port) + 2}/metrics", timeout=DEFAULT_TIMEOUT) as answer:
        text = answer.read().decode()
    counts = {}
    for key, metric in (
        ("requests", "nv_inference_request_success"),
        ("windows", "nv_inference_count"),
        ("calls", "nv_inference_exec_count"),
    ):
        match = re.search(rf'^{metric}{{model="{re.escape(model)}",version="1"}} (\S+)$', text, re.MULTILINE)
        counts[key] = float(match.group(1)) if match else float("nan")
    return counts


def open_remote(server: str, model: str = DEFAULT_MODEL_NAME, timeout: float = DEFAULT_TIMEOUT):
    """The Detector of ``model`` on the Triton server ``server`` (HOST:PORT, its HTTP port)."""
    from rtast.detector import Detector
    from rtast.fbank import FrontendConfig

    address = server_address(server)
    client = connect(address, timeout)
    try:
        if not client.is_server_live():
            raise EngineUnreachable(f"the inference server {address} is not live")
        if not client.is_model_ready(model):
            models = sorted(m["name"] for m in client.get_model_repository_index() if m.get("state") == "READY")
            raise EngineUnreachable(
                f"the inference server {address} has no model {model!r} ready (ready: {', '.join(models) or 'none'})"
            )
        metadata, config = read_metadata(client, model)
    except _network_errors() as e:
        raise EngineUnreachable(
            f"cannot reach an inference server at {address} ({_describe(e)}); start one with `rtast serve`"
        ) from e
    finally:
        client.close()
    engine = RemoteEngine(address, model, metadata, int(config.get("max_batch_size", 0)) or 1, timeout)
    return Detector(
        engine,
        FrontendConfig.from_dict(metadata["frontend"]),
        list(metadata["labels"]),
        bool(metadata["multilabel"]),
        f"server {address} (model {model}: {metadata.get('engine', '?')})",
    )
