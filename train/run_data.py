"""The data a ``python -m train`` command works on, from its ``--layout`` flags."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from rtast.modelfile import ModelFile
from rtast.train.data import DatasetSpec


def load_specs(args: argparse.Namespace, window_seconds: float = 10.0, background: bool = False):
    """(train spec, eval spec) for the chosen layout; scenes are evaluated in crops of ``window_seconds``.

    ``background``: folder layout as multi-label data whose ``_background`` clips are of no class.
    """
    from rtast.train import layouts, scenes

    def need(*names: str) -> None:
        missing = [n for n in names if getattr(args, n) is None]
        if missing:
            raise ValueError(f"--layout {args.layout} needs " + ", ".join("--" + n.replace("_", "-") for n in missing))

    if args.layout == "manifest":
        need("train_manifest", "label_csv")
        train_spec = layouts.manifest_dataset(args.train_manifest, args.label_csv)
        eval_spec = layouts.manifest_dataset(args.eval_manifest, args.label_csv) if args.eval_manifest else None
        return train_spec, eval_spec
    if args.layout == "scenes":
        need("train_manifest", "train_events", "label_csv")
        train_spec = scenes.scene_dataset(args.train_manifest, args.label_csv, args.train_events)
        eval_spec = None
        if args.eval_manifest:
            need("eval_events")
            eval_spec = scenes.scene_dataset(
                args.eval_manifest, args.label_csv, args.eval_events, eval_window=window_seconds, eval_hop=args.eval_hop
            )
        return train_spec, eval_spec
    need("root")
    if args.layout == "esc50":
        return layouts.esc50_folds(args.root, args.fold)
    if args.layout == "speechcommands":
        return (
            layouts.speech_commands_dataset(args.root, "train"),
            layouts.speech_commands_dataset(args.root, args.eval_split or "validation"),
        )
    return (
        layouts.folder_dataset(args.root, "train", background=background),
        layouts.folder_dataset(args.root, "eval", background=background),
    )


def with_background(train_spec, eval_spec, out: Path, window_seconds: float, seed: int):
    """Add synthetic silence and noise of no class to both splits (as many as an average class has clips)."""
    from dataclasses import replace

    from rtast.train.layouts import synthetic_background

    def add(spec, folder: Path, salt: int):
        count = max(5, round(len(spec.clips) / len(spec.labels)))
        clips = synthetic_background(folder, count, min(window_seconds, 3.0), seed * 7 + salt)
        return replace(spec, clips=spec.clips + clips)

    train_spec = add(train_spec, out / "background" / "train", 0)
    return train_spec, add(eval_spec, out / "background" / "eval", 1) if eval_spec is not None else None


def evaluation_spec(args: argparse.Namespace, model: ModelFile) -> DatasetSpec:
    """The held-out clips ``python -m train evaluate`` scores: ``--test-root`` or a layout's evaluation split."""
    from rtast.train.layouts import folder_dataset

    frontend, sigmoid = model.frontend, model.model_config.multilabel
    if args.test_root is not None:
        eval_spec = folder_dataset(args.test_root, background=sigmoid, labels=model.labels)
    elif args.layout is None:
        raise ValueError("give --layout (with its data flags) or --test-root DIR")
    else:
        _, eval_spec = load_specs(args, frontend.window_seconds, background=sigmoid)
    if eval_spec is None:
        raise ValueError("no evaluation data: give --eval-manifest (or a layout with an evaluation split)")
    if list(eval_spec.labels) != list(model.labels):
        raise ValueError(f"the models' {len(model.labels)} labels differ from the data's {len(eval_spec.labels)}")
    return eval_spec


def fit_specs(args: argparse.Namespace, config, explicit: set[str], note: Callable[[str], None]):
    """(config, train spec, eval spec) of ``python -m train fit``: the data its flags name, ready to train. A
    folder gets its background class (sigmoid outputs; the loss follows), or a note that it cannot say "none";
    a single class is refused where it cannot train."""
    from dataclasses import replace

    from rtast.train.layouts import BACKGROUND_FOLDER

    background = args.layout == "folder" and args.background
    train_spec, eval_spec = load_specs(args, config.window_seconds, background)
    if background:
        if len(train_spec.labels) < 2 and not any(not c.targets for c in train_spec.clips):
            raise ValueError(
                f"{args.root} has one class folder ({train_spec.labels[0]}): add a second class, "
                f"or a {BACKGROUND_FOLDER} folder of other sounds for a one-class detector"
            )
        train_spec, eval_spec = with_background(train_spec, eval_spec, args.out, config.window_seconds, config.seed)
        if config.loss == "ce":
            if "loss" in explicit:
                raise ValueError("--loss ce needs softmax outputs; add --no-background (and a _background class)")
            config = replace(config, loss="bce")  # sigmoid outputs: every class may be off
    elif args.layout == "folder" and BACKGROUND_FOLDER not in train_spec.labels:
        note(
            "softmax over the class folders and no _background class: the model has no way to say 'none', "
            "so `rtast listen` will report one of its classes all the time, silence included"
        )
    if len(train_spec.labels) < 2:
        if not train_spec.multilabel:
            raise ValueError(
                f"{train_spec.name} has {len(train_spec.labels)} class; single-label training needs at least two"
            )
        note(
            f"one class ({train_spec.labels[0]}); mAUC and d' are undefined (nan) "
            "while the evaluation data holds only positives or only negatives"
        )
    return config, train_spec, eval_spec
