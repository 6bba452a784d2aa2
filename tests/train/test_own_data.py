"""Training on one's own class folders: defaults that fit the data, --init, background, figures, --test-root."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from rtast.modelfile import load_model_file
from rtast.train.__main__ import main as train_main
from rtast.train.features import mask_widths
from rtast.train.layouts import folder_dataset, synthetic_background
from rtast.train.loop import fit_batch_size
from rtast.train.metrics import confusion_matrix, confusion_table, evaluate
from rtast.train.recipes import fit_stats, recipe

TINY = [
    "--embed-dim", "32", "--depth", "1", "--num-heads", "2", "--fstride", "16", "--tstride", "16",
    "--target-length", "128", "--window-seconds", "1.0", "--no-progress",
]  # fmt: skip


def write_class(folder: Path, kind: str, count: int, seed: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        t = np.arange(int(16000 * rng.uniform(0.5, 1.0))) / 16000
        if kind == "tone":
            wave = 0.3 * np.sin(2 * np.pi * rng.uniform(300, 2000) * t)
        elif kind == "clicks":
            wave = 0.5 * (np.sin(2 * np.pi * 8 * t) > 0.95) * rng.standard_normal(len(t))
        else:
            wave = 0.1 * rng.standard_normal(len(t))
        sf.write(folder / f"{kind}_{i:02d}.wav", wave.astype(np.float32), 16000)


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory) -> Path:
    """Two classes of 6 clips: fewer training clips (10) than any recipe's batch."""
    root = tmp_path_factory.mktemp("own")
    write_class(root / "tone", "tone", 6)
    write_class(root / "clicks", "clicks", 6, seed=1)
    return root


def fit(tmp: Path, root: Path, *extra: str, out: str = "run") -> tuple[int, Path]:
    chosen = [] if "--recipe" in extra else ["--recipe", "folder"]  # from scratch: TINY's sizes
    data = ["--layout", "folder", "--root", str(root), "--out", str(tmp / out)]
    code = train_main(["fit", *data, *TINY, *chosen, *extra])
    return code, tmp / out


def test_small_folder_trains_with_fitted_defaults_and_writes_figures(small_folder, tmp_path, capsys):
    code, out = fit(tmp_path, small_folder, "--recipe", "esc50", "--epochs", "2")
    err = capsys.readouterr().err
    assert code == 0, err
    assert "batch size 48 -> 3" in err  # 10 clips and 5 of synthetic background: at least 4 batches
    assert "esc50's" in err  # the recipe's stats are another dataset's
    config = json.loads((out / "config.json").read_text())
    assert config["batch_size"] == 3 and config["loss"] == "bce"
    assert config["mean"] != pytest.approx(-6.6268077)
    model = load_model_file(out / "best.pt")
    assert model.frontend.mean == pytest.approx(config["mean"]) and model.model_config.multilabel
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))
    for png in ("learning_curves.png", "confusion.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    record = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
    assert "confusion" not in record and "per_class" not in record


def test_one_class_folder_is_a_clear_error(tmp_path, capsys):
    write_class(tmp_path / "data" / "tone", "tone", 4)
    assert fit(tmp_path, tmp_path / "data")[0] == 2
    err = capsys.readouterr().err.strip()
    assert "one class folder (tone)" in err and "_background" in err and len(err.splitlines()) == 1
    assert fit(tmp_path, tmp_path / "data", "--no-background")[0] == 2
    assert "at least two" in capsys.readouterr().err


def test_softmax_folder_model_is_warned_about(small_folder, tmp_path, capsys):
    code, out = fit(tmp_path, small_folder, "--no-background", "--epochs", "1", "--loss", "ce")
    assert code == 0
    assert "no way to say 'none'" in capsys.readouterr().err
    assert not load_model_file(out / "best.pt").model_config.multilabel


def test_background_folder_clips_have_no_class(small_folder, tmp_path):
    root = tmp_path / "data"
    for name in ("tone", "clicks"):
        write_class(root / name, name, 3)
    write_class(root / "_background", "noise", 3)
    spec = folder_dataset(root, background=True)
    assert spec.labels == ["clicks", "tone"] and spec.multilabel
    assert sum(1 for c in spec.clips if c.targets == ()) == 3
    assert folder_dataset(root).labels == ["_background", "clicks", "tone"]  # softmax: an ordinary class
    clips = synthetic_background(tmp_path / "bg", 5, 1.0)
    assert len(clips) == 5 and all(c.targets == () and c.path.exists() for c in clips)
    assert np.abs(sf.read(clips[1].path)[0]).max() < 0.1  # quiet


def test_init_adopts_architecture_and_reports_mismatch(small_folder, tmp_path, capsys):
    code, first = fit(tmp_path, small_folder, "--epochs", "1", out="first")
    assert code == 0
    source = load_model_file(first / "best.pt")
    plain = ["fit", "--layout", "folder", "--root", str(small_folder), "--no-progress", "--epochs", "1"]
    code = train_main([*plain, "--out", str(tmp_path / "adopt"), "--init", str(first / "best.pt")])
    assert code == 0, capsys.readouterr().err
    config = json.loads((tmp_path / "adopt" / "config.json").read_text())
    assert (config["embed_dim"], config["depth"], config["target_length"]) == (32, 1, 128)
    assert config["mean"] == pytest.approx(source.frontend.mean)
    # Another time stride and window: position embeddings are resampled.
    code = train_main([*plain, "--out", str(tmp_path / "strides"), "--init", str(first / "best.pt"), "--tstride", "10"])
    assert code == 0, capsys.readouterr().err
    assert load_model_file(tmp_path / "strides" / "best.pt").model_config.tstride == 10
    capsys.readouterr()
    code = train_main([*plain, "--out", str(tmp_path / "bad"), "--init", f"ast:{first / 'best.pt'}", "--depth", "2"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "1 blocks 32 wide" in err and "2 blocks" in err


def test_init_default_model_adopts_it_and_makes_a_new_head(small_folder, tmp_path, capsys):
    from rtast.modelfile import default_model_path

    if default_model_path() is None:
        pytest.skip("no default model bundled")
    default = load_model_file(default_model_path())
    plain = ["fit", "--layout", "folder", "--root", str(small_folder), "--no-progress", "--epochs", "1"]
    code = train_main([*plain, "--recipe", "finetune", "--out", str(tmp_path / "ft"), "--lr", "1e-9"])
    assert code == 0, capsys.readouterr().err
    tuned = load_model_file(tmp_path / "ft" / "final.pt")
    assert tuned.labels == ["clicks", "tone"] and tuned.frontend.mean == pytest.approx(default.frontend.mean)
    assert tuned.model_config.depth == default.model_config.depth
    key = "blocks.0.attn.qkv.weight"  # lr 1e-9: the encoder is the default model's
    assert torch.allclose(tuned.state_dict[key].float(), default.state_dict[key].float(), atol=1e-3)


def test_evaluate_a_separate_test_folder(small_folder, tmp_path, capsys):
    code, out = fit(tmp_path, small_folder, "--epochs", "1")
    assert code == 0
    test_root = tmp_path / "test"
    write_class(test_root / "tone", "tone", 3, seed=5)
    write_class(test_root / "_background", "noise", 2, seed=6)  # no "clicks": a test folder may lack classes
    capsys.readouterr()
    png = tmp_path / "confusion.png"
    args = ["evaluate", "--model", str(out / "best.pt"), "--test-root", str(test_root)]
    assert train_main([*args, "--confusion-png", str(png)]) == 0
    text = capsys.readouterr().out
    assert "folder:test (5 clips)" in text and "accuracy" in text and "(none)" in text and "<- predicted" in text
    assert png.read_bytes()[:4] == b"\x89PNG"
    write_class(test_root / "bird", "tone", 1)
    assert train_main(args) == 2
    assert "bird" in capsys.readouterr().err


def test_batch_masks_and_stats_fit_the_data():
    assert fit_batch_size(48, 1000, 1) == 48
    assert fit_batch_size(48, 20, 1) == 5 and fit_batch_size(48, 3, 1) == 1
    assert fit_batch_size(8, 20, 2) == 4
    with pytest.raises(ValueError, match="for 2 processes"):
        fit_batch_size(8, 1, 2)
    freq, time = mask_widths(recipe("esc50"), frames=98, bins=128)
    assert time <= 19 < 98 and freq == 24
    assert mask_widths(recipe("esc50"), frames=512, bins=128) == (24, 96)  # the paper's input: unchanged
    config, message = fit_stats(recipe("esc50"), "folder", set())
    assert config.mean is None and "esc50" in message
    assert fit_stats(recipe("esc50"), "esc50", set())[0].mean == pytest.approx(-6.6268077)
    assert fit_stats(recipe("esc50"), "folder", {"mean", "std"})[1] is None


def test_confusion_matrix_with_a_none_column():
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.1, 0.2], [0.7, 0.1], [0.3, 0.4]])
    targets = np.array([[1, 0], [0, 1], [0, 0], [0, 0], [0, 1]])
    counts, has_none = confusion_matrix(scores, targets, none_threshold=0.5)
    assert has_none and counts.tolist() == [[1, 0, 0], [0, 1, 1], [1, 0, 1]]
    ev = evaluate(scores, targets, ["a", "b"], none_threshold=0.5)
    assert [r["accuracy"] for r in ev.per_class] == [1.0, 0.5]
    assert ev.accuracy == 1.0  # top-1 of the clips with a class; clips of no class have no top-1 answer
    assert "(none)" in confusion_table(ev)
    assert confusion_matrix(scores[:2], targets[:2])[0].tolist() == [[1, 0], [0, 1]]


def test_small_data_gets_enough_steps_unless_epochs_are_given(small_folder, tmp_path, capsys):
    from dataclasses import replace

    from rtast.train.loop import train

    spec = folder_dataset(small_folder, split="train")
    config = replace(recipe("folder"), embed_dim=32, depth=1, num_heads=2, target_length=128, window_seconds=1.0)
    config = replace(config, epochs=1, batch_size=2, min_steps=12, precision="fp32")  # 10 clips: 5 steps an epoch
    train(config, spec, None, tmp_path / "run", progress=False)
    assert "epochs 1 -> 3: 5 steps an epoch, 12 steps at least" in capsys.readouterr().err
    assert json.loads((tmp_path / "run" / "config.json").read_text())["epochs"] == 3
    assert recipe("folder").min_steps == recipe("finetune").min_steps == 400  # the own-data recipes ask for it
    # --epochs on the command line is what the user wants, even on small data
    code, out = fit(tmp_path, small_folder, "--epochs", "1", out="asked")
    assert code == 0 and "steps at least" not in capsys.readouterr().err
    assert json.loads((out / "config.json").read_text())["epochs"] == 1
