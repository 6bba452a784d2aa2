"""One listen run: 1 or N sources through one detector, their windows batched when there are several."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from rtast.detector import Detector
from rtast.listener import ListenConfig, Listener, StreamStats, run_all_until_interrupted

Batcher = Callable[[Any, int], Any]  # (engine, max batch) -> an engine that batches calls from several threads


class StreamRun:
    """Listeners for ``sources`` (one sink list each); ``batcher`` wraps the engine when there are several."""

    def __init__(
        self,
        detector: Detector,
        sources: Sequence,
        sinks: Sequence[list],
        config: ListenConfig,
        batcher: Batcher | None = None,
    ) -> None:
        self.batching = batcher(detector.engine, max(2, len(sources))) if batcher and len(sources) > 1 else None
        if self.batching is not None:
            detector = replace(detector, engine=self.batching)
        self.listeners: list[Listener] = [
            detector.listener(source, stream_sinks, config) for source, stream_sinks in zip(sources, sinks, strict=True)
        ]

    @property
    def stats(self) -> list[StreamStats]:
        return [x.stats for x in self.listeners]

    @property
    def batch_sizes(self) -> list[int]:
        """Windows per engine call, when batched."""
        return list(self.batching.batch_sizes) if self.batching is not None else []

    def run(self) -> list[StreamStats]:
        """Run every stream until it ends or SIGINT/SIGTERM; the first stream error is re-raised."""
        try:
            return run_all_until_interrupted(self.listeners)
        finally:
            if self.batching is not None:
                self.batching.close()
