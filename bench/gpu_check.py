"""GPU check: build and run every CUDA backend available here, compare each with eager fp32 on real audio
windows, time it, and print one table.

Runs as is on a bare machine with an NVIDIA GPU and the repository copied (rtast need not be installed;
soundfile, soxr and espeak-ng are not needed: the windows come from the speech, noise and chirp in
tests/data/fbank_reference.npz). A backend missing here (TensorRT, onnxruntime-gpu) is reported in the
table, never fatal.

Then the live path: the `rtast demo` scene (or --scene WAV with --reference TSV) replayed at real-time
speed through the streaming listener on the GPU engines (`--listen`, default aoti-fp16 and torch-fp32),
printing per-window latency and, per played event, the detection delay: the wall-clock seconds from the
moment its onset was played to the moment its onset event was reported. That stage needs soundfile and
soxr (carry their wheels to a bare machine).

    python bench/gpu_check.py [--model FILE | --preset base384] [--device cuda:0] [--repeat 20]
                              [--listen aoti-fp16 torch-fp32] [--scene WAV --reference TSV]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from rtast.engines import TorchEngine  # noqa: E402
from rtast.engines.build import build_engine, load_engine  # noqa: E402
from rtast.engines.metadata import library_versions  # noqa: E402
from rtast.fbank import FrontendConfig, model_input  # noqa: E402
from rtast.modelfile import ModelFile, default_model_path, load_model_file, save_model_file  # noqa: E402

CANDIDATES = [
    ("torch", "fp32"),
    ("torch", "fp16"),
    ("aoti", "fp32"),
    ("aoti", "fp16"),
    ("onnx", "fp32"),
    ("tensorrt", "fp32"),
    ("tensorrt", "fp16"),
    ("tensorrt", "int8"),
]
REFERENCE_AUDIO = ROOT / "tests" / "data" / "fbank_reference.npz"  # 16 kHz speech, noise, chirp, tone
SAMPLE_RATE = 16000


def reference_windows(frontend: FrontendConfig, count: int, hop_seconds: float = 0.25) -> torch.Tensor:
    """``count`` normalised model windows sliding over the committed real recordings (looped if short)."""
    data = np.load(REFERENCE_AUDIO)
    signal = np.concatenate([data[k] for k in ("speech_wave", "noise_wave", "chirp_wave", "tone_short_wave")])
    window = int(frontend.window_seconds * SAMPLE_RATE)
    hop = int(hop_seconds * SAMPLE_RATE)
    signal = np.tile(signal, 1 + (window + hop * count) // len(signal))
    crops = [torch.from_numpy(signal[i * hop : i * hop + window].copy()) for i in range(count)]
    return torch.stack([model_input(c, frontend) for c in crops]).float()


def top5_agreement(scores: torch.Tensor, reference: torch.Tensor) -> float:
    k = min(5, reference.shape[-1])
    pairs = zip(reference, scores, strict=True)
    return float(
        np.mean([len(set(r.topk(k).indices.tolist()) & set(s.topk(k).indices.tolist())) / k for r, s in pairs])
    )


def timed(run, x: torch.Tensor, repeat: int) -> float:
    """Median seconds per call after two warm-up calls (engines return CPU tensors: calls are synchronous)."""
    run(x)
    run(x)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run(x)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def model_file(args: argparse.Namespace, folder: Path) -> Path:
    """The shipped (trained) model, a given one, or a random-weight preset (for timing large models)."""
    if args.preset:
        from rtast.labels import audioset_labels
        from rtast.model import AST, preset

        torch.manual_seed(0)
        config = preset(args.preset, num_classes=527)
        path = folder / f"{args.preset}.pt"
        frontend = FrontendConfig(target_length=config.input_tdim, window_seconds=config.input_tdim / 100)
        save_model_file(path, ModelFile(config, frontend, audioset_labels(), AST(config).state_dict()))
        return path
    return Path(args.model) if args.model else default_model_path()


def check(backend: str, precision: str, path: Path, folder: Path, args, windows, reference) -> dict:
    """One row: build, load, compare, time; a failure becomes the row's status."""
    row = {"backend": backend, "precision": precision}
    try:
        t0 = time.perf_counter()
        calibration = windows if precision == "int8" else None
        out = folder / f"{backend}-{precision}"
        engine_path, _ = build_engine(path, backend, precision, args.batch, out, args.device, calibration)
        row["build_s"] = time.perf_counter() - t0
        engine, _ = load_engine(engine_path, args.device)
        scores = engine.run(windows)
        row["diff"] = (scores - reference).abs().max().item()
        row["top5"] = top5_agreement(scores, reference)
        row["p50_ms"] = timed(engine.run, windows[:1], args.repeat) * 1000
        big = windows.repeat(1 + args.batch // len(windows), 1, 1)[: args.batch]
        row["throughput"] = args.batch / timed(engine.run, big, max(3, args.repeat // 4))
        row["status"], row["engine"] = "ok", engine_path
    except Exception as e:  # a check script: every failure is a reported row, not a crash
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        missing = "not installed" in message or "no CUDA provider" in message
        row["status"] = f"not installed: {message[:100]}" if missing else f"failed: {message[:100]}"
    return row


class OnsetClock:
    """A sink that notes the wall-clock time each onset event is reported."""

    def __init__(self) -> None:
        self.onsets: list[tuple[str, float, float]] = []  # (label, onset in stream seconds, reported at Unix time)

    def window(self, result) -> None:
        pass

    def event(self, event) -> None:
        if event.offset is None:
            self.onsets.append((event.label, event.onset, time.time()))

    def close(self) -> None:
        pass


def live_delays(engine_path: Path, args, scene: Path, played: list) -> str:
    """Replay ``scene`` at real-time speed through the listener on one engine; one summary line per played event."""
    from rtast.detector import Detector
    from rtast.listener import ListenConfig
    from rtast.reference import COLLAR
    from rtast.sources import FileSource

    engine, meta = load_engine(engine_path, args.device)
    detector = Detector(engine, meta.frontend_config, meta.labels, meta.multilabel, engine.name)
    clock = OnsetClock()
    listener = detector.listener(FileSource(str(scene), realtime=True), [clock], ListenConfig(hop_seconds=args.hop))
    stats = listener.run()
    lines = [
        f"  {stats.windows} windows, {stats.skipped} skipped; latency p50 {stats.latency_ms(50):.1f} ms, "
        f"p95 {stats.latency_ms(95):.1f} ms; real-time factor {stats.real_time_factor:.4f}"
    ]
    for p in played:
        hits = [  # reported while it played (or within the collar), with its onset not after it ended
            o
            for o in clock.onsets
            if o[0] == p.label and o[1] < p.offset + COLLAR and o[2] - stats.started_at > p.onset - COLLAR
        ]
        if hits:
            label, onset, reported = hits[0]
            delay = reported - stats.started_at - p.onset
            where = f"onset at {onset:5.1f} s, reported after {delay:5.2f} s"
            lines.append(f"  {p.label:12s} played {p.onset:5.1f} s: {where}")
        else:
            lines.append(f"  {p.label:12s} played {p.onset:5.1f} s: not detected")
    return "\n".join(lines)


def scene_and_reference(args, folder: Path) -> tuple[Path, list]:
    from rtast.reference import read_reference

    if args.scene:
        return Path(args.scene), read_reference(args.reference, args.scene)
    from rtast.demo import write_scene

    scene = folder / "scene.wav"
    return scene, write_scene(scene)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", help="rtast model file (default: the shipped model)")
    source.add_argument("--preset", help="random-weight model preset instead, e.g. base384 (timing only)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--windows", type=int, default=32, help="real windows compared (default: 32)")
    parser.add_argument("--batch", type=int, default=32, help="throughput batch and engines' max batch")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--backends", nargs="*", help="subset, e.g. tensorrt-fp16 aoti-fp16")
    parser.add_argument(
        "--listen", nargs="*", default=["aoti-fp16", "torch-fp32"], help="engines replayed live (none: skip)"
    )
    parser.add_argument("--scene", help="WAV replayed live (default: the rtast demo scene)")
    parser.add_argument("--reference", help="DESED table of what --scene plays")
    parser.add_argument("--hop", type=float, default=0.5, help="live hop in seconds (default: 0.5, as the demo)")
    args = parser.parse_args()
    if bool(args.scene) != bool(args.reference):
        parser.error("--scene and --reference go together")
    if not torch.cuda.is_available():
        print("gpu_check: torch sees no CUDA GPU; nothing to check", file=sys.stderr)
        return 1
    versions = library_versions()
    print(f"GPU: {torch.cuda.get_device_name(torch.device(args.device))}; Python {platform.python_version()}")
    print("versions: " + ", ".join(f"{k} {v or 'not installed'}" for k, v in versions.items()))
    candidates = [tuple(b.split("-", 1)) for b in args.backends] if args.backends else CANDIDATES
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = model_file(args, folder)
        loaded = load_model_file(path)
        windows = reference_windows(loaded.frontend, args.windows)
        reference = TorchEngine(loaded.build_model(), "cpu").run(windows)  # eager fp32 on the CPU: no TF32
        print(f"model: {path.name} ({len(loaded.labels)} classes, {loaded.frontend.target_length} frames)")
        print(f"reference: eager fp32 on the CPU, {len(windows)} real windows")
        rows = [check(b, p, path, folder, args, windows, reference) for b, p in candidates]
        print_table(rows, args)
        built = {f"{r['backend']}-{r['precision']}": r["engine"] for r in rows if r["status"] == "ok"}
        for name in args.listen:
            print(f"\nlive: {name}, hop {args.hop:g} s, real-time replay")
            if name not in built:
                print("  not built above: skipped")
                continue
            try:
                scene, played = scene_and_reference(args, folder)
                print(live_delays(built[name], args, scene, played))
            except ImportError as e:
                print(f"  not runnable here: {e} (carry soundfile and soxr wheels)")
    return 0


def print_table(rows: list[dict], args) -> None:
    print(
        f"\n{'backend':10s} {'precision':9s} {'max|diff|':>10s} {'top-5':>6s} {'p50 b1 ms':>10s} "
        f"{'b' + str(args.batch) + ' win/s':>11s} {'build s':>8s}  status"
    )
    for r in rows:
        if r["status"] == "ok":
            numbers = (
                f"{r['diff']:10.2e} {r['top5']:6.3f} {r['p50_ms']:10.2f} {r['throughput']:11.1f} {r['build_s']:8.0f}"
            )
        else:
            numbers = f"{'-':>10s} {'-':>6s} {'-':>10s} {'-':>11s} {'-':>8s}"
        print(f"{r['backend']:10s} {r['precision']:9s} {numbers}  {r['status']}")


if __name__ == "__main__":
    sys.exit(main())
