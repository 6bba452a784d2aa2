"""rtast.importers: Hugging Face and official .pth parity with transformers, and DeiT initialisation."""

from __future__ import annotations

import re

import pytest
import torch

from rtast.cli import main
from rtast.importers import CheckpointImportError, deit_init_state_dict, import_checkpoint
from rtast.model import AST, ASTConfig
from rtast.modelfile import load_model_file

transformers = pytest.importorskip("transformers")

# (frequency stride, time stride, frames, classes)
CONFIGS = [(10, 10, 128, 35), (12, 12, 512, 50), (16, 16, 1024, 527), (10, 10, 1024, 527), (12, 16, 128, 3)]


def hf_model(fstride: int, tstride: int, frames: int, classes: int, seed: int = 0):
    torch.manual_seed(seed)
    config = transformers.ASTConfig(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=256,
        frequency_stride=fstride,
        time_stride=tstride,
        max_length=frames,
        num_labels=classes,
    )
    model = transformers.ASTForAudioClassification(config).eval()
    with torch.no_grad():  # HF starts tokens at zero; give every weight a value so all of them count
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return model


def hf_to_official(model) -> dict[str, torch.Tensor]:
    """The same weights in the official AST .pth key layout (module.v.*, fused qkv)."""
    sd = model.state_dict()
    out = {}
    p = "audio_spectrogram_transformer."
    out["module.v.cls_token"] = sd[p + "embeddings.cls_token"]
    out["module.v.dist_token"] = sd[p + "embeddings.distillation_token"]
    out["module.v.pos_embed"] = sd[p + "embeddings.position_embeddings"]
    for t in ("weight", "bias"):
        out[f"module.v.patch_embed.proj.{t}"] = sd[p + f"embeddings.patch_embeddings.projection.{t}"]
        out[f"module.v.norm.{t}"] = sd[p + f"layernorm.{t}"]
        out[f"module.mlp_head.0.{t}"] = sd[f"classifier.layernorm.{t}"]
        out[f"module.mlp_head.1.{t}"] = sd[f"classifier.dense.{t}"]
        out[f"module.v.head.{t}"] = torch.zeros(1000, 64)[:, 0] if t == "bias" else torch.zeros(1000, 64)
    layers = {int(m.group(1)) for k in sd if (m := re.search(r"layers\.(\d+)\.", k))}
    for i in layers:
        a = f"{p}layers.{i}."
        v = f"module.v.blocks.{i}."
        for t in ("weight", "bias"):
            out[v + f"attn.qkv.{t}"] = torch.cat([sd[a + f"attention.{x}_proj.{t}"] for x in "qkv"])
            out[v + f"attn.proj.{t}"] = sd[a + f"attention.o_proj.{t}"]
            out[v + f"norm1.{t}"] = sd[a + f"layernorm_before.{t}"]
            out[v + f"norm2.{t}"] = sd[a + f"layernorm_after.{t}"]
            out[v + f"mlp.fc1.{t}"] = sd[a + f"mlp.fc1.{t}"]
            out[v + f"mlp.fc2.{t}"] = sd[a + f"mlp.fc2.{t}"]
    return out


def max_logit_diff(reference, ours, frames: int) -> float:
    x = torch.randn(3, frames, 128)
    with torch.no_grad():
        return (reference(x).logits - ours(x)).abs().max().item()


@pytest.mark.parametrize(("fstride", "tstride", "frames", "classes"), CONFIGS)
def test_hugging_face_directory_gives_same_logits(tmp_path, fstride, tstride, frames, classes):
    reference = hf_model(fstride, tstride, frames, classes)
    reference.save_pretrained(tmp_path / "hf")
    model_file = import_checkpoint(tmp_path / "hf")
    assert model_file.model_config.grid == ((128 - 16) // fstride + 1, (frames - 16) // tstride + 1)
    assert len(model_file.labels) == classes
    diff = max_logit_diff(reference, model_file.build_model(), frames)
    print(f"HF {fstride}/{tstride} T={frames} C={classes}: max logit diff {diff:.2e}")
    assert diff <= 1e-4


@pytest.mark.parametrize(("fstride", "tstride", "frames", "classes"), CONFIGS)
def test_official_pth_gives_same_logits(tmp_path, fstride, tstride, frames, classes):
    reference = hf_model(fstride, tstride, frames, classes, seed=1)
    path = tmp_path / f"synthetic_{fstride}_{tstride}_0.5.pth"  # strides read from the name
    torch.save(hf_to_official(reference), path)
    model_file = import_checkpoint(path, input_tdim=frames, num_heads=4)
    # The official model's LayerNorm eps (1e-6 / 1e-5) differs from HF's 1e-12: match HF here.
    cfg = ASTConfig(**{**model_file.model_config.to_dict(), "norm_eps": 1e-12, "head_norm_eps": 1e-12})
    ours = AST(cfg).eval()
    ours.load_state_dict(model_file.state_dict)
    assert max_logit_diff(reference, ours, frames) <= 1e-4
    assert (model_file.model_config.fstride, model_file.model_config.tstride) == (fstride, tstride)


def test_official_frames_inferred_from_the_grid(tmp_path):
    path = tmp_path / "audioset_10_10_0.4593.pth"
    torch.save(hf_to_official(hf_model(10, 10, 1024, 527)), path)
    model_file = import_checkpoint(path, num_heads=4)
    assert model_file.model_config.input_tdim == 1024
    assert model_file.model_config.multilabel
    assert model_file.labels[0] == "Speech" and len(model_file.labels) == 527
    assert model_file.frontend.window_seconds == 10.0
    assert model_file.frontend.mean == pytest.approx(-4.2677393)


def test_wrong_strides_are_a_clear_error(tmp_path):
    path = tmp_path / "model.pth"
    torch.save(hf_to_official(hf_model(10, 10, 128, 35)), path)
    with pytest.raises(CheckpointImportError, match="fstride"):
        import_checkpoint(path, fstride=12)


def test_cli_import_then_info(tmp_path, capsys):
    reference = hf_model(10, 10, 128, 35)
    path = tmp_path / "speechcommands_10_10_0.9812.pth"
    torch.save(hf_to_official(reference), path)
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(f"word{i}" for i in range(35)))
    assert (
        main(
            ["import-checkpoint", str(path), "-o", str(tmp_path / "m.pt"), "--labels", str(labels), "--num-heads", "4"]
        )
        == 0
    )
    model_file = load_model_file(tmp_path / "m.pt")
    assert model_file.labels[3] == "word3"
    assert not model_file.model_config.multilabel  # 35 classes: softmax
    assert model_file.frontend.target_length == 128 and model_file.frontend.window_seconds == 1.0
    assert model_file.frontend.mean == pytest.approx(-6.845978)
    assert main(["info", str(tmp_path / "m.pt")]) == 0
    assert '"num_classes": 35' in capsys.readouterr().out


def test_cli_import_refuses_garbage(tmp_path, capsys):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    assert main(["import-checkpoint", str(bad), "-o", str(tmp_path / "m.pt")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert not (tmp_path / "m.pt").exists()


def deit_state_dict(dim: int = 64, side: int = 24, distilled: bool = True) -> dict[str, torch.Tensor]:
    torch.manual_seed(3)
    prefix = 2 if distilled else 1
    sd = {
        "cls_token": torch.randn(1, 1, dim),
        "pos_embed": torch.randn(1, prefix + side * side, dim),
        "patch_embed.proj.weight": torch.randn(dim, 3, 16, 16),
        "patch_embed.proj.bias": torch.randn(dim),
        "norm.weight": torch.randn(dim),
        "norm.bias": torch.randn(dim),
        "head.weight": torch.randn(1000, dim),
        "head.bias": torch.randn(1000),
    }
    if distilled:
        sd["dist_token"] = torch.randn(1, 1, dim)
    block = AST(ASTConfig(embed_dim=dim, depth=2, num_heads=4, input_tdim=128)).state_dict()
    sd.update({k: torch.randn_like(v) for k, v in block.items() if k.startswith("blocks.")})
    return sd


@pytest.mark.parametrize("side", [24, 14])
def test_deit_init_adapts_kernel_and_grid(side):
    deit = deit_state_dict(side=side)
    config = ASTConfig(embed_dim=64, depth=2, num_heads=4, input_tdim=1024, num_classes=10)
    state = deit_init_state_dict(config, deit)
    model = AST(config)
    model.load_state_dict(state)  # every key and shape fits
    assert torch.allclose(state["patch_embed.proj.weight"], deit["patch_embed.proj.weight"].sum(1, keepdim=True))
    mean_state = deit_init_state_dict(config, deit, kernel="mean")
    assert torch.allclose(mean_state["patch_embed.proj.weight"], deit["patch_embed.proj.weight"].mean(1, keepdim=True))
    assert state["pos_embed"].shape == (1, 12 * 101 + 2, 64)
    assert torch.equal(state["pos_embed"][:, :2], deit["pos_embed"][:, :2])
    assert torch.equal(state["blocks.1.mlp.fc2.weight"], deit["blocks.1.mlp.fc2.weight"])
    assert "head.weight" in state and state["head.weight"].shape == (10, 64)  # a fresh head


def test_deit_without_distillation_token():
    deit = deit_state_dict(distilled=False)
    state = deit_init_state_dict(ASTConfig(embed_dim=64, depth=2, num_heads=4, input_tdim=128), deit)
    assert torch.equal(state["dist_token"], deit["cls_token"])
    assert state["pos_embed"].shape == (1, 12 * 12 + 2, 64)


def test_deit_width_mismatch_is_a_clear_error():
    with pytest.raises(CheckpointImportError, match="embed_dim"):
        deit_init_state_dict(ASTConfig(embed_dim=32, depth=2, num_heads=4), deit_state_dict())


def test_deit_file_is_refused_by_import_checkpoint(tmp_path):
    path = tmp_path / "deit.pth"
    torch.save({"model": deit_state_dict()}, path)
    with pytest.raises(CheckpointImportError, match="initialises training"):
        import_checkpoint(path)
