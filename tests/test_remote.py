"""rtast.open(server=...): the remote engine, without a server (tests/engines/test_serve.py runs a real one)."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pytest
import torch
from conftest import random_model_file

import rtast
from rtast.configs import ConfigError
from rtast.detector import from_model_file
from rtast.engine import BackendUnavailable, EngineUnreachable
from rtast.remote import RemoteEngine, detector_metadata, server_address


def test_server_addresses():
    assert server_address("127.0.0.1:8000") == "127.0.0.1:8000"
    assert server_address("http://inference.local:8000/") == "inference.local:8000"
    for bad in ("127.0.0.1", ":8000", "host:port", "host:0", "host:70000"):
        with pytest.raises(ConfigError, match="HOST:PORT"):
            server_address(bad)


def test_a_server_runs_its_own_model():
    with pytest.raises(ConfigError, match="either a server or a model"):
        rtast.open("model.pt", server="127.0.0.1:8000")


def test_without_the_triton_client_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "tritonclient.http", None)  # import fails as if not installed
    with pytest.raises(BackendUnavailable, match=r"pip install 'rtast\[serve\]'"):
        rtast.open(server="127.0.0.1:8000")


def test_no_server_there_is_one_clear_error_at_once():
    pytest.importorskip("tritonclient.http", reason="the Triton client: pip install 'rtast[serve]'")
    t0 = time.monotonic()
    with pytest.raises(EngineUnreachable, match=r"cannot reach an inference server at 127.0.0.1:1 .*rtast serve"):
        rtast.open(server="127.0.0.1:1", timeout=5)
    assert time.monotonic() - t0 < 10


def test_metadata_describes_the_detector_as_json():
    model_file = random_model_file(input_tdim=128, num_classes=5, window_seconds=1.0, frame_head=True)
    detector = from_model_file(model_file, "model test")
    described = json.loads(json.dumps(detector_metadata(detector)))
    assert described["labels"] == detector.labels and described["frontend"] == detector.frontend.to_dict()
    assert [tuple(s) for s in described["step_spans"]] == detector.engine.step_spans
    assert described["engine"] == "model test" and described["multilabel"] is False


class FakeResult:
    def __init__(self, batch: int):
        self.batch = batch

    def as_numpy(self, name: str) -> np.ndarray:
        shape = (self.batch, 3) if name == "scores" else (self.batch, 2, 3)
        return np.full(shape, float(self.batch), np.float32)


class FakeClient:
    """Stands in for tritonclient's HTTP client: records batch sizes; fails once ``fail_after`` calls are used."""

    def __init__(self, fail_after: int = 99):
        self.batches: list[int] = []
        self.fail_after = fail_after

    def infer(self, model, inputs, outputs=None):
        if len(self.batches) >= self.fail_after:
            raise ConnectionResetError(104, "Connection reset by peer")
        self.batches.append(inputs[0].shape()[0])
        return FakeResult(self.batches[-1])

    def close(self):
        pass


def test_batches_above_the_servers_max_are_split_and_a_lost_server_is_typed(monkeypatch):
    pytest.importorskip("tritonclient.http", reason="the Triton client: pip install 'rtast[serve]'")
    client = FakeClient(fail_after=3)
    monkeypatch.setattr("rtast.remote.connect", lambda address, timeout: client)
    engine = RemoteEngine("127.0.0.1:8000", "m", {"step_spans": [[0, 16], [10, 26]]}, max_batch=4)
    clip, frames = engine.run_frames(torch.zeros(10, 128, 128))
    assert client.batches == [4, 4, 2] and clip.shape == (10, 3) and frames.shape == (10, 2, 3)
    assert clip[:, 0].tolist() == [4] * 8 + [2] * 2
    with pytest.raises(EngineUnreachable, match=r"lost the inference server 127.0.0.1:8000 \(.*reset by peer\)"):
        engine.run(torch.zeros(1, 128, 128))
