"""`rtast build-engine`: turn a model file into an engine file plus its metadata, and load engines back."""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import replace
from pathlib import Path

import torch

from rtast.configs import ConfigError
from rtast.cpu import native_bf16
from rtast.devices import check_device
from rtast.engines.metadata import (
    EngineError,
    EngineMetadata,
    check_compatible,
    device_name,
    read_metadata,
    write_metadata,
)
from rtast.modelfile import file_sha256, load_model_file
from rtast.paths import check_writable_file

BACKENDS = ("torch", "aoti", "onnx", "tensorrt")
EXTENSIONS = {"torch": ".pt", "aoti": ".pt2", "onnx": ".onnx", "tensorrt": ".plan"}
TENSORRT_PRECISIONS = ("fp32", "fp16", "int8")


def tensorrt_available() -> bool:
    """TensorRT in the supported range, and a CUDA GPU."""
    from rtast.engines.tensorrt_backend import import_tensorrt

    try:
        import_tensorrt()
    except RuntimeError:
        return False
    return True


def best_backend(device: str) -> tuple[str, str]:
    """(backend, precision) measured fastest (docs/benchmarks.md): TensorRT fp16 on NVIDIA GPUs when
    installed, else AOTInductor fp16 on CUDA (eager torch where its package fails to load: build_engine
    checks); on CPUs ONNX Runtime with int8 weights, else eager torch with bf16 autocast where the CPU
    has bf16 instructions, else fp32."""
    if device.startswith("cuda"):
        return ("tensorrt", "fp16") if tensorrt_available() else ("aoti", "fp16")
    if importlib.util.find_spec("onnxruntime") is not None and importlib.util.find_spec("onnxscript") is not None:
        return "onnx", "int8"
    return ("torch", "bf16") if native_bf16() else ("torch", "fp32")


def check_engine_fits(meta: EngineMetadata, path: str | Path, frames: int, bins: int, classes: int) -> None:
    """Raise EngineError if the engine's input (frames, bins) or its classes disagree with its metadata."""
    want = (meta.frontend.get("target_length"), meta.frontend.get("num_mel_bins"))
    if (frames, bins) != want:
        raise EngineError(
            f"{path} takes {frames} frames x {bins} bins, its metadata says {want[0]} x {want[1]}; rebuild it"
        )
    if classes != len(meta.labels):
        raise EngineError(f"{path} scores {classes} classes, its metadata has {len(meta.labels)} labels; rebuild it")


def default_output(model_path: Path, backend: str, precision: str) -> Path:
    return model_path.with_name(f"{model_path.stem}.{backend}-{precision}{EXTENSIONS[backend]}")


def build_engine(
    model_path: str | Path,
    backend: str = "auto",
    precision: str | None = None,
    max_batch: int = 8,
    output: str | Path | None = None,
    device: str = "cpu",
    calibration: torch.Tensor | None = None,
    prepare_only: bool = False,
) -> tuple[Path, EngineMetadata]:
    """Build an engine for ``model_path``; returns its path and metadata (also written beside it).

    ``calibration`` (real-audio windows) selects static int8 Q/DQ for onnx int8 and is required for
    tensorrt int8. ``prepare_only`` (tensorrt) writes the TensorRT-ready ONNX graph, runnable by the
    onnx backend, and stops before TensorRT: it needs neither TensorRT nor a GPU.
    """
    model_path = Path(model_path)
    check_device(device)
    if max_batch < 1:
        raise EngineError(f"max batch must be at least 1, got {max_batch}")
    model_file = load_model_file(model_path)
    auto = backend == "auto"
    if auto:
        backend, auto_precision = best_backend(device)
        precision = precision or auto_precision
    if backend not in BACKENDS:
        raise ConfigError(f"backend {backend!r} not supported; choose one of {BACKENDS} or auto")
    precision = precision or "fp32"
    if prepare_only and backend != "tensorrt":
        raise ConfigError("--prepare-only is for --backend tensorrt (the TensorRT-ready ONNX graph)")
    out = Path(output) if output else default_output(model_path, backend, precision)
    if backend == "aoti" and out.suffix != ".pt2":
        out = out.with_name(out.name + ".pt2")  # AOTInductor packages must end in .pt2
    if prepare_only:
        out = out.with_suffix(".onnx")
    if backend == "tensorrt":
        if precision not in TENSORRT_PRECISIONS:
            raise ConfigError(f"precision {precision!r} not supported by tensorrt; choose one of {TENSORRT_PRECISIONS}")
        if not prepare_only:
            from rtast.engines.tensorrt_backend import import_tensorrt

            import_tensorrt()  # fail before the slow export when TensorRT is missing or unsupported
            device = device if device.startswith("cuda") else "cuda"  # recorded, so the GPU check applies
    check_writable_file(out, "engine file")  # before a build that can take minutes
    meta = EngineMetadata(
        backend=backend,
        precision=precision,
        device=device,
        device_name=device_name(device),
        max_batch=max_batch,
        labels=list(model_file.labels),
        multilabel=model_file.model_config.multilabel,
        frontend=model_file.frontend.to_dict(),
        model_config=model_file.model_config.to_dict(),
        source_model=str(model_path.resolve()),
        source_sha256=file_sha256(model_path),
    )
    model = model_file.build_model()
    if backend == "torch":
        from rtast.engines.torch_backend import TorchEngine

        TorchEngine(model, device, precision)  # validates the precision for this device
        shutil.copyfile(model_path, out)
    elif backend == "aoti":
        from rtast.engines.aoti_backend import check_loads, compile_aoti

        compile_aoti(model, out, max_batch, device, precision)
        if device.startswith("cuda"):
            frontend = model_file.frontend
            try:
                check_loads(out, device, frontend.target_length, frontend.num_mel_bins)
            except EngineError as e:
                out.unlink(missing_ok=True)
                if not auto:
                    raise EngineError(f"{e}; build with --backend torch (eager, on the GPU too)") from e
                return build_engine(model_path, "torch", precision, max_batch, output, device)
    elif backend == "onnx":
        from rtast.engines.onnx_backend import embed_metadata

        if precision not in ("fp32", "int8"):
            raise ConfigError("the onnx backend builds fp32 or int8 (static Q/DQ with --calibration, else dynamic)")
        meta = replace(meta, recipe=_build_onnx(model, out, precision, max_batch, calibration))
        embed_metadata(out, {"rtast": meta.to_json()})
    else:
        from rtast.engines.onnx_backend import embed_metadata
        from rtast.engines.tensorrt_prepare import prepare_onnx

        onnx_path = out if prepare_only else out.with_suffix(".onnx")
        recipe = prepare_onnx(model, onnx_path, precision, max_batch, calibration)
        if prepare_only:
            meta = replace(meta, backend="onnx", recipe=f"TensorRT-ready (strongly typed): {recipe}")
            embed_metadata(out, {"rtast": meta.to_json()})
        else:
            from rtast.engines.tensorrt_backend import build_tensorrt, timing_cache_path

            cache = timing_cache_path(out, meta.source_sha256, meta.versions["tensorrt"])
            build_tensorrt(onnx_path, out, max_batch, precision, cache, device)
            meta = replace(meta, recipe=recipe)
    write_metadata(out, meta)
    return out, meta


def _build_onnx(model, out: Path, precision: str, max_batch: int, calibration: torch.Tensor | None) -> str:
    """The onnx backend's graph at ``out``; returns its recipe. int8 is static Q/DQ when calibrated."""
    from rtast.engines.onnx_backend import export_onnx, quantize_int8

    if precision == "int8" and calibration is not None:
        from rtast.cpu import saturating_int8
        from rtast.engines.tensorrt_prepare import prepare_onnx

        return prepare_onnx(model, out, "int8", max_batch, calibration, saturating=saturating_int8())
    if precision == "fp32":
        export_onnx(model, out, max_batch)
        return "fp32"
    fp32 = out.with_name(out.stem + ".fp32.onnx")
    try:
        export_onnx(model, fp32, max_batch)
        quantize_int8(fp32, out)
    finally:
        fp32.unlink(missing_ok=True)
    return "int8 dynamic (weights int8, activations quantised per call; onnxruntime)"


def load_engine(path: str | Path, device: str | None = None, model_path: str | Path | None = None):
    """(engine, metadata) for an engine file; stale or mismatched engines raise EngineError."""
    meta = read_metadata(path)
    check_compatible(meta, path, file_sha256(model_path) if model_path else None)
    device = device or meta.device
    if device != "cpu":
        check_device(device)
    if meta.backend == "torch":
        from rtast.engines.torch_backend import TorchEngine

        model_file = load_model_file(path)
        c = model_file.model_config
        check_engine_fits(meta, path, c.input_tdim, c.num_mel_bins, c.num_classes)
        return TorchEngine(model_file.build_model(), device, meta.precision), meta
    if meta.backend == "aoti":
        from rtast.engines.aoti_backend import AotiEngine

        if device != meta.device:
            raise EngineError(f"{path} was compiled for {meta.device}; rebuild it for {device}")
        engine = AotiEngine(path, device)
        check_engine_fits(
            meta, path, *engine.probe(meta.frontend["target_length"], meta.frontend["num_mel_bins"], path)
        )
        return engine, meta
    if meta.backend == "onnx":
        from rtast.engines.onnx_backend import OnnxEngine

        # A TensorRT-ready int8 graph is full-range int8, which ONNX Runtime's fused kernels may saturate
        # on this CPU: run its Q/DQ nodes as written (quantise, dequantise, fp32 math), as TensorRT would.
        exact = meta.precision == "int8" and meta.recipe.startswith("TensorRT-ready")
        engine = OnnxEngine(path, device, exact_qdq=exact)
        check_engine_fits(meta, path, *engine.io_dims())
        return engine, meta
    if meta.backend == "tensorrt":
        from rtast.engines.tensorrt_backend import TensorRTEngine

        engine = TensorRTEngine(path, device)
        check_engine_fits(meta, path, *engine.io_dims())
        return engine, meta
    raise EngineError(f"{path}: unknown backend {meta.backend!r} in its metadata")
