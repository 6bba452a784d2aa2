"""Adapting a 2-D position-embedding grid to another (frequency, time) patch grid."""

from __future__ import annotations

import torch
import torch.nn.functional as F

POS_MODES = ("cut_interpolate", "interpolate")


def _resize_axis(grid: torch.Tensor, axis: int, new: int, mode: str) -> torch.Tensor:
    """Resize one axis (2 = frequency, 3 = time) of a (1, D, H, W) grid."""
    old = grid.shape[axis]
    if new == old:
        return grid
    if new < old and mode == "cut_interpolate":
        start = old // 2 - new // 2  # keep the centre, as the AST reference does
        return grid.narrow(axis, start, new)
    size = (new, grid.shape[3]) if axis == 2 else (grid.shape[2], new)
    return F.interpolate(grid, size=size, mode="bilinear", align_corners=False)


def resample_pos_embed(
    pos_embed: torch.Tensor,
    old_grid: tuple[int, int],
    new_grid: tuple[int, int],
    num_prefix_tokens: int = 2,
    mode: str = "cut_interpolate",
) -> torch.Tensor:
    """Adapt (1, prefix + H*W, D) position embeddings from grid (H, W) to (f, t).

    ``cut_interpolate`` (the AST reference) cuts the centre of an axis that shrinks and
    bilinearly interpolates one that grows, time axis first; ``interpolate`` always interpolates.
    Prefix tokens (CLS, distillation) are kept as they are. An unchanged grid returns the input.

    Returns:
        (1, prefix + f*t, D) tensor in the input's dtype.
    """
    if mode not in POS_MODES:
        raise ValueError(f"position-embedding mode {mode!r} not supported; choose one of {POS_MODES}")
    (H, W), (f, t) = old_grid, new_grid
    if pos_embed.shape[1] != num_prefix_tokens + H * W:
        raise ValueError(f"position embedding has {pos_embed.shape[1]} tokens, expected {num_prefix_tokens} + {H}x{W}")
    if (H, W) == (f, t):
        return pos_embed
    dtype = pos_embed.dtype
    prefix, patches = pos_embed[:, :num_prefix_tokens], pos_embed[:, num_prefix_tokens:]
    D = patches.shape[-1]
    grid = patches.float().reshape(1, H, W, D).permute(0, 3, 1, 2)  # (1, D, H, W)
    grid = _resize_axis(grid, 3, t, mode)
    grid = _resize_axis(grid, 2, f, mode)
    patches = grid.permute(0, 2, 3, 1).reshape(1, f * t, D).to(dtype)
    return torch.cat([prefix, patches], dim=1)
