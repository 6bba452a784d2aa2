"""Engine backends against each other and against transformers' eager AST, in one run.

onnx-int8 is ONNX Runtime's dynamic int8 (weights int8, activations quantised per call);
onnx-int8-qdq is the static int8 Q/DQ graph TensorRT builds from, calibrated on real windows
(tests/data/fbank_reference.npz), run by ONNX Runtime on the CPU.

Base AST (768-dim, 12 blocks, 1024 frames, stride 10: 1214 tokens), random weights. For each
backend: latency at batch 1 (median of --repeat calls) and throughput at larger batches
(windows per second). Ratios are relative to transformers' ASTForAudioClassification fp32
eager, the outside baseline, measured in the same process.

    python bench/engines.py [--preset base384] [--batches 1 8 32] [--repeat 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine  # noqa: E402
from bench.gpu_check import reference_windows  # noqa: E402
from rtast.engines.build import build_engine, load_engine  # noqa: E402
from rtast.fbank import FrontendConfig  # noqa: E402
from rtast.labels import audioset_labels  # noqa: E402
from rtast.model import AST, preset  # noqa: E402
from rtast.modelfile import ModelFile, save_model_file  # noqa: E402

CPU_BACKENDS = [
    ("torch", "fp32"),
    ("torch", "bf16"),
    ("onnx", "fp32"),
    ("onnx", "int8"),
    ("onnx", "int8-qdq"),
    ("aoti", "fp32"),
    ("aoti", "bf16"),
]
CUDA_BACKENDS = [
    ("torch", "fp32"),
    ("torch", "fp16"),
    ("onnx", "fp32"),
    ("aoti", "fp32"),
    ("aoti", "fp16"),
    ("tensorrt", "fp16"),
]


def timed(run, x: torch.Tensor, repeat: int) -> float:
    """Median seconds per call, after one warm-up call."""
    run(x)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run(x)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="base384")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--backends", nargs="*", help="subset, e.g. onnx-fp32 torch-bf16")
    args = parser.parse_args()
    print(
        f"machine: {machine()}; device {args.device}"
        + (f" ({torch.cuda.get_device_name()})" if args.device.startswith("cuda") else "")
    )
    torch.manual_seed(0)
    config = preset(args.preset, num_classes=527)
    model = AST(config).eval()
    frames = config.input_tdim
    results: dict[str, dict[int, float]] = {}

    from transformers import ASTConfig, ASTForAudioClassification

    hf = (
        ASTForAudioClassification(
            ASTConfig(
                hidden_size=config.embed_dim,
                num_hidden_layers=config.depth,
                num_attention_heads=config.num_heads,
                max_length=frames,
                num_labels=527,
            )
        )
        .eval()
        .to(args.device)
    )

    def hf_run(x):
        with torch.inference_mode():
            return torch.sigmoid(hf(x.to(args.device)).logits).cpu()

    results["transformers-fp32 (baseline)"] = {
        b: timed(hf_run, torch.randn(b, frames, 128), args.repeat if b == 1 else 1) for b in args.batches
    }
    hf.cpu()
    backends = CUDA_BACKENDS if args.device.startswith("cuda") else CPU_BACKENDS
    if args.backends:
        backends = [tuple(b.split("-", 1)) for b in args.backends]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.pt"
        save_model_file(path, ModelFile(config, FrontendConfig(), audioset_labels(), model.state_dict()))
        for backend, precision in backends:
            name = f"{backend}-{precision}"
            calibration = None
            if precision == "int8-qdq":  # static Q/DQ: the onnx backend's int8, calibrated on real windows
                precision, calibration = "int8", reference_windows(FrontendConfig(), 32)
            try:
                t0 = time.perf_counter()
                engine_path, _ = build_engine(
                    path, backend, precision, max(args.batches), Path(tmp) / name, args.device, calibration
                )
                build_s = time.perf_counter() - t0
                engine, _ = load_engine(engine_path, args.device)
            except (RuntimeError, ValueError) as e:
                print(f"{name:30s} not runnable here: {e}")
                continue
            results[f"{name} (build {build_s:.0f} s)"] = {
                b: timed(engine.run, torch.randn(b, frames, 128), args.repeat if b == 1 else 1) for b in args.batches
            }
    base = results["transformers-fp32 (baseline)"]
    print(f"\n{args.preset}, {frames} frames; latency at batch 1 and throughput in windows/s")
    header = f"{'backend':34s} {'batch 1 ms':>11s} {'vs base':>8s}" + "".join(
        f" {'b' + str(b) + ' win/s':>11s} {'vs base':>8s}" for b in args.batches if b != 1
    )
    print(header)
    for name, row in results.items():
        line = f"{name:34s} {row[1] * 1000:11.1f} {base[1] / row[1]:7.2f}x" if 1 in row else f"{name:34s}"
        for b in args.batches:
            if b != 1:
                line += f" {b / row[b]:11.2f} {base[b] / row[b]:7.2f}x"
        print(line)


if __name__ == "__main__":
    main()
