"""TensorRT: a serialized engine built from the ONNX graph, run with torch CUDA tensors as I/O buffers.

tensorrt is an optional dependency that cannot be installed everywhere; it is imported only
when this backend is used. The shapes and options that do not need TensorRT are plain
functions, so they are tested without it.
"""

from __future__ import annotations

from pathlib import Path

import torch

from engines.export import INPUT_NAME, OUTPUT_NAME

WORKSPACE_BYTES = 4 << 30
PRECISIONS = ("fp32", "fp16", "int8")


def import_tensorrt():
    """The tensorrt module, or a RuntimeError that explains what is missing."""
    try:
        import tensorrt
    except ImportError as e:
        raise RuntimeError(
            "the tensorrt backend needs NVIDIA TensorRT (pip install tensorrt-cu12 on a machine with CUDA); "
            "it is not installed here — use --backend onnx or aoti"
        ) from e
    if not torch.cuda.is_available():
        raise RuntimeError("the tensorrt backend needs a CUDA GPU; torch sees none")
    return tensorrt


def profile_shapes(max_batch: int, frames: int, mel_bins: int) -> tuple[tuple[int, ...], ...]:
    """(min, opt, max) input shapes of the optimisation profile: batch 1 … max_batch, tuned for batch 1."""
    if max_batch < 1:
        raise ValueError(f"max batch must be at least 1, got {max_batch}")
    return (1, frames, mel_bins), (1, frames, mel_bins), (max_batch, frames, mel_bins)


def calibration_batches(windows: torch.Tensor, batch: int) -> list[torch.Tensor]:
    """Split (n, frames, bins) real-audio windows into full INT8 calibration batches."""
    n = len(windows) // batch * batch
    if n == 0:
        raise ValueError(f"INT8 calibration needs at least {batch} windows of real audio, got {len(windows)}")
    return list(windows[:n].reshape(-1, batch, *windows.shape[1:]))


def _entropy_calibrator(trt, batches: list[torch.Tensor], cache_path: Path):
    """An IInt8EntropyCalibrator2 feeding CUDA tensors (their data_ptr) to the builder."""

    class Calibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self):
            super().__init__()
            self.batches = [b.contiguous().cuda() for b in batches]
            self.index = 0

        def get_batch_size(self) -> int:
            return int(self.batches[0].shape[0])

        def get_batch(self, names):
            if self.index >= len(self.batches):
                return None
            ptr = int(self.batches[self.index].data_ptr())
            self.index += 1
            return [ptr]

        def read_calibration_cache(self):
            return cache_path.read_bytes() if cache_path.is_file() else None

        def write_calibration_cache(self, cache) -> None:
            cache_path.write_bytes(bytes(cache))

    return Calibrator()


def build_tensorrt(
    onnx_path: str | Path,
    engine_path: str | Path,
    max_batch: int,
    precision: str = "fp16",
    calibration: torch.Tensor | None = None,
    timing_cache: str | Path | None = None,
) -> Path:
    """Parse ``onnx_path``, build with a batch optimisation profile and write the serialized engine."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} not supported by tensorrt; choose one of {PRECISIONS}")
    trt = import_tensorrt()
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"TensorRT cannot parse {onnx_path}: {errors}")
    shape = network.get_input(0).shape  # (-1, frames, bins)
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
    profile = builder.create_optimization_profile()
    profile.set_shape(INPUT_NAME, *profile_shapes(max_batch, shape[1], shape[2]))
    config.add_optimization_profile(profile)
    if precision in ("fp16", "int8"):
        config.set_flag(trt.BuilderFlag.FP16)  # LayerNorm/softmax fall back to fp32 where TensorRT needs it
    if precision == "int8":
        if calibration is None:
            raise ValueError("int8 needs calibration windows from real audio (--calibration FILE...)")
        config.set_flag(trt.BuilderFlag.INT8)
        config.int8_calibrator = _entropy_calibrator(
            trt, calibration_batches(calibration, min(8, max_batch)), Path(str(engine_path) + ".calibration")
        )
        config.set_calibration_profile(profile)
    cache_path = Path(timing_cache) if timing_cache else None
    cache = config.create_timing_cache(cache_path.read_bytes() if cache_path and cache_path.is_file() else b"")
    config.set_timing_cache(cache, ignore_mismatch=False)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise RuntimeError("TensorRT failed to build the engine (see its log above)")
    Path(engine_path).write_bytes(bytes(serialized))
    if cache_path:
        cache_path.write_bytes(bytes(config.get_timing_cache().serialize()))
    return Path(engine_path)


class TensorRTEngine:
    """Deserializes an engine and runs it on torch CUDA tensors (no pycuda)."""

    def __init__(self, path: str | Path, device: str = "cuda"):
        trt = import_tensorrt()
        self.device = torch.device(device if device.startswith("cuda") else "cuda")
        self.logger = trt.Logger(trt.Logger.WARNING)
        self.runtime = trt.Runtime(self.logger)
        self.engine = self.runtime.deserialize_cuda_engine(Path(path).read_bytes())
        if self.engine is None:
            raise RuntimeError(f"TensorRT could not deserialize {path} (other TensorRT version or GPU?)")
        self.context = self.engine.create_execution_context()
        self.num_classes = int(self.engine.get_tensor_shape(OUTPUT_NAME)[-1])
        self.name = "tensorrt"

    def io_dims(self) -> tuple[int, int, int]:
        """(frames, mel bins, classes) the engine was built for."""
        shape = self.engine.get_tensor_shape(INPUT_NAME)
        return int(shape[1]), int(shape[2]), self.num_classes

    @torch.inference_mode()
    def run(self, windows: torch.Tensor) -> torch.Tensor:
        x = windows.to(self.device, torch.float32).contiguous()
        out = torch.empty((x.shape[0], self.num_classes), device=self.device, dtype=torch.float32)
        self.context.set_input_shape(INPUT_NAME, tuple(x.shape))
        self.context.set_tensor_address(INPUT_NAME, int(x.data_ptr()))
        self.context.set_tensor_address(OUTPUT_NAME, int(out.data_ptr()))
        stream = torch.cuda.current_stream(self.device)
        if not self.context.execute_async_v3(stream.cuda_stream):
            raise RuntimeError("TensorRT execution failed")
        stream.synchronize()
        return out.cpu()
