"""ONNX export (dynamo exporter, dynamic batch) and an ONNX Runtime engine (CPU and CUDA providers)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import torch

from rtast.engine import BackendUnavailable
from rtast.engines.export import INPUT_NAME, OUTPUT_NAME, ScoringModel, batch_dim, example_input
from rtast.engines.metadata import EngineError
from rtast.model import AST

OPSET = 18  # LayerNormalization stays one op (opset >= 17)


def _require(module: str):
    try:
        return __import__(module)
    except ImportError as e:
        raise BackendUnavailable(f"the onnx backend needs {module}: pip install 'rtast[onnx]'") from e


def export_onnx(model: AST, path: str | Path, max_batch: int, metadata: dict | None = None) -> Path:
    """Write ``path`` (.onnx) with a dynamic batch dimension; checked with onnx.checker."""
    _require("onnx")
    _require("onnxscript")
    path = Path(path)
    wrapper = ScoringModel(model).eval()
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)  # torchvision notes
    program = torch.onnx.export(
        wrapper,
        (example_input(model),),
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        dynamic_shapes={"features": {0: batch_dim(max_batch)}},
        opset_version=OPSET,
        dynamo=True,
        external_data=False,
        verbose=False,
    )
    program.save(str(path), external_data=False)
    return embed_metadata(path, metadata or {})


def embed_metadata(path: str | Path, metadata: dict) -> Path:
    """Store ``metadata`` in the graph's metadata_props (replacing equal keys); checked with onnx.checker."""
    onnx = _require("onnx")
    proto = onnx.load(str(path))
    kept = [(p.key, p.value) for p in proto.metadata_props if p.key not in metadata]
    del proto.metadata_props[:]
    for key, value in kept + list(metadata.items()):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return Path(path)


def quantize_int8(src: str | Path, dst: str | Path) -> Path:
    """Dynamic int8 quantisation of the MatMul weights (ONNX Runtime, for CPUs)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8)
    return Path(dst)


class OnnxEngine:
    """Runs an exported graph with ONNX Runtime."""

    step_spans = None  # compiled graphs carry the clip head only: events take window times

    def __init__(self, path: str | Path, device: str = "cpu", threads: int | None = None, exact_qdq: bool = False):
        """``exact_qdq`` turns graph fusion off, so Q/DQ pairs run as written instead of as int8 kernels."""
        ort = _require("onnxruntime")
        options = ort.SessionOptions()
        if exact_qdq:
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        providers = ["CPUExecutionProvider"]
        if device.startswith("cuda"):
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise BackendUnavailable(
                    "onnxruntime here has no CUDA provider (install onnxruntime-gpu); use --device cpu"
                )
            index = int(device.split(":")[1]) if ":" in device else 0
            providers = [("CUDAExecutionProvider", {"device_id": index}), "CPUExecutionProvider"]
        from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidGraph, InvalidProtobuf, NoSuchFile

        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers)
        except (InvalidProtobuf, InvalidGraph, NoSuchFile, Fail) as e:
            raise EngineError(f"{path} is not a usable ONNX model (truncated or corrupt?): {e}") from e
        self.name = "onnx-" + ("cuda" if device.startswith("cuda") else "cpu")

    def io_dims(self) -> tuple[int, int, int]:
        """(frames, mel bins, classes) the graph declares; -1 where a dimension is dynamic."""
        (frames, bins), (classes,) = self.session.get_inputs()[0].shape[1:], self.session.get_outputs()[0].shape[1:]
        return tuple(d if isinstance(d, int) else -1 for d in (frames, bins, classes))

    def run(self, windows: torch.Tensor) -> torch.Tensor:
        x = np.ascontiguousarray(windows.detach().cpu().numpy(), dtype=np.float32)
        (scores,) = self.session.run([OUTPUT_NAME], {INPUT_NAME: x})
        return torch.from_numpy(scores)
