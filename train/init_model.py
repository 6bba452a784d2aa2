"""The model a run starts from: scratch, a DeiT state dict or an rtast model (``--init``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rtast.importers import deit_init_state_dict, read_state_dict
from rtast.model import AST, ASTConfig, preset
from rtast.modelfile import ModelFile, ModelFileError, default_model_path, load_model_file
from rtast.posembed import resample_pos_embed
from rtast.train.recipes import TrainConfig


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


# what no flag sets comes from the init model
INHERITED = ("mlp_ratio", "qkv_bias", "patch_size", "num_mel_bins", "norm_eps", "head_norm_eps")


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
        frame_head=config.frame_loss > 0,
        frame_input="concat",
        **sizes,
    )
    source = init_model_file(config)
    if source is not None:
        src = source.model_config
        check_fits(config.init, src, model_config)
        model_config = replace(model_config, **{k: getattr(src, k) for k in INHERITED})
    model = AST(model_config)
    fresh = model.state_dict()  # the new model's own initial weights, for what the init model does not give
    if config.init.startswith("deit:"):
        state = deit_init_state_dict(
            model_config,
            read_state_dict(config.init[5:]),
            kernel=config.kernel_mode,
            pos_mode="interpolate" if config.pos_mode == "reinit" else config.pos_mode,
        )
        if config.pos_mode == "reinit":  # ablation: keep the fresh position embedding
            state["pos_embed"] = fresh["pos_embed"]
        state.update({k: v for k, v in fresh.items() if k.startswith("frame_")})  # DeiT has none
        model.load_state_dict(state)
    elif source is not None:
        # a new head (and frame head), unless the task and the shapes are the same
        state = {k: v for k, v in source.state_dict.items() if not k.startswith(("head.", "frame_"))}
        old_grid, new_grid = source.model_config.grid, model_config.grid
        if config.pos_mode == "reinit":
            state.pop("pos_embed")
        else:
            state["pos_embed"] = resample_pos_embed(state["pos_embed"], old_grid, new_grid, mode=config.pos_mode)
        same_task = source.labels == list(labels or []) and source.model_config.multilabel == multilabel
        if same_task:
            state.update({k: v for k, v in source.state_dict.items() if k.startswith("head.")})
        frames = {k: v for k, v in source.state_dict.items() if k.startswith("frame_")}
        if same_task and model_config.frame_head and all(v.shape == fresh[k].shape for k, v in frames.items()):
            state.update(frames)  # the init model's frame head goes on learning
        missing, unexpected = model.load_state_dict(state, strict=False)
        allowed_missing = {"head.weight", "head.bias", "pos_embed"} | {k for k in fresh if k.startswith("frame_")}
        if unexpected or set(missing) - allowed_missing:
            raise ModelFileError(
                f"--init {config.init[4:]}: its weights do not fit this model "
                f"({len(missing)} missing, {len(unexpected)} unexpected, e.g. {(missing + unexpected)[0]})"
            )
    return model
