"""Bad input to `rtast` and `python -m train`: one clear line naming the file or flag, and exit status 2.

The CLIs run in-process (``main(argv)``) for speed. Root ignores file modes, so "read-only" outputs are
paths under a regular file (``FILE/x``: "Not a directory") or under /proc, which nobody can create files in.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from conftest import random_model_file

from rtast.cli import main as rtast_main
from rtast.modelfile import save_model_file
from rtast.train.__main__ import main as train_main


def run(capsys, main, argv: list[str]) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of one in-process CLI call; usage errors exit through SystemExit."""
    try:
        status = main(argv)
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def w(tmp_path_factory) -> dict[str, Path]:
    """Files the cases point at: a small model, audio, broken checkpoints, engines."""
    d = tmp_path_factory.mktemp("bad_input")
    files = {"dir": d}
    model_file = random_model_file(input_tdim=100, num_classes=5, window_seconds=1.0)
    files["model"] = d / "m.pt"
    save_model_file(files["model"], model_file)
    rng = np.random.default_rng(0)
    files["wav"] = d / "noise.wav"
    sf.write(files["wav"], rng.normal(0, 0.1, 16000 * 3).astype(np.float32), 16000)
    files["a_file"] = d / "plain.txt"  # paths below it cannot exist: the read-only stand-in
    files["a_file"].write_text("not a folder\n")
    files["garbage"] = d / "garbage.pth"
    files["garbage"].write_bytes(bytes(rng.integers(0, 256, 5000, dtype=np.uint8)))

    official = {}
    for k, v in model_file.state_dict.items():
        if k.startswith("head_norm."):
            official["module.mlp_head.0." + k.split(".")[-1]] = v
        elif k.startswith("head."):
            official["module.mlp_head.1." + k.split(".")[-1]] = v
        else:
            official["module.v." + k] = v
    files["official"] = d / "official.pth"
    torch.save(official, files["official"])
    for name, change in {
        "pos1d": lambda sd: sd.update({"module.v.pos_embed": sd["module.v.pos_embed"].flatten()}),
        "no_fc1": lambda sd: sd.pop("module.v.blocks.0.mlp.fc1.weight"),
        "no_patch": lambda sd: sd.pop("module.v.patch_embed.proj.weight"),
    }.items():
        sd = dict(official)
        change(sd)
        files[name] = d / f"{name}.pth"
        torch.save(sd, files[name])

    nan_file = random_model_file(input_tdim=100, num_classes=5, window_seconds=1.0)
    nan_file.state_dict["head.weight"][0, 0] = float("nan")
    files["nan_model"] = d / "nan.pt"
    save_model_file(files["nan_model"], nan_file)
    files["std0_model"] = d / "std0.pt"
    payload = torch.load(files["model"], weights_only=True)
    payload["frontend"]["std"] = 0.0
    torch.save(payload, files["std0_model"])

    files["engine"] = d / "e.pt"
    assert rtast_main(["build-engine", str(files["model"]), "--backend", "torch", "-o", str(files["engine"])]) == 0
    meta = json.loads(Path(str(files["engine"]) + ".json").read_text())
    for name, changed in {
        "engine_5_labels": {"labels": meta["labels"][:3]},
        "engine_1024_frames": {"frontend": {**meta["frontend"], "target_length": 1024}},
        "engine_garbage_onnx": {"backend": "onnx"},
    }.items():
        path = d / name.replace("_onnx", ".onnx")
        if name.endswith("_onnx"):
            path.write_bytes(b"\x08garbage" * 50)
        else:
            shutil.copyfile(files["engine"], path)
        Path(str(path) + ".json").write_text(json.dumps({**meta, **changed}))
        files[name] = path

    root = d / "folder"  # python -m train --layout folder: two classes of short clips
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i in range(3):
            sf.write(root / cls / f"{i}.wav", rng.normal(0, 0.1, 16000).astype(np.float32), 16000)
    files["folder"] = root
    files["one_class"] = d / "one_class"
    shutil.copytree(root / "a", files["one_class"] / "a")
    files["corrupt_folder"] = d / "corrupt"
    shutil.copytree(root, files["corrupt_folder"])
    for cls in ("a", "b"):  # every clip corrupt, so whichever a worker loads first fails
        for wav in (files["corrupt_folder"] / cls).glob("*.wav"):
            wav.write_bytes(b"RIFF\x00\x01\x00\x00WAVEjunk" + b"\xff" * 100)
    files["binary_csv"] = d / "labels.csv"
    files["binary_csv"].write_bytes(b"\xff\xfe\x00binary")
    files["manifest"] = d / "manifest.json"
    files["manifest"].write_text(json.dumps({"data": []}))
    return files


TRAIN_SMALL = [
    "--init", "scratch",
    "--embed-dim", "32", "--depth", "1", "--num-heads", "2", "--fstride", "16", "--tstride", "16",
    "--target-length", "100", "--window-seconds", "1", "--epochs", "1", "--batch-size", "2",
    "--mean", "-5", "--std", "4", "--num-workers", "0", "--no-progress",
]  # fmt: skip

# (case, program, argv with {name} for fixture paths, exit status, text in the last stderr line)
CASES = [
    ("tag --hop inf", "rtast", "tag {wav} --model {model} --hop inf", 2, "--hop"),
    ("tag --hop nan", "rtast", "tag {wav} --model {model} --hop nan", 2, "--hop"),
    ("listen --hop inf", "rtast", "listen --input {wav} --model {model} --no-gui --hop inf", 2, "--hop"),
    ("listen --hop nan", "rtast", "listen --input {wav} --model {model} --no-gui --hop nan", 2, "--hop"),
    (
        "tag --release above --threshold",
        "rtast",
        "tag {wav} --model {model} --threshold 0.3 --release 0.5",
        2,
        "release",
    ),
    (
        "listen --threshold 1.5",
        "rtast",
        "listen --input {wav} --model {model} --no-gui --threshold 1.5",
        2,
        "threshold",
    ),
    ("import 1-D pos_embed", "rtast", "import-checkpoint {pos1d} -o {dir}/x.pt --input-tdim 100", 2, "pos1d.pth"),
    ("import missing fc1", "rtast", "import-checkpoint {no_fc1} -o {dir}/x.pt --input-tdim 100", 2, "fc1"),
    ("import missing patch_embed", "rtast", "import-checkpoint {no_patch} -o {dir}/x.pt", 2, "patch_embed"),
    ("import -o a directory", "rtast", "import-checkpoint {official} -o {dir} --input-tdim 100", 2, "-o/--output"),
    ("import -o read-only", "rtast", "import-checkpoint {official} -o {a_file}/x.pt", 2, "-o/--output"),
    ("import -o /proc", "rtast", "import-checkpoint {official} -o /proc/rtast-x.pt", 2, "/proc/rtast-x.pt"),
    ("import garbage", "rtast", "import-checkpoint {garbage} -o {dir}/x.pt", 2, "garbage.pth"),
    ("build --device cuda:99", "rtast", "build-engine {model} --backend torch --device cuda:99", 2, "cuda:99"),
    ("build -o read-only", "rtast", "build-engine {model} --backend torch -o {a_file}/e.pt", 2, "plain.txt/e.pt"),
    ("build -o missing folder", "rtast", "build-engine {model} --backend torch -o {dir}/no/e.pt", 2, "no/e.pt"),
    ("build --max-batch 0", "rtast", "build-engine {model} --max-batch 0", 2, "--max-batch"),
    ("build --max-batch -4", "rtast", "build-engine {model} --max-batch -4", 2, "--max-batch"),
    ("tag --engine garbage onnx", "rtast", "tag {wav} --engine {engine_garbage_onnx}", 2, "engine_garbage.onnx"),
    ("tag --engine 3 labels", "rtast", "tag {wav} --engine {engine_5_labels}", 2, "labels"),
    ("listen --engine 1024 frames", "rtast", "listen --input {wav} --no-gui --engine {engine_1024_frames}", 2, "1024"),
    ("tag NaN weights", "rtast", "tag {wav} --model {nan_model}", 2, "NaN"),
    ("tag std 0", "rtast", "tag {wav} --model {std0_model}", 2, "std"),
    ("triton --name escape", "rtast", "export-triton {model} -o {dir}/repo --name ../../escape", 2, "model name"),
    ("triton --instances 0", "rtast", "export-triton {model} -o {dir}/repo --instances 0", 2, "--instances"),
    ("triton -o a file", "rtast", "export-triton {model} -o {a_file}", 2, "plain.txt"),
    ("triton -o read-only", "rtast", "export-triton {model} -o {a_file}/repo", 2, "plain.txt/repo"),
    (
        "listen --stats-json missing",
        "rtast",
        "listen --input {wav} --model {model} --stats-json {dir}/no/s.json",
        2,
        "--stats-json",
    ),  # fmt: skip
    (
        "listen --stats-json read-only",
        "rtast",
        "listen --input {wav} --model {model} --stats-json {a_file}/s.json",
        2,
        "--stats-json",
    ),  # fmt: skip
    ("listen -k -2", "rtast", "listen --input {wav} --model {model} -k -2", 2, "-k/--top-k"),
    (
        "listen --min-duration -5",
        "rtast",
        "listen --input {wav} --model {model} --min-duration -5",
        2,
        "--min-duration",
    ),  # fmt: skip
    (
        "listen --server and --model",
        "rtast",
        "listen --input {wav} --no-gui --server 127.0.0.1:8000 --model {model}",
        2,
        "--server runs the server's model",
    ),  # fmt: skip
    ("listen --server no port", "rtast", "listen --input {wav} --no-gui --server localhost", 2, "HOST:PORT"),
    ("listen --server-model alone", "rtast", "listen --input {wav} --no-gui --server-model m", 2, "--server-model"),
    ("serve --port 70000", "rtast", "serve --model {model} --port 70000", 2, "--port"),
    ("train --device 99", "train", "fit --out {dir}/run --layout folder --root {folder} --device 99", 2, "--device"),
    (
        "train --device banana",
        "train",
        "fit --out {dir}/run --layout folder --root {folder} --device banana",
        2,
        "--device",
    ),  # fmt: skip
    (
        "train --device cuda:99",
        "train",
        "fit --out {dir}/run --layout folder --root {folder} --device cuda:99",
        2,
        "cuda:99",
    ),  # fmt: skip
    ("train --out a file", "train", "fit --out {a_file} --layout folder --root {folder}", 2, "--out"),
    (
        "train --label-overlap -1",
        "train",
        "fit --out {dir}/run --layout folder --root {folder} --label-overlap -1",
        2,
        "--label-overlap",
    ),  # fmt: skip
    ("train --out read-only", "train", "fit --out {a_file}/run --layout folder --root {folder}", 2, "--out"),
    (
        "train --init deit: random",
        "train",
        "fit --out {dir}/deit --layout folder --root {folder} --init deit:{garbage2}",
        2,
        "pos_embed",
    ),  # fmt: skip
    (
        "train one class",
        "train",
        "fit --out {dir}/one --layout folder --root {one_class} --init scratch",
        2,
        "one_class",
    ),
    (
        "train binary label CSV",
        "train",
        "fit --out {dir}/csv --layout manifest --train-manifest {manifest} --label-csv {binary_csv}",
        2,
        "labels.csv",
    ),  # fmt: skip
    (
        "evaluate --json read-only",
        "train",
        "evaluate --model {model} --layout folder --root {folder} --json {a_file}/m.json",
        2,
        "--json",
    ),  # fmt: skip
]


@pytest.mark.parametrize(("case", "program", "argv", "status", "text"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_status_2(w, tmp_path, capsys, case, program, argv, status, text):
    if "cuda:99" in argv and torch.cuda.is_available():
        pytest.skip("this machine has CUDA; cuda:99 may be refused differently")
    if "_onnx" in argv and importlib.util.find_spec("onnxruntime") is None:
        pytest.skip("onnxruntime is not installed")
    files = dict(w)
    files["garbage2"] = tmp_path / "deit.pth"  # a state dict of random tensors without DeiT's keys
    torch.save({"x": torch.zeros(3)}, files["garbage2"])
    words = [word.format(**{k: str(v) for k, v in files.items()}) for word in argv.split()]
    if program == "train":
        if words[0] == "fit":  # from scratch unless the case names an --init (the folder default fine-tunes)
            words += TRAIN_SMALL if "--init" not in words else TRAIN_SMALL[2:]
    code, out, err = run(capsys, rtast_main if program == "rtast" else train_main, words)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == status, err
    assert "Traceback" not in err and "weights_only" not in err, err
    assert text in lines[-1] and lines[-1].startswith(("rtast ", "python -m train ")), err
    if program == "train" and "--json" in argv:
        assert "mAP" not in out  # refused before the evaluation ran
    assert not list(w["dir"].glob("**/*.partial")), "a half-written file was left behind"
    assert not (w["dir"].parent / "escape").exists() and not (w["dir"] / "repo").exists()


def test_non_utf8_file_names_are_tagged_and_replayed(w, tmp_path, capsys):
    name = os.fsdecode(bytes(tmp_path) + b"/caf\xe9.wav")  # surrogate-escaped, as sys.argv holds such names
    shutil.copyfile(w["wav"], os.fsencode(name))
    code, out, err = run(capsys, rtast_main, ["tag", name, str(w["wav"]), "--model", str(w["model"]), "--json"])
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in records if r["type"] == "file"] == [name, str(w["wav"])]
    # a real process: its stderr escapes what it cannot encode, where capsys's raises
    proc = subprocess.run(
        [sys.executable, "-m", "rtast", "listen", "--input", name, "--model", str(w["model"]), "--no-gui", "--quiet"],
        capture_output=True,
    )
    assert proc.returncode == 0 and b"end of input" in proc.stderr, proc.stderr


def test_train_resume_refuses_truncated_and_malicious_checkpoints(w, tmp_path, capsys):
    class Evil:
        def __reduce__(self):
            return (os.system, ("touch pwned",))

    out = tmp_path / "run"
    out.mkdir()
    torch.save({"model": {}}, tmp_path / "whole.pt")
    data = (tmp_path / "whole.pt").read_bytes()
    for name, write in {
        "truncated": lambda p: p.write_bytes(data[: len(data) // 2]),
        "malicious": lambda p: torch.save({"model": Evil()}, p),
        "foreign": lambda p: torch.save({"model": {"x": torch.zeros(1)}}, p),
    }.items():
        write(out / "last_checkpoint.pt")
        argv = ["fit", "--out", str(out), "--layout", "folder", "--root", str(w["folder"]), "--resume", *TRAIN_SMALL]
        code, _, err = run(capsys, train_main, argv)
        lines = err.strip().splitlines()
        assert code == 2, (name, err)
        assert "last_checkpoint.pt" in lines[-1] and "Traceback" not in err and "weights_only" not in err, err
    assert not Path("pwned").exists()


def test_train_corrupt_wav_with_workers_is_one_line(w, tmp_path, capsys):
    argv = ["fit", "--out", str(tmp_path / "run"), "--layout", "folder", "--root", str(w["corrupt_folder"])]
    argv += [*TRAIN_SMALL[:-3], "--num-workers", "2", "--no-progress"]
    code, _, err = run(capsys, train_main, argv)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert "Traceback" not in err and "corrupt/" in lines[-1] and ".wav" in lines[-1], err


def test_memory_does_not_grow_with_the_hop():
    """A hop far longer than the window keeps at most about one window of frames (was: one hop of them)."""
    from rtast.fbank import FrontendConfig
    from rtast.windows import WindowedFrontend

    config = FrontendConfig(target_length=100, window_seconds=1.0)
    windowed = WindowedFrontend(config, hop_seconds=60.0, startup_windows=False)
    rng = np.random.default_rng(0)
    held, count = 0, 0
    for _ in range(5 * 60):  # five minutes in 1-s blocks
        count += len(windowed.push(rng.normal(0, 0.1, 16000).astype(np.float32)))
        held = max(held, len(windowed.windows._frames))
    count += len(windowed.finish())
    assert count == 6 and held <= 2 * 100  # the window's frames plus one block's
