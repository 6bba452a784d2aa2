"""``python -m train``: fit, evaluate, stats. Argument parsing and calls only; the work is in the stage modules."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rtast.cli.args import non_negative_float
from rtast.cli.run import run_command
from rtast.paths import check_writable_dir, check_writable_file

DATA_HELP = """data layouts:
  --layout manifest --train-manifest train.json --eval-manifest eval.json --label-csv labels.csv
  --layout esc50 --root ESC-50-master --fold 1          (train on the other four folds)
  --layout speechcommands --root speech_commands_v0.02  (train / validation splits from the lists)
  --layout folder --root my_sounds                      (class sub-folders; 20 % held out per class;
                                                         my_sounds/_background: clips of none of them)
  --layout scenes --train-manifest train/manifest.json --train-events train/events.tsv
                  --eval-manifest eval/manifest.json --eval-events eval/events.tsv --label-csv labels.csv
                  (strongly labelled scenes: crops take the labels of the events they overlap)"""


def add_data_args(p: argparse.ArgumentParser, layout_required: bool = True) -> None:
    g = p.add_argument_group("data")
    layouts = ["manifest", "esc50", "speechcommands", "folder", "scenes"]
    g.add_argument("--layout", required=layout_required, choices=layouts)
    g.add_argument("--root", type=Path, help="dataset folder (esc50, speechcommands, folder)")
    g.add_argument("--train-manifest", type=Path, help="AST-style JSON manifest for training")
    g.add_argument("--eval-manifest", type=Path, help="AST-style JSON manifest for evaluation")
    g.add_argument("--label-csv", type=Path, help="index,mid,display_name CSV for manifests")
    g.add_argument("--train-events", type=Path, help="DCASE events TSV of the training scenes")
    g.add_argument("--eval-events", type=Path, help="DCASE events TSV of the evaluation scenes")
    g.add_argument("--eval-hop", type=float, default=1.0, help="scenes: seconds between evaluation crops")
    g.add_argument("--fold", type=int, default=1, help="ESC-50 test fold (1-5, default 1)")
    g.add_argument(
        "--eval-split",
        default=None,
        help="which split to evaluate: validation or test (speechcommands; default validation)",
    )


def add_data_command(sub, name: str, help: str, description: str) -> argparse.ArgumentParser:
    """A sub-command that reads a data layout: the layouts listed under its help."""
    return sub.add_parser(
        name, help=help, description=description, epilog=DATA_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def cmd_fit(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from rtast.devices import check_device
    from rtast.train.init_model import adopt_init
    from rtast.train.loop import train
    from rtast.train.metrics import confusion_table, per_class_table
    from rtast.train.recipes import DEFAULT_RECIPE, fit_stats, recipe
    from rtast.train.run_data import fit_specs

    overrides = {
        k: getattr(args, k)
        for k in (
            "preset",
            "embed_dim",
            "depth",
            "num_heads",
            "fstride",
            "tstride",
            "init",
            "kernel_mode",
            "pos_mode",
            "lr",
            "batch_size",
            "epochs",
            "precision",
            "mixup",
            "num_workers",
            "seed",
            "mean",
            "std",
            "warmup_steps",
            "freq_mask",
            "time_mask",
            "loss",
            "average_last",
            "balanced_sampling",
            "noise",
            "frame_loss",
            "label_overlap",
            "optimizer",
            "weight_decay",
        )
    }
    if args.target_length is not None:
        overrides["target_length"] = args.target_length
    if args.window_seconds is not None:
        overrides["window_seconds"] = args.window_seconds
    if args.device is not None:
        check_device(args.device)
    check_writable_dir(args.out, "--out")
    explicit = {k for k, v in overrides.items() if v is not None}
    config = adopt_init(recipe(args.recipe or DEFAULT_RECIPE[args.layout], **overrides), explicit)
    if "epochs" in explicit:  # the epochs asked for, even on small data
        config = replace(config, min_steps=0)
    config, stats_note = fit_stats(config, args.layout, explicit)
    if stats_note:
        note(stats_note)
    config, train_spec, eval_spec = fit_specs(args, config, explicit, note)
    print(
        f"training on {train_spec.name}: {len(train_spec.clips)} clips, {len(train_spec.labels)} classes; "
        f"evaluating on {eval_spec.name if eval_spec else 'nothing'}",
        file=sys.stderr,
    )
    result = train(
        config, train_spec, eval_spec, args.out, resume=args.resume, device=args.device, progress=not args.no_progress
    )
    if result.best is not None:
        print(
            f"best epoch {result.best_epoch}: mAP {result.best.mAP:.4f}, accuracy {result.best.accuracy:.4f}, "
            f"mAUC {result.best.mAUC:.4f}, d' {result.best.d_prime:.3f}"
        )
        print(per_class_table(result.best, top=20))
        if result.best.confusion is not None and len(result.best.confusion["labels"]) <= 30:
            print(confusion_table(result.best))
    if result.averaged is not None:
        print(f"weight-averaged model: mAP {result.averaged.mAP:.4f}, accuracy {result.averaged.accuracy:.4f}")
    print(f"model files in {args.out}: best.pt, final.pt" + (", averaged.pt" if result.averaged else ""))
    figures = [f.name for f in (args.out / "learning_curves.png", args.out / "confusion.png") if f.exists()]
    if figures:
        print(f"figures: {', '.join(figures)}; curves: tensorboard --logdir {args.out / 'tensorboard'}")
    return 0


def note(text: str) -> None:
    print(f"python -m train: note: {text}", file=sys.stderr)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from rtast.train.ensemble import evaluate_files, load_ensemble
    from rtast.train.metrics import confusion_table, per_class_table
    from rtast.train.plots import PlotsUnavailable, confusion_png
    from rtast.train.run_data import evaluation_spec

    for path, flag in ((args.json, "--json"), (args.confusion_png, "--confusion-png")):
        if path:
            check_writable_file(path, flag)
    files = load_ensemble(args.model)
    eval_spec = evaluation_spec(args, files[0])
    ev = evaluate_files(files, eval_spec, args.batch_size)
    print(
        f"{len(files)} model(s) on {eval_spec.name} ({len(eval_spec.clips)} clips): mAP {ev.mAP:.4f}, "
        f"mAUC {ev.mAUC:.4f}, d' {ev.d_prime:.3f}, accuracy {ev.accuracy:.4f}"
    )
    print(per_class_table(ev))
    print(confusion_table(ev))
    if args.confusion_png:
        try:
            confusion_png(ev.confusion, Path(args.confusion_png), f"{eval_spec.name}, {len(eval_spec.clips)} clips")
        except PlotsUnavailable as e:
            raise ValueError(str(e)) from e
    if args.json:
        Path(args.json).write_text(json.dumps(ev.to_dict(), indent=2))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from rtast.fbank import FrontendConfig
    from rtast.train.features import compute_stats
    from rtast.train.run_data import load_specs

    train_spec, _ = load_specs(args)
    frontend = FrontendConfig(target_length=args.target_length, window_seconds=args.window_seconds)
    mean, std = compute_stats(train_spec, frontend, max_clips=args.max_clips)
    print(json.dumps({"mean": mean, "std": std, "clips": min(len(train_spec.clips), args.max_clips or 1 << 62)}))
    return 0


def cmd_recipe(args: argparse.Namespace) -> int:
    from rtast.train.default_model import finish, run

    if args.evaluate_only:
        if not (args.out / "run" / "config.json").is_file():
            raise ValueError(f"--evaluate-only: {args.out} holds no finished run (run/config.json is missing)")
        card = finish(args.out, args.seed, args.install)
    else:
        card = run(
            args.out,
            args.train_scenes,
            args.eval_scenes,
            args.seed,
            args.epochs,
            args.install,
            progress=not args.no_progress,
            real_table=None if args.synthetic_only else "default",
            joint_epochs=args.joint_epochs,
            frame_loss=args.frame_loss,
            optimizer=args.optimizer,
            weight_decay=args.weight_decay,
        )
    held, sed = card["held_out_crops"], card["streaming_events"]["onset_offset_1s_collar"]
    print(
        f"default model: held-out mAP {held['mAP']:.4f}, accuracy {held['accuracy']:.4f}; streaming event F1 "
        f"{sed['f1']:.3f}; card in {args.out / 'MODEL_CARD.md'}"
        + ("; installed into rtast/data" if args.install else "")
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    from rtast.train.recipes import RECIPES

    parser = argparse.ArgumentParser(
        prog="python -m train",
        description="Train and evaluate AST models for rtast.",
        epilog=DATA_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    fit = add_data_command(
        sub,
        "fit",
        help="train a model (a paper recipe, with overrides)",
        description="Train an AST with one of the paper's recipes. Writes OUT/best.pt, final.pt "
        "(and averaged.pt) as rtast model files, metrics.jsonl, config.json and a resumable "
        "last_checkpoint.pt. Under torchrun it trains data-parallel (DDP).",
    )
    fit.add_argument(
        "--recipe",
        choices=list(RECIPES),
        help="recipe preset; default by layout: folder -> finetune (from rtast's default model), scenes -> folder "
        "(from scratch), esc50 -> esc50, "
        "speechcommands -> speechcommands, manifest -> audioset-balanced",
    )
    fit.add_argument("--out", type=Path, required=True, help="output folder")
    add_data_args(fit)
    m = fit.add_argument_group("model (overrides)")
    m.add_argument("--preset", help="encoder size: tiny224, small224, base224, base384")
    m.add_argument("--embed-dim", type=int, help="token width (overrides the preset; small CPU models)")
    m.add_argument("--depth", type=int, help="transformer blocks (overrides the preset)")
    m.add_argument("--num-heads", type=int, help="attention heads (overrides the preset)")
    m.add_argument("--fstride", type=int, help="patch stride along frequency (ablation: 10 vs 16)")
    m.add_argument("--tstride", type=int, help="patch stride along time")
    m.add_argument(
        "--init",
        help="scratch, deit:PATH (ImageNet DeiT state dict), or an rtast model: default (the shipped one), "
        "a model file (an earlier run's best.pt) or a hub id; its architecture, window and normalisation are "
        "adopted unless flags set them",
    )
    m.add_argument("--kernel-mode", choices=["sum", "mean"], help="DeiT RGB kernel to one channel")
    m.add_argument(
        "--pos-mode",
        choices=["cut_interpolate", "interpolate", "reinit"],
        help="position-embedding adaptation (ablation)",
    )
    m.add_argument("--target-length", type=int, help="frames per input")
    m.add_argument("--window-seconds", type=float, help="seconds of audio per input")
    o = fit.add_argument_group("optimisation (overrides)")
    o.add_argument("--lr", type=float)
    o.add_argument(
        "--optimizer",
        choices=["adam", "adamw"],
        help="adam: weight decay as L2 on every parameter (the AST paper); adamw: decoupled decay of the weight "
        "matrices only (as ViTs are trained from scratch)",
    )
    o.add_argument(
        "--weight-decay", type=non_negative_float, metavar="WD", help="weight decay (default: the recipe's; most: 5e-7)"
    )
    o.add_argument("--batch-size", type=int)
    o.add_argument("--epochs", type=int)
    o.add_argument("--warmup-steps", type=int)
    o.add_argument(
        "--precision",
        choices=["auto", "fp32", "bf16", "fp16"],
        help="auto: bf16 where the hardware has it (CUDA, AVX-512 BF16 or AMX), fp32 elsewhere; fp16 on CUDA only",
    )
    o.add_argument("--mixup", type=float, help="waveform mixup probability")
    o.add_argument("--freq-mask", type=int, help="SpecAugment maximum frequency mask (bins)")
    o.add_argument("--time-mask", type=int, help="SpecAugment maximum time mask (frames)")
    o.add_argument("--noise", action=argparse.BooleanOptionalAction, default=None, help="noise + time roll")
    o.add_argument(
        "--balanced-sampling",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="AudioSet-style class-balanced sampling",
    )
    o.add_argument("--loss", choices=["bce", "ce"], help="bce (multi-label) or ce (single-label)")
    o.add_argument("--average-last", type=int, help="average the weights of the last N epochs")
    o.add_argument(
        "--frame-loss",
        type=float,
        metavar="WEIGHT",
        help="scenes: also train a frame head on the events' times (strong labels), its loss weighted by WEIGHT "
        "(default 0: none; the default-model recipe trains one with weight 1 from the first epoch)",
    )
    o.add_argument(
        "--label-overlap",
        type=non_negative_float,
        metavar="SECONDS",
        help="scenes: seconds of an event a training crop must hold to carry its label, or half of a shorter "
        "event (default 0.5; less teaches the clip head to answer sooner after an onset)",
    )
    o.add_argument("--mean", type=float, help="log-mel mean (default: recipe's, or computed)")
    o.add_argument("--std", type=float, help="log-mel std")
    o.add_argument("--num-workers", type=int, help="data loader worker processes")
    fit.add_argument(
        "--background",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="folder layout: sigmoid outputs trained with clips of no class (the _background folder, synthetic "
        "silence and noise), so that `rtast listen` stays quiet when none of the classes sounds (default on); "
        "--no-background: softmax over the class folders",
    )
    o.add_argument("--seed", type=int)
    fit.add_argument("--resume", action="store_true", help="continue from OUT/last_checkpoint.pt")
    fit.add_argument("--device", help="cpu, cuda, cuda:1 (default: cuda if available)")
    fit.add_argument("--no-progress", action="store_true", help="no progress bars")
    fit.set_defaults(func=cmd_fit)

    ev = add_data_command(
        sub,
        "evaluate",
        help="evaluate model files (several: an ensemble)",
        description="Score the evaluation split with one model or the average of several "
        "(checkpoint ensemble) and print mAP, mean AUC, d-prime, accuracy and a per-class table.",
    )
    ev.add_argument("--model", action="append", required=True, help="rtast model file (repeat for an ensemble)")
    ev.add_argument("--test-root", type=Path, help="a separate test folder of class sub-folders (instead of --layout)")
    ev.add_argument("--confusion-png", help="also draw the confusion matrix to this PNG")
    add_data_args(ev, layout_required=False)
    ev.add_argument("--batch-size", type=int, default=8)
    ev.add_argument("--json", help="also write the metrics to this JSON file")
    ev.set_defaults(func=cmd_evaluate)

    st = add_data_command(
        sub,
        "stats",
        help="log-mel mean and std of a training set (normalisation stats)",
        description="Compute the mean and standard deviation of the fbank frames of the "
        "training split, for --mean/--std of a new dataset.",
    )
    add_data_args(st)
    st.add_argument("--target-length", type=int, default=1024)
    st.add_argument("--window-seconds", type=float, default=10.0)
    st.add_argument("--max-clips", type=int, default=None, help="use at most this many clips")
    st.set_defaults(func=cmd_stats)
    rec = sub.add_parser(
        "recipe",
        help="reproduce a model rtast ships (default)",
        description="Build the corpus (real recordings fetched from Debian packages with apt-get download, "
        "General MIDI instruments, synthesis where no recording exists), train, evaluate on held-out sources, "
        "write the model card and (with --install) make the result rtast's default model.",
    )
    rec.add_argument("name", choices=["default"])
    rec.add_argument("--out", type=Path, required=True, help="work folder (corpus, run, card)")
    rec.add_argument("--train-scenes", type=int, default=3000, help="10-s training scenes (default %(default)s)")
    rec.add_argument("--eval-scenes", type=int, default=300, help="10-s held-out scenes (default %(default)s)")
    rec.add_argument("--epochs", type=int, default=None, help="first stage's epochs (default: the recipe's 20)")
    rec.add_argument(
        "--joint-epochs",
        type=int,
        default=4,
        help="epochs of the second stage, the encoder and a frame head trained together from the scenes' event "
        "times (default 4; 0: none, a frame head is only fitted on the frozen encoder)",
    )
    rec.add_argument(
        "--frame-loss",
        type=non_negative_float,
        default=1.0,
        metavar="WEIGHT",
        help="weight of a frame head's loss on the event times in the first stage too, the model scoring each "
        "time step from its first epoch (default %(default)s, as the shipped model; 0: the clip head alone, then "
        "a frame head fitted on the frozen encoder starts the joint stage)",
    )
    rec.add_argument(
        "--optimizer",
        choices=["adam", "adamw"],
        default=None,
        help="optimiser of both stages (default: the recipe's adamw, decoupled decay of the weight matrices only, "
        "as the shipped model; adam: L2 weight decay on every parameter)",
    )
    rec.add_argument(
        "--weight-decay",
        type=non_negative_float,
        default=None,
        metavar="WD",
        help="weight decay of both stages (default: the recipe's 0.05; the Adam run of README used 5e-7)",
    )
    rec.add_argument("--seed", type=int, default=0)
    rec.add_argument("--install", action="store_true", help="copy the model and card into rtast/data/")
    rec.add_argument("--no-progress", action="store_true")
    rec.add_argument(
        "--synthetic-only", action="store_true", help="no real recordings: the earlier corpus, nothing downloaded"
    )
    rec.add_argument(
        "--evaluate-only",
        action="store_true",
        help="skip corpus and training: evaluate OUT's finished run, write its card (and install it with --install)",
    )
    rec.set_defaults(func=cmd_recipe)
    return parser


def one_line(error: BaseException) -> str:
    """The message of ``error``; for one re-raised from a DataLoader worker, without the worker's traceback."""
    text = str(error)
    if "Original Traceback" in text:  # torch re-raises worker errors with the whole traceback as message
        last = text.strip().splitlines()[-1]
        name, sep, message = last.partition(": ")
        return message if sep and name.endswith(type(error).__name__) else last
    return text


def main(argv: list[str] | None = None) -> int:
    return run_command(
        build_parser(), argv, "python -m train", expected_errors, "interrupted; resume with --resume", one_line
    )


def expected_errors() -> tuple[type[Exception], ...]:
    from rtast.audiofile import AudioFileError
    from rtast.modelfile import ModelFileError

    return (ValueError, AudioFileError, ModelFileError, FileNotFoundError)


if __name__ == "__main__":
    sys.exit(main())
