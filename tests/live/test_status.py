"""The status line under the window."""

from __future__ import annotations

from rtast.live.state import LiveStats
from rtast.live.status import format_status


def test_status_line():
    stats = LiveStats("mic (device 3)", 48000, 10, 1, 2, 480, 12.4, 30.6, 0.05, 10.0, running=True)
    text = format_status(stats, "audioset.pt", paused=True)
    assert text.splitlines()[0] == "mic (device 3) · native rate 48000 Hz · model audioset.pt"
    for part in ("p50 12 ms", "p95 31 ms", "real-time factor 0.050", "1 skipped", "2 overflows", "480 dropped"):
        assert part in text
    assert "display paused" in text
    assert "error: gone" in format_status(LiveStats(source="mic", error="gone"), "m")
