"""The input picker's entries: the file being replayed, or a PortAudio input device, and how to open each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rtast.sources import DeviceError, FileSource, InputDevice, MicrophoneSource, Source, list_input_devices


@dataclass(frozen=True)
class InputChoice:
    label: str
    device: int | None = None  # PortAudio device index
    path: str | None = None  # a file replayed instead
    realtime: bool = False  # with path: paced like a microphone

    @classmethod
    def file(cls, path: str | Path, realtime: bool = False) -> InputChoice:
        return cls(f"file: {Path(path).name}{' (real time)' if realtime else ''}", path=str(path), realtime=realtime)

    @classmethod
    def microphone(cls, device: InputDevice) -> InputChoice:
        return cls(f"{device.index}: {device.name}", device=device.index)

    def open(self) -> Source:
        """A new, not yet started source; DeviceError or AudioFileError if it cannot be opened."""
        if self.path is not None:
            return FileSource(self.path, realtime=self.realtime)
        return MicrophoneSource(self.device)


def input_choices(current: InputChoice) -> tuple[list[InputChoice], str]:
    """The picker's entries, the current one included, and a note when devices cannot be listed."""
    try:
        devices = list_input_devices()
    except DeviceError as e:
        return [current], str(e)
    mics = [InputChoice.microphone(d) for d in devices]
    if current.path is not None:
        return [current, *mics], ""
    if all(m.device != current.device for m in mics):
        mics.insert(0, current)
    return mics, "" if mics else "no audio input devices found"
