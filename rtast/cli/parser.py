"""The argument parser of every command: flags and --help texts."""

from __future__ import annotations

import argparse

from rtast import __version__
from rtast.cli.args import (
    add_event_flags,
    add_model_flags,
    finite_float,
    non_negative_float,
    non_negative_int,
    port_number,
    positive_float,
    positive_int,
)
from rtast.cli.commands import (
    cmd_build_engine,
    cmd_devices,
    cmd_evaluate,
    cmd_export_triton,
    cmd_import,
    cmd_info,
    cmd_models,
    cmd_serve,
    cmd_tag,
)
from rtast.cli.demo import cmd_demo
from rtast.cli.listen import cmd_listen

EPILOG = "Run `rtast COMMAND --help` for the options of one command."


def command(sub, func, name: str, **texts) -> argparse.ArgumentParser:
    """A sub-command ``name`` that runs ``func(args)``; ``texts``: its help and description."""
    parser = sub.add_parser(name, **texts)
    parser.set_defaults(func=func)
    return parser


HOP_DEFAULT = "a sixth of the model's window, between 0.25 and 1 s: 0.5 s for the shipped model, 1 s for AudioSet's"


def setting(parser, flags: str | tuple[str, ...], kind, default, text: str, unit: str = "", note: str = "", **extra):
    """An option taking one value, checked by ``kind`` (see args.py; None: any text); --help names its default,
    in ``unit``, and after it ``note``."""
    flags = (flags,) if isinstance(flags, str) else flags
    shown = "%(default)s" + (f" {unit}" if unit else "") + (f"; {note}" if note else "")
    parser.add_argument(*flags, type=kind, default=default, help=f"{text} (default: {shown})", **extra)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rtast",
        description="Real-time sound event detection with the Audio Spectrogram Transformer.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"rtast {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    tag = command(
        sub,
        cmd_tag,
        "tag",
        help="label audio files offline (sliding windows, top labels per window and per file)",
        description="Label audio files of any length, sample rate and channel count. Audio is mixed to "
        "mono, resampled to 16 kHz, cut into the model's windows (10 s for AudioSet models) every --hop "
        "seconds and scored; the file's scores are the max (multi-label) or mean (single-label) over windows.",
    )
    tag.add_argument("files", nargs="+", metavar="FILE", help="audio files (WAV, FLAC, OGG, MP3, ...)")
    add_model_flags(tag)
    tag.add_argument(
        "--hop",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="seconds between window starts (default: half the model's window)",
    )
    setting(tag, ("-k", "--top-k"), positive_int, 5, "labels to show")
    tag.add_argument(
        "--json",
        action="store_true",
        help="print JSON lines: one object per window and per file, with every label's score",
    )
    tag.add_argument("--windows", action="store_true", help="table output: also list every window")
    setting(tag, "--batch-size", positive_int, 4, "windows per inference call")
    tag.add_argument(
        "--reduce",
        choices=["auto", "max", "mean"],
        default="auto",
        help="how window scores become file scores (default: max for multi-label models, else mean)",
    )
    add_event_flags(tag)
    tag.add_argument(
        "--event-hop",
        type=positive_float,
        metavar="SECONDS",
        help=f"with --events: seconds between the windows the event detector scores, like listen's --hop "
        f"(default: {HOP_DEFAULT})",
    )

    imp = command(
        sub,
        cmd_import,
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

    listen = command(
        sub,
        cmd_listen,
        "listen",
        help="label live audio from a microphone (or replay a file) and log sound events",
        description="Capture audio (PortAudio, the device's native rate, mixed to mono and resampled to 16 kHz), "
        "score the last window (10 s for AudioSet models) every --hop seconds, print the top labels and log "
        "onset/offset events. Before one full window exists, the audio so far is scored after silence. If "
        "inference falls behind, windows are skipped and counted. Ctrl-C stops with a summary. A desktop window "
        "(top labels, spectrogram, event timeline, controls) opens when a display is available and PySide6 is "
        "installed (pip install 'rtast[gui]'); --no-gui keeps it in the terminal.",
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
    add_model_flags(listen)
    listen.add_argument(
        "--server",
        metavar="HOST:PORT",
        help="score windows on an inference server (`rtast serve`, or Triton serving `rtast export-triton`'s "
        "repository; its HTTP port) instead of in this process; labels, frontend and window come from the server",
    )
    listen.add_argument(
        "--server-model",
        metavar="NAME",
        help="with --server: the model's name on the server (default: rtast_ast)",
    )
    setting(
        listen,
        "--server-timeout",
        positive_float,
        10.0,
        "with --server: the longest wait for a connection or an answer before the server counts as lost",
        metavar="SECONDS",
    )
    listen.add_argument(
        "--hop",
        type=positive_float,
        metavar="SECONDS",
        help=f"seconds between windows (default: {HOP_DEFAULT}); shorter answers sooner and costs more",
    )
    add_event_flags(listen)
    setting(listen, ("-k", "--top-k"), positive_int, 5, "labels shown per window")
    listen.add_argument(
        "--duration", type=positive_float, default=None, metavar="SECONDS", help="stop after this many seconds of audio"
    )
    listen.add_argument("--quiet", action="store_true", help="do not print windows (events still go to --events)")
    listen.add_argument(
        "--no-gui", action="store_true", help="run in the terminal even when a desktop window could open"
    )
    listen.add_argument("--stats-json", metavar="FILE", help="write the end-of-run summary as JSON to FILE")
    listen.add_argument(
        "--reference",
        metavar="TSV",
        help="what is being played, as a DESED table (filename onset offset event_label): drawn under the detected "
        "events in the window, and compared with them at the end",
    )

    serve = command(
        sub,
        cmd_serve,
        "serve",
        help="serve a model to many `rtast listen --server` clients through NVIDIA Triton (PyTriton)",
        description="Run the model (or a compiled engine) behind a real Triton Inference Server (PyTriton's "
        "tritonserver), whose dynamic batcher scores the windows of every client together. Clients keep capture, "
        "resampling, fbank and events; they read labels, frontend and window length from the server. HTTP on "
        "--port (health: /v2/health/ready, /v2/models/NAME/ready), gRPC on PORT+1, metrics on PORT+2. Needs "
        "PyTriton in a venv made with the system's Python: bash scripts/setup-serve.sh. Ctrl-C or SIGTERM stops.",
    )
    add_model_flags(serve)
    serve.add_argument(
        "--device",
        dest="device_type",
        metavar="DEVICE",
        help="where the model runs: cpu or cuda[:N] (default: cpu; an engine: its own)",
    )
    setting(serve, "--host", None, "127.0.0.1", "address to listen on", note="0.0.0.0 for other machines")
    setting(serve, "--port", port_number, 8000, "HTTP port clients name", note="gRPC on PORT+1, metrics on PORT+2")
    setting(serve, "--name", None, "rtast_ast", "the model's name on the server")
    setting(serve, "--max-batch", positive_int, 16, "most windows per engine call, across clients")
    setting(
        serve,
        "--max-queue-delay-us",
        non_negative_int,
        2000,
        "how long the server holds a request to fill a batch",
        "us",
    )
    serve.add_argument(
        "--log", metavar="FILE", help="tritonserver's log (default: rtast-serve-PORT.log in the temp folder)"
    )

    demo = command(
        sub,
        cmd_demo,
        "demo",
        help="play a generated scene through the live path (no microphone needed)",
        description="Generate a ~20-s scene (siren, busy tone, speech if espeak-ng is installed, noise), "
        "replay it at real-time speed through the same path as `rtast listen` (the window too when a display "
        "exists, with what was played drawn under what was detected) and compare the two at the end.",
    )
    demo.add_argument("--model", help="rtast model file (default: the model shipped with rtast)")
    setting(demo, "--threshold", finite_float, 0.5, "score that starts an event")
    demo.add_argument("--fast", action="store_true", help="as fast as possible instead of real time")
    demo.add_argument("--no-gui", action="store_true", help="stay in the terminal")
    demo.add_argument("--seed", type=int, default=0)

    command(
        sub,
        cmd_devices,
        "devices",
        help="list audio input devices",
        description="List PortAudio input devices: index, channels, default rate, name.",
    )

    build = command(
        sub,
        cmd_build_engine,
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
    setting(build, "--max-batch", positive_int, 8, "largest batch the engine accepts")
    setting(build, "--device", None, "cpu", "cpu or cuda[:N]")
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

    triton = command(
        sub,
        cmd_export_triton,
        "export-triton",
        help="write an NVIDIA Triton Inference Server model repository entry",
        description="Export the model as ONNX (onnxruntime backend) or a TensorRT plan with config.pbtxt "
        "(dynamic batching, input 'features' [frames, bins], output 'scores' [classes] with labels.txt). "
        "Clients compute the fbank themselves with the frontend in rtast.json.",
    )
    triton.add_argument("model", help="rtast model file or hub id (see `rtast models`)")
    triton.add_argument("-o", "--output", required=True, help="model repository folder")
    setting(triton, "--name", None, "rtast_ast", "model name in the repository")
    triton.add_argument("--backend", default="onnx", choices=["onnx", "tensorrt"])
    triton.add_argument("--precision", choices=["fp32", "fp16", "int8"])
    triton.add_argument("--max-batch", type=positive_int, default=32)
    setting(triton, "--max-queue-delay-us", non_negative_int, 2000, "how long Triton waits to fill a batch", "us")
    setting(triton, "--instances", positive_int, 1, "model instances")

    ev = command(
        sub,
        cmd_evaluate,
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
    setting(ev, "--collar", positive_float, 0.2, "event-based onset/offset collar in seconds")
    setting(
        ev,
        "--offset-fraction",
        non_negative_float,
        0.2,
        "offset collar as a fraction of the reference length, if larger than --collar",
    )
    setting(ev, "--segment", positive_float, 1.0, "segment length for segment-based F1", "s")
    ev.add_argument("--json", action="store_true", help="print the full report as JSON")

    models = command(
        sub,
        cmd_models,
        "models",
        help="list the published AST checkpoints rtast knows, and what of them is cached",
        description="List the published AST checkpoints: Hugging Face ids (usable as --model NAME anywhere; "
        "fetched with huggingface_hub into its cache, converted once) and the official .pth files with their "
        "addresses (convert with rtast import-checkpoint).",
    )
    models.add_argument("--json", action="store_true", help="print the list as JSON")

    info = command(
        sub, cmd_info, "info", help="describe a model file", description="Print a model file's configuration."
    )
    info.add_argument("model", nargs="?", help="rtast model file or hub id (default: the shipped model)")
    return parser
