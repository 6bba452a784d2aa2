"""Everything before the GPU for TensorRT 10/11: the TensorRT-ready ONNX run in ONNX Runtime on real speech,
the strongly typed build against a stand-in tensorrt module, versions, caches and batch splitting."""

from __future__ import annotations

import importlib.machinery
import json
import sys
import types
from contextlib import nullcontext

import numpy as np
import pytest
import torch
from conftest import random_model_file

from rtast.cpu import saturating_int8
from rtast.engines import TorchEngine
from rtast.engines.build import build_engine, load_engine
from rtast.engines.metadata import library_versions, sidecar, tensorrt_version
from rtast.engines.tensorrt_backend import (
    TensorRTEngine,
    build_tensorrt,
    check_tensorrt_version,
    network_flags,
    timing_cache_path,
)
from rtast.engines.tensorrt_prepare import FP16_BLOCK_LIST, _WindowReader, calibration_batches, graph_precision
from rtast.modelfile import load_model_file, save_model_file

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """The small 527-class model of test_engines.py: 1-s windows, weights x4 so scores differ between windows."""
    model_file = random_model_file(input_tdim=128, num_classes=527, window_seconds=1.0, seed=3)
    for k, v in model_file.state_dict.items():
        if v.dim() >= 2:
            model_file.state_dict[k] = v * 4
    path = tmp_path_factory.mktemp("trt_model") / "model.pt"
    save_model_file(path, model_file)
    return path


def _windows(model_path, wav, hop: float) -> torch.Tensor:
    from rtast.fbank import window_input
    from rtast.windows import windows_of_file

    frontend = load_model_file(model_path).frontend
    return torch.stack([window_input(w.frames, frontend) for w in windows_of_file(wav, frontend, hop)])


@pytest.fixture(scope="module")
def speech_windows(model_path, speech_wav):
    return _windows(model_path, speech_wav, 0.5)[:8]


@pytest.fixture(scope="module")
def calibration(model_path, speech_wav):
    """Other windows of the same speech (hop 0.25 s): two full batches of 8 and more."""
    windows = _windows(model_path, speech_wav, 0.25)
    assert len(windows) >= 16
    return windows


@pytest.fixture(scope="module")
def reference(model_path, speech_windows):
    return TorchEngine(load_model_file(model_path).build_model()).run(speech_windows)


def top5_agreement(scores: torch.Tensor, reference: torch.Tensor) -> float:
    pairs = zip(reference, scores, strict=True)
    return float(
        np.mean([len(set(r.topk(5).indices.tolist()) & set(s.topk(5).indices.tolist())) / 5 for r, s in pairs])
    )


def test_prepare_only_fp16_graph_matches_eager_fp32(model_path, speech_windows, reference, tmp_path):
    import onnx

    path, meta = build_engine(model_path, "tensorrt", "fp16", 8, tmp_path / "e.plan", prepare_only=True)
    assert path.suffix == ".onnx" and sidecar(path).is_file() and not (tmp_path / "e.plan").exists()
    assert meta.backend == "onnx" and meta.precision == "fp16" and meta.recipe.startswith("TensorRT-ready")
    graph = onnx.load(str(path)).graph
    assert graph_precision(path)["fp16_initializers"] > 0
    for value in (*graph.input, *graph.output):  # fp32 I/O: the engine's bindings stay float32
        assert value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    inferred = onnx.shape_inference.infer_shapes(onnx.load(str(path))).graph
    types_of = {v.name: v.type.tensor_type.elem_type for v in (*inferred.value_info, *inferred.input)}
    kept = [n for n in graph.node if n.op_type in FP16_BLOCK_LIST]
    assert any(n.op_type == "LayerNormalization" for n in kept) and any(n.op_type == "Softmax" for n in kept)
    assert all(types_of.get(n.input[0]) == onnx.TensorProto.FLOAT for n in kept)  # LayerNorm/softmax in fp32
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(props["rtast"])["precision"] == "fp16"

    engine, _ = load_engine(path)
    scores = engine.run(speech_windows)
    agree = top5_agreement(scores, reference)
    print(f"TensorRT-ready fp16 in onnxruntime: max diff {(scores - reference).abs().max():.2e}, top-5 {agree:.2f}")
    assert agree >= 0.97


def test_prepare_only_int8_qdq_matches_eager_fp32(model_path, speech_windows, calibration, reference, tmp_path):
    import onnx
    from onnx import numpy_helper

    with pytest.raises(ValueError, match="calibration windows"):
        build_engine(model_path, "tensorrt", "int8", 8, tmp_path / "x.plan", prepare_only=True)
    path, meta = build_engine(
        model_path, "tensorrt", "int8", 8, tmp_path / "q.plan", calibration=calibration[:16], prepare_only=True
    )
    assert "calibrated on 16 windows in batches of 8" in meta.recipe
    counts = graph_precision(path)
    assert counts["quantize"] > 0 and counts["dequantize"] > 0
    graph = onnx.load(str(path)).graph
    zero_points = {n.input[2] for n in graph.node if n.op_type in ("QuantizeLinear", "DequantizeLinear")}
    for init in graph.initializer:  # symmetric int8, the only Q/DQ TensorRT builds
        if init.name in zero_points:
            assert init.data_type == onnx.TensorProto.INT8 and not numpy_helper.to_array(init).any()

    engine, _ = load_engine(path)
    scores = engine.run(speech_windows)
    agree = top5_agreement(scores, reference)
    print(
        f"TensorRT-ready int8 Q/DQ in onnxruntime: max diff {(scores - reference).abs().max():.2e}, top-5 {agree:.2f}"
    )
    assert agree >= 0.93


def test_onnx_int8_is_static_qdq_with_calibration_else_dynamic(
    model_path, calibration, speech_windows, reference, tmp_path
):
    static, meta = build_engine(model_path, "onnx", "int8", 8, tmp_path / "s.onnx", calibration=calibration)
    assert "static Q/DQ" in meta.recipe and graph_precision(static)["quantize"] > 0
    assert ("7-bit" in meta.recipe) == saturating_int8()  # ONNX Runtime without VNNI saturates full int8
    _, dynamic_meta = build_engine(model_path, "onnx", "int8", 8, tmp_path / "d.onnx")
    assert dynamic_meta.recipe.startswith("int8 dynamic")
    engine, loaded = load_engine(static)
    assert loaded.recipe == meta.recipe
    agree = top5_agreement(engine.run(speech_windows), reference)
    print(f"onnx static int8 ({meta.recipe}): top-5 {agree:.2f}")
    assert agree >= 0.93


def test_calibration_sees_every_window_in_full_batches():
    windows = torch.arange(19.0).reshape(19, 1, 1).expand(19, 4, 3)
    batches = calibration_batches(windows, 8)
    assert [len(b) for b in batches] == [8, 8, 3]
    reader = _WindowReader(batches)
    seen = []
    while (feed := reader.get_next()) is not None:
        seen.extend(feed["features"][:, 0, 0].tolist())
    assert seen == list(range(19))  # not one window in eight, as TensorRT 10's OPT-shape calibration saw
    with pytest.raises(ValueError, match="calibration"):
        calibration_batches(windows[:0], 8)


@pytest.mark.parametrize("version", ["10.12.0.36", "10.16.1.11", "11.0.0", "11.4.1.2"])
def test_supported_tensorrt_versions(version):
    check_tensorrt_version(version)


@pytest.mark.parametrize("version", ["8.6.1", "10.0.1", "10.11.0.33", "12.0.0", "", "unknown"])
def test_unsupported_tensorrt_versions_are_refused_in_one_line(version):
    with pytest.raises(RuntimeError, match="TensorRT") as e:
        check_tensorrt_version(version)
    assert "\n" not in str(e.value) and "tensorrt-cu12>=10.12,<12" in str(e.value)


def test_timing_cache_is_keyed_by_model_and_tensorrt_version(tmp_path):
    a = timing_cache_path(tmp_path / "m.plan", "ab" * 32, "10.16.0.72")
    assert a.parent == tmp_path and "abababababababab" in a.name and "10.16.0.72" in a.name
    assert a != timing_cache_path(tmp_path / "m.plan", "ab" * 32, "11.4.0.1")
    assert a != timing_cache_path(tmp_path / "m.plan", "cd" * 32, "10.16.0.72")


def _fake_module(name: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    module.__dict__.update(attrs)
    return module


def test_tensorrt_version_comes_from_the_module_not_the_distribution(monkeypatch):
    """tensorrt-cu12 installs the module `tensorrt` but no distribution of that name."""
    monkeypatch.setitem(sys.modules, "tensorrt", _fake_module("tensorrt", __version__="11.4.0.7"))
    tensorrt_version.cache_clear()
    try:
        assert library_versions()["tensorrt"] == "11.4.0.7"
    finally:
        tensorrt_version.cache_clear()


class _FakeConfig:
    def __init__(self, stale: bool):
        self.stale, self.cleared, self.caches, self.profiles = stale, [], [], []

    def set_memory_pool_limit(self, pool, size):
        pass

    def add_optimization_profile(self, profile):
        self.profiles.append(profile)

    def clear_flag(self, flag):
        self.cleared.append(flag)

    def create_timing_cache(self, data):
        return bytes(data)

    def set_timing_cache(self, cache, ignore_mismatch):
        self.caches.append(cache)
        return not (self.stale and cache)  # TensorRT answers False for another version's cache

    def get_timing_cache(self):
        return types.SimpleNamespace(serialize=lambda: b"new timings")


def fake_tensorrt_11(stale_cache: bool = False):
    """The slice of the TensorRT 11 Python API the builder uses: no FP16/INT8 flags, no calibrators."""
    record = types.SimpleNamespace(flags=None, config=_FakeConfig(stale_cache), shapes=None)

    class Builder:
        def __init__(self, logger):
            pass

        def create_network(self, flags):
            record.flags = flags
            return types.SimpleNamespace(get_input=lambda i: types.SimpleNamespace(shape=(-1, 128, 128)))

        def create_builder_config(self):
            return record.config

        def create_optimization_profile(self):
            return types.SimpleNamespace(set_shape=lambda name, *shapes: setattr(record, "shapes", (name, shapes)))

        def build_serialized_network(self, network, config):
            return b"plan"

    class Logger:
        WARNING = 2

        def __init__(self, severity):
            pass

    parser = types.SimpleNamespace(parse_from_file=lambda path: True, num_errors=0)
    trt = _fake_module(
        "tensorrt",
        __version__="11.4.0.7",
        Builder=Builder,
        Logger=Logger,
        OnnxParser=lambda network, logger: parser,
        MemoryPoolType=types.SimpleNamespace(WORKSPACE=0),
        NetworkDefinitionCreationFlag=types.SimpleNamespace(STRONGLY_TYPED=0),
        BuilderFlag=types.SimpleNamespace(TF32=6),
    )
    return trt, record


@pytest.fixture
def fake_cuda(monkeypatch):
    """A CUDA device for the builder only (torch.cuda.is_available stays False: the ONNX export must not see it)."""
    import rtast.engines.tensorrt_backend as backend

    def import_fake():
        trt = sys.modules["tensorrt"]
        check_tensorrt_version(trt.__version__)
        return trt

    monkeypatch.setattr(backend, "import_tensorrt", import_fake)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "device", lambda index: nullcontext())


@pytest.mark.parametrize(("precision", "cleared"), [("fp32", [6]), ("fp16", []), ("int8", [])])
def test_strongly_typed_build_with_tensorrt_11_api(monkeypatch, fake_cuda, tmp_path, precision, cleared):
    trt, record = fake_tensorrt_11()
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    build_tensorrt(tmp_path / "m.onnx", tmp_path / "m.plan", 16, precision, tmp_path / "m.timing", "cuda:1")
    assert record.flags == 1  # STRONGLY_TYPED; no FP16/INT8 flag, no calibrator (TensorRT 11 has none)
    assert record.config.cleared == cleared  # TF32 off for fp32 only
    assert record.shapes == ("features", ((1, 128, 128), (1, 128, 128), (16, 128, 128)))
    assert (tmp_path / "m.plan").read_bytes() == b"plan" and (tmp_path / "m.timing").read_bytes() == b"new timings"


def test_stale_timing_cache_is_replaced_not_silently_ignored(monkeypatch, fake_cuda, tmp_path, capsys):
    trt, record = fake_tensorrt_11(stale_cache=True)
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    (tmp_path / "m.timing").write_bytes(b"timings of another TensorRT")
    build_tensorrt(tmp_path / "m.onnx", tmp_path / "m.plan", 8, "fp16", tmp_path / "m.timing")
    assert record.config.caches == [b"timings of another TensorRT", b""]
    assert "does not fit" in capsys.readouterr().err


def test_network_flags_on_tensorrt_without_the_flag():
    trt = types.SimpleNamespace(NetworkDefinitionCreationFlag=types.SimpleNamespace())
    assert network_flags(trt) == 0


def test_build_records_the_gpu_and_keys_the_timing_cache(monkeypatch, fake_cuda, model_path, tmp_path):
    trt, record = fake_tensorrt_11()
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    monkeypatch.setattr("rtast.engines.build.device_name", lambda device: f"Fake GPU ({device})")
    tensorrt_version.cache_clear()
    try:
        path, meta = build_engine(model_path, "tensorrt", "fp16", 8, tmp_path / "m.plan")
    finally:
        tensorrt_version.cache_clear()
    assert meta.device == "cuda" and meta.device_name == "Fake GPU (cuda)" and meta.versions["tensorrt"] == "11.4.0.7"
    assert json.loads(sidecar(path).read_text())["device"] == "cuda"
    assert (tmp_path / "m.onnx").is_file()  # the strongly typed graph it was built from
    assert (tmp_path / f"m.{meta.source_sha256[:16]}.trt11.4.0.7.timing").is_file()


def test_batches_above_max_batch_are_split():
    engine = TensorRTEngine.__new__(TensorRTEngine)
    engine.max_batch = 8
    calls = []
    engine._run = lambda x: calls.append(len(x)) or x[:, 0, :2]
    scores = engine.run(torch.arange(19.0).reshape(19, 1, 1).expand(19, 3, 4))
    assert calls == [8, 8, 3] and scores[:, 0].tolist() == list(range(19))
