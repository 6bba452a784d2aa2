"""argparse value types, the flags tag and listen share, and the error a user can fix."""

from __future__ import annotations

import argparse
import math


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def positive_float(text: str) -> float:
    """argparse type: a finite number above 0 (``inf`` and ``nan`` are refused)."""
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    """argparse type: a finite number of at least 0."""
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of at least 0, got {text!r}")
    return value


def finite_float(text: str) -> float:
    """argparse type: a finite number."""
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: a whole number of at least 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {text!r}")
    return value


def port_number(text: str) -> int:
    """argparse type: a TCP port from 1 to 65533 (the server also takes the next two)."""
    value = int(text)
    if not 0 < value < 65534:
        raise argparse.ArgumentTypeError(f"must be a port from 1 to 65533, got {text!r}")
    return value


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    """--model and --engine, the same wherever a detector runs here (tag, listen, serve)."""
    parser.add_argument(
        "--model",
        help="rtast model file or hub id (org/name[@revision], see `rtast models`; default: the model shipped "
        "with rtast); with --engine, the model the engine must have been built from",
    )
    parser.add_argument("--engine", help="engine file from `rtast build-engine` (instead of the eager model)")


def add_event_flags(parser: argparse.ArgumentParser) -> None:
    """The event log and detector flags, the same for tag and listen."""
    parser.add_argument(
        "--events",
        metavar="FILE",
        help="append events to FILE, flushed per event: DCASE/DESED TSV (filename onset offset event_label) "
        "if FILE ends in .tsv, else JSON lines; '-' for stdout, which then carries nothing else",
    )
    parser.add_argument(
        "--events-format",
        choices=["auto", "jsonl", "tsv"],
        default="auto",
        help="event file format (default: auto, by the file name; JSON lines for '-')",
    )
    parser.add_argument("--threshold", type=finite_float, default=0.5, help="score that starts an event (default: 0.5)")
    parser.add_argument(
        "--release", type=finite_float, default=None, help="score below which an event ends (default: 0.8 x threshold)"
    )
    parser.add_argument(
        "--smoothing",
        choices=["median", "ema", "none"],
        default="median",
        help="per-class score smoothing over windows (default: median of 3)",
    )
    parser.add_argument(
        "--min-duration",
        type=non_negative_float,
        default=0.0,
        metavar="SECONDS",
        help="report events only once they have lasted this long (default: 0)",
    )
