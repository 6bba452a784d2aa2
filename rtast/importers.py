"""Converters from published checkpoint layouts to rtast's model file.

Sources, recognised by telltale keys:
- the official AST ``.pth`` (``module.v.pos_embed``, ``module.mlp_head.1.weight``);
- a Hugging Face ``ASTForAudioClassification`` directory (``config.json`` + weights);
- a DeiT ImageNet state dict, used to initialise training (``deit_init_state_dict``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch

from rtast.fbank import DATASET_STATS, FrontendConfig
from rtast.labels import AUDIOSET_NUM_CLASSES, default_labels
from rtast.model import AST, ASTConfig
from rtast.modelfile import ModelFile, ModelFileError, read_torch_file
from rtast.posembed import resample_pos_embed

# Frames of the paper's datasets -> (normalisation stats, clip seconds).
DATASET_BY_FRAMES: dict[int, tuple[str, float]] = {
    1024: ("audioset", 10.0),
    512: ("esc50", 5.0),
    128: ("speechcommands", 1.0),
}
HF_PREFIX = "audio_spectrogram_transformer."


class CheckpointImportError(ValueError):
    """A checkpoint that cannot be converted; the message says why."""


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a ``.pth``/``.pt``/``.bin`` (safe load) or ``.safetensors`` file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointImportError(f"checkpoint {path} does not exist")
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(path)
        except (SafetensorError, OSError) as e:
            raise CheckpointImportError(f"checkpoint {path} is not a readable safetensors file ({e})") from e
    try:
        sd = read_torch_file(path, "checkpoint")
    except ModelFileError as e:
        raise CheckpointImportError(str(e)) from e
    if isinstance(sd, dict) and isinstance(sd.get("model"), dict):  # DeiT and training checkpoints
        sd = sd["model"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointImportError(f"{path} does not hold a state dict of tensors")
    return sd


def frontend_for(input_tdim: int, num_mel_bins: int = 128) -> FrontendConfig:
    """Frontend of the paper's dataset with this many frames (AudioSet stats for other lengths)."""
    dataset, seconds = DATASET_BY_FRAMES.get(input_tdim, ("audioset", (input_tdim - 2) / 100))
    mean, std = DATASET_STATS[dataset]
    return FrontendConfig(
        num_mel_bins=num_mel_bins, target_length=input_tdim, window_seconds=seconds, mean=mean, std=std
    )


def _check_shapes(sd: dict[str, torch.Tensor], dims: dict[str, int], what: str = "checkpoint") -> None:
    """Raise CheckpointImportError unless each key exists with that many dimensions."""
    for key, ndim in dims.items():
        if key not in sd:
            raise CheckpointImportError(f"{what} is incomplete: weight {key!r} is missing")
        if sd[key].ndim != ndim:
            raise CheckpointImportError(
                f"{what} weight {key!r} has shape {tuple(sd[key].shape)}; expected {ndim} dimensions"
            )


def _count_blocks(sd: dict[str, torch.Tensor], pattern: str) -> int:
    indices = {int(m.group(1)) for k in sd if (m := re.match(pattern, k))}
    if not indices:
        raise CheckpointImportError("no transformer blocks found in the checkpoint")
    return max(indices) + 1


def _input_tdim_for(t: int, tstride: int, patch: int) -> int:
    """A number of frames that gives ``t`` time patches, preferring the paper's lengths."""
    for frames in DATASET_BY_FRAMES:
        if (frames - patch) // tstride + 1 == t:
            return frames
    return (t - 1) * tstride + patch


def _strides_from_name(name: str) -> tuple[int, int] | None:
    m = re.search(r"_(\d+)_(\d+)_", name)  # audioset_10_10_0.4593.pth
    return (int(m.group(1)), int(m.group(2))) if m else None


def convert_official(
    sd: dict[str, torch.Tensor],
    *,
    fstride: int = 10,
    tstride: int = 10,
    input_tdim: int | None = None,
    num_heads: int | None = None,
    num_mel_bins: int = 128,
) -> tuple[ASTConfig, dict[str, torch.Tensor]]:
    """Official AST state dict (``module.v.*``, ``module.mlp_head.*``) -> (config, rtast state dict).

    Strides and head counts are not stored in the weights; they come from the arguments (or the
    file name), and heads default to embed_dim / 64 as in every DeiT size.
    """
    sd = {k.removeprefix("module."): v for k, v in sd.items()}
    if "v.pos_embed" not in sd or "mlp_head.1.weight" not in sd:
        raise CheckpointImportError("not an official AST checkpoint: v.pos_embed or mlp_head.1.weight is missing")
    _check_shapes(
        sd,
        {
            "v.pos_embed": 3,  # (1, tokens, D)
            "v.patch_embed.proj.weight": 4,  # (D, 1, p, p)
            "v.blocks.0.mlp.fc1.weight": 2,
            "mlp_head.1.weight": 2,
        },
    )
    D = sd["v.pos_embed"].shape[-1]
    patch = sd["v.patch_embed.proj.weight"].shape[-1]
    num_patches = sd["v.pos_embed"].shape[1] - 2
    f = (num_mel_bins - patch) // fstride + 1
    if num_patches % f:
        raise CheckpointImportError(
            f"{num_patches} patches do not fit frequency stride {fstride} ({f} rows); pass the right --fstride"
        )
    t = num_patches // f
    if input_tdim is None:
        input_tdim = _input_tdim_for(t, tstride, patch)
    config = ASTConfig(
        embed_dim=D,
        depth=_count_blocks(sd, r"v\.blocks\.(\d+)\."),
        num_heads=num_heads or max(D // 64, 1),
        mlp_ratio=sd["v.blocks.0.mlp.fc1.weight"].shape[0] / D,
        qkv_bias="v.blocks.0.attn.qkv.bias" in sd,
        patch_size=patch,
        fstride=fstride,
        tstride=tstride,
        num_mel_bins=num_mel_bins,
        input_tdim=input_tdim,
        num_classes=sd["mlp_head.1.weight"].shape[0],
        multilabel=sd["mlp_head.1.weight"].shape[0] == AUDIOSET_NUM_CLASSES,
    )
    if config.grid != (f, t):
        raise CheckpointImportError(
            f"input_tdim {input_tdim} with time stride {tstride} gives grid {config.grid}, the checkpoint has {(f, t)}"
        )
    out = {}
    for k, v in sd.items():
        if k.startswith("v.head"):  # DeiT's unused ImageNet heads
            continue
        if k.startswith("v."):
            out[k[2:]] = v
        elif k.startswith("mlp_head.0."):
            out["head_norm." + k.split(".")[-1]] = v
        elif k.startswith("mlp_head.1."):
            out["head." + k.split(".")[-1]] = v
        else:
            raise CheckpointImportError(f"unexpected key {k!r} in official AST checkpoint")
    return config, out


def _hf_block_key(rest: str) -> str | None:
    """Map the part of an HF layer key after ``layer.{i}.`` (v4 or v5 naming) to rtast's."""
    table = {
        "layernorm_before": "norm1",
        "layernorm_after": "norm2",
        "attention.output.dense": "attn.proj",
        "attention.o_proj": "attn.proj",
        "intermediate.dense": "mlp.fc1",
        "output.dense": "mlp.fc2",
        "mlp.fc1": "mlp.fc1",
        "mlp.fc2": "mlp.fc2",
    }
    module, _, param = rest.rpartition(".")
    return f"{table[module]}.{param}" if module in table else None


def convert_hf_state_dict(sd: dict[str, torch.Tensor], depth: int) -> dict[str, torch.Tensor]:
    """Hugging Face ASTForAudioClassification weights -> rtast state dict (q, k, v fused)."""
    out: dict[str, torch.Tensor] = {}
    qkv: dict[tuple[int, str, str], torch.Tensor] = {}
    for key, v in sd.items():
        k = key.removeprefix(HF_PREFIX)
        if k == "embeddings.cls_token":
            out["cls_token"] = v
        elif k == "embeddings.distillation_token":
            out["dist_token"] = v
        elif k == "embeddings.position_embeddings":
            out["pos_embed"] = v
        elif k.startswith("embeddings.patch_embeddings.projection."):
            out["patch_embed.proj." + k.split(".")[-1]] = v
        elif k.startswith("layernorm."):
            out["norm." + k.split(".")[-1]] = v
        elif k.startswith("classifier.layernorm."):
            out["head_norm." + k.split(".")[-1]] = v
        elif k.startswith("classifier.dense."):
            out["head." + k.split(".")[-1]] = v
        elif m := re.match(r"(?:encoder\.layer|layers)\.(\d+)\.(.+)$", k):
            i, rest = int(m.group(1)), m.group(2)
            if q := re.match(
                r"attention\.(?:attention\.)?(query|key|value|q_proj|k_proj|v_proj)\.(weight|bias)$", rest
            ):
                part = {"q_proj": "query", "k_proj": "key", "v_proj": "value"}.get(q.group(1), q.group(1))
                qkv[(i, part, q.group(2))] = v
            elif (name := _hf_block_key(rest)) is not None:
                out[f"blocks.{i}.{name}"] = v
            else:
                raise CheckpointImportError(f"unexpected key {key!r} in Hugging Face AST weights")
        else:
            raise CheckpointImportError(f"unexpected key {key!r} in Hugging Face AST weights")
    for i in range(depth):
        for param in ("weight", "bias"):
            parts = [qkv.get((i, p, param)) for p in ("query", "key", "value")]
            if all(p is not None for p in parts):
                out[f"blocks.{i}.attn.qkv.{param}"] = torch.cat(parts, dim=0)
    return out


def _hf_multilabel(problem_type: str | None, num_classes: int) -> bool:
    if problem_type in ("multi_label_classification", "single_label_classification"):
        return problem_type == "multi_label_classification"
    return num_classes == AUDIOSET_NUM_CLASSES  # AudioSet is multi-label; ESC-50, Speech Commands are not


def import_hf_directory(directory: str | Path) -> ModelFile:
    """A Hugging Face ``ASTForAudioClassification`` directory -> ModelFile."""
    directory = Path(directory)
    cfg_path = directory / "config.json"
    if not cfg_path.is_file():
        raise CheckpointImportError(f"{directory} has no config.json; not a Hugging Face model directory")
    cfg = json.loads(cfg_path.read_text())
    if cfg.get("model_type") != "audio-spectrogram-transformer":
        raise CheckpointImportError(f"{cfg_path} describes model_type {cfg.get('model_type')!r}, not an AST")
    if cfg.get("hidden_act", "gelu") != "gelu":
        raise CheckpointImportError(f"hidden_act {cfg['hidden_act']!r} is not supported; AST uses 'gelu'")
    weight_files = sorted(directory.glob("*.safetensors")) or sorted(directory.glob("pytorch_model*.bin"))
    if not weight_files:
        raise CheckpointImportError(f"{directory} has no model.safetensors or pytorch_model.bin")
    sd: dict[str, torch.Tensor] = {}
    for wf in weight_files:
        sd.update(read_state_dict(wf))
    labels_by_id = cfg.get("id2label") or {}
    num_classes = len(labels_by_id) or sd["classifier.dense.weight"].shape[0]
    config = ASTConfig(
        embed_dim=cfg["hidden_size"],
        depth=cfg["num_hidden_layers"],
        num_heads=cfg["num_attention_heads"],
        mlp_ratio=cfg["intermediate_size"] / cfg["hidden_size"],
        qkv_bias=cfg.get("qkv_bias", True),
        patch_size=cfg.get("patch_size", 16),
        fstride=cfg.get("frequency_stride", 10),
        tstride=cfg.get("time_stride", 10),
        num_mel_bins=cfg.get("num_mel_bins", 128),
        input_tdim=cfg.get("max_length", 1024),
        num_classes=num_classes,
        norm_eps=cfg.get("layer_norm_eps", 1e-12),
        head_norm_eps=cfg.get("layer_norm_eps", 1e-12),
        multilabel=_hf_multilabel(cfg.get("problem_type"), num_classes),
    )
    labels = [labels_by_id[str(i)] for i in range(num_classes)] if labels_by_id else default_labels(num_classes)
    if all(re.fullmatch(r"LABEL_\d+", name) for name in labels):
        labels = default_labels(num_classes)
    frontend = frontend_for(config.input_tdim, config.num_mel_bins)
    pre_path = directory / "preprocessor_config.json"
    if pre_path.is_file():
        pre = json.loads(pre_path.read_text())
        frontend = FrontendConfig(
            **{
                **frontend.to_dict(),
                "mean": pre.get("mean", frontend.mean),
                "std": pre.get("std", frontend.std),
            }
        )
    return ModelFile(
        config, frontend, labels, convert_hf_state_dict(sd, config.depth), {"source": f"huggingface:{directory.name}"}
    )


def import_checkpoint(
    src: str | Path,
    *,
    fstride: int | None = None,
    tstride: int | None = None,
    input_tdim: int | None = None,
    num_heads: int | None = None,
    labels: list[str] | None = None,
    multilabel: bool | None = None,
) -> ModelFile:
    """Official ``.pth`` or Hugging Face directory -> ModelFile; see the module docstring."""
    src = Path(src)
    if src.is_dir():
        model_file = import_hf_directory(src)
    else:
        sd = read_state_dict(src)
        if not any(k.removeprefix("module.").startswith("v.") for k in sd):
            if "pos_embed" in sd and "patch_embed.proj.weight" in sd:
                raise CheckpointImportError(
                    f"{src} is an ImageNet DeiT state dict: it initialises training (python -m train), "
                    "it cannot tag audio"
                )
            raise CheckpointImportError(f"{src}: unrecognised checkpoint layout (keys like {list(sd)[:3]})")
        guessed = _strides_from_name(src.name) or (10, 10)
        try:
            config, state = convert_official(
                sd,
                fstride=fstride or guessed[0],
                tstride=tstride or guessed[1],
                input_tdim=input_tdim,
                num_heads=num_heads,
            )
        except CheckpointImportError as e:
            raise CheckpointImportError(f"{src}: {e}") from e
        model_file = ModelFile(
            config,
            frontend_for(config.input_tdim, config.num_mel_bins),
            default_labels(config.num_classes),
            state,
            {"source": f"official-ast:{src.name}"},
        )
    if labels is not None:
        model_file.labels = list(labels)
    if multilabel is not None:
        model_file.model_config = ASTConfig(**{**model_file.model_config.to_dict(), "multilabel": multilabel})
    model_file.__post_init__()  # re-validate after overrides
    model_file.build_model()  # proves every weight fits before anything is written
    return model_file


def deit_init_state_dict(
    config: ASTConfig,
    deit: dict[str, torch.Tensor],
    *,
    kernel: str = "sum",
    pos_mode: str = "cut_interpolate",
) -> dict[str, torch.Tensor]:
    """Initialise an AST of ``config`` from a DeiT ImageNet state dict (the head stays fresh).

    Args:
        kernel: how the RGB patch kernel becomes one channel: ``sum`` (AST reference code,
            default) or ``mean`` (as the paper's text says).
        pos_mode: position-grid adaptation, see ``resample_pos_embed``.
    """
    if kernel not in ("sum", "mean"):
        raise ValueError(f"kernel mode {kernel!r} not supported; choose 'sum' or 'mean'")
    _check_shapes(
        deit,
        {"pos_embed": 3, "cls_token": 3, "patch_embed.proj.weight": 4, "patch_embed.proj.bias": 1},
        "DeiT state dict",
    )
    D = deit["pos_embed"].shape[-1]
    if D != config.embed_dim:
        raise CheckpointImportError(f"DeiT width {D} does not match the model's embed_dim {config.embed_dim}")
    state = AST(config).state_dict()
    weight = deit["patch_embed.proj.weight"]  # (D, 3, p, p)
    if weight.shape[-1] != config.patch_size:
        raise CheckpointImportError(f"DeiT patch size {weight.shape[-1]} differs from the model's {config.patch_size}")
    state["patch_embed.proj.weight"] = weight.sum(1, keepdim=True) if kernel == "sum" else weight.mean(1, keepdim=True)
    state["patch_embed.proj.bias"] = deit["patch_embed.proj.bias"]
    has_dist = "dist_token" in deit
    prefix = 2 if has_dist else 1
    side = round((deit["pos_embed"].shape[1] - prefix) ** 0.5)
    pos = deit["pos_embed"]
    if not has_dist:  # a plain ViT/DeiT: the distillation token starts as a copy of CLS
        pos = torch.cat([pos[:, :1], pos], dim=1)
    state["pos_embed"] = resample_pos_embed(pos, (side, side), config.grid, 2, pos_mode)
    state["cls_token"] = deit["cls_token"]
    state["dist_token"] = deit["dist_token"] if has_dist else deit["cls_token"].clone()
    for k, v in deit.items():
        if k.startswith(("blocks.", "norm.")):
            if k not in state or state[k].shape != v.shape:
                raise CheckpointImportError(f"DeiT weight {k} {tuple(v.shape)} does not fit the model")
            state[k] = v
    return state
