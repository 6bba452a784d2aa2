"""Audio sources: microphones through PortAudio (sounddevice) and files, behind one interface.

Capture never waits for the consumer: the PortAudio callback only copies into a preallocated
ring buffer and counts what did not fit. The worker thread drains the ring at its own pace.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf

from rtast.audiofile import AudioFileError, check_finite, probe, sf_name
from rtast.ring import RingBuffer

RING_SECONDS = 30.0  # audio the ring holds while the worker is busy
BLOCK_SECONDS = 0.05  # frames per PortAudio callback / file block (50 ms)
PORTAUDIO_HINT = "install PortAudio (Debian/Ubuntu: apt-get install libportaudio2)"


class DeviceError(RuntimeError):
    """A capture device that cannot be opened, or that stopped delivering audio."""


@dataclass
class CaptureStats:
    frames_captured: int = 0  # frames delivered by the device or file, including dropped ones
    dropped_frames: int = 0  # frames lost because the ring was full
    overflows: int = 0  # PortAudio input-overflow reports (audio lost before reaching us)


class Source(Protocol):
    sample_rate: int  # native rate of the blocks
    channels: int
    description: str
    live: bool  # True if audio arrives on its own clock (then a slow worker skips windows)

    def start(self) -> None: ...

    def read(self, timeout: float) -> np.ndarray:
        """(frames, channels) float32, empty if nothing arrived within ``timeout``."""
        ...

    @property
    def ended(self) -> bool: ...

    @property
    def last_arrival(self) -> float:
        """time.monotonic() when the newest frame arrived."""
        ...

    def stats(self) -> CaptureStats: ...

    def stop(self) -> None: ...


def import_sounddevice():
    """sounddevice, or a DeviceError that says how to install PortAudio."""
    try:
        import sounddevice
    except OSError as e:  # raised at import when libportaudio is missing
        raise DeviceError(f"PortAudio is not available ({e}); {PORTAUDIO_HINT}") from e
    except ImportError as e:
        raise DeviceError("the sounddevice package is not installed; pip install 'rtast[audio]'") from e
    return sounddevice


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    channels: int  # maximum input channels
    default_rate: int  # Hz
    hostapi: str
    is_default: bool


def list_input_devices() -> list[InputDevice]:
    """Every PortAudio device with at least one input channel."""
    sd = import_sounddevice()
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_in = sd.default.device[0]
    except sd.PortAudioError as e:
        raise DeviceError(f"cannot list audio devices: {e}") from e
    return [
        InputDevice(
            i,
            d["name"],
            int(d["max_input_channels"]),
            int(d["default_samplerate"]),
            hostapis[d["hostapi"]]["name"],
            i == default_in,
        )
        for i, d in enumerate(devices)
        if d["max_input_channels"] > 0
    ]


def resolve_device(spec: str | int | None) -> InputDevice:
    """An input device from an index, an exact or partial name, or None for the default."""
    devices = list_input_devices()
    if not devices:
        raise DeviceError("no audio input devices found (no microphone?)")
    choices = ", ".join(f"{d.index}: {d.name}" for d in devices)
    if spec is None or spec == "":
        for d in devices:
            if d.is_default:
                return d
        return devices[0]
    if isinstance(spec, int) or str(spec).isdigit():
        index = int(spec)
        for d in devices:
            if d.index == index:
                return d
        raise DeviceError(f"no input device with index {index}; input devices are {choices}")
    exact = [d for d in devices if d.name == spec]
    partial = [d for d in devices if str(spec).lower() in d.name.lower()]
    found = exact or partial
    if not found:
        raise DeviceError(f"no input device named {spec!r}; input devices are {choices}")
    if len(found) > 1 and not exact:
        names = ", ".join(f"{d.index}: {d.name}" for d in found)
        raise DeviceError(f"{spec!r} matches several input devices ({names}); use an index")
    return found[0]


class MicrophoneSource:
    """A PortAudio input stream at the device's native rate, captured into a ring buffer."""

    live = True

    def __init__(
        self,
        device: str | int | None = None,
        ring_seconds: float = RING_SECONDS,
        block_seconds: float = BLOCK_SECONDS,
        max_channels: int = 2,
    ):
        self.device = resolve_device(device)
        self.sample_rate = self.device.default_rate
        self.channels = max(1, min(self.device.channels, max_channels))
        self.description = f"{self.device.name} (device {self.device.index}, {self.sample_rate} Hz, {self.channels} ch)"
        self._ring = RingBuffer(int(ring_seconds * self.sample_rate), self.channels)
        self._block = max(1, int(block_seconds * self.sample_rate))
        self._overflows = 0
        self._frames = 0
        self._finished = threading.Event()
        self._stream = None

    def _callback(self, indata, frames, time_info, status) -> None:
        # Runs on PortAudio's thread: count, copy, return. Nothing else.
        if status.input_overflow:
            self._overflows += 1
        self._frames += frames
        self._ring.write(indata)

    def start(self) -> None:
        sd = import_sounddevice()
        try:
            self._stream = sd.InputStream(
                device=self.device.index,
                samplerate=self.sample_rate,
                channels=self.channels,
                dtype="float32",
                blocksize=self._block,
                callback=self._callback,
                finished_callback=self._finished.set,
            )
            self._stream.start()
        except sd.PortAudioError as e:
            raise DeviceError(f"cannot open input device {self.description}: {e}") from e
        self._ring.last_write_time = time.monotonic()

    def read(self, timeout: float) -> np.ndarray:
        self._ring.wait(timeout)
        block = self._ring.read()
        if len(block) == 0 and self._finished.is_set() and self._stream is not None:
            # PortAudio finished the stream without being asked: the device or its audio server went away.
            raise DeviceError(
                f"input device {self.description} stopped delivering audio (unplugged, or the audio server went away)"
            )
        return block

    @property
    def ended(self) -> bool:
        return False  # a microphone has no end; losing it is an error (read raises)

    @property
    def last_arrival(self) -> float:
        return self._ring.last_write_time

    def stats(self) -> CaptureStats:
        return CaptureStats(self._frames, self._ring.dropped, self._overflows)

    def stop(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            try:
                stream.abort()
                stream.close()
            except Exception:  # a vanished device makes PortAudio fail in many ways on close
                pass


class FileSource:
    """An audio file as a source: as fast as the worker reads it, or paced at real time.

    Paced (``realtime=True``), a feeder thread writes blocks into a ring buffer on the wall
    clock, exactly like a microphone, so a slow worker skips windows and a full ring drops
    frames. Unpaced, each ``read`` decodes the next block: nothing is ever skipped or dropped.
    """

    def __init__(
        self,
        path: str | Path,
        realtime: bool = False,
        block_seconds: float = BLOCK_SECONDS,
        ring_seconds: float = RING_SECONDS,
    ):
        self.info = probe(path)
        self.sample_rate = self.info.sample_rate
        self.channels = self.info.channels
        self.live = realtime
        self.description = (
            f"{self.info.path} ({self.sample_rate} Hz, {self.channels} ch, "
            f"{self.info.duration:.1f} s{', real time' if realtime else ''})"
        )
        self._block = max(1, int(block_seconds * self.sample_rate))
        self._file: sf.SoundFile | None = None
        self._done = False
        self._frames = 0
        self._last_arrival = time.monotonic()
        self._ring = RingBuffer(int(ring_seconds * self.sample_rate), self.channels) if realtime else None
        self._feeder: threading.Thread | None = None
        self._stop = threading.Event()
        self._error: Exception | None = None

    def start(self) -> None:
        self._file = sf.SoundFile(sf_name(self.info.path))
        if self._ring is not None:
            self._feeder = threading.Thread(target=self._feed, name="rtast-file-feeder", daemon=True)
            self._feeder.start()

    def _next_block(self) -> np.ndarray:
        assert self._file is not None
        try:
            block = self._file.read(self._block, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as e:
            raise AudioFileError(f"{self.info.path}: decoding failed ({e})") from e
        check_finite(block, self._frames / self.sample_rate, str(self.info.path), self.sample_rate)
        self._frames += len(block)
        return block

    def _feed(self) -> None:
        assert self._ring is not None
        t0 = time.monotonic()
        try:
            while not self._stop.is_set():
                block = self._next_block()
                if len(block) == 0:
                    break
                delay = t0 + self._frames / self.sample_rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # deliver each block when a microphone would have
                self._ring.write(block)
        except Exception as e:  # handed to the worker through read()
            self._error = e
        finally:
            self._done = True
            self._ring.wake()

    def read(self, timeout: float) -> np.ndarray:
        if self._ring is None:
            block = self._next_block() if not self._done else np.zeros((0, self.channels), np.float32)
            if len(block) == 0:
                self._done = True
            self._last_arrival = time.monotonic()
            return block
        self._ring.wait(timeout)
        if self._error is not None:
            raise self._error
        return self._ring.read()

    @property
    def ended(self) -> bool:
        return self._done and (self._ring is None or self._ring.available == 0)

    @property
    def last_arrival(self) -> float:
        return self._ring.last_write_time if self._ring is not None else self._last_arrival

    def stats(self) -> CaptureStats:
        return CaptureStats(self._frames, self._ring.dropped if self._ring else 0, 0)

    def stop(self) -> None:
        self._stop.set()
        if self._feeder is not None:
            self._feeder.join(timeout=2)
        if self._file is not None:
            self._file.close()
            self._file = None
