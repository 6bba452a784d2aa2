"""Helpers shared by the benchmark scripts: machine description and timing."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

import torch

from rtast.cpu import cpu_flags, cpu_name


def machine() -> str:
    """One line naming the machine the numbers come from."""
    flags = ", ".join(f for f in ("avx512_bf16", "amx_bf16", "avx512f", "avx2") if f in cpu_flags())
    return (
        f"{cpu_name()} ({os.cpu_count()} cores; {flags}), torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, Python {platform.python_version()}"
    )


def time_it(fn: Callable[[], object], repeat: int, warmup: int = 2) -> list[float]:
    """Seconds per call for ``repeat`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def ms(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:8.3f} ms"
