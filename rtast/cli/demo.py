"""`rtast demo`: a generated scene through `rtast listen`'s path, compared with what was played."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rtast.cli.listen import cmd_listen


def cmd_demo(args: argparse.Namespace) -> int:
    from rtast.demo import write_scene
    from rtast.reference import write_reference

    with tempfile.TemporaryDirectory() as tmp:
        scene, reference = Path(tmp) / "rtast-demo-scene.wav", Path(tmp) / "played.tsv"
        played = write_scene(scene, args.seed)
        write_reference(reference, played, scene.name)
        print("rtast demo: playing a generated scene through the live path; it contains", file=sys.stderr)
        for e in played:
            print(f"    {e.onset:5.1f}-{e.offset:5.1f} s  {e.label}", file=sys.stderr)
        return cmd_listen(demo_listen_options(args, scene, reference))


def demo_listen_options(args: argparse.Namespace, scene: Path, reference: Path) -> argparse.Namespace:
    """`rtast listen --input SCENE --hop 0.5 --reference TSV` with the demo's flags, and listen's defaults
    (taken from listen's own parser, so that a new listen flag reaches the demo with its default)."""
    from rtast.cli.parser import build_parser

    options = build_parser().parse_args(["listen"])
    vars(options).update(
        input=[str(scene)],
        realtime=not args.fast,
        reference=str(reference),
        model=args.model,
        hop=0.5,
        threshold=args.threshold,
        no_gui=args.no_gui,
    )
    return options
