"""rtast.model: presets, shapes for every stride and length, parameter counts."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from rtast.configs import ConfigError
from rtast.model import AST, ASTConfig, available_models, preset


@pytest.mark.parametrize("name", available_models())
def test_every_preset_builds_and_runs(name):
    config = preset(name, input_tdim=128, depth=1, num_classes=7)
    model = AST(config).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 128, 128))
    assert out.shape == (2, 7)
    assert model.forward_features(torch.randn(1, 128, 128)).shape == (1, config.embed_dim)


def test_base_has_the_papers_parameter_count():
    params = sum(p.numel() for p in AST(preset("base384")).parameters())
    assert 86e6 <= params <= 88.5e6, params


@pytest.mark.parametrize(
    ("tdim", "stride", "grid"),
    [(1024, 10, (12, 101)), (512, 10, (12, 50)), (128, 10, (12, 12)), (1024, 16, (8, 64)), (512, 12, (10, 42))],
)
def test_patch_grid(tdim, stride, grid):
    config = ASTConfig(input_tdim=tdim, fstride=stride, tstride=stride)
    assert config.grid == grid
    model = AST(ASTConfig(embed_dim=32, depth=1, num_heads=2, input_tdim=tdim, fstride=stride, tstride=stride))
    assert model.pos_embed.shape == (1, grid[0] * grid[1] + 2, 32)
    assert model.patch_embed(torch.zeros(1, 1, 128, tdim)).shape == (1, grid[0] * grid[1], 32)


def test_tokens_are_frequency_major():
    """Token i*t + j is the patch at frequency row i, time column j."""
    config = ASTConfig(embed_dim=4, depth=1, num_heads=1, input_tdim=48, fstride=16, tstride=16)
    model = AST(config)
    with torch.no_grad():
        model.patch_embed.proj.weight.zero_()
        model.patch_embed.proj.weight[0, 0, 0, 0] = 1.0  # picks the top-left input bin of each patch
        model.patch_embed.proj.bias.zero_()
    spec = torch.zeros(1, 48, 128)  # (B, T, F)
    spec[0, 32, 16] = 5.0  # time 32 -> column 2, frequency 16 -> row 1
    tokens = model.patch_embed(spec.transpose(1, 2).unsqueeze(1))
    f, t = config.grid
    assert tokens[0, :, 0].nonzero().flatten().tolist() == [1 * t + 2]


def test_wrong_input_shape_is_a_clear_error():
    model = AST(ASTConfig(embed_dim=32, depth=1, num_heads=2, input_tdim=128))
    with pytest.raises(ValueError, match=r"expects input \(batch, 128, 128\)"):
        model(torch.zeros(1, 100, 128))


def test_unknown_preset_lists_the_choices():
    with pytest.raises(ValueError, match="available presets"):
        preset("huge")


def test_config_round_trip():
    config = preset("small224", input_tdim=512, num_classes=50, multilabel=False)
    assert ASTConfig.from_dict(config.to_dict()) == config


def test_scores_sigmoid_or_softmax():
    logits = torch.tensor([[0.0, 1.0]])
    multi = AST(ASTConfig(embed_dim=8, depth=1, num_heads=1, input_tdim=16, num_classes=2))
    single = AST(ASTConfig(embed_dim=8, depth=1, num_heads=1, input_tdim=16, num_classes=2, multilabel=False))
    assert torch.allclose(multi.scores(logits), torch.sigmoid(logits))
    assert torch.allclose(single.scores(logits).sum(), torch.tensor(1.0))


def test_frame_head_scores_each_time_step():
    config = ASTConfig(embed_dim=32, depth=1, num_heads=2, input_tdim=298, fstride=16, tstride=16, num_classes=5)
    x = torch.randn(2, 298, 128)
    plain = AST(config).eval()
    with pytest.raises(ValueError, match="no frame head"):
        plain.forward_with_frames(x)
    torch.manual_seed(0)
    with_head = AST(replace(config, frame_head=True)).eval()
    with_head.load_state_dict(plain.state_dict(), strict=False)
    with torch.no_grad():
        clip, frames = with_head.forward_with_frames(x)
        torch.testing.assert_close(clip, plain(x))  # the clip head is untouched
    assert frames.shape == (2, 18, 5)
    assert with_head.config.step_spans[17] == (272, 288)
    assert ASTConfig(input_tdim=1024).step_spans[1] == (10, 26)  # overlapping patches: steps overlap


def test_concat_frame_input_reads_one_column_and_the_pooled_embedding():
    config = ASTConfig(
        embed_dim=16, depth=1, num_heads=2, input_tdim=298, fstride=16, tstride=16, num_classes=3, frame_head=True
    )
    model = AST(replace(config, frame_input="concat")).eval()
    f, t = config.grid
    assert config.step_width == 16 and model.config.step_width == (f + 1) * 16
    tokens = torch.randn(2, 2 + f * t, 16)
    steps = model.step_features(tokens)
    assert steps.shape == (2, t, (f + 1) * 16)
    column = tokens[:, 2:].reshape(2, f, t, 16)[:, :, 5]  # every frequency token of step 5, low to high
    torch.testing.assert_close(steps[:, 5, : f * 16], column.reshape(2, f * 16))
    torch.testing.assert_close(steps[:, 5, f * 16 :], AST.pool(tokens))
    assert model.forward_with_frames(torch.randn(1, 298, 128))[1].shape == (1, t, 3)
    with pytest.raises(ConfigError, match="frame_input"):
        ASTConfig(frame_input="max")
