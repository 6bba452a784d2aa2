"""engines/: every runnable backend against eager fp32 on real audio windows; metadata and staleness."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
from conftest import random_model_file

from rtast.engines import TorchEngine
from rtast.engines.aoti_backend import check_loads
from rtast.engines.batching import BatchingEngine
from rtast.engines.build import best_backend, build_engine, load_engine
from rtast.engines.metadata import EngineError, sidecar
from rtast.engines.tensorrt_backend import import_tensorrt, profile_shapes
from rtast.engines.tensorrt_prepare import calibration_batches
from rtast.engines.triton import export_triton
from rtast.modelfile import save_model_file

BACKENDS = [("onnx", "fp32"), ("aoti", "fp32"), ("torch", "bf16"), ("aoti", "bf16"), ("onnx", "int8")]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """A small random AudioSet-shaped model (527 classes, 1-s windows, 128 frames) with non-trivial weights."""
    torch.manual_seed(0)
    model_file = random_model_file(input_tdim=128, num_classes=527, window_seconds=1.0, seed=3)
    for k, v in model_file.state_dict.items():  # larger weights than init: scores that differ between windows
        if v.dim() >= 2:
            model_file.state_dict[k] = v * 4
    path = tmp_path_factory.mktemp("engine_model") / "model.pt"
    save_model_file(path, model_file)
    return path


@pytest.fixture(scope="module")
def speech_windows(model_path, speech_wav):
    """Normalised model windows of real espeak-ng speech (what an engine sees when listening)."""
    from rtast.fbank import window_input
    from rtast.modelfile import load_model_file
    from rtast.windows import windows_of_file

    frontend = load_model_file(model_path).frontend
    return torch.stack([window_input(w.frames, frontend) for w in windows_of_file(speech_wav, frontend, 0.5)])[:8]


@pytest.fixture(scope="module")
def reference(model_path, speech_windows):
    from rtast.modelfile import load_model_file

    return TorchEngine(load_model_file(model_path).build_model()).run(speech_windows)


@pytest.mark.parametrize(("backend", "precision"), BACKENDS)
def test_backend_parity_with_eager_fp32(model_path, speech_windows, reference, tmp_path, backend, precision):
    path, meta = build_engine(model_path, backend, precision, max_batch=8, output=tmp_path / f"e.{backend}")
    engine, loaded_meta = load_engine(path)
    assert loaded_meta.labels == meta.labels and loaded_meta.backend == backend
    scores = engine.run(speech_windows)
    assert scores.shape == reference.shape
    diff = (scores - reference).abs().max().item()
    top5 = [set(torch.topk(r, 5).indices.tolist()) for r in reference]
    agree = np.mean([len(a & set(torch.topk(s, 5).indices.tolist())) / 5 for a, s in zip(top5, scores, strict=True)])
    print(f"{backend}-{precision}: max |score - eager fp32| = {diff:.2e}, top-5 agreement {agree:.2f}")
    if precision == "fp32":
        assert diff <= 1e-3
    else:
        assert agree >= 0.8  # reduced precision: the same labels on top
    assert engine.run(speech_windows[:1]).shape == (1, 527)  # dynamic batch: 1 … max_batch


def test_stale_and_mismatched_engines_are_refused(model_path, tmp_path):
    path, _ = build_engine(model_path, "onnx", "fp32", output=tmp_path / "e.onnx")
    other = tmp_path / "other.pt"
    save_model_file(other, random_model_file(input_tdim=128, num_classes=527, window_seconds=1.0, seed=9))
    with pytest.raises(EngineError, match="built from another model"):
        load_engine(path, model_path=other)
    load_engine(path, model_path=model_path)  # the right model is fine
    aoti, _ = build_engine(model_path, "aoti", "fp32", output=tmp_path / "e.pt2")
    meta = json.loads(sidecar(aoti).read_text())
    torch_version, labels = meta["versions"]["torch"], meta["labels"]
    meta["versions"]["torch"] = "1.0.0"
    sidecar(aoti).write_text(json.dumps(meta))
    with pytest.raises(EngineError, match="built with torch 1.0.0"):
        load_engine(aoti)
    meta["versions"]["torch"] = torch_version
    meta["labels"] = labels[:5]  # metadata that disagrees with the compiled graph
    sidecar(aoti).write_text(json.dumps(meta))
    with pytest.raises(EngineError, match="scores 527 classes, its metadata has 5 labels"):
        load_engine(aoti)
    meta["labels"] = labels
    sidecar(aoti).write_text(json.dumps(meta))
    load_engine(aoti)
    check_loads(aoti, "cpu", 128, 128)  # the build's child-process check (run for CUDA packages) passes
    sidecar(path).unlink()
    with pytest.raises(EngineError, match="no metadata file"):
        load_engine(path)
    with pytest.raises(EngineError, match="does not exist"):
        load_engine(tmp_path / "missing.onnx")


def test_tensorrt_missing_is_explained_and_shapes_are_right():
    try:
        import_tensorrt()
    except RuntimeError as e:
        assert "TensorRT" in str(e) or "CUDA" in str(e)
    else:
        pytest.skip("TensorRT is installed here; the CUDA test machine covers it")
    assert profile_shapes(16, 1024, 128) == ((1, 1024, 128), (1, 1024, 128), (16, 1024, 128))
    batches = calibration_batches(torch.zeros(19, 128, 128), 8)
    assert [tuple(b.shape) for b in batches] == [(8, 128, 128), (8, 128, 128), (3, 128, 128)]
    with pytest.raises(ValueError, match="calibration needs windows"):
        calibration_batches(torch.zeros(0, 128, 128), 8)


def test_auto_backend_choice():
    backend, precision = best_backend("cpu")
    assert (backend, precision) in {("onnx", "int8"), ("torch", "bf16"), ("torch", "fp32")}


def test_triton_repository_layout_and_config(model_path, tmp_path):
    folder = export_triton(model_path, tmp_path / "repo", "ast", "onnx", max_batch=16, max_queue_delay_us=500)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "1/model.onnx",
        "config.pbtxt",
        "labels.txt",
        "rtast.json",
    ]
    config = (folder / "config.pbtxt").read_text()
    for line in [
        'name: "ast"',
        'platform: "onnxruntime_onnx"',
        "max_batch_size: 16",
        'name: "features"',
        "dims: [ 128, 128 ]",
        'name: "scores"',
        "dims: [ 527 ]",
        'label_filename: "labels.txt"',
        "max_queue_delay_microseconds: 500",
        "preferred_batch_size: [ 1, 4, 8, 16 ]",
    ]:
        assert line in config, line
    assert (folder / "labels.txt").read_text().splitlines()[0] == "Speech"
    onnx = pytest.importorskip("onnx")
    graph = onnx.load(str(folder / "1" / "model.onnx")).graph
    dims = [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    assert graph.input[0].name == "features" and dims[1:] == [128, 128] and isinstance(dims[0], str)
    assert graph.output[0].name == "scores"
    assert json.loads((folder / "rtast.json").read_text())["frontend"]["target_length"] == 128
    # Triton's own protobuf schema reads config.pbtxt; its "rtast" parameter is what `listen --server` reads
    model_config_pb2 = pytest.importorskip("tritonclient.grpc.model_config_pb2", reason="pip install 'rtast[serve]'")
    from google.protobuf import text_format

    config = text_format.Parse((folder / "config.pbtxt").read_text(), model_config_pb2.ModelConfig())
    assert config.max_batch_size == 16 and list(config.input[0].dims) == [128, 128]
    described = json.loads(config.parameters["rtast"].string_value)
    assert described["labels"] == (folder / "labels.txt").read_text().splitlines()
    assert described["frontend"] == json.loads((folder / "rtast.json").read_text())["frontend"]
    assert described["step_spans"] is None and described["engine"] == "onnx-fp32"


def test_batching_engine_serves_many_streams(model_path, speech_windows, reference):
    from rtast.modelfile import load_model_file

    base = TorchEngine(load_model_file(model_path).build_model())
    batched = BatchingEngine(base, max_batch=8, max_delay=0.05)
    results = {}

    def stream(i: int) -> None:
        results[i] = torch.cat([batched.run(speech_windows[i : i + 1]) for _ in range(3)])

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batched.close()
    for i in range(6):
        assert torch.allclose(results[i], reference[i : i + 1].expand(3, -1), atol=1e-5)
    assert max(batched.batch_sizes) > 1  # concurrent windows really shared engine calls
    assert sum(batched.batch_sizes) == 18


def test_cli_build_engine_then_tag(model_path, speech_wav, tmp_path):
    out = tmp_path / "m.onnx"
    proc = subprocess.run(
        [sys.executable, "-m", "rtast", "build-engine", str(model_path), "--backend", "onnx", "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    tag = subprocess.run(
        [sys.executable, "-m", "rtast", "tag", "--engine", str(out), "--json", str(speech_wav)],
        capture_output=True,
        text=True,
    )
    assert tag.returncode == 0, tag.stderr
    eager = subprocess.run(
        [sys.executable, "-m", "rtast", "tag", "--model", str(model_path), "--json", str(speech_wav)],
        capture_output=True,
        text=True,
    )
    a = json.loads(tag.stdout.splitlines()[-1])["scores"]
    b = json.loads(eager.stdout.splitlines()[-1])["scores"]
    assert max(abs(a[k] - b[k]) for k in a) <= 1e-3
    bad = subprocess.run(
        [sys.executable, "-m", "rtast", "build-engine", str(model_path), "--backend", "tensorrt"],
        capture_output=True,
        text=True,
    )
    if bad.returncode != 0:
        assert "TensorRT" in bad.stderr or "CUDA" in bad.stderr
        assert "Traceback" not in bad.stderr


def test_an_aoti_package_that_cannot_load_is_reported_not_fatal(tmp_path):
    broken = tmp_path / "broken.pt2"
    broken.write_bytes(b"not a package")
    with pytest.raises(EngineError, match=r"broken.pt2: loading and running the AOTInductor package failed"):
        check_loads(broken, "cpu", 128, 128)
