"""Export to an NVIDIA Triton Inference Server model repository (ONNX Runtime or TensorRT backend).

Layout::

    REPO/NAME/config.pbtxt       dynamic batching, input "features" [frames, bins], output "scores" [classes],
                                 parameter "rtast": the metadata as JSON, which `rtast listen --server` reads
    REPO/NAME/labels.txt         one label a line (Triton's classification extension)
    REPO/NAME/rtast.json         the engine metadata: frontend and normalisation the client must apply
    REPO/NAME/1/model.onnx       (or model.plan for TensorRT)
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from dataclasses import asdict
from pathlib import Path

from rtast.engines.build import build_engine
from rtast.engines.metadata import EngineError, EngineMetadata, sidecar
from rtast.paths import OutputPathError
from rtast.remote import DEFAULT_MODEL_NAME, METADATA_PARAMETER

MODEL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # one path component; Triton's names are folders
PLATFORMS = {"onnx": ("onnxruntime_onnx", "model.onnx"), "tensorrt": ("tensorrt_plan", "model.plan")}


def config_pbtxt(
    name: str, meta: EngineMetadata, platform: str, max_batch: int, max_queue_delay_us: int, instances: int, gpu: bool
) -> str:
    """Triton's model configuration in protobuf text format."""
    frames, bins = meta.frontend["target_length"], meta.frontend["num_mel_bins"]
    preferred = sorted({b for b in (1, 4, 8, max_batch) if b <= max_batch})
    described = json.dumps({**asdict(meta), "engine": f"{meta.backend}-{meta.precision}", "step_spans": None})
    quoted = described.replace("\\", "\\\\").replace('"', '\\"')  # a protobuf text string
    return f"""name: "{name}"
platform: "{platform}"
max_batch_size: {max_batch}
input [
  {{
    name: "{meta.input_name}"
    data_type: TYPE_FP32
    dims: [ {frames}, {bins} ]
  }}
]
output [
  {{
    name: "{meta.output_name}"
    data_type: TYPE_FP32
    dims: [ {len(meta.labels)} ]
    label_filename: "labels.txt"
  }}
]
dynamic_batching {{
  preferred_batch_size: [ {", ".join(str(b) for b in preferred)} ]
  max_queue_delay_microseconds: {max_queue_delay_us}
}}
instance_group [
  {{
    count: {instances}
    kind: {"KIND_GPU" if gpu else "KIND_CPU"}
  }}
]
parameters {{
  key: "{METADATA_PARAMETER}"
  value: {{ string_value: "{quoted}" }}
}}
"""


def export_triton(
    model_path: str | Path,
    repo: str | Path,
    name: str = DEFAULT_MODEL_NAME,
    backend: str = "onnx",
    precision: str | None = None,
    max_batch: int = 32,
    max_queue_delay_us: int = 2000,
    instances: int = 1,
) -> Path:
    """Write a Triton model repository entry for ``model_path``; returns the model folder."""
    if backend not in PLATFORMS:
        raise EngineError(f"Triton export supports {list(PLATFORMS)}, not {backend!r}")
    if not MODEL_NAME.fullmatch(name) or name in (".", ".."):
        raise EngineError(f"model name {name!r} not allowed: use letters, digits, '_', '-' and '.' (no paths)")
    if instances < 1 or max_batch < 1 or max_queue_delay_us < 0:
        raise EngineError(
            f"instances ({instances}) and max batch ({max_batch}) must be at least 1, "
            f"the queue delay ({max_queue_delay_us} us) at least 0"
        )
    platform, filename = PLATFORMS[backend]
    repo = Path(repo)
    if repo.exists() and not repo.is_dir():
        raise OutputPathError(f"model repository {repo} exists and is not a folder")
    folder = repo / name
    version = folder / "1"
    created = [p for p in (repo, folder, version) if not p.exists()]
    try:
        version.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputPathError(f"cannot create {version} ({e.strerror})") from e
    device = "cuda" if backend == "tensorrt" else "cpu"
    try:
        engine_path, meta = build_engine(
            model_path,
            backend,
            precision or ("fp16" if backend == "tensorrt" else "fp32"),
            max_batch,
            version / filename,
            device,
        )
    except BaseException:
        for path in reversed(created):  # only the folders this call made, and only while empty
            with contextlib.suppress(OSError):
                path.rmdir()
        raise
    shutil.move(str(sidecar(engine_path)), folder / "rtast.json")
    for extra in (version / "model.onnx",) if backend == "tensorrt" else ():
        extra.unlink(missing_ok=True)  # the intermediate ONNX graph is not part of a TensorRT entry
    (folder / "labels.txt").write_text("\n".join(meta.labels) + "\n")
    (folder / "config.pbtxt").write_text(
        config_pbtxt(name, meta, platform, max_batch, max_queue_delay_us, instances, gpu=backend == "tensorrt")
    )
    return folder
