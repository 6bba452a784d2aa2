"""What the CPU is and can do, read once from /proc/cpuinfo: its name, native bf16, int8 dot products."""

from __future__ import annotations

import functools
import platform


@functools.cache
def _cpuinfo() -> tuple[str, frozenset[str]]:
    name, flags = "", frozenset()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and not name:
                    name = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = frozenset(value.split())
    except OSError:
        pass
    return name or platform.processor() or "unknown CPU", flags


def cpu_name() -> str:
    return _cpuinfo()[0]


def cpu_flags() -> frozenset[str]:
    return _cpuinfo()[1]


def native_bf16() -> bool:
    """True where bf16 matrix work runs in hardware (AVX-512 BF16 or AMX); elsewhere torch emulates it,
    many times slower than fp32 (22x for a training step on an AVX2-only Zen 3)."""
    return bool({"avx512_bf16", "amx_bf16"} & cpu_flags())


def saturating_int8() -> bool:
    """True on x86 CPUs without VNNI, where ONNX Runtime's int8 kernels sum pairs of products in
    saturating int16 (vpmaddubsw); full-range static int8 then overflows (top-5 agreement 0.35 on an
    AVX2-only Zen 3), so weights are quantised to 7 bits there (onnxruntime's ``reduce_range``)."""
    if platform.machine().lower() not in ("x86_64", "amd64", "i686", "x86"):
        return False
    return not {"avx512_vnni", "avx_vnni", "amx_int8"} & cpu_flags()
