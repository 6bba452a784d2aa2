"""A frame head fitted on a trained model's frozen encoder, from the strong labels of scenes.

The encoder stays as it was trained (clip scores do not change); each window's patch tokens give
one embedding per time step (rtast.model.AST.step_features: by default a column's frequency tokens
side by side with the window's pooled embedding), and a LayerNorm + linear layer learns which
classes sound in each step from the scenes' event times. On the default corpus's held-out scenes
the side-by-side input scored steps at mAP 0.49 where the frequency average gave 0.40.
Features are computed once, from random (augmented) crops, so fitting costs a few encoder passes
over the corpus rather than another training run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from tqdm import tqdm

from rtast.audiofile import load_audio
from rtast.fbank import SAMPLE_RATE, model_input
from rtast.model import AST
from rtast.modelfile import ModelFile
from rtast.train.augment import room_and_microphone
from rtast.train.data import DatasetSpec, step_targets
from rtast.train.metrics import average_precision


@dataclass(frozen=True)
class FrameHeadConfig:
    crops_per_clip: int = 2  # random crops of each scene whose features are kept
    room: float = 0.5  # probability of room / microphone augmentation per crop
    epochs: int = 30
    lr: float = 2e-3
    batch_size: int = 1024  # time steps per optimiser step
    seed: int = 0
    frame_input: str = "concat"  # rtast.model.ASTConfig.frame_input


def step_times(model_file: ModelFile) -> np.ndarray:
    """(steps, 2) seconds from the window start that each time step of the frame head covers."""
    return model_file.frontend.frame_seconds(model_file.model_config.step_spans)


@torch.no_grad()
def collect(
    model: AST, model_file: ModelFile, spec: DatasetSpec, crops: int, room: float, seed: int, progress: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Step embeddings (N, steps, D), targets (N, steps, classes) and validity (N, steps) of ``crops`` random
    crops of each scene (a clip with a fixed start gives that crop alone)."""
    rng = np.random.default_rng(seed)
    frontend, times = model_file.frontend, step_times(model_file)
    n = frontend.window_samples
    feats, targets, valid = [], [], []
    waves, labels = [], []

    def flush() -> None:
        x = torch.stack([model_input(w, frontend) for w in room_and_microphone(waves, room, rng)])
        feats.append(model.step_features(model.forward_tokens(x)))
        waves.clear()

    for clip in tqdm(spec.clips, desc="frame features", unit="scene", disable=not progress):
        audio = load_audio(clip.path)
        spare = max(len(audio) - n, 0)
        fixed = None if clip.start is None else [min(round(clip.start * SAMPLE_RATE), spare)]  # held-out crops
        for start in fixed or [int(rng.integers(0, spare + 1)) for _ in range(crops)]:
            wave = torch.from_numpy(np.ascontiguousarray(audio[start : start + n]))
            t0 = start / SAMPLE_RATE
            labels.append(step_targets(clip.events, t0, t0 + len(wave) / SAMPLE_RATE, times, len(spec.labels)))
            waves.append(wave)
            if len(waves) == 64:
                flush()
    if waves:
        flush()
    targets = torch.from_numpy(np.stack([t for t, _ in labels]))
    valid = torch.from_numpy(np.stack([v for _, v in labels]))
    return torch.cat(feats), targets, valid


def fit_frame_head(
    model_file: ModelFile,
    train_spec: DatasetSpec,
    eval_spec: DatasetSpec | None,
    config: FrameHeadConfig = FrameHeadConfig(),
    progress: bool = True,
) -> tuple[ModelFile, dict]:
    """The model with a fitted frame head, and its held-out step scores (mAP and AP per class)."""
    if not train_spec.strong:
        raise ValueError(f"{train_spec.name}: a frame head needs event times (a scene dataset with strong labels)")
    torch.manual_seed(config.seed)
    model_config = replace(model_file.model_config, frame_head=True, frame_input=config.frame_input)
    model = AST(model_config)
    missing, _ = model.load_state_dict(model_file.state_dict, strict=False)
    if any(not k.startswith("frame_") for k in missing):
        raise ValueError(f"model weights lack {[k for k in missing if not k.startswith('frame_')]}")
    model.eval()
    feats, targets, valid = collect(
        model, model_file, train_spec, config.crops_per_clip, config.room, config.seed, progress
    )
    x, y = feats[valid], targets[valid]  # (steps, D), (steps, classes)
    head = torch.nn.Sequential(model.frame_norm, model.frame_head).train()
    optimizer = torch.optim.Adam(head.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(config.seed)
    batch_starts = range(0, max(len(x) - config.batch_size, 0) + 1, config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=config.epochs * len(batch_starts))
    with torch.enable_grad():
        for _ in tqdm(range(config.epochs), desc="frame head", unit="epoch", disable=not progress):
            order = torch.randperm(len(x), generator=generator)
            for i in batch_starts:
                batch = order[i : i + config.batch_size]
                loss = torch.nn.functional.binary_cross_entropy_with_logits(head(x[batch]), y[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
    model.eval()
    fitted = replace(
        model_file,
        model_config=model_config,
        state_dict={k: v.detach().clone() for k, v in model.state_dict().items()},
        meta={**model_file.meta, "frame_head": f"fitted on {train_spec.name}, {len(x)} time steps"},
    )
    report = {"input": config.frame_input, "train_steps": int(len(x))}
    if eval_spec is not None:
        report.update(step_scores(model, model_file, eval_spec, progress))
    return fitted, report


@torch.no_grad()
def step_scores(model: AST, model_file: ModelFile, spec: DatasetSpec, progress: bool) -> dict:
    """Average precision of the frame head per class over the held-out crops' time steps."""
    feats, targets, valid = collect(model, model_file, spec, 1, 0.0, 0, progress)
    scores = torch.sigmoid(model.forward_frame_head(feats))[valid].numpy()
    ap = average_precision(scores, targets[valid].numpy())
    per_class = {label: None if np.isnan(a) else round(float(a), 4) for label, a in zip(spec.labels, ap, strict=True)}
    return {"step_mAP": round(float(np.nanmean(ap)), 4), "step_AP": per_class, "eval_steps": int(valid.sum())}
