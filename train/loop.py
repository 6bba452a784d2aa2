"""The training loop: model initialisation, batches, optimiser and schedule, AMP, DDP, checkpoints.

Features are made with rtast's own frontend (rtast.fbank), so a trained model hears exactly
what `rtast listen` and `rtast tag` will give it.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Sampler
from tqdm import tqdm

from rtast.checkpoints import (
    ModelFile,
    ModelFileError,
    default_model_path,
    load_model_file,
    read_torch_file,
    save_model_file,
)
from rtast.cpu import native_bf16
from rtast.devices import check_device
from rtast.fbank import FrontendConfig, fbank_from_config, normalize, pad_or_cut
from rtast.importers import deit_init_state_dict, read_state_dict
from rtast.model import AST, ASTConfig, preset
from rtast.posembed import resample_pos_embed
from rtast.train.augment import mixup, noise_and_roll, room_and_microphone, spec_augment
from rtast.train.data import DatasetSpec, WaveformDataset, class_counts
from rtast.train.metrics import Evaluation, evaluate
from rtast.train.recipes import TrainConfig


# ---------------------------------------------------------------- distributed helpers
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


# ---------------------------------------------------------------- features
MAX_MASK_SHARE = 0.2  # a SpecAugment mask hides at most this share of the frames or bins


def mask_widths(config: TrainConfig, frames: int, bins: int) -> tuple[int, int]:
    """(freq, time) SpecAugment maximum widths, clipped so that a mask never hides the whole input.

    A recipe's 96-frame time mask was made for 512-frame inputs; on a 98-frame input it can erase everything.
    """
    return min(config.freq_mask, max(1, int(MAX_MASK_SHARE * bins))), min(
        config.time_mask, max(1, int(MAX_MASK_SHARE * frames))
    )


class BatchMaker:
    """Collate (waveform, target) items into model inputs, with the recipe's augmentation when training."""

    def __init__(self, frontend: FrontendConfig, config: TrainConfig, train: bool):
        self.frontend, self.config, self.train = frontend, config, train
        self.rng = np.random.default_rng(config.seed)

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, items: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
        waves = [w for w, _ in items]
        targets = torch.stack([t for _, t in items])
        cfg, fe = self.config, self.frontend
        if self.train:
            waves = room_and_microphone(waves, cfg.room, self.rng)
            waves, targets = mixup(waves, targets, cfg.mixup, self.rng)
        feats = torch.stack(
            [pad_or_cut(fbank_from_config(w, fe), fe.target_length, fe.pad_value) for w in waves]
        )  # (B, T, F) log-mel
        if self.train and (cfg.freq_mask or cfg.time_mask):
            freq_mask, time_mask = mask_widths(cfg, feats.shape[1], feats.shape[2])
            feats = spec_augment(feats, freq_mask, time_mask, self.rng)
        feats = normalize(feats, self.frontend.mean, self.frontend.std)
        if self.train and cfg.noise:
            feats = noise_and_roll(feats, self.rng)
        return feats, targets


def compute_stats(
    spec: DatasetSpec, frontend: FrontendConfig, max_clips: int | None = None, progress: bool = True
) -> tuple[float, float]:
    """Mean and std of the log-mel frames of a dataset's clips (padding excluded)."""
    dataset = WaveformDataset(spec, frontend.window_samples, train=False)
    total, total_sq, count = 0.0, 0.0, 0
    n = len(dataset) if max_clips is None else min(max_clips, len(dataset))
    for i in tqdm(range(n), desc="stats", unit="clip", disable=not progress):
        frames = fbank_from_config(dataset[i][0], frontend).double()
        total += float(frames.sum())
        total_sq += float((frames**2).sum())
        count += frames.numel()
    if count == 0:
        raise ValueError("no fbank frames: every clip is shorter than one 25-ms frame")
    mean = total / count
    return mean, math.sqrt(max(total_sq / count - mean * mean, 0.0))


# ---------------------------------------------------------------- model
def init_model_file(config: TrainConfig) -> ModelFile | None:
    """The rtast model an ``ast:NAME`` init starts from: ``default`` (the shipped model), a file or a hub id."""
    if not config.init.startswith("ast:"):
        return None
    name = config.init[4:]
    if name == "default" and not Path(name).exists():
        path = default_model_path()
        if path is None:
            raise ModelFileError("--init default: no default model is bundled with this rtast")
        return load_model_file(path)
    from rtast.hub import resolve_model

    return load_model_file(resolve_model(name))


ADOPTED = ("embed_dim", "depth", "num_heads", "fstride", "tstride", "target_length", "window_seconds", "mean", "std")


def adopt_init(config: TrainConfig, explicit: set[str]) -> TrainConfig:
    """The config with the ``--init`` model's architecture, window and normalisation, except fields in ``explicit``.

    ``--preset`` given explicitly keeps the preset's sizes (a mismatch is then reported by build_model).
    """
    source = init_model_file(config)
    if source is None:
        return config
    mc, fe = source.model_config, source.frontend
    values = {
        "embed_dim": mc.embed_dim,
        "depth": mc.depth,
        "num_heads": mc.num_heads,
        "fstride": mc.fstride,
        "tstride": mc.tstride,
        "target_length": fe.target_length,
        "window_seconds": fe.window_seconds,
        "mean": fe.mean,
        "std": fe.std,
    }
    keep = set(explicit) | ({"embed_dim", "depth", "num_heads"} if "preset" in explicit else set())
    adopted = {k: v for k, v in values.items() if k not in keep}
    if "mean" in adopted or "std" in adopted:
        adopted["stats_of"] = None  # the init model's statistics: what its weights were trained on
    config = replace(config, **adopted)
    sizes = {k: getattr(config, k) for k in ("embed_dim", "depth", "num_heads") if getattr(config, k) is not None}
    check_fits(config.init, mc, preset(config.preset, **sizes))  # before any data is read
    return config


def check_fits(init: str, source: ASTConfig, wanted: ASTConfig) -> None:
    """Raise ModelFileError, in one sentence, when the init model's encoder differs from the one asked for."""
    if (source.embed_dim, source.depth) != (wanted.embed_dim, wanted.depth):
        raise ModelFileError(
            f"--init {init.removeprefix('ast:')} is an AST of {source.depth} blocks {source.embed_dim} wide, but this "
            f"run asks for {wanted.depth} blocks {wanted.embed_dim} wide: drop --preset/--depth/--embed-dim "
            "to adopt its architecture, or start with --init scratch"
        )


def build_model(config: TrainConfig, num_classes: int, multilabel: bool, labels: list[str] | None = None) -> AST:
    """A fresh AST for this task, initialised from scratch, a DeiT state dict or an rtast model.

    From an rtast model, the head is kept only when ``labels`` and the output kind are the same; a new one otherwise.
    """
    sizes = {k: getattr(config, k) for k in ("embed_dim", "depth", "num_heads") if getattr(config, k) is not None}
    model_config = preset(
        config.preset,
        fstride=config.fstride,
        tstride=config.tstride,
        input_tdim=config.target_length,
        num_classes=num_classes,
        multilabel=multilabel,
        **sizes,
    )
    source = init_model_file(config)
    if source is not None:
        src = source.model_config
        check_fits(config.init, src, model_config)
        model_config = replace(  # what no flag sets comes from the init model
            model_config,
            mlp_ratio=src.mlp_ratio,
            qkv_bias=src.qkv_bias,
            patch_size=src.patch_size,
            num_mel_bins=src.num_mel_bins,
            norm_eps=src.norm_eps,
            head_norm_eps=src.head_norm_eps,
        )
    model = AST(model_config)
    if config.init.startswith("deit:"):
        state = deit_init_state_dict(
            model_config,
            read_state_dict(config.init[5:]),
            kernel=config.kernel_mode,
            pos_mode="interpolate" if config.pos_mode == "reinit" else config.pos_mode,
        )
        if config.pos_mode == "reinit":  # ablation: keep the fresh position embedding
            state["pos_embed"] = model.state_dict()["pos_embed"]
        model.load_state_dict(state)
    elif source is not None:
        # a new head; a frame head is not trained here (train/frame_head.py fits one afterwards)
        state = {k: v for k, v in source.state_dict.items() if not k.startswith(("head.", "frame_"))}
        old_grid, new_grid = source.model_config.grid, model_config.grid
        if config.pos_mode == "reinit":
            state.pop("pos_embed")
        else:
            state["pos_embed"] = resample_pos_embed(state["pos_embed"], old_grid, new_grid, mode=config.pos_mode)
        same_task = source.labels == list(labels or []) and source.model_config.multilabel == multilabel
        if same_task:
            state.update({k: v for k, v in source.state_dict.items() if k.startswith("head.")})
        missing, unexpected = model.load_state_dict(state, strict=False)
        allowed_missing = {"head.weight", "head.bias", "pos_embed"}
        if unexpected or set(missing) - allowed_missing:
            raise ModelFileError(
                f"--init {config.init[4:]}: its weights do not fit this model "
                f"({len(missing)} missing, {len(unexpected)} unexpected, e.g. {(missing + unexpected)[0]})"
            )
    return model


# ---------------------------------------------------------------- schedule
def lr_factor(step: int, epoch: int, config: TrainConfig) -> float:
    """Linear warm-up over the first steps, then x lr_decay for every epoch from lr_decay_start on."""
    warm = min(1.0, (step + 1) / config.warmup_steps) if config.warmup_steps > 0 else 1.0
    decays = max(0, epoch - config.lr_decay_start + 1)
    return warm * config.lr_decay**decays


def finite(record: dict) -> dict:
    """The record with NaN and infinities as None, so that metrics.jsonl is valid JSON."""
    return {k: v if not isinstance(v, float) or math.isfinite(v) else None for k, v in record.items()}


def epoch_line(record: dict) -> str:
    """One readable line per epoch: lr in scientific notation, seconds as seconds."""
    parts = []
    for k, v in record.items():
        if k == "lr":
            parts.append(f"lr={v:.1e}")
        elif k == "seconds":
            parts.append(f"{v:.1f} s")
        elif isinstance(v, float):
            parts.append(f"{k}={v:.4f}")
        else:
            parts.append(f"{k}={v}")
    return " ".join(parts)


def auto_precision(device: torch.device) -> str:
    """bf16 where it is native (CUDA, or a CPU with AVX-512 BF16 or AMX), fp32 everywhere else."""
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if native_bf16() else "fp32"


def autocast(precision: str, device: torch.device):
    if precision == "fp32":
        return nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    if device.type == "cpu" and dtype == torch.float16:
        raise ValueError("fp16 training needs CUDA; use bf16 on the CPU")
    return torch.autocast(device.type, dtype=dtype)


def loss_fn(logits: torch.Tensor, targets: torch.Tensor, kind: str) -> torch.Tensor:
    logits = logits.float()
    if kind == "bce":
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
    return torch.nn.functional.cross_entropy(logits, targets)  # soft targets after mixup


# ---------------------------------------------------------------- evaluation
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


# ---------------------------------------------------------------- run output
MIN_BATCHES = 4  # per epoch: fewer and a small folder takes only a step or two per epoch


def fit_batch_size(batch_size: int, clips: int, world: int) -> int:
    """The batch size, made smaller (a multiple of ``world``) where ``clips`` would give fewer than MIN_BATCHES."""
    if clips < world:
        raise ValueError(f"{clips} training clip(s) for {world} processes: each process needs at least one")
    if clips >= MIN_BATCHES * batch_size:
        return batch_size
    return max(world, min(batch_size, clips // MIN_BATCHES) // world * world)


def note(d: Dist, text: str) -> None:
    if d.main:
        print(f"python -m train: note: {text}", file=sys.stderr, flush=True)


def tensorboard_writer(folder: Path):
    """A SummaryWriter for ``folder``, or None (with a note) where the tensorboard package is missing."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # torch raises it when the tensorboard package is absent
        print("python -m train: note: no TensorBoard logs (pip install tensorboard)", file=sys.stderr)
        return None
    return SummaryWriter(str(folder))


def log_epoch(writer, record: dict, evaluation: Evaluation | None) -> None:
    """Epoch scalars (held-out metrics, per-class AP and accuracy) for TensorBoard."""
    step = record["step"]
    writer.add_scalar("train/epoch_loss", record["train_loss"], step)
    if evaluation is None:
        return
    for key in ("mAP", "mAUC", "accuracy"):
        value = getattr(evaluation, key)
        if math.isfinite(value):
            writer.add_scalar(f"eval/{key}", value, step)
    for row in evaluation.per_class:
        for key in ("ap", "accuracy"):
            if row.get(key) is not None and math.isfinite(row[key]):
                writer.add_scalar(f"{key}/{row['label']}", row[key], step)
    writer.flush()


def write_figures(out_dir: Path, best: Evaluation | None, d: Dist) -> None:
    """learning_curves.png from metrics.jsonl and confusion.png of the best epoch, if matplotlib is there."""
    from rtast.train.plots import PlotsUnavailable, confusion_png, learning_curves

    log = out_dir / "metrics.jsonl"
    try:
        if log.exists():
            learning_curves(
                [json.loads(line) for line in log.read_text().splitlines() if line], out_dir / "learning_curves.png"
            )
        if best is not None and best.confusion is not None:
            confusion_png(best.confusion, out_dir / "confusion.png", "best epoch, held-out clips")
    except PlotsUnavailable as e:
        note(d, str(e))


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
    frontend = replace(frontend, mean=config.mean, std=config.std)
    if d.main:
        (out_dir / "config.json").write_text(json.dumps(config.to_dict(), indent=2))

    model = build_model(config, len(train_spec.labels), train_spec.multilabel, train_spec.labels).to(dev)
    trained = model
    if d.world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, betas=config.betas)
    if config.batch_size % d.world:
        raise ValueError(f"batch size {config.batch_size} must divide evenly over {d.world} processes")
    dataset = WaveformDataset(train_spec, frontend.window_samples, train=True, seed=config.seed)
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

    start_epoch, step, best_metric, best_epoch = 0, 0, -math.inf, -1
    averaged_state: dict | None = None
    checkpoint = out_dir / "last_checkpoint.pt"
    if resume and checkpoint.exists():
        ck = read_torch_file(checkpoint, "checkpoint")
        try:
            trained.load_state_dict(ck["model"])
            optimizer.load_state_dict(ck["optimizer"])
            start_epoch, step = ck["epoch"] + 1, ck["step"]
            best_metric, best_epoch = ck["best_metric"], ck["best_epoch"]
            averaged_state = ck.get("averaged")
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as e:
            raise ModelFileError(
                f"checkpoint {checkpoint} does not fit this run ({type(e).__name__}: {str(e).splitlines()[0]}); "
                "delete it to start afresh"
            ) from e
        if d.main:
            print(f"resumed from {checkpoint} after epoch {ck['epoch'] + 1}")

    result = RunResult(None, best_epoch, None, None, out_dir)
    writer = tensorboard_writer(out_dir / "tensorboard") if d.main else None
    none_threshold = 0.5 if train_spec.multilabel else None  # sigmoid: below it, a clip is "none"
    meta = {"trainer": "python -m train", "data": train_spec.name, "recipe": json.dumps(config.to_dict())}
    for epoch in range(start_epoch, config.epochs):
        sampler.set_epoch(epoch)
        dataset.set_epoch(epoch)
        maker.reseed(config.seed * 100003 + epoch * 1009 + d.rank)
        model.train()
        t0, losses = time.time(), []
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", unit="batch", disable=not (progress and d.main))
        for feats, targets in bar:
            for group in optimizer.param_groups:
                group["lr"] = config.lr * lr_factor(step, epoch, config)
            feats, targets = feats.to(dev), targets.to(dev)
            with autocast(config.precision, dev):
                logits = model(feats)
            loss = loss_fn(logits, targets, config.loss)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            losses.append(loss.item())
            if writer is not None:
                writer.add_scalar("train/loss", losses[-1], step)
                writer.add_scalar("train/lr", optimizer.param_groups[0]["lr"], step)
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}", lr=f"{optimizer.param_groups[0]['lr']:.2e}")

        if config.average_last and epoch >= config.epochs - config.average_last:
            current = {k: v.detach().float().cpu().clone() for k, v in trained.state_dict().items()}
            n = epoch - (config.epochs - config.average_last)  # epochs already averaged
            averaged_state = (
                current
                if averaged_state is None
                else {k: (averaged_state[k] * n + current[k]) / (n + 1) for k in current}
            )
        record = {
            "epoch": epoch + 1,
            "step": step,
            "train_loss": float(np.mean(losses)),
            "lr": optimizer.param_groups[0]["lr"],
            "seconds": round(time.time() - t0, 1),
        }
        evaluation = None
        if evaluator is not None:
            scores, targets = predict([trained], evaluator, dev, d, progress, config.precision)
            evaluation = evaluate(scores.numpy(), targets.numpy(), train_spec.labels, none_threshold)
            record.update({k: v for k, v in evaluation.to_dict().items() if k not in ("per_class", "confusion")})
        metric = (evaluation.mAP if train_spec.multilabel else evaluation.accuracy) if evaluation else -losses[-1]
        if d.main:
            with open(out_dir / "metrics.jsonl", "a") as f:
                f.write(json.dumps(finite(record), allow_nan=False) + "\n")
            print(epoch_line(record), flush=True)
            if writer is not None:
                log_epoch(writer, record, evaluation)
            if metric >= best_metric:  # a tie goes to the later epoch: it has trained longer
                best_metric, best_epoch, result.best = metric, epoch + 1, evaluation
                save_model_file(
                    out_dir / "best.pt", model_file_for(trained, frontend, train_spec, {**meta, "epoch": epoch + 1})
                )
            torch.save(
                {
                    "model": trained.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "epoch": epoch,
                    "step": step,
                    "best_metric": best_metric,
                    "best_epoch": best_epoch,
                    "averaged": averaged_state,
                },
                out_dir / "last_checkpoint.pt.partial",
            )
            (out_dir / "last_checkpoint.pt.partial").replace(checkpoint)
        result.final = evaluation

    result.best_epoch = best_epoch
    if writer is not None:
        writer.close()
    if d.main:
        write_figures(out_dir, result.best, d)
        save_model_file(
            out_dir / "final.pt", model_file_for(trained, frontend, train_spec, {**meta, "epoch": config.epochs})
        )
    if averaged_state is not None:
        averaged = build_model(replace(config, init="scratch"), len(train_spec.labels), train_spec.multilabel)
        averaged.load_state_dict(averaged_state)
        if evaluator is not None:
            scores, targets = predict([averaged.to(dev)], evaluator, dev, d, progress, config.precision)
            result.averaged = evaluate(scores.numpy(), targets.numpy(), train_spec.labels, none_threshold)
        if d.main:
            save_model_file(
                out_dir / "averaged.pt",
                model_file_for(averaged.cpu(), frontend, train_spec, {**meta, "averaged_epochs": config.average_last}),
            )
    return result
