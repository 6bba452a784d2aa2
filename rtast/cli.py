"""The ``rtast`` command line: argument parsing only; every command calls into the library."""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

from rtast import __version__
from rtast.paths import OutputPathError, check_writable_file

EPILOG = "Run `rtast COMMAND --help` for the options of one command."


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


def _model_path(model: str | None) -> str | None:
    """A local model path, or the converted model file of a hub id (fetched if needed)."""
    from rtast.detector import model_path_for

    return None if model is None else str(model_path_for(model))


def _load_model_file(model: str | None):
    from rtast.checkpoints import load_model_file
    from rtast.detector import model_path_for

    return load_model_file(model_path_for(model))


def _open_detector(args: argparse.Namespace):
    """The Detector of --engine or --model (or the shipped model): rtast's front door."""
    from rtast.detector import open as open_detector

    return open_detector(args.model, getattr(args, "engine", None), getattr(args, "device_type", None))


def _format_top(pairs: list[tuple[str, float]]) -> str:
    return "  ".join(f"{label} {score:.3f}" for label, score in pairs)


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


def cmd_tag(args: argparse.Namespace) -> int:
    from rtast.audiofile import AudioFileError
    from rtast.tagging import TagConfig, file_events, top_k

    if args.events == "-" and args.json:
        raise UserError("--json and --events - both write to stdout; write the events to a file (e.g. --events ev.tsv)")
    _check_tsv_names(args, args.files)
    detector = _open_detector(args)
    engine, frontend, labels = detector.engine, detector.frontend, detector.labels
    config = TagConfig(hop_seconds=args.hop, top_k=args.top_k, batch_size=args.batch_size, reduce=args.reduce)
    tagger = detector.tagger(config)
    event_config = _event_config(args)
    out = sys.stderr if args.events == "-" else sys.stdout  # '-': stdout carries the events and nothing else
    event_log = _open_event_log(args)

    def record(kind: str, path: str, scores, **fields) -> dict:
        return {
            "type": kind,
            "file": path,
            **fields,
            "top": [{"label": lab, "score": round(s, 6)} for lab, s in top_k(scores, labels, config.top_k)],
            "scores": {lab: round(float(s), 6) for lab, s in zip(labels, scores, strict=True)},
        }

    failures = 0
    try:
        for path in args.files:

            def on_window(ws, path=path) -> None:
                if args.json:
                    window = record("window", path, ws.scores, start=round(ws.t_start, 3), end=round(ws.t_end, 3))
                    print(json.dumps(window), file=out)
                elif args.windows:
                    tops = _format_top(top_k(ws.scores, labels, config.top_k))
                    print(f"  {ws.t_start:8.2f}-{ws.t_end:<8.2f} {tops}", file=out)
                out.flush()

            if not args.json:
                print(path, file=out)
            try:
                result = tagger.tag_file(path, on_window)
                events = None
                if event_log is not None:
                    event_log.source = path
                    events = file_events(path, engine, frontend, labels, args.event_hop, event_config, event_log.event)
            except AudioFileError as e:
                failures += 1
                print(f"rtast tag: error: {e}", file=sys.stderr)
                continue
            if args.json:
                fields = {"duration": round(result.duration, 3), "windows": result.num_windows, "reduce": tagger.reduce}
                if events is not None:
                    fields["events"] = len(events)
                print(json.dumps(record("file", path, result.scores, **fields)), file=out)
            else:
                print(
                    f"  {result.duration:.2f} s, {result.num_windows} window(s), {tagger.reduce} over windows: "
                    f"{_format_top(top_k(result.scores, labels, config.top_k))}",
                    file=out,
                )
                if events is not None:
                    listed = ", ".join(f"{e.label} {e.onset:.1f}-{e.offset:.1f}" for e in events[:10])
                    more = f", ... ({len(events) - 10} more)" if len(events) > 10 else ""
                    print(f"  {len(events)} event(s){': ' + listed + more if events else ''}", file=out)
            out.flush()
    finally:
        if event_log is not None:
            event_log.close()
    if failures:
        print(f"rtast tag: {failures} of {len(args.files)} file(s) could not be tagged", file=sys.stderr)
    return 1 if failures or (event_log is not None and event_log.pending) else 0


def cmd_import(args: argparse.Namespace) -> int:
    from rtast.checkpoints import save_model_file
    from rtast.hub import fetch_hub_snapshot, is_hub_id
    from rtast.importers import import_checkpoint
    from rtast.labels import read_labels

    check_writable_file(args.output, "-o/--output")
    labels = read_labels(args.labels) if args.labels else None
    src = fetch_hub_snapshot(args.src)[0] if is_hub_id(args.src) else args.src
    model_file = import_checkpoint(
        src,
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


def cmd_devices(args: argparse.Namespace) -> int:
    from rtast.audio import list_input_devices

    devices = list_input_devices()
    if not devices:
        print("no audio input devices found (no microphone?); `rtast listen --input FILE` replays a file instead")
        return 1
    print(f"{'index':>5}  {'channels':>8}  {'rate':>6}  {'host API':<12} name")
    for d in devices:
        mark = " (default)" if d.is_default else ""
        print(f"{d.index:>5}  {d.channels:>8}  {d.default_rate:>6}  {d.hostapi:<12} {d.name}{mark}")
    return 0


def _print_summary(stats, prefix: str = "") -> None:
    s = stats.summary()
    print(
        f"\n{prefix}rtast listen: {s['stopped_by']}. {s['audio_seconds']:.1f} s of audio in {s['wall_seconds']:.1f} s; "
        f"{s['windows']} windows, {s['skipped_windows']} skipped, {s['events']} events; "
        f"{s['overflows']} overflows, {s['dropped_frames']} dropped frames; "
        f"latency p50 {s['latency_ms_p50']:.0f} ms, p95 {s['latency_ms_p95']:.0f} ms; "
        f"real-time factor {s['real_time_factor']:.3f}",
        file=sys.stderr,
    )


def cmd_listen(args: argparse.Namespace) -> int:
    from rtast.audio import DeviceError, FileSource, MicrophoneSource
    from rtast.sinks import TerminalDisplay
    from rtast.stream import run_until_interrupted

    if args.realtime and not args.input:
        raise UserError("--realtime replays a file: use it with --input FILE")
    if args.stats_json:
        check_writable_file(args.stats_json, "--stats-json")
    _check_tsv_names(args, args.input or [])
    if args.input and len(args.input) > 1:
        if args.reference:
            raise UserError("--reference describes one stream: use it with one --input (or a microphone)")
        return _listen_many(args)
    args.input = args.input[0] if args.input else None
    played, recorder = None, None  # with --reference: what is played, and the finished events to compare
    if args.reference:
        from rtast.reference import read_reference
        from rtast.sinks import EventCollector

        played, recorder = read_reference(args.reference, args.input), EventCollector()
    detector = _open_detector(args)
    config = _listen_config(args)
    if args.input:
        source = FileSource(args.input, realtime=args.realtime)
    else:
        try:
            source = MicrophoneSource(args.device)
        except DeviceError as e:
            raise UserError(
                f"{e}. Without a microphone, try `rtast demo` (a generated scene through the live path) "
                "or replay a file: rtast listen --input FILE --realtime"
            ) from e
    no_window = "--no-gui" if args.no_gui else None
    if no_window is None:
        from rtast.live.availability import gui_unavailable_reason

        no_window = gui_unavailable_reason()
        if no_window is not None:
            print(f"rtast listen: no window ({no_window}); running in the terminal", file=sys.stderr)
    display = sys.stderr if args.events == "-" else sys.stdout  # '-': stdout carries the events and nothing else
    sinks = [] if args.quiet or no_window is None else [TerminalDisplay(detector.labels, args.top_k, stream=display)]
    event_log = _open_event_log(args, source=str(args.input or ""))
    if event_log is not None:
        sinks.append(event_log)
    if recorder is not None:
        sinks.append(recorder)
    print(
        f"rtast listen: {source.description}; {detector.name}; hop {config.hop_seconds:g} s; "
        + ("Ctrl-C stops" if no_window else "close the window (or Ctrl-C) to stop"),
        file=sys.stderr,
    )
    if any(isinstance(sink, TerminalDisplay) for sink in sinks):
        from rtast.sinks import FRAME_TIMING_LEGEND, TIMING_LEGEND

        legend = TIMING_LEGEND if getattr(detector.engine, "step_spans", None) is None else FRAME_TIMING_LEGEND
        print(f"rtast listen: {legend}", file=sys.stderr)
    if no_window is None:
        from rtast.live.app import run_gui
        from rtast.live.inputs import InputChoice
        from rtast.live.runner import LiveSetup

        setup = LiveSetup(
            detector,
            config,
            sinks=sinks,
            top_k=args.top_k,
            reference=tuple(played or ()),
        )
        choice = InputChoice.file(args.input, args.realtime) if args.input else InputChoice.microphone(source.device)
        try:
            result = run_gui(setup, choice, source)
        finally:
            for sink in sinks:
                sink.close()
        stats = result.stats
        if result.error is not None:  # the window showed it; the exit status says it too
            _print_summary(stats)
            print(f"rtast listen: error: {result.error}", file=sys.stderr)
            return 1
    else:
        listener = detector.listener(source, sinks, config)
        try:
            stats = run_until_interrupted(listener)
        except DeviceError as e:
            _print_summary(listener.stats)
            print(f"rtast listen: error: {e}", file=sys.stderr)
            return 1
        finally:
            for sink in sinks:
                sink.close()
    _print_summary(stats)
    if recorder is not None:
        from rtast.reference import played_vs_detected

        print("rtast listen: played vs detected (--reference)", file=sys.stderr)
        for line in played_vs_detected(played, recorder.finished):
            print(f"    {line}", file=sys.stderr)
    if args.stats_json:
        with open(args.stats_json, "w") as f:
            json.dump(stats.summary(), f, indent=2)
    if stats.stop_signal:
        return 128 + stats.stop_signal
    if event_log is not None and event_log.pending:
        return 1
    return 0


def cmd_build_engine(args: argparse.Namespace) -> int:
    from rtast.engines.build import build_engine

    args.model = _model_path(args.model)
    calibration = None
    if args.calibration:
        calibration = _calibration_windows(args.model, args.calibration)
    path, meta = build_engine(
        args.model,
        args.backend,
        args.precision,
        args.max_batch,
        args.output,
        args.device,
        calibration,
        prepare_only=args.prepare_only,
    )
    print(
        f"wrote {path} ({meta.backend}, {meta.precision}, batch 1-{meta.max_batch}, {meta.device_name}) and {path}.json"
    )
    return 0


def _calibration_windows(model: str, files: list[str]):
    """Normalised model windows of real audio files, for INT8 calibration."""
    import torch

    from rtast.checkpoints import load_model_file
    from rtast.fbank import window_input
    from rtast.windows import windows_of_file

    frontend = load_model_file(model).frontend
    hop = frontend.window_seconds / 2
    return torch.stack([window_input(w.frames, frontend) for f in files for w in windows_of_file(f, frontend, hop)])


def cmd_export_triton(args: argparse.Namespace) -> int:
    from rtast.engines.triton import export_triton

    folder = export_triton(
        _model_path(args.model),
        args.output,
        args.name,
        args.backend,
        args.precision,
        args.max_batch,
        args.max_queue_delay_us,
        args.instances,
    )
    print(
        f"wrote Triton model {folder} (config.pbtxt, labels.txt, rtast.json, 1/); serve with "
        f"tritonserver --model-repository {folder.parent}"
    )
    return 0


def _event_config(args: argparse.Namespace):
    """EventConfig from the event flags shared by tag and listen."""
    from rtast.events import EventConfig

    return EventConfig(
        threshold=args.threshold, release=args.release, smoothing=args.smoothing, min_duration=args.min_duration
    )


def _listen_config(args: argparse.Namespace):
    """ListenConfig (with its EventConfig) from listen's flags."""
    from rtast.stream import ListenConfig

    return ListenConfig(hop_seconds=args.hop, max_seconds=args.duration, events=_event_config(args))


def _listen_many(args: argparse.Namespace) -> int:
    """Several files at once, each its own stream, their windows batched through one engine."""
    from rtast.audio import FileSource
    from rtast.engines.batching import BatchingEngine
    from rtast.sinks import TerminalDisplay
    from rtast.stream import run_all_until_interrupted

    detector = _open_detector(args)
    labels, config = detector.labels, _listen_config(args)
    batching = BatchingEngine(detector.engine, max_batch=max(2, len(args.input)))
    batched = replace(detector, engine=batching)
    listeners, sinks = [], []
    display = sys.stderr if args.events == "-" else sys.stdout
    for i, path in enumerate(args.input):
        stream_sinks = [] if args.quiet else [TerminalDisplay(labels, args.top_k, stream=display, prefix=f"#{i + 1} ")]
        event_log = _open_event_log(args, source=path, header=i == 0)  # one TSV header for all streams
        if event_log is not None:
            stream_sinks.append(event_log)
        sinks += stream_sinks
        listeners.append(batched.listener(FileSource(path, realtime=args.realtime), stream_sinks, config))
    print(
        f"rtast listen: {len(listeners)} streams ({', '.join(args.input)}); {detector.name}; windows batched "
        "through one engine; Ctrl-C stops",
        file=sys.stderr,
    )
    try:
        all_stats = run_all_until_interrupted(listeners)
    finally:
        batching.close()
        for sink in sinks:
            sink.close()
    for i, stats in enumerate(all_stats):
        _print_summary(stats, prefix=f"#{i + 1} ")
    sizes = batching.batch_sizes
    if sizes:
        print(
            f"rtast listen: {sum(sizes)} windows in {len(sizes)} engine calls (mean batch "
            f"{sum(sizes) / len(sizes):.2f})",
            file=sys.stderr,
        )
    stopped = max(s.stop_signal for s in all_stats)
    return 128 + stopped if stopped else 0


def cmd_demo(args: argparse.Namespace) -> int:
    import tempfile

    from rtast.demo import write_scene
    from rtast.reference import write_reference

    with tempfile.TemporaryDirectory() as tmp:
        scene, reference = Path(tmp) / "rtast-demo-scene.wav", Path(tmp) / "played.tsv"
        played = write_scene(scene, args.seed)
        write_reference(reference, played, scene.name)
        print("rtast demo: playing a generated scene through the live path; it contains", file=sys.stderr)
        for e in played:
            print(f"    {e.onset:5.1f}-{e.offset:5.1f} s  {e.label}", file=sys.stderr)
        listen_args = build_parser().parse_args(
            ["listen", "--input", str(scene), "--hop", "0.5", "--reference", str(reference)]
            + ["--threshold", str(args.threshold)]
            + ([] if args.fast else ["--realtime"])
            + (["--model", args.model] if args.model else [])
            + (["--no-gui"] if args.no_gui else [])
        )
        return cmd_listen(listen_args)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from rtast.evaluate import evaluate, format_report, read_durations_tsv, read_events_tsv

    truth = read_events_tsv(args.truth, "truth")
    estimated = read_events_tsv(args.events, "events")
    durations = read_durations_tsv(args.durations) if args.durations else None
    report = evaluate(truth, estimated, durations, args.collar, args.offset_fraction, args.segment)
    if report["ignored_files"]:
        print(
            f"rtast evaluate: {len(report['ignored_files'])} file(s) of the events table are not in the truth "
            f"table and were not scored (e.g. {report['ignored_files'][0]})",
            file=sys.stderr,
        )
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from rtast.hub import describe_known_models

    models = describe_known_models()
    if args.json:
        print(json.dumps(models, indent=2))
        return 0
    print(f"{'name':<42} {'cached':>9}  what / address")
    for m in models:
        size = "-" if m["cached_bytes"] is None else f"{m['cached_bytes'] / 1e6:.0f} MB"
        print(f"{m['name']:<42} {size:>9}  {m['what']}\n{'':<54}{m['address']}")
    print("\nUse a hub name wherever a model is taken, e.g. rtast tag --model MIT/ast-finetuned-audioset-10-10-0.4593")
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


def _add_event_flags(parser: argparse.ArgumentParser) -> None:
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
    tag.add_argument(
        "--model",
        help="rtast model file or hub id (org/name[@revision], see `rtast models`; default: the model shipped "
        "with rtast); with --engine, the model the engine must have been built from",
    )
    tag.add_argument("--engine", help="engine file from `rtast build-engine` (instead of running the model eagerly)")
    tag.add_argument(
        "--hop",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="seconds between window starts (default: half the model's window)",
    )
    tag.add_argument("-k", "--top-k", type=positive_int, default=5, help="labels to show (default: 5)")
    tag.add_argument(
        "--json",
        action="store_true",
        help="print JSON lines: one object per window and per file, with every label's score",
    )
    tag.add_argument("--windows", action="store_true", help="table output: also list every window")
    tag.add_argument("--batch-size", type=positive_int, default=4, help="windows per inference call (default: 4)")
    tag.add_argument(
        "--reduce",
        choices=["auto", "max", "mean"],
        default="auto",
        help="how window scores become file scores (default: max for multi-label models, else mean)",
    )
    _add_event_flags(tag)
    tag.add_argument(
        "--event-hop",
        type=positive_float,
        default=1.0,
        metavar="SECONDS",
        help="with --events: seconds between the windows the event detector scores, as listen's --hop (default: 1.0)",
    )
    tag.set_defaults(func=cmd_tag)

    imp = sub.add_parser(
        "import-checkpoint",
        help="convert an official AST .pth or a Hugging Face AST directory into an rtast model file",
        description="Convert published AST weights into one self-describing rtast model file holding "
        "weights, model and frontend configuration, normalisation statistics and label names. "
        "Strides are read from official file names like audioset_10_10_0.4593.pth unless given.",
    )
    imp.add_argument(
        "src",
        help="official .pth file, a Hugging Face ASTForAudioClassification directory, or its hub id "
        "(org/name[@revision], e.g. MIT/ast-finetuned-audioset-10-10-0.4593)",
    )
    imp.add_argument("-o", "--output", required=True, help="model file to write (e.g. model.pt)")
    imp.add_argument("--fstride", type=positive_int, help="frequency patch stride of an official checkpoint")
    imp.add_argument("--tstride", type=positive_int, help="time patch stride of an official checkpoint")
    imp.add_argument("--input-tdim", type=positive_int, help="frames per window (default: inferred: 1024, 512 or 128)")
    imp.add_argument(
        "--num-heads", type=positive_int, help="attention heads of an official checkpoint (default: width / 64)"
    )
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
    imp.add_argument("--mean", type=finite_float, help="log-mel mean for normalisation (default: the dataset's)")
    imp.add_argument("--std", type=positive_float, help="log-mel std for normalisation (default: the dataset's)")
    imp.set_defaults(func=cmd_import)

    listen = sub.add_parser(
        "listen",
        help="label live audio from a microphone (or replay a file) and log sound events",
        description="Capture audio (PortAudio, the device's native rate, mixed to mono and resampled to 16 kHz), "
        "score the last window (10 s for AudioSet models) every --hop seconds, print the top labels and log "
        "onset/offset events. Before one full window exists, the audio so far is scored after silence. If "
        "inference falls behind, windows are skipped and counted. Ctrl-C stops with a summary. A desktop window "
        "(top labels, spectrogram, event timeline, controls) opens when a display is available; --no-gui keeps it "
        "in the terminal.",
    )
    where = listen.add_mutually_exclusive_group()
    where.add_argument(
        "--device",
        help="input device index or (part of its) name, e.g. 0 or pulse "
        "(default: the system default input; see `rtast devices`)",
    )
    where.add_argument(
        "--input",
        metavar="FILE",
        action="append",
        help="read this audio file instead of a microphone; repeat for several streams at once "
        "(their windows are batched through one engine)",
    )
    listen.add_argument(
        "--realtime", action="store_true", help="with --input: deliver the file at real-time speed, like a microphone"
    )
    listen.add_argument(
        "--model",
        help="rtast model file or hub id (org/name[@revision], see `rtast models`; default: the model shipped "
        "with rtast); with --engine, the model the engine must have been built from",
    )
    listen.add_argument("--engine", help="engine file from `rtast build-engine` (instead of the eager model)")
    listen.add_argument(
        "--hop", type=positive_float, default=1.0, metavar="SECONDS", help="seconds between windows (default: 1.0)"
    )
    _add_event_flags(listen)
    listen.add_argument("-k", "--top-k", type=positive_int, default=5, help="labels shown per window (default: 5)")
    listen.add_argument(
        "--duration", type=positive_float, default=None, metavar="SECONDS", help="stop after this many seconds of audio"
    )
    listen.add_argument("--quiet", action="store_true", help="do not print windows (events still go to --events)")
    listen.add_argument(
        "--no-gui",
        action="store_true",
        help="run in the terminal even when a desktop window could open (by default a window opens when a display "
        "is available and PySide6 is installed: pip install 'rtast[gui]')",
    )
    listen.add_argument("--stats-json", metavar="FILE", help="write the end-of-run summary as JSON to FILE")
    listen.add_argument(
        "--reference",
        metavar="TSV",
        help="what is being played, as a DESED table (filename onset offset event_label): drawn under the detected "
        "events in the window, and compared with them at the end",
    )
    listen.set_defaults(func=cmd_listen)

    demo = sub.add_parser(
        "demo",
        help="play a generated scene through the live path (no microphone needed)",
        description="Generate a ~20-s scene (siren, busy tone, speech if espeak-ng is installed, noise), "
        "replay it at real-time speed through the same path as `rtast listen` (the window too when a display "
        "exists, with what was played drawn under what was detected) and compare the two at the end.",
    )
    demo.add_argument("--model", help="rtast model file (default: the model shipped with rtast)")
    demo.add_argument("--threshold", type=finite_float, default=0.5, help="score that starts an event (default: 0.5)")
    demo.add_argument("--fast", action="store_true", help="as fast as possible instead of real time")
    demo.add_argument("--no-gui", action="store_true", help="stay in the terminal")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=cmd_demo)

    devices = sub.add_parser(
        "devices",
        help="list audio input devices",
        description="List PortAudio input devices: index, channels, default rate, name.",
    )
    devices.set_defaults(func=cmd_devices)

    build = sub.add_parser(
        "build-engine",
        help="compile a model file into an inference engine (TensorRT, AOTInductor, ONNX Runtime, torch)",
        description="Compile a model file into an engine for fast inference. The default backend is the one "
        "measured fastest for the device (docs/benchmarks.md): TensorRT fp16 (or AOTInductor) on NVIDIA GPUs, "
        "ONNX Runtime with int8 weights on CPUs (else eager torch, bf16 where the CPU has it). Metadata (labels, "
        "frontend, normalisation, source model hash, backend, library versions, device) is written beside the "
        "engine as FILE.json; listen/tag --engine read it and refuse stale or mismatched engines.",
    )
    build.add_argument("model", help="rtast model file or hub id (see `rtast models`)")
    build.add_argument("--backend", default="auto", choices=["auto", "torch", "aoti", "onnx", "tensorrt"])
    build.add_argument(
        "--precision",
        choices=["fp32", "bf16", "fp16", "int8"],
        help="numeric precision (default: the backend's best; fp32 where unsure)",
    )
    build.add_argument(
        "--max-batch", type=positive_int, default=8, help="largest batch the engine accepts (default: 8)"
    )
    build.add_argument("--device", default="cpu", help="cpu or cuda[:N] (default: cpu)")
    build.add_argument(
        "--calibration",
        nargs="+",
        metavar="AUDIO",
        help="real audio files for int8 calibration (tensorrt int8: required; onnx int8: static Q/DQ instead of "
        "dynamic)",
    )
    build.add_argument(
        "--prepare-only",
        action="store_true",
        help="tensorrt: write the TensorRT-ready ONNX (fp16 in the graph, or int8 Q/DQ calibrated on --calibration) "
        "and its metadata, then stop; needs neither TensorRT nor a GPU",
    )
    build.add_argument("-o", "--output", help="engine file (default: next to the model, named by backend)")
    build.set_defaults(func=cmd_build_engine)

    triton = sub.add_parser(
        "export-triton",
        help="write an NVIDIA Triton Inference Server model repository entry",
        description="Export the model as ONNX (onnxruntime backend) or a TensorRT plan with config.pbtxt "
        "(dynamic batching, input 'features' [frames, bins], output 'scores' [classes] with labels.txt). "
        "Clients compute the fbank themselves with the frontend in rtast.json.",
    )
    triton.add_argument("model", help="rtast model file or hub id (see `rtast models`)")
    triton.add_argument("-o", "--output", required=True, help="model repository folder")
    triton.add_argument("--name", default="rtast_ast", help="model name in the repository (default: rtast_ast)")
    triton.add_argument("--backend", default="onnx", choices=["onnx", "tensorrt"])
    triton.add_argument("--precision", choices=["fp32", "fp16", "int8"])
    triton.add_argument("--max-batch", type=positive_int, default=32)
    triton.add_argument(
        "--max-queue-delay-us",
        type=non_negative_int,
        default=2000,
        help="how long Triton waits to fill a batch (default: 2000 us)",
    )
    triton.add_argument("--instances", type=positive_int, default=1, help="model instances (default: 1)")
    triton.set_defaults(func=cmd_export_triton)

    ev = sub.add_parser(
        "evaluate",
        help="score detected events against a ground truth (event/segment F1 with sed_eval, PSDS)",
        description="Score an events table (DESED TSV: filename onset offset event_label, as written by "
        "`rtast tag/listen --events FILE.tsv`) against a ground-truth table in the same format: event-based and "
        "segment-based F1 per class, class-averaged and overall (sed_eval), and PSDS in DCASE task 4's two "
        "scenarios (sed_scores_eval; an events table is one operating point). Needs pip install 'rtast[eval]'.",
    )
    ev.add_argument("events", metavar="EVENTS.tsv", help="detected events")
    ev.add_argument("--truth", required=True, metavar="TRUTH.tsv", help="reference events (DESED TSV)")
    ev.add_argument(
        "--durations",
        metavar="DURATIONS.tsv",
        help="file durations (filename duration), as DESED ships them (default: each file ends at its last event)",
    )
    ev.add_argument(
        "--collar", type=positive_float, default=0.2, help="event-based onset/offset collar in seconds (default: 0.2)"
    )
    ev.add_argument(
        "--offset-fraction",
        type=non_negative_float,
        default=0.2,
        help="offset collar as a fraction of the reference length, if larger than --collar (default: 0.2)",
    )
    ev.add_argument(
        "--segment", type=positive_float, default=1.0, help="segment length for segment-based F1 (default: 1.0 s)"
    )
    ev.add_argument("--json", action="store_true", help="print the full report as JSON")
    ev.set_defaults(func=cmd_evaluate)

    models = sub.add_parser(
        "models",
        help="list the published AST checkpoints rtast knows, and what of them is cached",
        description="List the published AST checkpoints: Hugging Face ids (usable as --model NAME anywhere; "
        "fetched with huggingface_hub into its cache, converted once) and the official .pth files with their "
        "addresses (convert with rtast import-checkpoint).",
    )
    models.add_argument("--json", action="store_true", help="print the list as JSON")
    models.set_defaults(func=cmd_models)

    info = sub.add_parser("info", help="describe a model file", description="Print a model file's configuration.")
    info.add_argument("model", nargs="?", help="rtast model file or hub id (default: the shipped model)")
    info.set_defaults(func=cmd_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    from rtast.audio import DeviceError
    from rtast.audiofile import AudioFileError
    from rtast.checkpoints import ModelFileError
    from rtast.configs import ConfigError
    from rtast.devices import DeviceSpecError
    from rtast.engine import BackendUnavailable
    from rtast.engines.metadata import EngineError
    from rtast.evaluate import EvaluationError
    from rtast.importers import CheckpointImportError

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


if __name__ == "__main__":
    entry()
