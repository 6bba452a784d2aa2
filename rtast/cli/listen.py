"""`rtast listen`: 1 or N streams through the detector, in a window (one stream) or the terminal."""

from __future__ import annotations

import argparse
import json
import sys

from rtast.cli.args import UserError
from rtast.cli.options import _check_tsv_names, _listen_config, _open_detector, _open_event_log
from rtast.paths import check_writable_file


def cmd_listen(args: argparse.Namespace) -> int:
    from rtast.engine import EngineUnreachable
    from rtast.listen import StreamRun
    from rtast.sinks import EventLog
    from rtast.sources import DeviceError

    _check_listen_flags(args)
    paths = args.input or [None]
    many = len(paths) > 1
    played, recorder = _reference(args, paths[0])
    detector = _open_detector(args)
    config = _listen_config(args)
    sources = [_open_source(args, path) for path in paths]
    no_window = "several streams" if many else _no_window_reason(args)
    prefixes = [f"#{i + 1} " if many else "" for i in range(len(paths))]
    sinks = [_stream_sinks(args, detector.labels, path, i, prefixes[i], no_window) for i, path in enumerate(paths)]
    event_logs = [s for stream_sinks in sinks for s in stream_sinks if isinstance(s, EventLog)]
    if recorder is not None:
        sinks[0].append(recorder)
    _announce(args, detector, sources, config, no_window, sinks)
    if no_window is None:
        stats, error = _run_window(args, detector, config, sources[0], sinks[0], played)
        all_stats, batch_sizes = [stats], []
        if error is not None:  # the window showed it; the exit status says it too
            _print_summary(stats)
            print(f"rtast listen: error: {error}", file=sys.stderr)
            return 1
    else:
        # a server batches the streams' windows itself (and keeps their frame scores)
        run = StreamRun(detector, sources, sinks, config, _batcher() if many and not args.server else None)
        try:
            all_stats, batch_sizes = run.run(), run.batch_sizes
        except (DeviceError, EngineUnreachable) as e:
            for prefix, stats in zip(prefixes, run.stats, strict=True):
                _print_summary(stats, prefix)
            print(f"rtast listen: error: {e}", file=sys.stderr)
            return 1
        finally:
            for stream_sinks in sinks:
                for sink in stream_sinks:
                    sink.close()
    for prefix, stats in zip(prefixes, all_stats, strict=True):
        _print_summary(stats, prefix)
    if batch_sizes:
        print(
            f"rtast listen: {sum(batch_sizes)} windows in {len(batch_sizes)} engine calls (mean batch "
            f"{sum(batch_sizes) / len(batch_sizes):.2f})",
            file=sys.stderr,
        )
    if recorder is not None:
        from rtast.reference import played_vs_detected

        print("rtast listen: played vs detected (--reference)", file=sys.stderr)
        for line in played_vs_detected(played, recorder.finished):
            print(f"    {line}", file=sys.stderr)
    if args.stats_json and not many:
        with open(args.stats_json, "w") as f:
            json.dump(all_stats[0].summary(), f, indent=2)
    stopped = max(s.stop_signal for s in all_stats)
    if stopped:
        return 128 + stopped
    return 1 if any(log.pending for log in event_logs) else 0


def _print_summary(stats, prefix: str = "") -> None:
    """The end-of-run line: "#2 rtast listen: end of input. ..." (the prefix names the stream of several)."""
    print(f"\n{prefix}rtast listen: {stats.describe()}", file=sys.stderr)


def _check_listen_flags(args: argparse.Namespace) -> None:
    """Refuse flag combinations before any model or audio is opened."""
    if args.realtime and not args.input:
        raise UserError("--realtime replays a file: use it with --input FILE")
    if args.stats_json:
        check_writable_file(args.stats_json, "--stats-json")
    _check_tsv_names(args, args.input or [])
    if args.server_model and not args.server:
        raise UserError("--server-model names a model on a server: use it with --server HOST:PORT")
    if args.input and len(args.input) > 1 and args.reference:
        raise UserError("--reference describes one stream: use it with one --input (or a microphone)")


def _reference(args: argparse.Namespace, path: str | None):
    """With --reference: what is played, and the sink that collects the finished events to compare."""
    if not args.reference:
        return None, None
    from rtast.reference import read_reference
    from rtast.sinks import EventCollector

    return read_reference(args.reference, path), EventCollector()


def _open_source(args: argparse.Namespace, path: str | None):
    from rtast.sources import DeviceError, FileSource, MicrophoneSource

    if path is not None:
        return FileSource(path, realtime=args.realtime)
    try:
        return MicrophoneSource(args.device)
    except DeviceError as e:
        raise UserError(
            f"{e}. Without a microphone, try `rtast demo` (a generated scene through the live path) "
            "or replay a file: rtast listen --input FILE --realtime"
        ) from e


def _no_window_reason(args: argparse.Namespace) -> str | None:
    """Why no desktop window opens (None: it does)."""
    if args.no_gui:
        return "--no-gui"
    from rtast.live.availability import gui_unavailable_reason

    reason = gui_unavailable_reason()
    if reason is not None:
        print(f"rtast listen: no window ({reason}); running in the terminal", file=sys.stderr)
    return reason


def _stream_sinks(args, labels: list[str], path: str | None, i: int, prefix: str, no_window: str | None) -> list:
    """One stream's sinks: the terminal display (without a window) and its part of the --events log."""
    from rtast.sinks import TerminalDisplay

    display = sys.stderr if args.events == "-" else sys.stdout  # '-': stdout carries the events and nothing else
    sinks = [] if args.quiet or no_window is None else [TerminalDisplay(labels, args.top_k, display, prefix)]
    event_log = _open_event_log(args, source=path or "", header=i == 0)  # one TSV header for all streams
    if event_log is not None:
        sinks.append(event_log)
    return sinks


def _announce(args, detector, sources: list, config, no_window: str | None, sinks: list[list]) -> None:
    from rtast.sinks import FRAME_TIMING_LEGEND, TIMING_LEGEND, TerminalDisplay

    if len(sources) > 1:
        print(
            f"rtast listen: {len(sources)} streams ({', '.join(args.input)}); {detector.name}; windows batched "
            f"{'by the server' if args.server else 'through one engine'}; Ctrl-C stops",
            file=sys.stderr,
        )
        return
    print(
        f"rtast listen: {sources[0].description}; {detector.name}; hop {config.hop_for(detector.frontend):g} s; "
        + ("Ctrl-C stops" if no_window else "close the window (or Ctrl-C) to stop"),
        file=sys.stderr,
    )
    if any(isinstance(sink, TerminalDisplay) for sink in sinks[0]):
        legend = TIMING_LEGEND if getattr(detector.engine, "step_spans", None) is None else FRAME_TIMING_LEGEND
        print(f"rtast listen: {legend}", file=sys.stderr)


def _run_window(args, detector, config, source, sinks: list, played):
    """One stream in the desktop window: its stats, and the error that ended it (or None)."""
    from rtast.live.app import run_gui
    from rtast.live.inputs import InputChoice
    from rtast.live.runner import LiveSetup

    setup = LiveSetup(detector, config, sinks=sinks, top_k=args.top_k, reference=tuple(played or ()))
    path = args.input[0] if args.input else None
    choice = InputChoice.file(path, args.realtime) if path else InputChoice.microphone(source.device)
    try:
        result = run_gui(setup, choice, source)
    finally:
        for sink in sinks:
            sink.close()
    return result.stats, result.error


def _batcher():
    """Several streams share one engine whose calls batch their windows."""
    from rtast.engines.batching import BatchingEngine

    return lambda engine, streams: BatchingEngine(engine, max_batch=streams)
