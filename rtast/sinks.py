"""Where results go: the event log (JSON lines or DCASE/DESED TSV) and the terminal display.

A sink receives each scored window and each event, in stream order, on the worker thread.
"""

from __future__ import annotations

import json
import os
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import numpy as np
import torch

from rtast.configs import ConfigError
from rtast.events import Event

MAX_UNWRITTEN = 10000  # events kept in memory while the log cannot be written (disk full)
TSV_HEADER = "filename\tonset\toffset\tevent_label"  # DESED's strong-label TSV, read by sed_eval and psds_eval
EVENT_FORMATS = ("auto", "jsonl", "tsv")


def event_format(path: str, requested: str = "auto") -> str:
    """``jsonl`` or ``tsv``: as requested, else ``tsv`` for names ending in ``.tsv`` and JSON lines otherwise."""
    if requested not in EVENT_FORMATS:
        raise ConfigError(f"event format {requested!r} not supported; choose one of {EVENT_FORMATS}")
    if requested != "auto":
        return requested
    return "tsv" if path.lower().endswith(".tsv") else "jsonl"


def tsv_filename(source: str) -> str:
    """The TSV ``filename`` column: the audio file's base name, as in DESED's ground truth."""
    return Path(source).name if source else "live"


@dataclass(frozen=True)
class WindowResult:
    t_start: float  # seconds of stream time
    t_end: float
    scores: np.ndarray  # (classes,) raw window scores
    smoothed: np.ndarray  # (classes,) scores after the event detector's smoothing
    latency: float  # seconds from the window's last sample arriving to its scores
    features: torch.Tensor | None = None  # (target_length, mel_bins) the normalised input the model saw


class Sink(Protocol):
    def window(self, result: WindowResult) -> None: ...

    def event(self, event: Event) -> None: ...

    def close(self) -> None: ...


class EventLog:
    """Events written as each happens: JSON lines (one per onset and offset) or DESED TSV rows.

    A TSV row is written when an event ends (the format has no open events); an empty or new TSV
    file gets DESED's header first, an existing one must already start with it.

    Lines go to the file with single unbuffered appends. If one cannot be written whole (a full
    disk), the partial line is cut off again, the events are kept in memory, a warning is printed
    once, and every later event retries the backlog first: nothing is lost when space returns,
    and the file always holds whole lines.
    """

    def __init__(self, path: str, source: str = "", fsync: bool = True, fmt: str = "auto", header: bool = True):
        self.path = path
        self.source = source  # the audio file (or device) the events come from; may change between files
        self.format = event_format(path, fmt)
        self._fd = -1  # stdout goes through sys.stdout, in order with other printed lines
        if path != "-":
            try:
                self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            except OSError as e:
                raise ConfigError(f"cannot open event log {path}: {e.strerror}") from e
        self._fsync = fsync
        self._unwritten: deque[bytes] = deque(maxlen=MAX_UNWRITTEN)
        self.lost = 0  # events that fell out of the in-memory backlog
        self.write_errors = 0
        self.written = 0
        if self.format == "tsv" and header and self._needs_header():
            self._unwritten.append((TSV_HEADER + "\n").encode())
            self._drain()
            self.written = 0

    def _needs_header(self) -> bool:
        """True for stdout and empty files; refuses a non-empty file that is not a DESED TSV."""
        if self.path == "-" or os.fstat(self._fd).st_size == 0:
            return True
        with open(self.path, encoding="utf-8", errors="replace") as f:
            first = f.readline().rstrip("\r\n")
        if first.split("\t") != TSV_HEADER.split("\t"):
            os.close(self._fd)
            raise ConfigError(
                f"cannot append events to {self.path}: its first line is not the DESED header "
                f"({TSV_HEADER.replace(chr(9), ' ')}); give a new file name"
            )
        return False

    def window(self, result: WindowResult) -> None:
        pass

    def event(self, event: Event) -> None:
        line = self._format(event)
        if line is None:
            return
        if len(self._unwritten) == self._unwritten.maxlen:
            self.lost += 1
        self._unwritten.append(line.encode())
        self._drain()

    def _format(self, event: Event) -> str | None:
        if self.format == "tsv":
            if event.offset is None:
                return None
            return f"{tsv_filename(self.source)}\t{event.onset:.3f}\t{event.offset:.3f}\t{event.label}\n"
        record = {**event.to_dict(), "source": self.source} if self.source else event.to_dict()
        return json.dumps(record) + "\n"

    def _drain(self) -> None:
        if self.path == "-":
            while self._unwritten:
                sys.stdout.write(self._unwritten.popleft().decode())
                self.written += 1
            sys.stdout.flush()
            return
        while self._unwritten:
            line = self._unwritten[0]
            end = None
            try:
                end = os.lseek(self._fd, 0, os.SEEK_END)
                written = os.write(self._fd, line)
                if written != len(line):
                    raise OSError(28, "short write (No space left on device)")
                if self._fsync:
                    os.fsync(self._fd)
            except OSError as e:
                self.write_errors += 1
                if self.write_errors == 1:
                    print(
                        f"rtast: cannot write events to {self.path} ({e.strerror}); keeping them in memory "
                        "and retrying with every new event",
                        file=sys.stderr,
                    )
                if end is not None:
                    try:
                        os.ftruncate(self._fd, end)  # never leave half a line
                    except OSError:
                        pass
                return
            self._unwritten.popleft()
            self.written += 1

    @property
    def pending(self) -> int:
        """Events not yet on disk."""
        return len(self._unwritten)

    def close(self) -> None:
        self._drain()
        if self._unwritten or self.lost:
            print(
                f"rtast: {len(self._unwritten) + self.lost} event(s) could not be written to {self.path}",
                file=sys.stderr,
            )
        if self.path != "-":
            os.close(self._fd)


TIMING_LEGEND = (
    "each line: [window start-end] the span scored, its top labels after smoothing. Events: an onset is placed at "
    "the start of the newest hop of the first window above --threshold, an offset at the start of the first window "
    "below the release; median smoothing decides one window late. As windows are long, an event can end while "
    "later windows, which still hold its sound, show its label."
)
FRAME_TIMING_LEGEND = (
    "each line: [window start-end] the span scored, its top labels after smoothing. Events: the window scores "
    "decide that an event begins or ends (--threshold, release; median smoothing decides one window late) and "
    "the model's frame head places it: the onset at the first ~0.16-s step scoring at least half the window's "
    "highest, the offset after the last one. Event records say which placed them (timing: frames or windows)."
)


class TerminalDisplay:
    """One line per window (the span it scored and its top labels), and one line per event."""

    def __init__(self, labels: list[str], top_k: int = 5, stream: IO[str] | None = None, prefix: str = ""):
        self.labels = labels
        self.top_k = top_k
        self.stream = stream or sys.stdout
        self.prefix = prefix  # names the stream when several run at once

    def window(self, result: WindowResult) -> None:
        order = np.argsort(-result.smoothed, kind="stable")[: self.top_k]
        tops = "  ".join(f"{self.labels[i]} {result.smoothed[i]:.2f}" for i in order)
        print(
            f"{self.prefix}[{result.t_start:6.1f}-{result.t_end:.1f} s] {tops}   ({result.latency * 1000:.0f} ms)",
            file=self.stream,
            flush=True,
        )

    def event(self, event: Event) -> None:
        placed = "frame" if event.timing == "frames" else "window"
        if event.offset is None:
            text = f"+ {event.label} from {event.onset:.1f} s ({placed} times)"
        else:
            text = f"- {event.label} {event.onset:.1f}-{event.offset:.1f} s (peak {event.peak:.2f}; {placed} times)"
        print(f"{self.prefix}           {text}", file=self.stream, flush=True)

    def close(self) -> None:
        pass


class EventCollector:
    """A sink that keeps the finished events (in the order they ended) and passes every event on."""

    def __init__(self, on_event: Callable[[Event], None] | None = None):
        self.on_event = on_event
        self.finished: list[Event] = []

    def window(self, result: WindowResult) -> None:
        pass

    def event(self, event: Event) -> None:
        if event.offset is not None:
            self.finished.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def close(self) -> None:
        pass
