"""The ``rtast`` command line: argument parsing only; every command calls into the library."""

from __future__ import annotations

import argparse
import json
import sys

from rtast import __version__

EPILOG = "Run `rtast COMMAND --help` for the options of one command."


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def _load_model_file(model: str | None):
    from rtast.checkpoints import default_model_path, load_model_file

    if model is None:
        path = default_model_path()
        if path is None:
            raise UserError(
                "no default model is bundled with this rtast yet; pass --model model.pt "
                "(make one with `rtast import-checkpoint`, e.g. from the official AudioSet checkpoint)"
            )
        model = str(path)
    return load_model_file(model)


def _format_top(pairs: list[tuple[str, float]]) -> str:
    return "  ".join(f"{label} {score:.3f}" for label, score in pairs)


def cmd_tag(args: argparse.Namespace) -> int:
    from engines import TorchEngine
    from rtast.audiofile import AudioFileError
    from rtast.tagging import TagConfig, Tagger, top_k

    model_file = _load_model_file(args.model)
    config = TagConfig(hop_seconds=args.hop, top_k=args.top_k, batch_size=args.batch_size, reduce=args.reduce)
    labels = model_file.labels
    tagger = Tagger(
        TorchEngine(model_file.build_model()),
        model_file.frontend,
        labels,
        model_file.model_config.multilabel,
        config,
    )

    def record(kind: str, path: str, scores, **fields) -> dict:
        return {
            "type": kind,
            "file": path,
            **fields,
            "top": [{"label": lab, "score": round(s, 6)} for lab, s in top_k(scores, labels, config.top_k)],
            "scores": {lab: round(float(s), 6) for lab, s in zip(labels, scores, strict=True)},
        }

    failures = 0
    for path in args.files:

        def on_window(ws, path=path) -> None:
            if args.json:
                print(json.dumps(record("window", path, ws.scores, start=round(ws.t_start, 3), end=round(ws.t_end, 3))))
            elif args.windows:
                print(f"  {ws.t_start:8.2f}-{ws.t_end:<8.2f} {_format_top(top_k(ws.scores, labels, config.top_k))}")
            sys.stdout.flush()

        if not args.json:
            print(path)
        try:
            result = tagger.tag_file(path, on_window)
        except AudioFileError as e:
            failures += 1
            print(f"rtast tag: error: {e}", file=sys.stderr)
            continue
        if args.json:
            print(
                json.dumps(
                    record(
                        "file",
                        path,
                        result.scores,
                        duration=round(result.duration, 3),
                        windows=result.num_windows,
                        reduce=tagger.reduce,
                    )
                )
            )
        else:
            print(
                f"  {result.duration:.2f} s, {result.num_windows} window(s), {tagger.reduce} over windows: "
                f"{_format_top(top_k(result.scores, labels, config.top_k))}"
            )
        sys.stdout.flush()
    if failures:
        print(f"rtast tag: {failures} of {len(args.files)} file(s) could not be tagged", file=sys.stderr)
    return 1 if failures else 0


def cmd_import(args: argparse.Namespace) -> int:
    from rtast.checkpoints import save_model_file
    from rtast.importers import import_checkpoint
    from rtast.labels import read_labels

    labels = read_labels(args.labels) if args.labels else None
    model_file = import_checkpoint(
        args.src,
        fstride=args.fstride,
        tstride=args.tstride,
        input_tdim=args.input_tdim,
        num_heads=args.num_heads,
        labels=labels,
        multilabel=args.multilabel,
    )
    if args.mean is not None or args.std is not None:
        from dataclasses import replace

        frontend = model_file.frontend
        model_file.frontend = replace(
            frontend,
            mean=args.mean if args.mean is not None else frontend.mean,
            std=args.std if args.std is not None else frontend.std,
        )
    save_model_file(args.output, model_file)
    c, f = model_file.model_config, model_file.frontend
    print(
        f"wrote {args.output}: {c.num_classes} classes, {c.embed_dim}-dim x {c.depth} blocks, "
        f"stride {c.fstride}/{c.tstride}, {c.input_tdim} frames, "
        f"{'sigmoid' if c.multilabel else 'softmax'}, stats {f.mean:.4f}/{f.std:.4f}"
    )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    model_file = _load_model_file(args.model)
    c, f = model_file.model_config, model_file.frontend
    params = sum(v.numel() for v in model_file.state_dict.values())
    print(
        json.dumps(
            {
                "model": c.to_dict(),
                "frontend": f.to_dict(),
                "parameters": params,
                "labels": len(model_file.labels),
                "first_labels": model_file.labels[:10],
                "meta": model_file.meta,
            },
            indent=2,
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rtast",
        description="Real-time sound event detection with the Audio Spectrogram Transformer.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"rtast {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    tag = sub.add_parser(
        "tag",
        help="label audio files offline (sliding windows, top labels per window and per file)",
        description="Label audio files of any length, sample rate and channel count. Audio is mixed to "
        "mono, resampled to 16 kHz, cut into the model's windows (10 s for AudioSet models) every --hop "
        "seconds and scored; the file's scores are the max (multi-label) or mean (single-label) over windows.",
    )
    tag.add_argument("files", nargs="+", metavar="FILE", help="audio files (WAV, FLAC, OGG, MP3, ...)")
    tag.add_argument("--model", help="rtast model file (default: the model shipped with rtast)")
    tag.add_argument(
        "--hop",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds between window starts (default: half the model's window)",
    )
    tag.add_argument("-k", "--top-k", type=int, default=5, help="labels to show (default: 5)")
    tag.add_argument(
        "--json",
        action="store_true",
        help="print JSON lines: one object per window and per file, with every label's score",
    )
    tag.add_argument("--windows", action="store_true", help="table output: also list every window")
    tag.add_argument("--batch-size", type=int, default=4, help="windows per inference call (default: 4)")
    tag.add_argument(
        "--reduce",
        choices=["auto", "max", "mean"],
        default="auto",
        help="how window scores become file scores (default: max for multi-label models, else mean)",
    )
    tag.set_defaults(func=cmd_tag)

    imp = sub.add_parser(
        "import-checkpoint",
        help="convert an official AST .pth or a Hugging Face AST directory into an rtast model file",
        description="Convert published AST weights into one self-describing rtast model file holding "
        "weights, model and frontend configuration, normalisation statistics and label names. "
        "Strides are read from official file names like audioset_10_10_0.4593.pth unless given.",
    )
    imp.add_argument("src", help="official .pth file, or a Hugging Face ASTForAudioClassification directory")
    imp.add_argument("-o", "--output", required=True, help="model file to write (e.g. model.pt)")
    imp.add_argument("--fstride", type=int, help="frequency patch stride of an official checkpoint")
    imp.add_argument("--tstride", type=int, help="time patch stride of an official checkpoint")
    imp.add_argument("--input-tdim", type=int, help="frames per window (default: inferred: 1024, 512 or 128)")
    imp.add_argument("--num-heads", type=int, help="attention heads of an official checkpoint (default: width / 64)")
    imp.add_argument(
        "--labels",
        help="label names: CSV with a display_name column, or one name a line "
        "(default: AudioSet names for 527 classes)",
    )
    group = imp.add_mutually_exclusive_group()
    group.add_argument(
        "--multilabel",
        dest="multilabel",
        action="store_true",
        default=None,
        help="sigmoid scores (AudioSet-style, default for 527 classes)",
    )
    group.add_argument(
        "--single-label", dest="multilabel", action="store_false", help="softmax scores (ESC-50, Speech Commands)"
    )
    imp.add_argument("--mean", type=float, help="log-mel mean for normalisation (default: the dataset's)")
    imp.add_argument("--std", type=float, help="log-mel std for normalisation (default: the dataset's)")
    imp.set_defaults(func=cmd_import)

    info = sub.add_parser("info", help="describe a model file", description="Print a model file's configuration.")
    info.add_argument("model", nargs="?", help="rtast model file (default: the shipped model)")
    info.set_defaults(func=cmd_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    from rtast.audiofile import AudioFileError
    from rtast.checkpoints import ModelFileError
    from rtast.importers import CheckpointImportError

    try:
        return args.func(args)
    except (UserError, ModelFileError, CheckpointImportError, AudioFileError, ValueError) as e:
        print(f"rtast {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"rtast {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
