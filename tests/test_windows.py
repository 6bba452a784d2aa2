"""rtast.windows: sliding windows cover every sample, in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from rtast.windows import SlidingWindows


def run(total: int, window: int, hop: int, chunk: int):
    slicer = SlidingWindows(window, hop)
    signal = np.arange(total, dtype=np.float32)
    out = []
    for i in range(0, total, chunk):
        out += slicer.push(signal[i : i + chunk])
        assert len(slicer._buffer) <= window + chunk  # never more than one window plus one chunk
    out += slicer.finish()
    return signal, out


@pytest.mark.parametrize("total", [1, 50, 99, 100, 101, 250, 1000])
@pytest.mark.parametrize(("window", "hop"), [(100, 50), (100, 100), (100, 30)])
@pytest.mark.parametrize("chunk", [1, 7, 100, 333])
def test_windows_are_exact_slices_covering_everything(total, window, hop, chunk):
    signal, windows = run(total, window, hop, chunk)
    covered = np.zeros(total, bool)
    for k, w in enumerate(windows):
        assert np.array_equal(w.samples, signal[w.start : w.start + len(w.samples)])
        assert len(w.samples) == window or k == len(windows) - 1  # only the last may be partial
        covered[w.start : w.start + len(w.samples)] = True
    assert covered.all()
    starts = [w.start for w in windows]
    assert starts == sorted(set(starts))
    assert all(s % hop == 0 for s in starts)


def test_counts():
    _, windows = run(1000, 100, 50, 64)
    assert [w.start for w in windows] == list(range(0, 901, 50))
    _, windows = run(1010, 100, 50, 64)
    assert windows[-1].start == 950 and len(windows[-1].samples) == 60


def test_bad_sizes():
    with pytest.raises(ValueError):
        SlidingWindows(0, 10)
