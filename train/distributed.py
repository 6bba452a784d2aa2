"""Distributed helpers: where this process sits in a torchrun run, gathering, and the sharded sampler."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import Sampler

from rtast.train.data import DatasetSpec, class_counts


@dataclass(frozen=True)
class Dist:
    """Where this process sits in a (possibly single-process) run; torchrun sets the variables."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed() -> Dist:
    """Join the torchrun process group if one is configured (gloo on CPU, nccl on CUDA)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Dist()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return Dist(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def gather_rows(x: torch.Tensor, d: Dist) -> torch.Tensor:
    """Concatenate (n_r, C) tensors of every rank, in rank order (ranks may hold different n_r)."""
    if d.world == 1:
        return x
    sizes = [torch.zeros(1, dtype=torch.long) for _ in range(d.world)]
    dist.all_gather(sizes, torch.tensor([len(x)]))
    longest = int(max(s.item() for s in sizes))
    padded = torch.zeros(longest, *x.shape[1:], dtype=x.dtype)
    padded[: len(x)] = x
    parts = [torch.zeros_like(padded) for _ in range(d.world)]
    dist.all_gather(parts, padded)
    return torch.cat([p[: int(s.item())] for p, s in zip(parts, sizes, strict=True)])


class ShardedSampler(Sampler[int]):
    """Each epoch, one global order (shuffled or class-balanced, same seed on every rank) cut into rank shards.

    Rank r takes positions r, r + world, ... of the global order, so that per-rank batches of
    size b together form the global batch of size b * world, in the same order as one process.
    """

    def __init__(self, n: int, d: Dist, seed: int, shuffle: bool, weights: np.ndarray | None = None):
        self.n, self.d, self.seed, self.shuffle, self.weights = n, d, seed, shuffle, weights
        self.epoch = 0
        self.per_rank = math.ceil(n / d.world)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def global_order(self) -> np.ndarray:
        rng = np.random.default_rng((self.seed, self.epoch))
        if self.weights is not None:
            p = self.weights / self.weights.sum()
            order = rng.choice(self.n, size=self.n, replace=True, p=p)
        elif self.shuffle:
            order = rng.permutation(self.n)
        else:
            order = np.arange(self.n)
        total = self.per_rank * self.d.world
        return np.resize(order, total)  # wrap around so every rank has the same count

    def __iter__(self) -> Iterator[int]:
        return iter(self.global_order()[self.d.rank :: self.d.world].tolist())

    def __len__(self) -> int:
        return self.per_rank


def balanced_weights(spec: DatasetSpec) -> np.ndarray:
    """AST's clip weights: sum over the clip's labels of 1000 / (label count + 0.01)."""
    counts = class_counts(spec)
    per_label = 1000.0 / (counts + 0.01)
    return np.array([sum(per_label[t] for t in clip.targets) for clip in spec.clips])
