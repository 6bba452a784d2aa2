"""Numeric precision of a run: the automatic choice and the autocast context."""

from __future__ import annotations

from contextlib import nullcontext

import torch

from rtast.cpu import native_bf16


def auto_precision(device: torch.device) -> str:
    """bf16 where it is native (CUDA, or a CPU with AVX-512 BF16 or AMX), fp32 everywhere else."""
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if native_bf16() else "fp32"


def autocast(precision: str, device: torch.device):
    if precision == "fp32":
        return nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    if device.type == "cpu" and dtype == torch.float16:
        raise ValueError("fp16 training needs CUDA; use bf16 on the CPU")
    return torch.autocast(device.type, dtype=dtype)
