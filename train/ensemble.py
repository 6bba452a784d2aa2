"""Model files scored together: one model, or the average of several (a checkpoint ensemble)."""

from __future__ import annotations

import torch

from rtast.modelfile import ModelFile, load_model_file
from rtast.train.data import DatasetSpec
from rtast.train.distributed import Dist
from rtast.train.metrics import Evaluation, evaluate
from rtast.train.predict import eval_loader, predict
from rtast.train.recipes import TrainConfig


def load_ensemble(names: list[str]) -> list[ModelFile]:
    """The model files by name, path or hub id; ValueError unless they share frontend and labels."""
    from rtast.hub import resolve_model

    files = [load_model_file(resolve_model(m)) for m in names]
    frontend = files[0].frontend
    if any(f.frontend != frontend or f.labels != files[0].labels for f in files[1:]):
        raise ValueError("an ensemble needs models with the same frontend and labels")
    return files


def evaluate_files(files: list[ModelFile], eval_spec: DatasetSpec, batch_size: int) -> Evaluation:
    """Metrics of the ensemble's averaged scores on ``eval_spec``, on the CPU."""
    frontend, sigmoid = files[0].frontend, files[0].model_config.multilabel
    config = TrainConfig(
        batch_size=batch_size, target_length=frontend.target_length, window_seconds=frontend.window_seconds
    )
    loader = eval_loader(eval_spec, frontend, config, Dist())
    scores, targets = predict([f.build_model() for f in files], loader, torch.device("cpu"), Dist())
    return evaluate(scores.numpy(), targets.numpy(), list(eval_spec.labels), 0.5 if sigmoid else None)
