"""torch.export + AOTInductor: an ahead-of-time compiled package (.pt2) with a dynamic batch dimension."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import torch

from rtast.configs import ConfigError
from rtast.engines.export import ScoringModel, batch_dim, example_input
from rtast.engines.metadata import EngineError
from rtast.model import AST


def compile_aoti(model: AST, path: str | Path, max_batch: int, device: str = "cpu", precision: str = "fp32") -> Path:
    """Export and compile ``model`` for ``device``; bf16/fp16 are autocast inside the graph."""
    if precision not in ("fp32", "bf16", "fp16"):
        raise ConfigError(f"precision {precision!r} not supported by aoti; choose fp32, bf16 or fp16")
    if precision == "fp16" and not device.startswith("cuda"):
        raise ConfigError("fp16 needs CUDA; on the CPU use bf16")
    dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    model = model.eval().to(device)
    wrapper = ScoringModel(model, dtype, torch.device(device).type).eval()
    with torch.no_grad():
        exported = torch.export.export(
            wrapper, (example_input(model, device=device),), dynamic_shapes=({0: batch_dim(max_batch)},)
        )
        out = torch._inductor.aoti_compile_and_package(exported, package_path=str(path))
    return Path(out)


_LOAD_AND_RUN = (
    "import sys, torch; path, index, frames, bins, device = sys.argv[1:]; "
    "fn = torch._inductor.aoti_load_package(path, device_index=int(index)); "
    "fn(torch.zeros(1, int(frames), int(bins), device=device))"
)


def check_loads(path: str | Path, device: str, frames: int, bins: int) -> None:
    """Load and run the package once in a child process, raising EngineError if that fails. On an H200 with
    torch 2.11, loading CUDA packages of small models killed the process with SIGSEGV (docs/benchmarks.md),
    which no exception reports: the build finds out instead of the first `listen`."""
    index = torch.device(device).index
    args = [str(path), str(-1 if index is None else index), str(frames), str(bins), device]
    result = subprocess.run([sys.executable, "-c", _LOAD_AND_RUN, *args], capture_output=True, text=True)
    if result.returncode == 0:
        return
    if result.returncode < 0:
        how = f"killed the process ({signal.Signals(-result.returncode).name})"
    else:
        lines = result.stderr.strip().splitlines()
        how = f"failed ({lines[-1][:160] if lines else f'exit status {result.returncode}'})"
    raise EngineError(f"{path}: loading and running the AOTInductor package {how} under torch {torch.__version__}")


class AotiEngine:
    """Loads a .pt2 package; runs on the device it was compiled for."""

    step_spans = None  # compiled graphs carry the clip head only: events take window times

    def __init__(self, path: str | Path, device: str = "cpu"):
        self.device = torch.device(device)
        index = self.device.index if self.device.type == "cuda" and self.device.index is not None else -1
        self.fn = torch._inductor.aoti_load_package(str(path), device_index=index)
        self.name = f"aoti-{self.device.type}"

    @torch.inference_mode()
    def run(self, windows: torch.Tensor) -> torch.Tensor:
        return self.fn(windows.to(self.device, torch.float32)).float().cpu()

    def probe(self, frames: int, bins: int, path: str | Path) -> tuple[int, int, int]:
        """(frames, bins, classes) of the package, from one window of silence of the size its metadata names.
        A compiled graph keeps no shapes to read: its output gives the classes; the input size is taken on
        trust (torch 2.13's AOTInductor runs a 298-frame window through a 1024-frame graph without a guard)."""
        try:
            scores = self.run(torch.zeros(1, frames, bins))
        except (RuntimeError, AssertionError) as e:  # the graph's own shape guards
            reason = str(e).splitlines()[0][:120]
            raise EngineError(
                f"{path} refuses the {frames} frames x {bins} bins its metadata names ({reason}); rebuild it"
            ) from e
        return frames, bins, scores.shape[-1]
