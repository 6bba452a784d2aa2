"""rtast.posembed: cut and interpolation shapes, identity, centre cut."""

from __future__ import annotations

import pytest
import torch

from rtast.posembed import resample_pos_embed


def grid_embed(h: int, w: int, d: int = 3) -> torch.Tensor:
    return torch.randn(1, 2 + h * w, d)


def test_unchanged_grid_is_identity():
    pos = grid_embed(12, 101)
    assert resample_pos_embed(pos, (12, 101), (12, 101)) is pos


@pytest.mark.parametrize(
    ("old", "new"),
    [((24, 24), (12, 101)), ((24, 24), (12, 12)), ((14, 14), (12, 101)), ((12, 101), (12, 50)), ((12, 101), (8, 64))],
)
@pytest.mark.parametrize("mode", ["cut_interpolate", "interpolate"])
def test_documented_shapes(old, new, mode):
    out = resample_pos_embed(grid_embed(*old, d=5), old, new, mode=mode)
    assert out.shape == (1, 2 + new[0] * new[1], 5)


def test_prefix_tokens_are_kept():
    pos = grid_embed(24, 24)
    out = resample_pos_embed(pos, (24, 24), (12, 101))
    assert torch.equal(out[:, :2], pos[:, :2])


def test_cut_keeps_the_centre():
    h, w = 24, 24
    pos = grid_embed(h, w)
    out = resample_pos_embed(pos, (h, w), (12, 12), mode="cut_interpolate")
    grid = pos[0, 2:].reshape(h, w, -1)
    expected = grid[6:18, 6:18].reshape(144, -1)  # rows and columns 12 - 6 … 12 + 6
    assert torch.allclose(out[0, 2:], expected)


def test_interpolation_of_a_constant_is_constant():
    pos = torch.ones(1, 2 + 24 * 24, 4)
    out = resample_pos_embed(pos, (24, 24), (30, 120))
    assert torch.allclose(out, torch.ones_like(out))


def test_bad_inputs():
    with pytest.raises(ValueError, match="expected 2"):
        resample_pos_embed(torch.zeros(1, 10, 3), (3, 3), (2, 2))
    with pytest.raises(ValueError, match="not supported"):
        resample_pos_embed(grid_embed(3, 3), (3, 3), (2, 2), mode="nearest")
