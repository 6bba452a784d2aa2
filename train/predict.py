"""Held-out scoring: the evaluation loader and ensemble scores gathered from every rank."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from rtast.fbank import FrontendConfig
from rtast.model import AST
from rtast.train.data import DatasetSpec, WaveformDataset
from rtast.train.distributed import Dist, gather_rows
from rtast.train.features import BatchMaker
from rtast.train.precision import autocast
from rtast.train.recipes import TrainConfig


@torch.no_grad()
def predict(
    models: list[AST], loader: DataLoader, device: torch.device, d: Dist, progress: bool = True, precision: str = "fp32"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scores averaged over ``models`` (an ensemble when several) and targets, gathered from every rank."""
    for m in models:
        m.eval()
    all_scores, all_targets = [], []
    for feats, targets in tqdm(loader, desc="eval", unit="batch", disable=not (progress and d.main), leave=False):
        feats = feats.to(device)
        with autocast(precision, device):
            scores = torch.stack([m.scores(m(feats).float()) for m in models]).mean(0)
        all_scores.append(scores.float().cpu())
        all_targets.append(targets)
    scores, targets = torch.cat(all_scores), torch.cat(all_targets)
    return gather_rows(scores, d), gather_rows(targets, d)


def eval_loader(spec: DatasetSpec, frontend: FrontendConfig, config: TrainConfig, d: Dist) -> DataLoader:
    dataset = WaveformDataset(spec, frontend.window_samples, train=False)
    indices = list(range(d.rank, len(dataset), d.world))  # every clip exactly once over all ranks
    return DataLoader(
        torch.utils.data.Subset(dataset, indices),
        batch_size=config.batch_size,
        collate_fn=BatchMaker(frontend, config, train=False),
        num_workers=config.num_workers,
    )
