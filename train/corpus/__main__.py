"""``python -m train.corpus OUT_DIR`` (from a checkout) or ``python -m rtast.train.corpus OUT_DIR``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rtast.train.corpus.build import build_corpus

HELP = """\
Synthesise a strongly labelled sound-event corpus for training rtast models: 10-s, 16 kHz mono scenes
mixing 0-4 events (speech, instruments, alarms, sirens, beeps, whistles, noise) over silence or a
low background, with exact onsets and offsets. Eval scenes use held-out sources only (other voices and
languages, another soundfont with other programs and melodies, other recordings, other synthesis
parameters).

Writes under OUT_DIR: labels.csv (index,mid,display_name), {train,eval}/manifest.json (AST format),
{train,eval}/events.tsv (DCASE), {train,eval}/scenes.json, {train,eval}/clips/*.wav, sources.json
(every source and its split, for the model card) and sources/ (rendered sources, reused next time).
The sources are the same for every seed; the seed chooses the scenes; the same seed gives the same bytes.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m train.corpus",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Needs the Debian packages espeak-ng, fluidsynth, fluidr3mono-gm-soundfont, timgm6mb-soundfont "
        "and sound-theme-freedesktop.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="folder to write the corpus to (created)")
    parser.add_argument("--train-scenes", type=int, default=2000, metavar="N", help="training scenes (default 2000)")
    parser.add_argument("--eval-scenes", type=int, default=400, metavar="M", help="held-out scenes (default 400)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="chooses the scenes (default 0)")
    parser.add_argument(
        "--scene-seconds", type=float, default=10.0, metavar="SECONDS", help="scene length (default 10)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--real",
        nargs="?",
        const="default",
        metavar="TABLE",
        help="add real recordings from Debian packages (fetched with apt-get download into the cache) as listed "
        "in TABLE (default: the reviewed train/data/real_sources.tsv); classes they cover drop their synthesis",
    )
    args = parser.parse_args(argv)
    try:
        table = None if args.real is None or args.real == "default" else Path(args.real).read_text("utf-8")
        counts = build_corpus(
            args.out_dir,
            args.train_scenes,
            args.eval_scenes,
            args.seed,
            args.scene_seconds,
            not args.quiet,
            real_table=table or args.real,
        )
    except (RuntimeError, ValueError) as e:  # MissingDependencyError, a failed renderer, bad arguments
        print(f"python -m train.corpus: {e}", file=sys.stderr)
        return 2
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
