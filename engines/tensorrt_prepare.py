"""The TensorRT-ready ONNX graph: precision decided in the graph, for strongly typed TensorRT 10 and 11.

TensorRT 11 has no FP16/INT8 builder flags and no implicit INT8 calibration; the graph itself says
which tensors are fp16 and where int8 Q/DQ nodes sit. Both conversions are ONNX Runtime's own
maintained converters (NVIDIA ModelOpt's ONNX extra replaces onnxruntime with onnxruntime-gpu and
downgrades onnx, so it does not fit a CPU install):

- fp16: ``onnxconverter_common.float16`` with fp32 inputs and outputs, LayerNorm, Softmax and the
  other reductions kept fp32 behind Cast nodes;
- int8: ``onnxruntime.quantization.quantize_static`` in Q/DQ format, symmetric int8 (what TensorRT
  accepts), calibrated on real audio windows fed in full batches.

Everything here runs on a CPU; ONNX Runtime runs the results too, which is how they are verified.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from rtast.configs import ConfigError
from rtast.engine import BackendUnavailable
from rtast.engines.export import INPUT_NAME
from rtast.model import AST

# Kept fp32: normalisation and softmax overflow or drift in fp16 (public ViT/AST export reports).
FP16_BLOCK_LIST = ["LayerNormalization", "Softmax", "ReduceMean", "Pow", "Sqrt"]
# Symmetric int8 and no int32 bias: the Q/DQ forms TensorRT builds from.
QDQ_OPTIONS = {"ActivationSymmetric": True, "WeightSymmetric": True, "QuantizeBias": False}
QDQ_OPS = ["MatMul", "Gemm", "Conv"]
# ONNX Runtime on x86 without VNNI: 7-bit weights and the patch Conv and head Gemm kept fp32 (top-5
# agreement with eager fp32 0.925 -> 0.975 on an AVX2-only Zen 3; full-range int8 there: 0.35).
SATURATING_QDQ_OPS = ["MatMul"]
MIN_CALIBRATION_WINDOWS = 8


def convert_fp16(src: str | Path, dst: str | Path) -> Path:
    """fp16 graph with fp32 inputs/outputs and FP16_BLOCK_LIST ops in fp32 (Cast nodes around them)."""
    import onnx

    try:
        from onnxconverter_common.float16 import convert_float_to_float16
    except ImportError as e:
        raise BackendUnavailable("fp16 for TensorRT needs onnxconverter-common: pip install 'rtast[tensorrt]'") from e
    model = convert_float_to_float16(onnx.load(str(src)), keep_io_types=True, op_block_list=FP16_BLOCK_LIST)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))
    return Path(dst)


class _WindowReader:
    """An onnxruntime CalibrationDataReader over full batches of real windows."""

    def __init__(self, batches: list[torch.Tensor]):
        self._batches = iter(batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self._batches, None)
        return None if batch is None else {INPUT_NAME: np.ascontiguousarray(batch.numpy(), dtype=np.float32)}

    def rewind(self) -> None:  # pragma: no cover - only for calibrators that read twice
        raise NotImplementedError


def calibration_batches(windows: torch.Tensor, batch: int) -> list[torch.Tensor]:
    """Every (n, frames, bins) window in batches of ``batch`` (the last may be shorter): none is skipped."""
    if batch < 1 or len(windows) == 0:
        raise ConfigError(f"int8 calibration needs windows of real audio and a batch >= 1, got {len(windows)}, {batch}")
    return list(windows.split(batch))


def windows_sha256(windows: torch.Tensor) -> str:
    """Fingerprint of the calibration windows, recorded in the engine metadata."""
    return hashlib.sha256(windows.detach().cpu().float().contiguous().numpy().tobytes()).hexdigest()


def quantize_qdq(
    src: str | Path,
    dst: str | Path,
    windows: torch.Tensor,
    batch: int,
    ops: list[str] = QDQ_OPS,
    reduce_range: bool = False,
) -> Path:
    """Static int8 Q/DQ graph of ``ops``, calibrated (min/max) on ``windows`` in batches of ``batch``;
    ``reduce_range`` quantises weights to 7 bits, for ONNX Runtime on CPUs whose int8 kernels saturate."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    quantize_static(
        str(src),
        str(dst),
        _WindowReader(calibration_batches(windows, batch)),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=ops,
        per_channel=True,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        reduce_range=reduce_range,
        extra_options=dict(QDQ_OPTIONS),
    )
    return Path(dst)


def graph_precision(path: str | Path) -> dict[str, int]:
    """Counts that say what a graph computes in: fp16 initializers, Q/DQ nodes, Cast nodes."""
    import onnx

    graph = onnx.load(str(path)).graph
    ops = [n.op_type for n in graph.node]
    return {
        "fp16_initializers": sum(t.data_type == onnx.TensorProto.FLOAT16 for t in graph.initializer),
        "quantize": ops.count("QuantizeLinear"),
        "dequantize": ops.count("DequantizeLinear"),
        "cast": ops.count("Cast"),
    }


def prepare_onnx(
    model: AST,
    path: str | Path,
    precision: str,
    max_batch: int,
    calibration: torch.Tensor | None = None,
    saturating: bool = False,
) -> str:
    """Export ``model`` to ``path`` with ``precision`` decided in the graph; returns the recipe for the metadata.
    ``saturating`` (int8 for ONNX Runtime on an x86 CPU without VNNI, never for TensorRT) quantises
    SATURATING_QDQ_OPS only, with 7-bit weights."""
    from rtast.engines.onnx_backend import export_onnx

    path = Path(path)
    if precision == "fp32":
        export_onnx(model, path, max_batch)
        return "fp32"
    if precision not in ("fp16", "int8"):
        raise ConfigError(f"precision {precision!r} cannot be put in the ONNX graph; choose fp32, fp16 or int8")
    if precision == "int8" and (calibration is None or len(calibration) < MIN_CALIBRATION_WINDOWS):
        got = 0 if calibration is None else len(calibration)
        raise ConfigError(
            f"int8 needs at least {MIN_CALIBRATION_WINDOWS} calibration windows of real audio "
            f"(--calibration FILE...), got {got}"
        )
    fp32 = path.with_name(path.stem + ".fp32.onnx")
    try:
        export_onnx(model, fp32, max_batch)
        if precision == "fp16":
            convert_fp16(fp32, path)
            return f"fp16 in the graph (onnxconverter-common), fp32 I/O, fp32 {'/'.join(FP16_BLOCK_LIST)}"
        assert calibration is not None
        ops = SATURATING_QDQ_OPS if saturating else QDQ_OPS
        quantize_qdq(fp32, path, calibration, max_batch, ops, reduce_range=saturating)
        fingerprint = windows_sha256(calibration)[:16]
        weights = "7-bit per-channel weights (no VNNI here)" if saturating else "per-channel weights"
        return (
            f"int8 static Q/DQ (onnxruntime, symmetric, {weights}, {'/'.join(ops)}), min/max "
            f"calibrated on {len(calibration)} windows in batches of {max_batch} (sha256 {fingerprint})"
        )
    finally:
        fp32.unlink(missing_ok=True)
