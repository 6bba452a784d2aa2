"""What an engine file needs beside its weights: labels, frontend, source model, backend, versions.

It lives in a JSON file next to the engine (``model.onnx`` -> ``model.onnx.json``); ONNX engines
also carry it inside the graph's metadata.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata as pkg_metadata
from pathlib import Path

import torch

from rtast import __version__
from rtast.cpu import cpu_name
from rtast.fbank import FrontendConfig

# Backends whose files only run with the exact library version (and GPU) they were built with.
VERSION_BOUND = {"aoti": "torch", "tensorrt": "tensorrt"}


class EngineError(ValueError):
    """An engine file that is missing, stale or does not fit this machine; the message says why."""


@functools.lru_cache(maxsize=1)
def tensorrt_version() -> str:
    """tensorrt.__version__ ("" when absent): the distribution is tensorrt-cu12/-cu13, not "tensorrt"."""
    if importlib.util.find_spec("tensorrt") is None:
        return ""
    try:
        import tensorrt
    except (ImportError, OSError):  # bindings without their libraries
        return ""
    return str(getattr(tensorrt, "__version__", ""))


def library_versions() -> dict[str, str]:
    """Installed versions of every library an engine may depend on ("" when absent)."""
    out = {"rtast": __version__, "torch": torch.__version__}
    for name in ("onnx", "onnxruntime", "onnxruntime-gpu"):
        try:
            out[name] = pkg_metadata.version(name)
        except pkg_metadata.PackageNotFoundError:
            out[name] = ""
    if not out["onnxruntime"] and out["onnxruntime-gpu"]:
        out["onnxruntime"] = out["onnxruntime-gpu"]
    out["tensorrt"] = tensorrt_version()
    return out


def device_name(device: str) -> str:
    """The GPU's name for CUDA devices, the CPU's model otherwise."""
    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    return cpu_name()


@dataclass
class EngineMetadata:
    backend: str  # torch | aoti | onnx | tensorrt
    precision: str  # fp32 | bf16 | fp16 | int8
    device: str  # cpu | cuda[:n]
    device_name: str  # CPU model or GPU name it was built on
    max_batch: int
    labels: list[str]
    multilabel: bool
    frontend: dict  # FrontendConfig.to_dict()
    model_config: dict  # ASTConfig.to_dict()
    source_model: str  # path of the model file it was built from
    source_sha256: str
    versions: dict[str, str] = field(default_factory=library_versions)
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    input_name: str = "features"
    output_name: str = "scores"
    recipe: str = ""  # how the precision was applied, e.g. "int8 static Q/DQ, calibrated on 64 windows"

    @property
    def frontend_config(self) -> FrontendConfig:
        return FrontendConfig.from_dict(self.frontend)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> EngineMetadata:
        return cls(**json.loads(text))


def sidecar(engine_path: str | Path) -> Path:
    """The metadata file that belongs to an engine file."""
    return Path(str(engine_path) + ".json")


def write_metadata(engine_path: str | Path, meta: EngineMetadata) -> None:
    sidecar(engine_path).write_text(meta.to_json())


def read_metadata(engine_path: str | Path) -> EngineMetadata:
    path = Path(engine_path)
    if not path.exists():
        raise EngineError(f"engine file {path} does not exist")
    meta_path = sidecar(path)
    if not meta_path.is_file():
        raise EngineError(f"{path} has no metadata file {meta_path.name}; rebuild it with `rtast build-engine`")
    try:
        return EngineMetadata.from_json(meta_path.read_text())
    except (ValueError, TypeError) as e:
        raise EngineError(f"{meta_path} is not valid engine metadata: {e}") from e


def check_compatible(meta: EngineMetadata, engine_path: str | Path, model_sha256: str | None = None) -> None:
    """Raise EngineError if the engine cannot run here or was built from another model."""
    here = library_versions()
    library = VERSION_BOUND.get(meta.backend)
    if library and meta.versions.get(library) != here.get(library):
        raise EngineError(
            f"{engine_path} was built with {library} {meta.versions.get(library) or '?'}, this machine has "
            f"{library} {here.get(library) or 'none'}; rebuild it with `rtast build-engine {meta.source_model}`"
        )
    if meta.backend == "tensorrt" and meta.device.startswith("cuda"):
        current = device_name(meta.device)
        if current != meta.device_name:
            raise EngineError(f"{engine_path} was built for {meta.device_name}, this GPU is {current}; rebuild it")
    if model_sha256 is not None and model_sha256 != meta.source_sha256:
        raise EngineError(
            f"{engine_path} was built from another model (sha256 {meta.source_sha256[:12]}…, the given model is "
            f"{model_sha256[:12]}…); rebuild it"
        )
