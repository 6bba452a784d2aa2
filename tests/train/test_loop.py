"""train.loop: a short real training run, resuming, weight averaging, and DDP equivalence."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from conftest import require

from rtast.modelfile import load_model_file
from rtast.train.__main__ import main as train_main
from rtast.train.layouts import folder_dataset
from rtast.train.loop import train
from rtast.train.recipes import recipe

WORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "seven", "house", "music", "water"]
VOICES = ["en", "en+f3", "en-us", "en+m3", "de"]
SMALL = {
    "preset": "tiny224",
    "embed_dim": 32,
    "depth": 1,
    "num_heads": 2,
    "fstride": 16,
    "tstride": 16,
    "target_length": 128,
    "window_seconds": 1.0,
    "mixup": 0.0,
    "warmup_steps": 0,
    "num_workers": 0,
}


@pytest.fixture(scope="module")
def words_vs_tones(tmp_path_factory) -> Path:
    """root/Speech: espeak-ng words in several voices; root/Tone: tones, chirps and beeps. 35 clips each."""
    require("espeak-ng")
    root = tmp_path_factory.mktemp("words_vs_tones")
    (root / "Speech").mkdir()
    (root / "Tone").mkdir()
    rng = np.random.default_rng(0)
    for i in range(35):
        word, voice = WORDS[i % len(WORDS)], VOICES[i % len(VOICES)]
        subprocess.run(
            ["espeak-ng", "-v", voice, "-w", str(root / "Speech" / f"{i:02d}_{word}.wav"), word],
            check=True,
            capture_output=True,
        )
        rate = [16000, 22050, 44100][i % 3]
        t = np.arange(int(rate * rng.uniform(0.4, 1.0))) / rate
        f0, f1 = rng.uniform(200, 3000, 2)
        wave = (
            0.4 * np.sin(2 * np.pi * (f0 * t + (f1 - f0) / 2 * t**2 / t[-1])) * (1 + (i % 2) * np.sign(np.sin(20 * t)))
        )
        sf.write(root / "Tone" / f"{i:02d}_tone.wav", (wave / 2).astype(np.float32), rate)
    return root


def test_short_training_separates_words_from_tones(words_vs_tones, tmp_path):
    train_spec, eval_spec = folder_dataset(words_vs_tones, "train"), folder_dataset(words_vs_tones, "eval")
    config = recipe(
        "speechcommands",
        epochs=4,
        batch_size=8,
        lr=1e-3,
        noise=False,
        freq_mask=8,
        time_mask=8,
        average_last=2,
        **SMALL,
    )
    result = train(config, train_spec, eval_spec, tmp_path / "run", progress=False)
    print(f"held-out accuracy {result.best.accuracy:.3f}, mAP {result.best.mAP:.3f} ({len(eval_spec.clips)} clips)")
    assert result.best.accuracy >= 0.9  # chance is 0.5
    assert result.averaged is not None
    log = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2, 3, 4] and all("mAP" in r for r in log)
    model_file = load_model_file(tmp_path / "run" / "best.pt")
    assert model_file.labels == ["Speech", "Tone"]
    assert model_file.frontend.pad == "silence"  # a new model: short clips padded as a quiet room
    assert model_file.frontend.target_length == 128 and model_file.frontend.mean == pytest.approx(
        json.loads((tmp_path / "run" / "config.json").read_text())["mean"]
    )
    # The result is a model file rtast uses directly.
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rtast",
            "tag",
            "--model",
            str(tmp_path / "run" / "best.pt"),
            "--json",
            str(eval_spec.clips[0].path),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def test_resume_gives_the_same_weights_as_one_run(words_vs_tones, tmp_path):
    spec = folder_dataset(words_vs_tones, "train")
    config = recipe("esc50", epochs=3, batch_size=8, lr=5e-4, freq_mask=4, time_mask=4, **SMALL)
    train(config, spec, None, tmp_path / "straight", progress=False)
    train(
        recipe("esc50", epochs=2, batch_size=8, lr=5e-4, freq_mask=4, time_mask=4, **SMALL),
        spec,
        None,
        tmp_path / "resumed",
        progress=False,
    )
    train(config, spec, None, tmp_path / "resumed", resume=True, progress=False)
    a = load_model_file(tmp_path / "straight" / "final.pt").state_dict
    b = load_model_file(tmp_path / "resumed" / "final.pt").state_dict
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_ddp_two_processes_match_one_process(words_vs_tones, tmp_path):
    """torchrun, 2 CPU processes (gloo), per-rank batch 4 = one process with batch 8: same weights."""
    common = [
        "--layout",
        "folder",
        "--root",
        str(words_vs_tones),
        "--recipe",
        "esc50",
        "--epochs",
        "2",
        "--batch-size",
        "8",
        "--lr",
        "5e-4",
        "--no-progress",
        "--preset",
        "tiny224",
        "--embed-dim",
        "32",
        "--depth",
        "1",
        "--num-heads",
        "2",
        "--fstride",
        "16",
        "--tstride",
        "16",
        "--target-length",
        "128",
        "--window-seconds",
        "1.0",
        "--mean",
        "-8",
        "--std",
        "4",
        "--warmup-steps",
        "0",
        "--freq-mask",
        "0",
        "--time-mask",
        "0",
        "--mixup",
        "0",
    ]  # no random augmentation: same global batches
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    single = subprocess.run(
        [sys.executable, "-m", "rtast.train", "fit", "--out", str(tmp_path / "one"), *common],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert single.returncode == 0, single.stderr[-2000:]
    ddp = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            "-m",
            "train",
            "fit",
            "--out",
            str(tmp_path / "two"),
            *common,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    a = load_model_file(tmp_path / "one" / "final.pt").state_dict
    b = load_model_file(tmp_path / "two" / "final.pt").state_dict
    worst = max(float((a[k] - b[k]).abs().max()) for k in a)
    print(f"max weight difference after 2 epochs, 1 vs 2 processes: {worst:.2e}")
    # Gradients are averaged in another order (all-reduce of two half-batch means vs one mean), and Adam
    # divides by sqrt(v), so float32 rounding shows up at ~1e-5 after 14 steps of lr 5e-4. A wrong split
    # of the global batch (a rank seeing other clips) moves weights by ~1e-2 (seen with per-rank masks).
    assert worst < 1e-4
    one = [json.loads(x) for x in (tmp_path / "one" / "metrics.jsonl").read_text().splitlines()]
    two = [json.loads(x) for x in (tmp_path / "two" / "metrics.jsonl").read_text().splitlines()]
    assert one[-1]["accuracy"] == pytest.approx(two[-1]["accuracy"])  # metrics gathered from both ranks


def test_cli_errors_and_help(tmp_path, capsys):
    assert train_main(["fit", "--out", str(tmp_path), "--layout", "esc50"]) == 2
    assert "needs --root" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train_main(["fit", "--help"])
    assert "--recipe" in capsys.readouterr().out


def test_epoch_records_are_valid_json_and_lines_readable():
    from rtast.train.run_log import epoch_line, finite

    record = {"epoch": 3, "lr": 1e-05, "seconds": 6.9, "mAP": 0.5, "d_prime": math.inf, "mAUC": math.nan}
    assert json.loads(json.dumps(finite(record), allow_nan=False))["d_prime"] is None
    line = epoch_line(record)
    assert "lr=1.0e-05" in line and "6.9 s" in line and "mAP=0.5000" in line


def test_adamw_decays_weight_matrices_only():
    from rtast.train.init_model import build_model
    from rtast.train.loop import make_optimizer

    config = recipe("default")  # the shipped model's optimiser
    assert (config.optimizer, config.weight_decay) == ("adamw", 0.05)
    model = build_model(config, 3, True, ["a", "b", "c"])
    decay, keep = make_optimizer(model, config).param_groups
    names = {id(p): n for n, p in model.named_parameters()}
    decayed = {names[id(p)] for p in decay["params"]}
    kept = {names[id(p)] for p in keep["params"]}
    assert (decay["weight_decay"], keep["weight_decay"]) == (0.05, 0.0)
    assert {"blocks.0.attn.qkv.weight", "patch_embed.proj.weight"} <= decayed
    assert {"pos_embed", "cls_token", "blocks.0.norm1.weight", "blocks.0.attn.qkv.bias"} <= kept
    assert decayed | kept == set(names.values()) and not decayed & kept
    with pytest.raises(ValueError, match="optimizer"):
        recipe("default", optimizer="sgd")
