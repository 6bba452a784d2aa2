"""Training configuration and the AST paper's recipes as named presets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class TrainConfig:
    """Everything that shapes one training run; recipes fill it, flags override single fields."""

    # model
    preset: str = "base384"  # encoder size (rtast.model.PRESETS)
    embed_dim: int | None = None  # overrides of the preset's size, for small CPU models
    depth: int | None = None
    num_heads: int | None = None
    fstride: int = 10
    tstride: int = 10
    init: str = "scratch"  # scratch | deit:PATH (ImageNet state dict) | ast:PATH (rtast model file)
    kernel_mode: str = "sum"  # DeiT RGB kernel -> 1 channel: sum (reference code) | mean (paper text)
    pos_mode: str = "cut_interpolate"  # position-grid adaptation: cut_interpolate | interpolate | reinit
    # frontend
    target_length: int = 1024  # frames per input
    window_seconds: float = 10.0  # clip length fed to the frontend
    mean: float | None = None  # log-mel stats; None = computed from the training set
    std: float | None = None
    stats_of: str | None = None  # the dataset mean/std were measured on; other data gets its own (fit_stats)
    # optimisation (Adam with L2 weight decay as in the paper, or AdamW)
    optimizer: str = "adam"  # adam (weight_decay as L2 on every parameter) | adamw (decoupled, matrices only)
    lr: float = 1e-5
    batch_size: int = 12
    epochs: int = 5
    min_steps: int = 0  # small data: epochs are added until the run makes this many optimiser steps (0: off)
    weight_decay: float = 5e-7
    betas: tuple[float, float] = (0.95, 0.999)
    warmup_steps: int = 1000  # linear warm-up over the first steps
    lr_decay_start: int = 2  # first epoch whose lr is multiplied by lr_decay (MultiStepLR, per epoch)
    lr_decay: float = 0.5
    loss: str = "bce"  # bce (multi-label) | ce (single-label)
    precision: str = "fp32"  # auto (bf16 where native, else fp32) | fp32 | bf16 (CPU or CUDA) | fp16 (CUDA)
    # data and augmentation
    balanced_sampling: bool = False  # AudioSet: clip weight = sum over labels of 1000 / (label count + 0.01)
    room: float = 0.0  # probability per item of reverberation, a microphone's colouring or band, gain, clipping
    mixup: float = 0.0  # probability of waveform mixup per item
    freq_mask: int = 0  # SpecAugment maximum widths (bins, frames)
    time_mask: int = 0
    noise: bool = False  # uniform noise + time roll (Speech Commands)
    average_last: int = 0  # average the weights of the last N epochs (0: off)
    crops_per_clip: int = 1  # random crops of each clip per epoch (long strongly labelled scenes)
    frame_loss: float = 0.0  # weight of a frame head's loss on the scenes' event times (strong labels); 0: none
    label_overlap: float = 0.5  # strong labels: seconds of an event a training crop must hold to carry its label
    num_workers: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        choices = {
            "loss": ("bce", "ce"),
            "optimizer": ("adam", "adamw"),
            "precision": ("auto", "fp32", "bf16", "fp16"),
            "kernel_mode": ("sum", "mean"),
            "pos_mode": ("cut_interpolate", "interpolate", "reinit"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} {getattr(self, name)!r} not supported; choose one of {allowed}")
        if not (self.init == "scratch" or self.init.startswith(("deit:", "ast:"))):
            raise ValueError(f"init {self.init!r}: use scratch, deit:PATH, ast:NAME or an rtast model name or file")
        if self.lr <= 0 or self.batch_size < 1 or self.epochs < 1:
            raise ValueError("lr must be positive, batch_size and epochs at least 1")
        if not 0.0 <= self.weight_decay < float("inf"):
            raise ValueError(f"weight_decay must be a finite number of at least 0, got {self.weight_decay}")
        if not 0.0 <= self.frame_loss < float("inf"):
            raise ValueError(f"frame_loss must be a finite weight of at least 0, got {self.frame_loss}")
        if not 0.0 <= self.label_overlap < float("inf"):
            raise ValueError(f"label_overlap must be finite seconds of at least 0, got {self.label_overlap}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        if "betas" in d:
            d["betas"] = tuple(d["betas"])
        return cls(**d)


CPU_AST = {  # the shipped default model's encoder: 4 blocks of 192, 16x16 patches, 3-s windows
    "preset": "tiny224",
    "embed_dim": 192,
    "depth": 4,
    "num_heads": 3,
    "fstride": 16,
    "tstride": 16,
    "target_length": 298,
    "window_seconds": 3.0,
}

CPU_SMALL = {  # what the recipes of the CPU-sized model share
    **CPU_AST,
    "lr": 5e-4,
    "batch_size": 32,
    "loss": "bce",
    "freq_mask": 24,
    "time_mask": 48,
    "precision": "auto",  # bf16 is 22x slower than fp32 on a CPU that emulates it
}
AUDIOSET = {  # what the two AudioSet recipes share: the paper's augmentation and AudioSet's log-mel stats
    "batch_size": 12,
    "lr_decay": 0.5,
    "mixup": 0.5,
    "freq_mask": 48,
    "time_mask": 192,
    "mean": -4.2677393,
    "std": 4.5689974,
    "stats_of": "audioset",
}
OWN_DATA = {**CPU_SMALL, "min_steps": 400, "lr_decay": 0.85}  # folder and finetune
RECIPES: dict[str, TrainConfig] = {
    # Full AudioSet: 0.459 mAP single model in the paper.
    "audioset-full": TrainConfig(
        **AUDIOSET,
        lr=1e-5,
        epochs=5,
        lr_decay_start=2,
        balanced_sampling=True,
        average_last=4,
    ),
    # Balanced AudioSet subset: 0.347-0.350 mAP.
    "audioset-balanced": TrainConfig(
        **AUDIOSET,
        lr=5e-5,
        epochs=25,
        lr_decay_start=10,
        average_last=5,
    ),
    # ESC-50, 5-fold cross-validation, 5-s clips: 95.6 % from AudioSet init (lr 1e-4 from ImageNet only).
    "esc50": TrainConfig(
        lr=1e-5,
        batch_size=48,
        epochs=25,
        lr_decay_start=5,
        lr_decay=0.85,
        loss="ce",
        target_length=512,
        window_seconds=5.0,
        freq_mask=24,
        time_mask=96,
        warmup_steps=0,
        mean=-6.6268077,
        std=5.358466,
        stats_of="esc50",
    ),
    # Speech Commands V2, 35 words, 1-s clips: 98.11 %.
    "speechcommands": TrainConfig(
        lr=2.5e-4,
        batch_size=128,
        epochs=30,
        lr_decay_start=5,
        lr_decay=0.85,
        loss="bce",
        target_length=128,
        window_seconds=1.0,
        mixup=0.6,
        freq_mask=48,
        time_mask=48,
        noise=True,
        mean=-6.845978,
        std=5.5654526,
        stats_of="speechcommands",
    ),
    # Own data from scratch (class folders, laptop CPU): the shipped default model's architecture,
    # 3-s windows, light augmentation. Learning rate and schedule from the runs in README "Training".
    "folder": TrainConfig(
        **OWN_DATA,
        epochs=30,
        warmup_steps=100,
        lr_decay_start=15,
    ),
    # Own data, fine-tuned from rtast's shipped default model (architecture, frontend and stats adopted).
    # lr 5e-4: a new head learns too slowly at 1e-4 (README "Training": 18 real classes, test mAP 0.30 vs 0.51).
    "finetune": TrainConfig(
        **OWN_DATA,
        init="ast:default",
        epochs=10,
        warmup_steps=50,
        lr_decay_start=5,
    ),
    # The model rtast ships (train/default_model.py): scenes of real recordings and synthesis, from scratch, 3-s crops.
    "default": TrainConfig(
        **CPU_SMALL,  # 3 s -> 298 frames; 8 x 18 patches of 16x16
        epochs=20,
        warmup_steps=300,
        lr_decay_start=10,
        lr_decay=0.8,
        room=0.5,
        mixup=0.3,
        crops_per_clip=3,
        average_last=3,
        optimizer="adamw",  # the shipped model's: crop mAP 0.545, F1 0.495 vs Adam (L2 5e-7) 0.536, 0.476 (README)
        weight_decay=0.05,
        seed=0,
    ),
}
DEFAULT_RECIPE = {  # --recipe when none is given, by --layout
    "manifest": "audioset-balanced",
    "esc50": "esc50",
    "speechcommands": "speechcommands",
    "folder": "finetune",  # from scratch (recipe folder) did not learn 10 words in the runs of README "Training"
    "scenes": "folder",
}


def init_spec(text: str) -> str:
    """``--init`` as TrainConfig stores it: scratch, deit:PATH, or ast:NAME for any rtast model name or file."""
    if text == "scratch" or text.startswith(("deit:", "ast:")):
        return text
    return "ast:" + text


def recipe(name: str, **overrides) -> TrainConfig:
    """A named recipe with some fields replaced."""
    if name not in RECIPES:
        raise ValueError(f"recipe {name!r} not found; available recipes = {list(RECIPES)}")
    if overrides.get("init") is not None:
        overrides["init"] = init_spec(overrides["init"])
    return replace(RECIPES[name], **{k: v for k, v in overrides.items() if v is not None})


LAYOUT_DATA = {"esc50": "esc50", "speechcommands": "speechcommands", "manifest": "audioset"}  # layout -> stats_of


def fit_stats(config: TrainConfig, layout: str, explicit: set[str]) -> tuple[TrainConfig, str | None]:
    """(config, note): the recipe's mean/std dropped (to be computed) when they were measured on other data.

    Stats given as flags, or adopted from an ``--init`` model (``explicit`` names them), are kept.
    """
    if {"mean", "std"} & explicit or config.stats_of is None or config.stats_of == LAYOUT_DATA.get(layout):
        return config, None
    note = (
        f"the recipe's normalisation (mean {config.mean:.2f}, std {config.std:.2f}) is {config.stats_of}'s; "
        "computing it from the training data instead (stored in the model file)"
    )
    return replace(config, mean=None, std=None, stats_of=None), note
