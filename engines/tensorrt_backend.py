"""TensorRT: a strongly typed engine built from the TensorRT-ready ONNX graph, run with torch CUDA tensors.

Precision lives in the graph (engines/tensorrt_prepare.py: fp16 Cast nodes, int8 Q/DQ nodes), so the
same build code works on TensorRT 10 (strong typing opted in) and 11 (always strongly typed, no
FP16/INT8 builder flags, no implicit calibration). tensorrt is optional and imported only when
this backend is used; what does not need it is plain functions, tested without it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import torch

from rtast.configs import ConfigError
from rtast.engine import BackendUnavailable
from rtast.engines.export import INPUT_NAME, OUTPUT_NAME
from rtast.engines.metadata import EngineError

WORKSPACE_BYTES = 4 << 30
PRECISIONS = ("fp32", "fp16", "int8")
# The releases this code was written and reviewed against (10.12+: strong typing is the supported
# path; 11.x: the only one). Others are refused rather than failing halfway through a build.
SUPPORTED = ((10, 12), (12, 0))
REQUIREMENT = "tensorrt-cu12>=10.12,<12"


def check_tensorrt_version(version: str) -> None:
    """Raise RuntimeError unless ``version`` (tensorrt.__version__) is in the supported range."""
    match = re.match(r"(\d+)\.(\d+)", version or "")
    if match is None:
        raise BackendUnavailable(
            f"cannot read the TensorRT version {version!r}; reinstall it: pip install '{REQUIREMENT}'"
        )
    have = (int(match[1]), int(match[2]))
    low, high = SUPPORTED
    if not low <= have < high:
        raise BackendUnavailable(
            f"TensorRT {version} is not supported: rtast builds strongly typed engines for TensorRT "
            f"{low[0]}.{low[1]} up to (not including) {high[0]}.{high[1]}; pip install '{REQUIREMENT}'"
        )


def import_tensorrt():
    """The tensorrt module, or a RuntimeError that explains what is missing or unsupported."""
    try:
        import tensorrt
    except ImportError as e:
        raise BackendUnavailable(
            f"the tensorrt backend needs NVIDIA TensorRT (pip install '{REQUIREMENT}' on a machine with CUDA); "
            "it is not installed here — use --backend onnx or aoti, or --prepare-only for the TensorRT-ready ONNX"
        ) from e
    check_tensorrt_version(getattr(tensorrt, "__version__", ""))
    if not torch.cuda.is_available():
        raise BackendUnavailable("the tensorrt backend needs a CUDA GPU; torch sees none")
    return tensorrt


def profile_shapes(max_batch: int, frames: int, mel_bins: int) -> tuple[tuple[int, ...], ...]:
    """(min, opt, max) input shapes of the optimisation profile: batch 1 … max_batch, tuned for batch 1."""
    if max_batch < 1:
        raise ConfigError(f"max batch must be at least 1, got {max_batch}")
    return (1, frames, mel_bins), (1, frames, mel_bins), (max_batch, frames, mel_bins)


def network_flags(trt) -> int:
    """create_network flags: strongly typed (needed on 10.x, implied and ignored on 11.x)."""
    flag = getattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED", None)
    return 0 if flag is None else 1 << int(flag)


def timing_cache_path(engine_path: str | Path, model_sha256: str, trt_version: str) -> Path:
    """The timing cache beside an engine, named by the model's hash and TensorRT's version."""
    engine_path = Path(engine_path)
    version = re.sub(r"[^0-9A-Za-z.]", "_", trt_version)
    return engine_path.with_name(f"{engine_path.stem}.{model_sha256[:16]}.trt{version}.timing")


def device_index(device: str) -> int:
    """The CUDA ordinal of ``cuda`` / ``cuda:N`` (the current device for plain ``cuda``)."""
    d = torch.device(device if device.startswith("cuda") else "cuda")
    return d.index if d.index is not None else torch.cuda.current_device()


def build_tensorrt(
    onnx_path: str | Path,
    engine_path: str | Path,
    max_batch: int,
    precision: str = "fp16",
    timing_cache: str | Path | None = None,
    device: str = "cuda",
) -> Path:
    """Parse the TensorRT-ready ``onnx_path`` as a strongly typed network and write the serialized engine.

    ``precision`` is already in the graph; here it only turns TF32 off for fp32, so fp32 means fp32.
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"precision {precision!r} not supported by tensorrt; choose one of {PRECISIONS}")
    trt = import_tensorrt()
    with torch.cuda.device(device_index(device)):  # TensorRT builds for the current device
        logger = trt.Logger(trt.Logger.WARNING)
        builder = trt.Builder(logger)
        network = builder.create_network(network_flags(trt))
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
        if precision == "fp32" and hasattr(trt.BuilderFlag, "TF32"):
            config.clear_flag(trt.BuilderFlag.TF32)  # on by default; breaks the fp32 parity bar on Ampere+
        cache_path = Path(timing_cache) if timing_cache else None
        cache = config.create_timing_cache(cache_path.read_bytes() if cache_path and cache_path.is_file() else b"")
        if not config.set_timing_cache(cache, ignore_mismatch=False):
            print(f"rtast: timing cache {cache_path} does not fit this TensorRT or GPU; starting anew", file=sys.stderr)
            config.set_timing_cache(config.create_timing_cache(b""), ignore_mismatch=False)
        serialized = builder.build_serialized_network(network, config)
        if serialized is None:
            raise RuntimeError("TensorRT failed to build the engine (see its log above)")
        Path(engine_path).write_bytes(bytes(serialized))
        if cache_path:
            cache_path.write_bytes(bytes(config.get_timing_cache().serialize()))
    return Path(engine_path)


class TensorRTEngine:
    """Deserializes an engine and runs it on torch CUDA tensors, on its own stream and device."""

    step_spans = None  # compiled graphs carry the clip head only: events take window times

    def __init__(self, path: str | Path, device: str = "cuda"):
        trt = import_tensorrt()
        self.device = torch.device("cuda", device_index(device))
        with torch.cuda.device(self.device):
            self.logger = trt.Logger(trt.Logger.WARNING)
            self.runtime = trt.Runtime(self.logger)
            self.engine = self.runtime.deserialize_cuda_engine(Path(path).read_bytes())
            if self.engine is None:
                raise EngineError(f"TensorRT could not deserialize {path} (other TensorRT version or GPU?); rebuild it")
            self.context = self.engine.create_execution_context()
            self.stream = torch.cuda.Stream(self.device)
        self.num_classes = int(self.engine.get_tensor_shape(OUTPUT_NAME)[-1])
        self.max_batch = int(self.engine.get_tensor_profile_shape(INPUT_NAME, 0)[2][0])
        self.name = "tensorrt"

    def io_dims(self) -> tuple[int, int, int]:
        """(frames, mel bins, classes) the engine was built for."""
        shape = self.engine.get_tensor_shape(INPUT_NAME)
        return int(shape[1]), int(shape[2]), self.num_classes

    @torch.inference_mode()
    def run(self, windows: torch.Tensor) -> torch.Tensor:
        """Scores for any number of windows: batches above the engine's max batch run in chunks."""
        return torch.cat([self._run(chunk) for chunk in windows.split(self.max_batch)])

    def _run(self, windows: torch.Tensor) -> torch.Tensor:
        # The caller's thread may have another current device (the batching thread starts on cuda:0).
        with torch.cuda.device(self.device), torch.cuda.stream(self.stream):
            x = windows.to(self.device, torch.float32, non_blocking=True).contiguous()
            out = torch.empty((x.shape[0], self.num_classes), device=self.device, dtype=torch.float32)
            if not self.context.set_input_shape(INPUT_NAME, tuple(x.shape)):
                raise EngineError(f"the TensorRT engine does not accept input shape {tuple(x.shape)}")
            self.context.set_tensor_address(INPUT_NAME, int(x.data_ptr()))
            self.context.set_tensor_address(OUTPUT_NAME, int(out.data_ptr()))
            if not self.context.execute_async_v3(self.stream.cuda_stream):
                raise RuntimeError("TensorRT execution failed (see its log above)")
            scores = out.to("cpu", non_blocking=False)
        self.stream.synchronize()
        return scores
