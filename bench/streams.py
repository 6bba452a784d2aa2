"""How many real-time streams one machine sustains with no skipped window: in-process batching vs the server.

Each trial plays N copies of the `rtast demo` scene at real-time speed (FileSource, realtime: a live
source, which skips windows when inference falls behind) through the live path at a 1-s hop, for
--seconds of audio. In-process: one detector whose engine batches the streams' windows
(engines/batching.py, as `rtast listen --input A --input B ...`). Server: the same engine behind
`rtast serve` (PyTriton's tritonserver, dynamic batching) in another process of the venv made by
scripts/setup-serve.sh, each stream a client (`rtast.open(server=...)`). N doubles until a trial
skips a window; the largest N without one is the answer. All streams start together, so their
windows fall due at the same instants (the hardest case, and the best for batching).

    python bench/streams.py [--seconds 10] [--max-streams 128] [--base]

--base adds a base-size AST (768-dim, 12 blocks, 1024 frames, random weights) as an ONNX Runtime
int8 engine (built once into --work).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine  # noqa: E402
from rtast.demo import write_scene  # noqa: E402
from rtast.detector import open as open_detector  # noqa: E402
from rtast.engines.batching import BatchingEngine  # noqa: E402
from rtast.listen import StreamRun  # noqa: E402
from rtast.listener import ListenConfig  # noqa: E402
from rtast.remote import server_counts, wait_until_ready  # noqa: E402
from rtast.sources import DeviceError, FileSource  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def trial(detector, scene: Path, streams: int, seconds: float, server: str | None) -> dict:
    """N streams for ``seconds`` of audio: skipped windows, latency p95 (worst stream), mean batch."""
    config = ListenConfig(hop_seconds=1.0, max_seconds=seconds)
    sources = [FileSource(str(scene), realtime=True) for _ in range(streams)]
    batcher = None if server else (lambda engine, n: BatchingEngine(engine, max_batch=n))
    run = StreamRun(detector, sources, [[] for _ in sources], config, batcher)
    before = server_counts(server) if server else None
    try:
        stats = run.run()
    except DeviceError:  # a source thread starved for seconds: far behind real time
        return {"streams": streams, "skipped": "stalled", "windows": 0, "p95_ms": float("nan"), "mean_batch": 0.0}
    if server:
        after = server_counts(server)
        calls = after["calls"] - before["calls"]
        mean_batch = (after["windows"] - before["windows"]) / calls if calls else float("nan")
    else:
        mean_batch = sum(run.batch_sizes) / len(run.batch_sizes) if run.batch_sizes else float("nan")
    return {
        "streams": streams,
        "skipped": sum(s.skipped for s in stats),
        "windows": sum(s.windows for s in stats),
        "p95_ms": round(max(s.latency_ms(95) for s in stats)),
        "mean_batch": round(mean_batch, 1),
    }


def most_streams(detector, scene: Path, seconds: float, server: str | None, limit: int) -> tuple[dict | None, dict]:
    """(the largest trial without a skipped window (None if even one stream skips), the one-stream trial): N
    doubles until a trial skips, then halves the gap until it is within a quarter of the answer."""
    mode = "server" if server else "in-process"
    trial(detector, scene, 1, 2.0, server)  # warm-up: first calls are slow (allocation, threads)
    best, worst, n, trials = None, None, 1, []
    while n <= limit and (worst is None or worst - n >= 1):
        result = trial(detector, scene, n, seconds, server)
        print(f"    {mode:10} {n:4d} streams: {result}", flush=True)
        trials.append(result)
        if result["skipped"]:
            worst = n
        else:
            best = result
        low = best["streams"] if best else 0
        if worst is None:
            n *= 2
        elif worst - low <= max(1, low // 4):
            break
        else:
            n = (low + worst) // 2
    return best, trials[0]


def cell(best: dict | None, one: dict) -> str:
    """A table cell: streams (p95 ms, mean batch), or why not even one stream kept up."""
    if best is None:
        due = one["windows"] + one["skipped"]
        return f"0 (one stream: {one['skipped']} of {due} windows skipped, p95 {one['p95_ms']} ms)"
    return f"{best['streams']} ({best['p95_ms']}, {best['mean_batch']})"


def free_port() -> int:
    """A port P with P, P+1, P+2 free (the server's HTTP, gRPC and metrics ports)."""
    from rtast.engines.serve import ServeConfig, ServeError, check_ports_free

    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            check_ports_free(ServeConfig(port=port))
            return port
        except ServeError:
            continue


def start_server(python: Path, source: list[str], max_batch: int, work: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = work / f"serve-{port}.err"
    command = [str(python), "-m", "rtast", "serve", *source, "--port", str(port), "--max-batch", str(max_batch)]
    with open(log, "w") as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    address = f"127.0.0.1:{port}"
    wait_until_ready(address, timeout=300, starting=lambda: process.poll() is None)
    return process, address


def base_engine(work: Path) -> list[str]:
    """`--model M --engine E` of a base-size AST as ONNX Runtime int8 (built once)."""
    from rtast.engines.build import build_engine
    from rtast.fbank import FrontendConfig
    from rtast.labels import audioset_labels
    from rtast.model import AST, preset
    from rtast.modelfile import ModelFile, save_model_file

    model, engine = work / "base.pt", work / "base-int8.onnx"
    if not engine.exists():
        config = preset("base384")
        save_model_file(model, ModelFile(config, FrontendConfig(), audioset_labels(), AST(config).state_dict(), {}))
        build_engine(model, "onnx", "int8", 32, engine)
    return ["--model", str(model), "--engine", str(engine)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="audio per trial (default: 10)")
    parser.add_argument("--max-streams", type=int, default=128)
    parser.add_argument("--base", action="store_true", help="also a base-size AST through ONNX Runtime int8")
    parser.add_argument("--serve-python", type=Path, default=ROOT / ".serve-venv" / "bin" / "python")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rtast-bench-streams")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    scene = args.work / "scene.wav"
    write_scene(scene)
    print(machine(), f"load average {os.getloadavg()[0]:.1f}", flush=True)
    cases = [("default model (torch fp32)", [])]
    if args.base:
        cases.append(("base AST, ONNX Runtime int8", base_engine(args.work)))
    rows = []
    for name, source in cases:
        print(f"{name}:", flush=True)
        model = source[source.index("--model") + 1] if source else None
        engine = source[source.index("--engine") + 1] if source else None
        local, local_one = most_streams(open_detector(model, engine), scene, args.seconds, None, args.max_streams)
        process, address = start_server(args.serve_python, source, args.max_streams, args.work)
        try:
            remote, remote_one = most_streams(
                open_detector(server=address), scene, args.seconds, address, args.max_streams
            )
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
        rows.append((name, (local, local_one), (remote, remote_one)))
    print("\n(streams: the most without a skipped window; p95 latency in ms and mean batch at that count)")
    print("| model | in-process batching | server | server / in-process |")
    print("|---|---|---|---|")
    for name, local, remote in rows:
        n_local, n_remote = (best["streams"] if best else 0 for best, _ in (local, remote))
        ratio = f"{n_remote / n_local:.2f}x" if n_local else "-"
        print(f"| {name} | {cell(*local)} | {cell(*remote)} | {ratio} |")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"\n(at most {args.max_streams} streams tried; {args.seconds:g} s of audio per trial; hop 1 s)")


if __name__ == "__main__":
    main()
