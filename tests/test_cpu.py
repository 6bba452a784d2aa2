"""What rtast reads about the CPU: flags from /proc/cpuinfo and the int8 choice made from them."""

from __future__ import annotations

import platform

import pytest

from rtast import cpu


@pytest.fixture
def flags(monkeypatch):
    def set_flags(machine: str, names: str):
        monkeypatch.setattr(cpu, "_cpuinfo", lambda: ("test CPU", frozenset(names.split())))
        monkeypatch.setattr(platform, "machine", lambda: machine)

    return set_flags


@pytest.mark.parametrize(
    ("machine", "names", "saturating"),
    [
        ("x86_64", "sse4_2 avx2 fma", True),  # Zen 3: vpmaddubsw sums pairs in int16
        ("x86_64", "avx2 avx512f avx512_vnni", False),
        ("x86_64", "avx2 avx_vnni", False),
        ("aarch64", "", False),
    ],
)
def test_saturating_int8_follows_vnni(flags, machine, names, saturating):
    flags(machine, names)
    assert cpu.saturating_int8() is saturating


def test_reads_this_machine():
    assert cpu.cpu_name()
    if platform.machine() == "x86_64":
        assert "sse2" in cpu.cpu_flags()
