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
    # optimisation (Adam as in the paper)
    lr: float = 1e-5
    batch_size: int = 12
    epochs: int = 5
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
    num_workers: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        choices = {
            "loss": ("bce", "ce"),
            "precision": ("auto", "fp32", "bf16", "fp16"),
            "kernel_mode": ("sum", "mean"),
            "pos_mode": ("cut_interpolate", "interpolate", "reinit"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} {getattr(self, name)!r} not supported; choose one of {allowed}")
        if not (self.init == "scratch" or self.init.startswith(("deit:", "ast:"))):
            raise ValueError(f"init {self.init!r}: use scratch, deit:PATH or ast:PATH")
        if self.lr <= 0 or self.batch_size < 1 or self.epochs < 1:
            raise ValueError("lr must be positive, batch_size and epochs at least 1")

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


RECIPES: dict[str, TrainConfig] = {
    # Full AudioSet: 0.459 mAP single model in the paper.
    "audioset-full": TrainConfig(
        lr=1e-5,
        batch_size=12,
        epochs=5,
        lr_decay_start=2,
        lr_decay=0.5,
        balanced_sampling=True,
        mixup=0.5,
        freq_mask=48,
        time_mask=192,
        average_last=4,
        mean=-4.2677393,
        std=4.5689974,
    ),
    # Balanced AudioSet subset: 0.347-0.350 mAP.
    "audioset-balanced": TrainConfig(
        lr=5e-5,
        batch_size=12,
        epochs=25,
        lr_decay_start=10,
        lr_decay=0.5,
        mixup=0.5,
        freq_mask=48,
        time_mask=192,
        average_last=5,
        mean=-4.2677393,
        std=4.5689974,
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
    ),
}


def recipe(name: str, **overrides) -> TrainConfig:
    """A named recipe with some fields replaced."""
    if name not in RECIPES:
        raise ValueError(f"recipe {name!r} not found; available recipes = {list(RECIPES)}")
    return replace(RECIPES[name], **{k: v for k, v in overrides.items() if v is not None})
