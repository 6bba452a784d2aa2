"""Incremental vs full-recompute fbank per hop, measured in one run.

Streaming with a 10-s window and a 1-s hop: the full frontend recomputes all 998 frames of the
window every hop; the incremental one computes only the ~100 new frames.

    python bench/frontend.py
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine, ms, time_it  # noqa: E402
from rtast.fbank import FrontendConfig, IncrementalFbank, fbank_from_config  # noqa: E402


def main() -> None:
    torch.set_num_threads(1)  # the worker's frontend runs on one thread
    config = FrontendConfig()
    rng = np.random.default_rng(0)
    print(f"machine: {machine()} (frontend pinned to 1 thread)")
    for hop_s in (1.0, 0.5, 0.1):
        hop = int(hop_s * 16000)
        audio = torch.from_numpy((rng.standard_normal(16000 * 60) * 0.1).astype(np.float32))
        window = audio[: config.window_samples]
        full = time_it(lambda w=window: fbank_from_config(w, config), repeat=30)
        inc = IncrementalFbank(config)
        inc.push(audio[: config.window_samples])  # steady state: a window already seen
        chunks = iter(
            audio[config.window_samples + i : config.window_samples + i + hop] for i in range(0, len(audio), hop)
        )
        incremental = time_it(lambda c=chunks, f=inc: f.push(next(c)), repeat=30)
        ratio = statistics.median(full) / statistics.median(incremental)
        print(
            f"hop {hop_s:4.1f} s: full recompute of the 10-s window {ms(full)} | incremental {ms(incremental)}"
            f" | incremental is {ratio:5.1f}x cheaper"
        )


if __name__ == "__main__":
    main()
