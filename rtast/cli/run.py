"""The top of a command-line program: parse, call the command, turn expected errors into one line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

Errors = tuple[type[BaseException], ...]


def run_command(
    parser: argparse.ArgumentParser,
    argv: list[str] | None,
    prog: str,
    expected: Callable[[], Errors],
    interrupted: str = "interrupted",
    describe: Callable[[BaseException], str] = str,
    quiet: Errors = (),
) -> int:
    """Run the sub-command ``argv`` names (``args.func``); its return value is the exit status.

    No command: the help, status 2. An ``expected()`` error: ``PROG COMMAND: error: describe(e)`` on stderr,
    status 2. Ctrl-C: ``PROG COMMAND: interrupted``, status 130. A ``quiet`` error: status 0, nothing printed.
    ``expected`` is called only after parsing, so that ``--help`` imports none of the library.
    """
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    errors = expected()
    try:
        return args.func(args)
    except errors as e:
        print(f"{prog} {args.command}: error: {describe(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog} {args.command}: {interrupted}", file=sys.stderr)
        return 130
    except quiet:
        return 0
