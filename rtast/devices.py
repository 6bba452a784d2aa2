"""Checking a device string before any work runs on it."""

from __future__ import annotations

import torch


class DeviceSpecError(ValueError):
    """A device string that names no usable device here."""


def check_device(device: str, what: str = "--device") -> None:
    """Raise DeviceSpecError unless ``device`` is ``cpu``, ``cuda`` or ``cuda:N`` and exists on this machine."""
    kind, _, index = device.partition(":")
    if kind == "cpu" and not index:
        return
    if kind != "cuda" or (index and not index.isdigit()):
        raise DeviceSpecError(f"{what} {device!r} not understood; use cpu, cuda or cuda:N")
    if not torch.cuda.is_available():
        raise DeviceSpecError(f"{what} {device}: CUDA is not available on this machine; use cpu")
    if index and int(index) >= torch.cuda.device_count():
        raise DeviceSpecError(f"{what} {device}: this machine has {torch.cuda.device_count()} CUDA device(s)")
