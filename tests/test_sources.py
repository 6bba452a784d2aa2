"""rtast.sources and rtast.ring: the lock-free ring buffer, file sources, and device errors."""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import write_wav

from rtast.audiofile import AudioFileError
from rtast.ring import RingBuffer
from rtast.sources import DeviceError, FileSource, list_input_devices, resolve_device


def test_ring_wraps_and_preserves_order():
    ring = RingBuffer(10, 2)
    data = np.arange(40, dtype=np.float32).reshape(20, 2)
    assert ring.write(data[:7]) == 7
    assert np.array_equal(ring.read(), data[:7])
    assert ring.write(data[7:15]) == 8  # wraps around the end
    assert np.array_equal(ring.read(), data[7:15])
    assert ring.read().shape == (0, 2)
    assert ring.dropped == 0


def test_full_ring_drops_new_frames_and_counts_them():
    ring = RingBuffer(10, 1)
    assert ring.write(np.ones((8, 1), np.float32)) == 8
    assert ring.write(np.full((5, 1), 2, np.float32)) == 2
    assert ring.dropped == 3
    out = ring.read()
    assert out.ravel().tolist() == [1] * 8 + [2, 2]
    assert ring.written + ring.dropped == 13
    assert ring._data.shape == (10, 1)  # never grows


def test_ring_wait_times_out_and_wakes():
    ring = RingBuffer(10, 1)
    t0 = time.monotonic()
    assert not ring.wait(0.05)
    assert time.monotonic() - t0 >= 0.04
    ring.write(np.zeros((1, 1), np.float32))
    assert ring.wait(1.0)


def read_all(source: FileSource) -> np.ndarray:
    source.start()
    blocks = []
    while not source.ended:
        blocks.append(source.read(0.05))
    source.stop()
    return np.concatenate(blocks)


@pytest.mark.parametrize("realtime", [False, True])
def test_file_source_delivers_the_whole_file(tmp_path, realtime):
    data = np.random.default_rng(0).uniform(-0.5, 0.5, (8000, 2)).astype(np.float32)
    path = write_wav(tmp_path / "st.wav", data, rate=32000, subtype="FLOAT")
    source = FileSource(path, realtime=realtime)
    assert (source.sample_rate, source.channels, source.live) == (32000, 2, realtime)
    t0 = time.monotonic()
    out = read_all(source)
    assert np.array_equal(out, data)
    if realtime:
        assert time.monotonic() - t0 >= 0.2  # 0.25 s of audio paced on the wall clock
    assert source.stats().frames_captured == 8000 and source.stats().dropped_frames == 0


def test_file_source_reports_nan_position(tmp_path):
    data = np.zeros((32000, 2), np.float32)
    data[24000, 1] = np.nan
    source = FileSource(write_wav(tmp_path / "nan.wav", data, rate=16000, subtype="FLOAT"))
    with pytest.raises(AudioFileError, match=r"first at 1.500 s"):
        read_all(source)


def test_file_source_refuses_bad_files(tmp_path):
    with pytest.raises(AudioFileError, match="no such file"):
        FileSource(tmp_path / "missing.wav")


def test_missing_device_index_is_a_clear_error():
    try:
        devices = list_input_devices()
    except DeviceError as e:
        pytest.skip(f"PortAudio unavailable: {e}")
    with pytest.raises(DeviceError, match="no input device with index 9999|no audio input devices found"):
        resolve_device(9999)
    with pytest.raises(DeviceError, match="no input device named|no audio input devices found"):
        resolve_device("no such microphone at all")
    if not devices:
        with pytest.raises(DeviceError, match="no audio input devices found"):
            resolve_device(None)
