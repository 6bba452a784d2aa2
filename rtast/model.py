"""The Audio Spectrogram Transformer: a DeiT-style ViT over overlapping log-mel patches.

Input (batch, frames, mel_bins) -> logits (batch, num_classes). Read top to bottom:
PatchEmbed -> [CLS, DIST] + patches + position embedding -> Blocks -> norm -> head on the mean
of the CLS and distillation tokens. A model with ``frame_head`` also scores each time step: the
patch tokens of one column of the grid (one stretch of ``tstride`` frames) are averaged over
frequency and classified, giving (batch, time_steps, num_classes) logits that place event
boundaries inside the window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from rtast.configs import ConfigError, from_dict

FRAME_INPUTS = ("concat", "mean")


@dataclass(frozen=True)
class ASTConfig:
    """A complete description of one AST model (its weights aside)."""

    embed_dim: int = 768  # token width D
    depth: int = 12  # transformer blocks
    num_heads: int = 12  # attention heads; embed_dim must divide evenly
    mlp_ratio: float = 4.0  # hidden width of each MLP is mlp_ratio * D
    qkv_bias: bool = True
    patch_size: int = 16  # square patches of patch_size x patch_size (mel bins x frames)
    fstride: int = 10  # patch stride along frequency; < patch_size means overlapping patches
    tstride: int = 10  # patch stride along time
    num_mel_bins: int = 128  # input height
    input_tdim: int = 1024  # input frames; fixes the position-embedding grid
    num_classes: int = 527
    norm_eps: float = 1e-6  # LayerNorm eps inside blocks and the final norm
    head_norm_eps: float = 1e-5  # LayerNorm eps of the classifier head
    multilabel: bool = True  # scores are sigmoid(logits) if True else softmax(logits)
    frame_head: bool = False  # also score each column of patches (strong labels: event times)
    frame_input: str = "mean"  # what the frame head reads of a column: "concat" or "mean" (see the module doc)

    def __post_init__(self) -> None:
        if self.frame_input not in FRAME_INPUTS:
            raise ConfigError(f"frame_input {self.frame_input!r} not supported; choose one of {FRAME_INPUTS}")

    @property
    def grid(self) -> tuple[int, int]:
        """(frequency, time) patch grid for this input size."""
        f = (self.num_mel_bins - self.patch_size) // self.fstride + 1
        t = (self.input_tdim - self.patch_size) // self.tstride + 1
        return f, t

    @property
    def num_patches(self) -> int:
        f, t = self.grid
        return f * t

    @property
    def step_spans(self) -> list[tuple[int, int]]:
        """Input frames [first, end) that each time step (column of the patch grid) sees."""
        return [(k * self.tstride, k * self.tstride + self.patch_size) for k in range(self.grid[1])]

    @property
    def step_width(self) -> int:
        """Width of the embedding the frame head reads for each time step."""
        return (self.grid[0] + 1) * self.embed_dim if self.frame_input == "concat" else self.embed_dim

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ASTConfig:
        return from_dict(cls, d, "model config")


# Encoder sizes of the DeiT models AST starts from; the number is the ImageNet resolution whose
# position grid (224 -> 14x14, 384 -> 24x24) the DeiT importer adapts.
PRESETS: dict[str, ASTConfig] = {
    "tiny224": ASTConfig(embed_dim=192, depth=12, num_heads=3),
    "small224": ASTConfig(embed_dim=384, depth=12, num_heads=6),
    "base224": ASTConfig(embed_dim=768, depth=12, num_heads=12),  # the same encoder as base384: a name users type
}
PRESETS["base384"] = PRESETS["base224"]  # one config, two names (--preset, README); base384 is the recipes' default


def available_models() -> list[str]:
    """Names of the model presets."""
    return list(PRESETS)


def preset(name: str, **overrides) -> ASTConfig:
    """The config of preset ``name`` with fields replaced by ``overrides`` (e.g. input_tdim=128)."""
    if name not in PRESETS:
        raise ConfigError(f"model preset {name!r} not found; available presets = {available_models()}")
    return replace(PRESETS[name], **overrides)


class PatchEmbed(nn.Module):
    def __init__(self, config: ASTConfig):
        super().__init__()
        p = config.patch_size
        self.proj = nn.Conv2d(1, config.embed_dim, kernel_size=(p, p), stride=(config.fstride, config.tstride))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, 1, F, T) -> (B, f*t, D), frequency-major token order
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    def __init__(self, config: ASTConfig):
        super().__init__()
        if config.embed_dim % config.num_heads:
            raise ValueError(f"embed_dim {config.embed_dim} is not divisible by num_heads {config.num_heads}")
        self.num_heads = config.num_heads
        self.qkv = nn.Linear(config.embed_dim, 3 * config.embed_dim, bias=config.qkv_bias)
        self.proj = nn.Linear(config.embed_dim, config.embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, N, D = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, D // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # each (B, H, N, D/H)
        x = F.scaled_dot_product_attention(q, k, v)
        return self.proj(x.transpose(1, 2).reshape(B, N, D))


class MLP(nn.Module):
    def __init__(self, config: ASTConfig):
        super().__init__()
        hidden = int(config.embed_dim * config.mlp_ratio)
        self.fc1 = nn.Linear(config.embed_dim, hidden)
        self.fc2 = nn.Linear(hidden, config.embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block."""

    def __init__(self, config: ASTConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(config.embed_dim, eps=config.norm_eps)
        self.attn = Attention(config)
        self.norm2 = nn.LayerNorm(config.embed_dim, eps=config.norm_eps)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class AST(nn.Module):
    """Audio Spectrogram Transformer; forward((B, T, F) normalised fbank) -> (B, classes) logits."""

    def __init__(self, config: ASTConfig):
        super().__init__()
        self.config = config
        D = config.embed_dim
        self.patch_embed = PatchEmbed(config)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, D))
        self.pos_embed = nn.Parameter(torch.zeros(1, config.num_patches + 2, D))
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.depth)])
        self.norm = nn.LayerNorm(D, eps=config.norm_eps)
        self.head_norm = nn.LayerNorm(D, eps=config.head_norm_eps)
        self.head = nn.Linear(D, config.num_classes)
        if config.frame_head:
            self.frame_norm = nn.LayerNorm(config.step_width, eps=config.head_norm_eps)
            self.frame_head = nn.Linear(config.step_width, config.num_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Truncated-normal init (std 0.02) as in DeiT, for training from scratch."""
        for t in (self.cls_token, self.dist_token, self.pos_embed):
            nn.init.trunc_normal_(t, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, F) -> normalised tokens (B, 2 + patches, D): CLS, distillation, then the patch grid."""
        B, T, n_mels = x.shape
        if (T, n_mels) != (self.config.input_tdim, self.config.num_mel_bins):
            raise ValueError(
                f"model expects input (batch, {self.config.input_tdim}, {self.config.num_mel_bins}), "
                f"got {tuple(x.shape)}"
            )
        x = self.patch_embed(x.transpose(1, 2).unsqueeze(1))  # (B, 1, F, T) -> (B, N, D)
        prefix = torch.cat([self.cls_token, self.dist_token], dim=1).expand(B, -1, -1)
        x = torch.cat([prefix, x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    @staticmethod
    def pool(tokens: torch.Tensor) -> torch.Tensor:
        """Tokens (B, 2 + patches, D) -> (B, D): mean of the CLS and distillation tokens."""
        return (tokens[:, 0] + tokens[:, 1]) / 2

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, F) -> pooled embedding (B, D)."""
        return self.pool(self.forward_tokens(x))

    def forward_head(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.head(self.head_norm(pooled))

    def step_features(self, tokens: torch.Tensor) -> torch.Tensor:
        """Tokens (B, 2 + f*t, D) -> one embedding per time step (B, t, step_width) as ``frame_input`` says."""
        B, f, t = tokens.shape[0], *self.config.grid
        columns = tokens[:, 2:].reshape(B, f, t, -1)
        if self.config.frame_input == "mean":
            return columns.mean(1)
        pooled = self.pool(tokens)[:, None].expand(-1, t, -1)
        return torch.cat([columns.permute(0, 2, 1, 3).reshape(B, t, -1), pooled], dim=-1)

    def forward_frame_head(self, steps: torch.Tensor) -> torch.Tensor:
        return self.frame_head(self.frame_norm(steps))

    def forward(self, x: torch.Tensor, with_frames: bool = False):
        """Clip logits (B, classes); with ``with_frames`` also frame logits, as ``forward_with_frames``
        (a flag rather than a method so that training through DistributedDataParallel sees the frame head)."""
        if with_frames:
            return self.forward_with_frames(x)
        return self.forward_head(self.forward_features(x))

    def forward_with_frames(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, F) -> (clip logits (B, classes), frame logits (B, time_steps, classes)); needs ``frame_head``."""
        if not self.config.frame_head:
            raise ValueError("this model has no frame head (ASTConfig.frame_head is False)")
        tokens = self.forward_tokens(x)
        clip = self.forward_head(self.pool(tokens))
        return clip, self.forward_frame_head(self.step_features(tokens))

    def scores(self, logits: torch.Tensor) -> torch.Tensor:
        """Probabilities from logits: sigmoid for multi-label models, softmax otherwise."""
        return torch.sigmoid(logits) if self.config.multilabel else torch.softmax(logits, dim=-1)
