"""Does `python -m train fit --layout folder` learn real data with its defaults? Measured against a floor.

    python -m train.own_data_proof --corpus runs/default/corpus --out runs/own-data

The data: the isolated sources of the default model's corpus (real recordings from Debian packages
and sampled instruments), written as class folders: ``train/`` from the training groups, ``test/``
from the held-out ones (other speakers, packages, soundfont), so the test is split by source.
Speech is capped so that it does not drown the other classes. Then:

- the floor: logistic regression on each clip's fbank mean and standard deviation per mel bin;
- ``fit --layout folder --recipe folder`` (from scratch) and the default ``--recipe finetune``
  (from the shipped model), each scored by ``python -m train evaluate --test-root test``.

The logistic regression is written here (a few lines of torch) because scikit-learn is not a
dependency of rtast.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

SPEECH_CAP = {"train": 150, "test": 100}  # clips of Speech per folder (picked evenly through the sorted list)


def write_folders(corpus: Path, out: Path) -> dict[str, dict[str, int]]:
    """Class folders of the corpus's real and sampled-instrument sources; counts per folder and class."""
    records = json.loads((corpus / "sources.json").read_text("utf-8"))["sources"]
    counts: dict[str, dict[str, int]] = {"train": {}, "test": {}}
    for split, folder in (("train", "train"), ("eval", "test")):
        chosen = [r for r in records if r["split"] == split and r["kind"] in ("debian-file", "fluidsynth")]
        speech = [r for r in chosen if r["label"] == "Speech"]
        keep = {id(r) for r in speech[:: max(1, len(speech) // SPEECH_CAP[folder])][: SPEECH_CAP[folder]]}
        for r in chosen:
            if r["label"] == "Speech" and id(r) not in keep:
                continue
            target = out / folder / re.sub(r"[^A-Za-z0-9]+", "_", r["label"]).strip("_") / Path(r["file"]).name
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.symlink_to((corpus / r["file"]).resolve())
            counts[folder][r["label"]] = counts[folder].get(r["label"], 0) + 1
    return counts


def clip_features(path: Path) -> np.ndarray:
    from rtast.fbank import fbank

    audio, _ = sf.read(str(path), dtype="float32")
    features = fbank(torch.from_numpy(audio), dtype=torch.float32)
    return torch.cat([features.mean(0), features.std(0)]).numpy()


def folder_features(root: Path, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    x, y = [], []
    for k, name in enumerate(classes):
        for path in sorted((root / name).glob("*.wav")):
            x.append(clip_features(path))
            y.append(k)
    return np.stack(x), np.array(y)


def logistic_regression(x: np.ndarray, y: np.ndarray, classes: int, l2: float = 1e-3) -> torch.nn.Linear:
    """Multinomial logistic regression on standardised features, fitted with L-BFGS."""
    xt, yt = torch.from_numpy(x).float(), torch.from_numpy(y)
    layer = torch.nn.Linear(x.shape[1], classes)
    optimiser = torch.optim.LBFGS(layer.parameters(), max_iter=500, line_search_fn="strong_wolfe")

    def closure():
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(layer(xt), yt) + l2 * layer.weight.pow(2).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    return layer


def floor(out: Path) -> dict:
    classes = sorted(p.name for p in (out / "train").iterdir() if p.is_dir())
    x_train, y_train = folder_features(out / "train", classes)
    x_test, y_test = folder_features(out / "test", classes)
    mean, std = x_train.mean(0), x_train.std(0) + 1e-6
    layer = logistic_regression((x_train - mean) / std, y_train, len(classes))
    with torch.no_grad():
        predicted = layer(torch.from_numpy((x_test - mean) / std).float()).argmax(1).numpy()
    per_class = {c: float(np.mean(predicted[y_test == k] == k)) for k, c in enumerate(classes) if np.any(y_test == k)}
    return {
        "accuracy": float(np.mean(predicted == y_test)),
        "balanced_accuracy": float(np.mean(list(per_class.values()))),
    }


def top1(model_path: Path, test: Path) -> dict:
    """Top-1 over the classes (as the floor picks: no "none"), overall and averaged per class."""
    from rtast.modelfile import load_model_file
    from rtast.train.distributed import Dist
    from rtast.train.layouts import folder_dataset
    from rtast.train.predict import eval_loader, predict
    from rtast.train.recipes import TrainConfig

    model_file = load_model_file(model_path)
    frontend = model_file.frontend
    spec = folder_dataset(test, background=model_file.model_config.multilabel, labels=model_file.labels)
    config = TrainConfig(batch_size=16, target_length=frontend.target_length, window_seconds=frontend.window_seconds)
    loader = eval_loader(spec, frontend, config, Dist())
    scores, targets = predict([model_file.build_model()], loader, torch.device("cpu"), Dist())
    predicted, truth = scores.argmax(1).numpy(), targets.argmax(1).numpy()
    per_class = [float(np.mean(predicted[truth == k] == k)) for k in np.unique(truth)]
    return {"accuracy": float(np.mean(predicted == truth)), "balanced_accuracy": float(np.mean(per_class))}


def fit_and_test(out: Path, recipe: str) -> dict:
    """``fit --layout folder`` with the recipe's defaults, then the test folder: top-1 and mAP."""
    run = out / f"run-{recipe}"
    t0 = time.time()
    fit = [sys.executable, "-m", "rtast.train", "fit", "--layout", "folder", "--root", str(out / "train")]
    subprocess.run([*fit, "--recipe", recipe, "--out", str(run), "--no-progress"], check=True)
    seconds = time.time() - t0
    report = run / "test.json"
    evaluate = [sys.executable, "-m", "rtast.train", "evaluate", "--model", str(run / "best.pt")]
    subprocess.run([*evaluate, "--test-root", str(out / "test"), "--json", str(report)], check=True)
    found = top1(run / "best.pt", out / "test")
    return {**found, "mAP": json.loads(report.read_text())["mAP"], "seconds": round(seconds)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.own_data_proof", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a corpus of `python -m train recipe default`")
    parser.add_argument("--out", type=Path, required=True, help="work folder: class folders, runs, results.json")
    parser.add_argument("--recipes", nargs="+", default=["folder", "finetune"])
    args = parser.parse_args(argv)
    if not (args.corpus / "sources.json").is_file():
        parser.error(f"--corpus {args.corpus}: no sources.json (build it with python -m train recipe default)")
    counts = write_folders(args.corpus, args.out)
    print(
        f"class folders under {args.out}: train {sum(counts['train'].values())} clips, "
        f"test {sum(counts['test'].values())} clips, {len(counts['test'])} classes",
        flush=True,
    )
    results = {"counts": counts, "floor": floor(args.out)}
    print(f"floor (logistic regression on fbank mean and std): {results['floor']}", flush=True)
    for recipe in args.recipes:
        results[recipe] = fit_and_test(args.out, recipe)
        print(f"--recipe {recipe}: {results[recipe]}", flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
