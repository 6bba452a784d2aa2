"""The ``rtast`` command line: argument parsing only; every command calls into the library."""

from __future__ import annotations

import sys

from rtast.cli.args import UserError
from rtast.cli.parser import build_parser
from rtast.cli.run import run_command
from rtast.paths import OutputPathError

__all__ = ["UserError", "build_parser", "entry", "main"]


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser(), argv, "rtast", expected_errors, quiet=(BrokenPipeError,))


def expected_errors() -> tuple[type[Exception], ...]:
    """The errors a user can fix, each printed as one line with status 2."""
    from rtast.audiofile import AudioFileError
    from rtast.configs import ConfigError
    from rtast.devices import DeviceSpecError
    from rtast.engine import BackendUnavailable, EngineUnreachable
    from rtast.engines.metadata import EngineError
    from rtast.engines.serve import ServeError
    from rtast.evaluate import EvaluationError
    from rtast.importers import CheckpointImportError
    from rtast.modelfile import ModelFileError
    from rtast.sources import DeviceError

    return (
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
        EngineUnreachable,
        ServeError,
    )


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
