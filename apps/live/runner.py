"""Runs one Listener at a time on a worker thread, as ``run_until_interrupted`` does, but controllable.

``start(choice)`` stops the running Listener and starts a new one on another input without
blocking the caller: a new thread waits for the old one to finish, opens the input and runs.
Errors (a device that cannot be opened or is lost, a file that cannot be decoded) end up in the
LiveState's stats for the status line and in ``error``; the window stays usable.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field, replace

from rtast.audiofile import AudioFileError
from rtast.detector import Detector
from rtast.events import EventConfig
from rtast.listener import ListenConfig, Listener, StreamStats
from rtast.live.inputs import InputChoice
from rtast.live.state import LiveState
from rtast.reference import Played
from rtast.sinks import Sink
from rtast.sources import DeviceError, Source

EXPECTED_ERRORS = (DeviceError, AudioFileError, OSError)


@dataclass
class LiveSetup:
    """What every Listener of one window shares."""

    detector: Detector  # engine, frontend, labels and the name the window shows
    listen_config: ListenConfig = field(default_factory=ListenConfig)  # with the event rule the window starts with
    sinks: list[Sink] = field(default_factory=list)  # extra sinks fed by every Listener (the event log)
    top_k: int = 5
    reference: tuple[Played, ...] = ()  # what is being played (`listen --reference`), drawn in the timeline


def with_threshold(config: EventConfig, threshold: float) -> EventConfig:
    """``config`` with a new start threshold; an explicit release threshold is kept below it."""
    release = None if config.release is None else min(config.release, threshold)
    return replace(config, threshold=threshold, release=release)


class LiveRunner:
    def __init__(self, setup: LiveSetup, state: LiveState):
        self.setup = setup
        self.state = state
        self.event_config = setup.listen_config.events  # changed by the window's threshold control
        self.listener: Listener | None = None  # the newest Listener started
        self.error: BaseException | None = None  # why the newest Listener stopped, if it failed
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self, choice: InputChoice, source: Source | None = None) -> None:
        """Stop the running Listener (if any) and run a new one on ``choice`` (or on ``source``, already open)."""
        with self._lock:
            self._stop.set()
            previous, stop = self._thread, threading.Event()
            self._stop = stop
            self._thread = threading.Thread(
                target=self._work, args=(previous, choice, source, stop), name="rtast-live-worker", daemon=True
            )
            self._thread.start()

    def _work(self, previous: threading.Thread | None, choice: InputChoice, source: Source | None, stop) -> None:
        if previous is not None:
            previous.join()
        if stop.is_set():
            return  # another input was chosen before this one started
        try:
            source = source or choice.open()
        except EXPECTED_ERRORS as e:
            self.error = e
            self.state.report_error(str(e), choice.label)
            return
        setup = self.setup
        sink = self.state.new_sink(source.description, source.sample_rate)
        config = replace(setup.listen_config, events=self.event_config)
        listener = setup.detector.listener(source, [sink, *setup.sinks], config)
        sink.bind(listener)
        self.listener, self.error = listener, None
        message = ""
        try:
            listener.run(stop)
        except Exception as e:  # reported in the window; the worker thread must not die silently
            if not isinstance(e, EXPECTED_ERRORS):
                traceback.print_exc()
            self.error, message = e, str(e) or type(e).__name__
        finally:
            self.state.finished(sink, message)

    def set_threshold(self, threshold: float) -> None:
        """New start threshold for the running detector's next windows and for later Listeners."""
        self.event_config = with_threshold(self.event_config, threshold)
        listener = self.listener
        if listener is not None:
            listener.detector.config = with_threshold(listener.detector.config, threshold)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def stop(self, timeout: float = 10.0) -> StreamStats | None:
        """Stop the running Listener and wait for it; its stats (None if none ever started)."""
        with self._lock:
            self._stop.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.listener.stats if self.listener is not None else None
