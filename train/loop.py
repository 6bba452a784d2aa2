"""The training loop: schedule, loss, batch size, and ``train()`` as its steps (resume, epoch, evaluate, average, save).

Features are made with rtast's own frontend (rtast.fbank), so a trained model hears exactly
what `rtast listen` and `rtast tag` will give it.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from rtast.devices import check_device
from rtast.fbank import FrontendConfig
from rtast.model import AST
from rtast.modelfile import ModelFile, ModelFileError, read_torch_file, save_model_file
from rtast.train.data import DatasetSpec, WaveformDataset
from rtast.train.distributed import Dist, ShardedSampler, balanced_weights, init_distributed
from rtast.train.features import BatchMaker, compute_stats
from rtast.train.init_model import build_model, init_model_file
from rtast.train.metrics import Evaluation, evaluate
from rtast.train.precision import auto_precision, autocast
from rtast.train.predict import eval_loader, predict
from rtast.train.recipes import TrainConfig
from rtast.train.run_log import epoch_line, finite, log_epoch, note, tensorboard_writer, write_figures


def lr_factor(step: int, epoch: int, config: TrainConfig) -> float:
    """Linear warm-up over the first steps, then x lr_decay for every epoch from lr_decay_start on."""
    warm = min(1.0, (step + 1) / config.warmup_steps) if config.warmup_steps > 0 else 1.0
    decays = max(0, epoch - config.lr_decay_start + 1)
    return warm * config.lr_decay**decays


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """Adam with L2 decay on every parameter (the AST paper's fine-tuning), or AdamW decaying only the weight
    matrices: biases, norms, the position embedding and the class tokens keep their scale (as DeiT trains a
    ViT from scratch)."""
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, betas=config.betas)
    matrices, rest = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (matrices if name.endswith(".weight") and p.ndim >= 2 else rest).append(p)
    groups = [{"params": matrices, "weight_decay": config.weight_decay}, {"params": rest, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.lr, betas=config.betas)


def loss_fn(logits: torch.Tensor, targets: torch.Tensor, kind: str) -> torch.Tensor:
    logits = logits.float()
    if kind == "bce":
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
    return torch.nn.functional.cross_entropy(logits, targets)  # soft targets after mixup


MIN_BATCHES = 4  # per epoch: fewer and a small folder takes only a step or two per epoch


def fit_batch_size(batch_size: int, clips: int, world: int) -> int:
    """The batch size, made smaller (a multiple of ``world``) where ``clips`` would give fewer than MIN_BATCHES."""
    if clips < world:
        raise ValueError(f"{clips} training clip(s) for {world} processes: each process needs at least one")
    if clips >= MIN_BATCHES * batch_size:
        return batch_size
    return max(world, min(batch_size, clips // MIN_BATCHES) // world * world)


# ---------------------------------------------------------------- training
@dataclass
class RunResult:
    best: Evaluation | None
    best_epoch: int
    final: Evaluation | None
    averaged: Evaluation | None
    out_dir: Path


def model_file_for(model: AST, frontend: FrontendConfig, spec: DatasetSpec, meta: dict) -> ModelFile:
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return ModelFile(model.config, frontend, list(spec.labels), state, {k: str(v) for k, v in meta.items()})


def fit_to_data(
    config: TrainConfig, train_spec: DatasetSpec, frontend: FrontendConfig, d: Dist, progress: bool
) -> tuple[TrainConfig, DatasetSpec]:
    """The config with batch size, epochs, warm-up and statistics fitted to the data, and the spec of one epoch."""
    clips_spec = train_spec
    if config.crops_per_clip > 1:  # several random crops of every clip per epoch
        train_spec = replace(train_spec, clips=train_spec.clips * config.crops_per_clip)
    batch_size = fit_batch_size(config.batch_size, len(train_spec.clips), d.world)
    if batch_size != config.batch_size:
        note(
            d,
            f"batch size {config.batch_size} -> {batch_size}: {len(train_spec.clips)} training clips "
            f"make at least {MIN_BATCHES} batches an epoch (--batch-size sets it)",
        )
        config = replace(config, batch_size=batch_size)
    per_epoch = len(train_spec.clips) // config.batch_size
    steps = config.epochs * per_epoch
    if steps < config.min_steps:  # a few hundred clips: 10 epochs are too few steps for a new head to learn
        epochs = -(-config.min_steps // per_epoch)
        note(
            d,
            f"epochs {config.epochs} -> {epochs}: {per_epoch} steps an epoch, {config.min_steps} steps at least "
            "(--epochs sets it)",
        )
        config, steps = replace(config, epochs=epochs), epochs * per_epoch
    if config.warmup_steps > steps // 5:  # a warm-up longer than the run would never reach the full rate
        note(d, f"warm-up {config.warmup_steps} -> {steps // 5} steps: a fifth of this run's {steps}")
        config = replace(config, warmup_steps=steps // 5)
    if config.mean is None or config.std is None:
        mean, std = compute_stats(clips_spec, frontend, progress=progress and d.main)
        config = replace(config, mean=mean, std=std)
    return config, train_spec


@dataclass
class Progress:
    """Where a run stands after an epoch: what last_checkpoint.pt holds besides the weights and optimiser."""

    start_epoch: int = 0
    step: int = 0
    best_metric: float = -math.inf
    best_epoch: int = -1
    averaged: dict | None = None


def resume_from(checkpoint: Path, model: AST, optimizer: torch.optim.Optimizer, d: Dist) -> Progress:
    """Load last_checkpoint.pt into ``model`` and ``optimizer``; ModelFileError where it does not fit."""
    ck = read_torch_file(checkpoint, "checkpoint")
    try:
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        state = Progress(ck["epoch"] + 1, ck["step"], ck["best_metric"], ck["best_epoch"], ck.get("averaged"))
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as e:
        raise ModelFileError(
            f"checkpoint {checkpoint} does not fit this run ({type(e).__name__}: {str(e).splitlines()[0]}); "
            "delete it to start afresh"
        ) from e
    if d.main:
        print(f"resumed from {checkpoint} after epoch {ck['epoch'] + 1}")
    return state


def train_epoch(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loader: DataLoader,
    config: TrainConfig,
    epoch: int,
    state: Progress,
    dev: torch.device,
    writer,
    bar_on: bool,
) -> list[float]:
    """One pass over ``loader``, advancing ``state.step``; the batch losses."""
    model.train()
    losses: list[float] = []
    bar = tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", unit="batch", disable=not bar_on)
    for feats, targets, *steps in bar:  # steps: the frame head's targets, when it is trained
        for group in optimizer.param_groups:
            group["lr"] = config.lr * lr_factor(state.step, epoch, config)
        feats, targets = feats.to(dev), targets.to(dev)
        with autocast(config.precision, dev):
            out = model(feats, with_frames=bool(steps))
        if steps:
            logits, frames = out
            frame_loss = torch.nn.functional.binary_cross_entropy_with_logits(frames.float(), steps[0].to(dev))
            loss = loss_fn(logits, targets, config.loss) + config.frame_loss * frame_loss
        else:
            loss = loss_fn(out, targets, config.loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        state.step += 1
        losses.append(loss.item())
        if writer is not None:
            writer.add_scalar("train/loss", losses[-1], state.step)
            writer.add_scalar("train/lr", optimizer.param_groups[0]["lr"], state.step)
        bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}", lr=f"{optimizer.param_groups[0]['lr']:.2e}")
    return losses


def average_weights(averaged: dict | None, model: AST, epoch: int, config: TrainConfig) -> dict | None:
    """The running mean of the weights over the last ``config.average_last`` epochs (None before them)."""
    if not config.average_last or epoch < config.epochs - config.average_last:
        return averaged
    current = {k: v.detach().float().cpu().clone() for k, v in model.state_dict().items()}
    n = epoch - (config.epochs - config.average_last)  # epochs already averaged
    return current if averaged is None else {k: (averaged[k] * n + current[k]) / (n + 1) for k in current}


def evaluate_model(
    model: AST,
    evaluator: DataLoader | None,
    spec: DatasetSpec,
    dev: torch.device,
    d: Dist,
    progress: bool,
    precision: str,
) -> Evaluation | None:
    """Held-out metrics of ``model`` (None without held-out clips)."""
    if evaluator is None:
        return None
    none_threshold = 0.5 if spec.multilabel else None  # sigmoid: below it, a clip is "none"
    scores, targets = predict([model], evaluator, dev, d, progress, precision)
    return evaluate(scores.numpy(), targets.numpy(), spec.labels, none_threshold)


def save_checkpoint(out_dir: Path, model: AST, optimizer: torch.optim.Optimizer, epoch: int, state: Progress) -> None:
    """last_checkpoint.pt, written whole or not at all."""
    partial = out_dir / "last_checkpoint.pt.partial"
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "epoch": epoch,
            "step": state.step,
            "best_metric": state.best_metric,
            "best_epoch": state.best_epoch,
            "averaged": state.averaged,
        },
        partial,
    )
    partial.replace(out_dir / "last_checkpoint.pt")


def train(
    config: TrainConfig,
    train_spec: DatasetSpec,
    eval_spec: DatasetSpec | None,
    out_dir: Path,
    resume: bool = False,
    device: str | None = None,
    progress: bool = True,
) -> RunResult:
    """Train, evaluate each epoch, and write out_dir/{best,final,averaged}.pt, last_checkpoint.pt, metrics.jsonl."""
    d = init_distributed()
    if device is not None:
        check_device(device)
    dev = torch.device(device or (f"cuda:{d.local_rank}" if torch.cuda.is_available() else "cpu"))
    torch.manual_seed(config.seed)
    if config.precision == "auto":
        config = replace(config, precision=auto_precision(dev))
    out_dir.mkdir(parents=True, exist_ok=True)
    source = init_model_file(config)
    frontend = replace(  # the init model's frontend (mel settings, padding) with this run's window
        source.frontend if source is not None else FrontendConfig(pad="silence"),  # a new model: quiet-room padding
        target_length=config.target_length,
        window_seconds=config.window_seconds,
    )
    config, train_spec = fit_to_data(config, train_spec, frontend, d, progress)
    frontend = replace(frontend, mean=config.mean, std=config.std)
    if d.main:
        (out_dir / "config.json").write_text(json.dumps(config.to_dict(), indent=2))

    model = build_model(config, len(train_spec.labels), train_spec.multilabel, train_spec.labels).to(dev)
    trained = model
    if d.world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None)
    optimizer = make_optimizer(model, config)
    if config.batch_size % d.world:
        raise ValueError(f"batch size {config.batch_size} must divide evenly over {d.world} processes")
    steps = frontend.frame_seconds(trained.config.step_spans) if config.frame_loss else None
    dataset = WaveformDataset(
        train_spec,
        frontend.window_samples,
        train=True,
        seed=config.seed,
        step_times=steps,
        min_overlap=config.label_overlap,
    )
    weights = balanced_weights(train_spec) if config.balanced_sampling else None
    sampler = ShardedSampler(len(dataset), d, config.seed, shuffle=True, weights=weights)
    maker = BatchMaker(frontend, config, train=True)
    loader = DataLoader(
        dataset,
        batch_size=config.batch_size // d.world,
        sampler=sampler,
        collate_fn=maker,
        num_workers=config.num_workers,
        drop_last=True,
    )
    evaluator = eval_loader(eval_spec, frontend, config, d) if eval_spec is not None else None

    checkpoint = out_dir / "last_checkpoint.pt"
    state = resume_from(checkpoint, trained, optimizer, d) if resume and checkpoint.exists() else Progress()
    result = RunResult(None, state.best_epoch, None, None, out_dir)
    writer = tensorboard_writer(out_dir / "tensorboard") if d.main else None
    meta = {"trainer": "python -m train", "data": train_spec.name, "recipe": json.dumps(config.to_dict())}
    for epoch in range(state.start_epoch, config.epochs):
        sampler.set_epoch(epoch)
        dataset.set_epoch(epoch)
        maker.reseed(config.seed * 100003 + epoch * 1009 + d.rank)
        t0 = time.time()
        losses = train_epoch(model, optimizer, loader, config, epoch, state, dev, writer, progress and d.main)
        state.averaged = average_weights(state.averaged, trained, epoch, config)
        record = {
            "epoch": epoch + 1,
            "step": state.step,
            "train_loss": float(np.mean(losses)),
            "lr": optimizer.param_groups[0]["lr"],
            "seconds": round(time.time() - t0, 1),
        }
        evaluation = evaluate_model(trained, evaluator, train_spec, dev, d, progress, config.precision)
        if evaluation is not None:
            record.update({k: v for k, v in evaluation.to_dict().items() if k not in ("per_class", "confusion")})
        metric = (evaluation.mAP if train_spec.multilabel else evaluation.accuracy) if evaluation else -losses[-1]
        if d.main:
            with open(out_dir / "metrics.jsonl", "a") as f:
                f.write(json.dumps(finite(record), allow_nan=False) + "\n")
            print(epoch_line(record), flush=True)
            if writer is not None:
                log_epoch(writer, record, evaluation)
            if metric >= state.best_metric:  # a tie goes to the later epoch: it has trained longer
                state.best_metric, state.best_epoch, result.best = metric, epoch + 1, evaluation
                save_model_file(
                    out_dir / "best.pt", model_file_for(trained, frontend, train_spec, {**meta, "epoch": epoch + 1})
                )
            save_checkpoint(out_dir, trained, optimizer, epoch, state)
        result.final = evaluation

    result.best_epoch = state.best_epoch
    if writer is not None:
        writer.close()
    if d.main:
        write_figures(out_dir, result.best, d)
        save_model_file(
            out_dir / "final.pt", model_file_for(trained, frontend, train_spec, {**meta, "epoch": config.epochs})
        )
    if state.averaged is not None:
        averaged = build_model(replace(config, init="scratch"), len(train_spec.labels), train_spec.multilabel)
        averaged.load_state_dict(state.averaged)
        result.averaged = evaluate_model(averaged.to(dev), evaluator, train_spec, dev, d, progress, config.precision)
        if d.main:
            save_model_file(
                out_dir / "averaged.pt",
                model_file_for(averaged.cpu(), frontend, train_spec, {**meta, "averaged_epochs": config.average_last}),
            )
    return result
