"""train.frame_head: step labels from event times, a head fitted on a frozen encoder, times in the live path."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from conftest import random_model_file, write_wav

from rtast.events import EventConfig
from rtast.listener import ListenConfig, Listener
from rtast.modelfile import load_model_file, save_model_file
from rtast.sources import FileSource
from rtast.train.data import step_targets
from rtast.train.frame_head import FrameHeadConfig, fit_frame_head, step_scores, step_times
from rtast.train.scenes import scene_dataset

RATE = 16000
LABELS = ["Tone", "Noise"]


def scene(rng: np.random.Generator, seconds: float = 6.0) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """Faint noise with a 1-kHz tone and a loud noise burst at random, separate times."""
    audio = 0.003 * rng.standard_normal(int(seconds * RATE))
    events = []
    first = rng.uniform(0.2, 1.5)
    for label, onset in zip(rng.permutation(LABELS), (first, first + rng.uniform(2.2, 2.8)), strict=True):
        length = rng.uniform(0.6, 1.5)
        a, b = int(onset * RATE), int(min(onset + length, seconds) * RATE)
        t = np.arange(b - a) / RATE
        audio[a:b] += 0.3 * np.sin(2 * np.pi * 1000 * t) if label == "Tone" else 0.2 * rng.standard_normal(b - a)
        events.append((round(a / RATE, 4), round(b / RATE, 4), str(label)))
    return audio.astype(np.float32), events


def write_scenes(folder, count: int, seed: int):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    rows, entries = ["filename\tonset\toffset\tevent_label"], []
    for k in range(count):
        audio, events = scene(rng)
        write_wav(folder / f"s{k}.wav", audio)
        entries.append({"wav": f"s{k}.wav", "labels": ",".join(sorted({f"/t/{label}" for *_, label in events}))})
        rows += [f"s{k}.wav\t{a}\t{b}\t{label}" for a, b, label in events]
    (folder / "manifest.json").write_text(json.dumps({"data": entries}))
    (folder / "events.tsv").write_text("\n".join(rows) + "\n")
    labels_csv = folder / "labels.csv"
    labels_csv.write_text("index,mid,display_name\n" + "".join(f"{i},/t/{n},{n}\n" for i, n in enumerate(LABELS)))
    return folder / "manifest.json", labels_csv, folder / "events.tsv"


@pytest.fixture(scope="module")
def small_model():
    """The shipped model's layout (16x16 patches, 3-s windows), tiny and untrained: its tokens still
    carry where the energy is, which is all a frame head on a frozen encoder needs here."""
    model_file = random_model_file(input_tdim=298, num_classes=2, window_seconds=3.0, fstride=16, tstride=16)
    model_file.model_config = replace(model_file.model_config, multilabel=True)
    model_file.labels = LABELS
    model_file.frontend = replace(model_file.frontend, mean=-8.0, std=4.0)
    return model_file


@pytest.fixture(scope="module")
def fitted(small_model, tmp_path_factory):
    root = tmp_path_factory.mktemp("frame_head")
    train_spec = scene_dataset(*write_scenes(root / "train", 24, seed=1))
    eval_spec = scene_dataset(*write_scenes(root / "eval", 8, seed=2), eval_window=3.0, eval_hop=1.0)
    config = FrameHeadConfig(crops_per_clip=2, epochs=40, batch_size=128, lr=1e-2)
    model_file, report = fit_frame_head(small_model, train_spec, eval_spec, config, progress=False)
    path = root / "frames.pt"
    save_model_file(path, model_file)
    return path, report, root


def test_step_times_follow_the_patch_grid(small_model):
    times = step_times(small_model)
    assert times.shape == (18, 2)  # 298 frames, 16-frame patches without overlap
    assert times[0].tolist() == pytest.approx([0.0, 0.16]) and times[17].tolist() == pytest.approx([2.72, 2.88])


def test_step_targets_need_half_a_step(small_model):
    times = step_times(small_model)
    targets, valid = step_targets(((1.0, 1.5, 1),), 0.5, 3.5, times, 2)
    on = np.flatnonzero(targets[:, 1])
    # steps start at 0.5 + 0.16 k: [0.98, 1.14) .. [1.30, 1.46) hold the event over half; [1.46, 1.62) 0.04 s
    assert on.tolist() == [3, 4, 5] and not targets[:, 0].any() and valid.all()
    _, valid = step_targets((), 0.0, 1.0, times, 2)  # a 1-s crop: steps past its end hold padding
    assert valid.sum() == 7


def test_fitted_head_scores_held_out_steps(fitted):
    path, report, _ = fitted
    assert report["train_steps"] > 500
    assert report["step_mAP"] >= 0.8, report
    model_file = load_model_file(path)
    assert model_file.model_config.frame_head and "frame_head" in model_file.meta


def test_fitting_keeps_the_clip_head(small_model, fitted):
    fitted_file = load_model_file(fitted[0])
    x = torch.randn(2, 298, 128)
    with torch.no_grad():
        before = small_model.build_model()(x)
        clip, frames = fitted_file.build_model().forward_with_frames(x)
    torch.testing.assert_close(clip, before)
    assert frames.shape == (2, 18, 2)


def test_needs_strong_labels(small_model, fitted):
    spec = scene_dataset(*(fitted[2] / "train" / n for n in ("manifest.json", "labels.csv", "events.tsv")))
    with pytest.raises(ValueError, match="event times"):
        fit_frame_head(small_model, replace(spec, strong=False), None, progress=False)


class ToneBandEngine:
    """Scores the 1-kHz tone from the input itself, per 16-frame step (the shipped layout's steps): the
    loudest of the mel bins around 1 kHz, which is ~1.6 for the tone and ~0.1 for the faint noise."""

    name = "tone-band"
    step_spans = [(16 * k, 16 * k + 16) for k in range(18)]

    def run_frames(self, windows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        band = windows[:, :288, 38:52].amax(-1).reshape(len(windows), 18, 16).mean(-1)  # (batch, steps)
        audio = (windows[:, :288].std(-1) > 0).reshape(len(windows), 18, 16).all(-1)  # padding is flat
        tone = torch.sigmoid(8 * (band - 0.8)) * audio
        frames = torch.stack([tone, torch.zeros_like(tone)], -1)  # (batch, steps, [Tone, Noise])
        share = (tone > 0.5).float().mean(1)  # the clip says Tone when a sixth of it holds the tone
        clip = torch.stack([torch.sigmoid(20 * (share - 1 / 6)), torch.zeros_like(share)], -1)
        return clip, frames

    def run(self, windows: torch.Tensor) -> torch.Tensor:
        return self.run_frames(windows)[0]


class WindowTimes:
    """The same scores without steps: events take window edges."""

    step_spans, name = None, "window-times"

    def __init__(self, engine):
        self.run = engine.run


def test_listener_places_events_with_the_frame_head(small_model, tmp_path):
    """The live path hands each window's steps to the detector at their stream times: a tone from 3.31 s
    to 4.62 s is reported within a step of its true edges; window edges fall on the hop's grid."""
    audio = 0.003 * np.random.default_rng(5).standard_normal(8 * RATE)
    a, b = int(3.31 * RATE), int(4.62 * RATE)
    audio[a:b] += 0.3 * np.sin(2 * np.pi * 1000 * np.arange(b - a) / RATE)
    path = write_wav(tmp_path / "tone.wav", audio.astype(np.float32))
    events = {}
    for timing, engine in (("frames", ToneBandEngine()), ("windows", WindowTimes(ToneBandEngine()))):
        sink = Finished()
        config = ListenConfig(hop_seconds=0.5, events=EventConfig(threshold=0.5))
        Listener(FileSource(path), engine, small_model.frontend, LABELS, [sink], config).run()
        events[timing] = [ev for ev in sink.events if ev.label == "Tone"]
    (tone,) = events["frames"]
    assert tone.timing == "frames"
    assert abs(tone.onset - 3.31) <= 0.17 and abs(tone.offset - 4.62) <= 0.17, tone
    (coarse,) = events["windows"]
    assert coarse.timing == "windows"
    error = abs(tone.onset - 3.31) + abs(tone.offset - 4.62)
    assert abs(coarse.onset - 3.31) + abs(coarse.offset - 4.62) > error + 0.1, coarse  # the hop's grid


class Finished:
    """A sink keeping finished events."""

    def __init__(self):
        self.events = []

    def window(self, result):
        pass

    def event(self, event):
        if event.offset is not None:
            self.events.append(event)

    def close(self):
        pass


def test_a_frame_head_trained_with_the_encoder(tmp_path):
    """`fit --frame-loss`: the encoder and a frame head learn together from the events' times, and the
    model file keeps the head (concatenated step input) for the live path."""
    from rtast.train.loop import train
    from rtast.train.recipes import TrainConfig

    train_spec = scene_dataset(*write_scenes(tmp_path / "train", 24, seed=1))
    eval_spec = scene_dataset(*write_scenes(tmp_path / "eval", 8, seed=2), eval_window=3.0, eval_hop=1.0)
    config = TrainConfig(
        preset="tiny224", embed_dim=32, depth=1, num_heads=2, fstride=16, tstride=16, target_length=298,
        window_seconds=3.0, mean=-8.0, std=4.0, lr=2e-3, batch_size=8, epochs=4, warmup_steps=5,
        crops_per_clip=2, frame_loss=1.0, seed=0,
    )  # fmt: skip
    train(config, train_spec, eval_spec, tmp_path / "run", progress=False)
    model_file = load_model_file(tmp_path / "run" / "best.pt")
    assert model_file.model_config.frame_head and model_file.model_config.frame_input == "concat"
    model = model_file.build_model().eval()
    report = step_scores(model, model_file, eval_spec, progress=False)
    print(report)
    assert report["step_mAP"] >= 0.8  # a tone and a noise burst, told apart step by step
    with pytest.raises(ValueError, match="event times"):  # clips without event times cannot train one
        train(replace(config, epochs=1), replace(train_spec, strong=False), None, tmp_path / "weak", progress=False)
