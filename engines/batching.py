"""Dynamic batching in-process: many streams share one engine, their windows scored together.

Each stream's worker calls ``run`` as with any engine and blocks until its scores are ready;
a dispatcher thread gathers whatever requests are waiting (up to ``max_batch`` windows, waiting
at most ``max_delay`` for more once the first arrives), runs the engine once and hands every
caller its rows.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

import torch

from rtast.engine import Engine


@dataclass
class _Request:
    windows: torch.Tensor
    done: threading.Event = field(default_factory=threading.Event)
    scores: torch.Tensor | None = None
    error: BaseException | None = None


class BatchingEngine:
    """Wraps an engine; thread-safe ``run`` that batches concurrent callers."""

    step_spans = None  # batched callers get clip scores only

    def __init__(self, engine: Engine, max_batch: int = 8, max_delay: float = 0.005):
        self.engine = engine
        self.max_batch = max_batch
        self.max_delay = max_delay
        self.name = f"batched-{engine.name}"
        self._queue: deque[_Request] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.batch_sizes: list[int] = []  # windows per engine call, for statistics
        self._thread = threading.Thread(target=self._serve, name="rtast-batcher", daemon=True)
        self._thread.start()

    def run(self, windows: torch.Tensor) -> torch.Tensor:
        request = _Request(windows)
        with self._cond:
            if self._closed:
                raise RuntimeError("the batching engine is closed")
            self._queue.append(request)
            self._cond.notify()
        request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.scores is not None
        return request.scores

    def _take_batch(self) -> list[_Request]:
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if not self._queue:
                return []
            deadline = time.monotonic() + self.max_delay
            while sum(len(r.windows) for r in self._queue) < self.max_batch and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            batch, count = [], 0
            while self._queue and (not batch or count + len(self._queue[0].windows) <= self.max_batch):
                request = self._queue.popleft()
                batch.append(request)
                count += len(request.windows)
            return batch

    def _serve(self) -> None:
        while True:
            batch = self._take_batch()
            if not batch:
                return
            try:
                scores = self.engine.run(torch.cat([r.windows for r in batch]))
                self.batch_sizes.append(len(scores))
                start = 0
                for r in batch:
                    r.scores = scores[start : start + len(r.windows)]
                    start += len(r.windows)
            except BaseException as e:  # every waiting caller gets the error
                for r in batch:
                    r.error = e
            for r in batch:
                r.done.set()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)
