"""The status line: input, model, latency, real-time factor and everything lost on the way."""

from __future__ import annotations

import math

from rtast.live.state import LiveStats


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f} ms"


def format_status(stats: LiveStats, model: str, paused: bool = False) -> str:
    """Two lines: what is listened to with which model; how it is going."""
    rate = f" · native rate {stats.native_rate} Hz" if stats.native_rate else ""
    if stats.error:
        state = f"error: {stats.error}"
    elif stats.running:
        state = "running"
    else:
        state = f"stopped: {stats.stopped_by}" if stats.stopped_by else "starting"
    if paused:
        state = f"display paused (detection continues) · {state}"
    return (
        f"{stats.source or 'no input'}{rate} · model {model}\n"
        f"latency p50 {_ms(stats.latency_p50_ms)}, p95 {_ms(stats.latency_p95_ms)} · "
        f"real-time factor {stats.real_time_factor:.3f} · {stats.audio_seconds:.1f} s audio · "
        f"{stats.windows} windows, {stats.skipped} skipped · {stats.overflows} overflows · "
        f"{stats.dropped_frames} dropped frames · {state}"
    )
