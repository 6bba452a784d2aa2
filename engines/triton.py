"""Export to an NVIDIA Triton Inference Server model repository (ONNX Runtime or TensorRT backend).

Layout::

    REPO/NAME/config.pbtxt       dynamic batching, input "features" [frames, bins], output "scores" [classes]
    REPO/NAME/labels.txt         one label a line (Triton's classification extension)
    REPO/NAME/rtast.json         the engine metadata: frontend and normalisation the client must apply
    REPO/NAME/1/model.onnx       (or model.plan for TensorRT)
"""

from __future__ import annotations

import shutil
from pathlib import Path

from engines.build import build_engine
from engines.metadata import EngineMetadata, sidecar

PLATFORMS = {"onnx": ("onnxruntime_onnx", "model.onnx"), "tensorrt": ("tensorrt_plan", "model.plan")}


def config_pbtxt(
    name: str, meta: EngineMetadata, platform: str, max_batch: int, max_queue_delay_us: int, instances: int, gpu: bool
) -> str:
    """Triton's model configuration in protobuf text format."""
    frames, bins = meta.frontend["target_length"], meta.frontend["num_mel_bins"]
    preferred = sorted({b for b in (1, 4, 8, max_batch) if b <= max_batch})
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
"""


def export_triton(
    model_path: str | Path,
    repo: str | Path,
    name: str = "rtast_ast",
    backend: str = "onnx",
    precision: str | None = None,
    max_batch: int = 32,
    max_queue_delay_us: int = 2000,
    instances: int = 1,
) -> Path:
    """Write a Triton model repository entry for ``model_path``; returns the model folder."""
    if backend not in PLATFORMS:
        raise ValueError(f"Triton export supports {list(PLATFORMS)}, not {backend!r}")
    platform, filename = PLATFORMS[backend]
    folder = Path(repo) / name
    version = folder / "1"
    version.mkdir(parents=True, exist_ok=True)
    device = "cuda" if backend == "tensorrt" else "cpu"
    engine_path, meta = build_engine(
        model_path,
        backend,
        precision or ("fp16" if backend == "tensorrt" else "fp32"),
        max_batch,
        version / filename,
        device,
    )
    shutil.move(str(sidecar(engine_path)), folder / "rtast.json")
    for extra in (version / "model.onnx",) if backend == "tensorrt" else ():
        extra.unlink(missing_ok=True)  # the intermediate ONNX graph is not part of a TensorRT entry
    (folder / "labels.txt").write_text("\n".join(meta.labels) + "\n")
    (folder / "config.pbtxt").write_text(
        config_pbtxt(name, meta, platform, max_batch, max_queue_delay_us, instances, gpu=backend == "tensorrt")
    )
    return folder
