"""The ``rtast`` command line: argument parsing only; every command calls into the library."""

from __future__ import annotations

import sys

from rtast.cli.args import UserError
from rtast.cli.parser import build_parser
from rtast.paths import OutputPathError

__all__ = ["UserError", "build_parser", "entry", "main"]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    from rtast.audiofile import AudioFileError
    from rtast.configs import ConfigError
    from rtast.devices import DeviceSpecError
    from rtast.engine import BackendUnavailable
    from rtast.engines.metadata import EngineError
    from rtast.evaluate import EvaluationError
    from rtast.importers import CheckpointImportError
    from rtast.modelfile import ModelFileError
    from rtast.sources import DeviceError

    try:
        return args.func(args)
    except (
        UserError,
        ConfigError,
        BackendUnavailable,
        ModelFileError,
        CheckpointImportError,
        AudioFileError,
        DeviceError,
        EngineError,
        OutputPathError,
        DeviceSpecError,
        EvaluationError,
    ) as e:
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
