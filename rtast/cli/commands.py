"""The commands besides listen and demo: tag, import-checkpoint, devices, build-engine, export-triton, serve, evaluate,
models, info."""

from __future__ import annotations

import argparse
import json
import sys

from rtast.cli.args import UserError
from rtast.cli.options import (
    _check_tsv_names,
    _event_config,
    _load_model_file,
    _model_path,
    _open_detector,
    _open_event_log,
)
from rtast.paths import check_writable_file


def _format_top(pairs: list[tuple[str, float]]) -> str:
    return "  ".join(f"{label} {score:.3f}" for label, score in pairs)


def cmd_tag(args: argparse.Namespace) -> int:
    from rtast.audiofile import AudioFileError
    from rtast.tagging import TagConfig, file_events, tag_record, top_k

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

    failures = 0
    try:
        for path in args.files:

            def on_window(ws, path=path) -> None:
                if args.json:
                    window = tag_record(
                        "window",
                        path,
                        ws.scores,
                        labels,
                        config.top_k,
                        start=round(ws.t_start, 3),
                        end=round(ws.t_end, 3),
                    )
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
                print(json.dumps(tag_record("file", path, result.scores, labels, config.top_k, **fields)), file=out)
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
    from rtast.hub import fetch_hub_snapshot, is_hub_id
    from rtast.importers import import_checkpoint
    from rtast.labels import read_labels
    from rtast.modelfile import save_model_file

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
    from rtast.sources import list_input_devices

    devices = list_input_devices()
    if not devices:
        print("no audio input devices found (no microphone?); `rtast listen --input FILE` replays a file instead")
        return 1
    print(f"{'index':>5}  {'channels':>8}  {'rate':>6}  {'host API':<12} name")
    for d in devices:
        mark = " (default)" if d.is_default else ""
        print(f"{d.index:>5}  {d.channels:>8}  {d.default_rate:>6}  {d.hostapi:<12} {d.name}{mark}")
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

    from rtast.fbank import window_input
    from rtast.modelfile import load_model_file
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


def cmd_serve(args: argparse.Namespace) -> int:
    from rtast.engines.serve import ServeConfig, check_ports_free, log_path, serve
    from rtast.listener import STOP_SIGNALS

    config = ServeConfig(args.host, args.port, args.name, args.max_batch, args.max_queue_delay_us, args.log)
    check_ports_free(config)  # before the model loads, which takes a while
    detector = _open_detector(args)
    address = f"{config.host}:{config.port}"
    print(
        f"rtast serve: {detector.name} as {config.name!r} at http://{address} (gRPC {config.port + 1}, metrics "
        f"{config.port + 2}), up to {config.max_batch} windows per call; tritonserver log {log_path(config)}",
        file=sys.stderr,
        flush=True,
    )

    def ready() -> None:
        print(f"rtast serve: ready for `rtast listen --server {address}`; Ctrl-C or SIGTERM stops", file=sys.stderr)
        sys.stderr.flush()

    stopped = serve(detector, config, ready)
    print(f"rtast serve: {STOP_SIGNALS.get(stopped, 'stopped')}; the server is down", file=sys.stderr)
    return 128 + stopped if stopped else 0


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
