"""What several commands build from their flags: the detector, the event log and configs."""

from __future__ import annotations

import argparse

from rtast.cli.args import UserError
from rtast.paths import check_writable_file


def _model_path(model: str | None) -> str | None:
    """A local model path, or the converted model file of a hub id (fetched if needed)."""
    from rtast.detector import model_path_for

    return None if model is None else str(model_path_for(model))


def _load_model_file(model: str | None):
    from rtast.detector import model_path_for
    from rtast.modelfile import load_model_file

    return load_model_file(model_path_for(model))


def _open_detector(args: argparse.Namespace):
    """The Detector of --server, --engine or --model (or the shipped model): rtast's front door."""
    from rtast.detector import open as open_detector

    server = getattr(args, "server", None)
    if server is not None and (args.model or getattr(args, "engine", None)):
        raise UserError("--server runs the server's model: leave out --model and --engine")
    return open_detector(
        args.model,
        getattr(args, "engine", None),
        getattr(args, "device_type", None),
        server,
        getattr(args, "server_model", None),
        getattr(args, "server_timeout", None),
    )


def _open_event_log(args: argparse.Namespace, source: str = "", header: bool = True):
    """The --events log (None without --events); refuses unwritable paths before any audio is read."""
    from rtast.sinks import EventLog

    if not args.events:
        return None
    if args.events != "-":
        check_writable_file(args.events, "--events")
    return EventLog(args.events, source=source, fmt=args.events_format, header=header)


def _check_tsv_names(args: argparse.Namespace, paths: list[str]) -> None:
    """A TSV names files by base name (as DESED does): two inputs must not share one."""
    from rtast.sinks import event_format, tsv_filename

    if not args.events or event_format(args.events, args.events_format) != "tsv":
        return
    seen: dict[str, str] = {}
    for path in paths:
        name = tsv_filename(path)
        if name in seen and seen[name] != path:
            raise UserError(f"{seen[name]} and {path} share the name {name!r}, which the events TSV uses as filename")
        seen[name] = path


def _event_config(args: argparse.Namespace):
    """EventConfig from the event flags shared by tag and listen."""
    from rtast.events import EventConfig

    return EventConfig(
        threshold=args.threshold, release=args.release, smoothing=args.smoothing, min_duration=args.min_duration
    )


def _listen_config(args: argparse.Namespace):
    """ListenConfig (with its EventConfig) from listen's flags."""
    from rtast.listener import ListenConfig

    return ListenConfig(hop_seconds=args.hop, max_seconds=args.duration, events=_event_config(args))
