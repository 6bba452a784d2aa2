"""train.data: tiny replicas of the real dataset layouts, built from espeak-ng words, tones and noise."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr
import torch
from conftest import require, write_wav

from rtast.audiofile import AudioFileError, load_audio
from rtast.labels import audioset_labels
from rtast.train.data import Clip, DatasetSpec, WaveformDataset, class_counts
from rtast.train.layouts import (
    esc50_folds,
    folder_dataset,
    manifest_dataset,
    speech_commands_dataset,
    write_manifest,
)

AUDIOSET_CSV = Path(__file__).parents[2] / "rtast" / "data" / "audioset_class_labels_indices.csv"
VOICES = ("en-us", "en-gb", "en-gb-scotland")
ESPEAK_RATE = 22050  # what espeak-ng writes


def speak(path: Path, text: str, voice: str = "en-us", rate: int = ESPEAK_RATE, channels: int = 1) -> Path:
    """``text`` spoken by espeak-ng, converted to ``rate`` Hz and ``channels`` channels."""
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, capture_output=True)
    if rate != ESPEAK_RATE or channels != 1:
        audio, _ = sf.read(str(path), dtype="float32")
        audio = soxr.resample(audio, ESPEAK_RATE, rate)
        write_wav(path, np.stack([audio] * channels, axis=1) if channels > 1 else audio, rate, "PCM_16")
    return path


def tone(path: Path, freq: float, seconds: float, rate: int, channels: int = 1) -> Path:
    t = np.arange(round(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * freq * t)
    columns = [wave * (1 - 0.5 * c) for c in range(channels)]
    return write_wav(path, np.stack(columns, axis=1) if channels > 1 else wave, rate)


def noise(path: Path, seconds: float, rate: int, seed: int, channels: int = 1) -> Path:
    samples = np.random.default_rng(seed).normal(0, 0.1, (round(seconds * rate), channels)).astype(np.float32)
    return write_wav(path, samples if channels > 1 else samples[:, 0], rate)


# --- tiny replicas of the real layouts ---


@pytest.fixture(scope="module")
def esc50_root(tmp_path_factory) -> Path:
    """ESC-50: meta/esc50.csv (7 columns, rows not ordered by target) and audio/{fold}-{src}-{take}-{target}.wav."""
    require("espeak-ng")
    root = tmp_path_factory.mktemp("ESC-50-master")
    (root / "audio").mkdir()
    (root / "meta").mkdir()
    rows = []
    for fold in range(1, 6):
        for target, category in [(2, "rain"), (0, "dog"), (1, "clock_tick")]:
            name = f"{fold}-{1000 * fold + target}-A-{target}.wav"
            path = root / "audio" / name
            if category == "dog":
                speak(path, "woof woof", VOICES[fold % 3], rate=44100)
            elif category == "rain":
                noise(path, 0.5, 44100, seed=fold)
            else:
                tone(path, 1000 + 100 * fold, 0.5, 44100)
            rows.append([name, fold, target, category, str(target == 0), 1000 * fold + target, "A"])
    with (root / "meta" / "esc50.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["filename", "fold", "target", "category", "esc10", "src_file", "take"])
        writer.writerows(rows)
    return root


SPEAKERS = ("0a7c2a8d", "1b4c9b89", "9ff2d2f4")  # speaker 1 -> validation list, speaker 2 -> testing list


@pytest.fixture(scope="module")
def speech_commands_root(tmp_path_factory) -> Path:
    """Speech Commands V2: <word>/<speaker>_nohash_<n>.wav (16 kHz mono PCM_16), split lists, background noise."""
    require("espeak-ng")
    root = tmp_path_factory.mktemp("speech_commands_v0.02")
    validation, testing = [], []
    for word in ("yes", "no", "up"):
        (root / word).mkdir()
        for s, speaker in enumerate(SPEAKERS):
            for take in range(2):
                name = f"{speaker}_nohash_{take}.wav"
                speak(root / word / name, word, VOICES[s], rate=16000)
                [validation, testing, []][s].append(f"{word}/{name}")
    (root / "_background_noise_").mkdir()
    noise(root / "_background_noise_" / "white_noise.wav", 2.0, 16000, seed=7)
    (root / "_background_noise_" / "README.md").write_text("noise\n")
    (root / "LICENSE").write_text("CC-BY-4.0\n")
    (root / "validation_list.txt").write_text("\n".join(validation) + "\n")
    (root / "testing_list.txt").write_text("\n".join(testing) + "\n")
    return root


@pytest.fixture(scope="module")
def folder_root(tmp_path_factory) -> Path:
    """root/<class>/ with wav, flac and ogg files at 8, 22.05 and 44.1 kHz, mono and stereo, plus clutter."""
    require("espeak-ng")
    root = tmp_path_factory.mktemp("my_sounds")
    for name in ("speech", "whistle", "hiss"):
        (root / name).mkdir()
    for i in range(6):
        speak(
            root / "speech" / f"word{i}.wav", ["hello", "sound", "event", "seven", "river", "table"][i], VOICES[i % 3]
        )
        tone(root / "whistle" / f"w{i}.flac", 600 + 150 * i, 0.8, 44100, channels=2)
        noise(root / "hiss" / f"h{i}.{'ogg' if i % 2 else 'wav'}", 0.4, 8000, seed=i)  # shorter than 0.5 s
    (root / "speech" / "notes.txt").write_text("not audio\n")
    (root / ".cache").mkdir()
    return root


# --- AudioSet-style manifests ---


def test_manifest_mids_become_indices_and_relative_paths_resolve(tmp_path):
    (tmp_path / "audio").mkdir()
    absolute = tone(tmp_path / "abs.wav", 440, 0.3, 16000)
    entries = [
        {"wav": str(absolute), "labels": "/m/09x0r,/m/05zppz"},  # Speech, Male speech
        {"wav": "audio/music.wav", "labels": " /m/04rlf "},  # Music, spaces around the mid
        {"wav": "audio/both.wav", "labels": "/m/04rlf,/m/09x0r,/m/04rlf"},  # repeated mid
    ]
    manifest = tmp_path / "train.json"
    manifest.write_text(json.dumps({"data": entries}))
    spec = manifest_dataset(manifest, AUDIOSET_CSV)
    assert spec.labels == audioset_labels() and spec.multilabel and spec.name == "manifest:train.json"
    assert [c.targets for c in spec.clips] == [(0, 1), (137,), (0, 137)]
    assert [c.path for c in spec.clips] == [absolute, tmp_path / "audio/music.wav", tmp_path / "audio/both.wav"]
    counts = class_counts(spec)
    assert counts.shape == (527,) and counts[0] == 2 and counts[1] == 1 and counts[137] == 2 and counts.sum() == 5


def test_manifest_errors_name_the_bad_value(tmp_path):
    manifest = tmp_path / "eval.json"
    manifest.write_text(
        json.dumps({"data": [{"wav": "a.wav", "labels": "/m/09x0r"}, {"wav": "b.wav", "labels": "/m/nope"}]})
    )
    with pytest.raises(ValueError, match=r"entry 1 \(b.wav\): unknown label mid '/m/nope'"):
        manifest_dataset(manifest, AUDIOSET_CSV)
    with pytest.raises(ValueError, match="missing.json does not exist"):
        manifest_dataset(tmp_path / "missing.json", AUDIOSET_CSV)
    with pytest.raises(ValueError, match="label CSV .*labels.csv does not exist"):
        manifest_dataset(manifest, tmp_path / "labels.csv")
    manifest.write_text(json.dumps([{"wav": "a.wav"}]))
    with pytest.raises(ValueError, match="'data' list"):
        manifest_dataset(manifest, AUDIOSET_CSV)


def test_write_manifest_round_trip(tmp_path, folder_root):
    spec = folder_dataset(folder_root)
    multi = DatasetSpec([Clip(c.path, (c.targets[0], 2)) for c in spec.clips], spec.labels, True, "multi")
    inside = tmp_path / "clips"
    inside.mkdir()
    extra = tone(inside / "local.wav", 300, 0.2, 16000)
    multi.clips.append(Clip(extra, (1,)))
    write_manifest(multi, tmp_path / "m.json", tmp_path / "labels.csv")
    wavs = [e["wav"] for e in json.loads((tmp_path / "m.json").read_text())["data"]]
    assert wavs[-1] == "clips/local.wav" and all(Path(w).is_absolute() for w in wavs[:-1])
    back = manifest_dataset(tmp_path / "m.json", tmp_path / "labels.csv")
    assert back.clips == [Clip(c.path, tuple(sorted(set(c.targets)))) for c in multi.clips]
    assert back.labels == spec.labels
    mids = ["/m/a", "/m/b", "/m/c"]
    write_manifest(multi, tmp_path / "n.json", tmp_path / "n.csv", mids)
    assert "/m/c" in (tmp_path / "n.json").read_text()
    assert manifest_dataset(tmp_path / "n.json", tmp_path / "n.csv").clips == back.clips
    with pytest.raises(ValueError, match="2 mids for 3 labels"):
        write_manifest(multi, tmp_path / "x.json", tmp_path / "x.csv", mids[:2])
    with pytest.raises(ValueError, match="mid '/m/a,b' is not allowed"):
        write_manifest(multi, tmp_path / "x.json", tmp_path / "x.csv", ["/m/a,b", "/m/b", "/m/c"])


# --- ESC-50 ---


def test_esc50_fold_selection(esc50_root):
    spec, _ = esc50_folds(esc50_root, test_fold=2)
    assert spec.labels == ["dog", "clock_tick", "rain"]  # by target id, not by order of appearance
    assert not spec.multilabel and spec.name == "esc50:folds 1,3,4,5"
    assert sorted(int(c.path.name.split("-")[0]) for c in spec.clips) == [1, 1, 1, 3, 3, 3, 4, 4, 4, 5, 5, 5]
    for clip in spec.clips:
        assert clip.targets == (int(clip.path.stem.split("-")[-1]),) and clip.path.parent == esc50_root / "audio"
    assert class_counts(spec).tolist() == [4, 4, 4]


def test_esc50_folds_split(esc50_root):
    train, held_out = esc50_folds(esc50_root, test_fold=2)
    assert train.name == "esc50:folds 1,3,4,5" and held_out.name == "esc50:folds 2"
    train_paths, eval_paths = {c.path for c in train.clips}, {c.path for c in held_out.clips}
    assert not train_paths & eval_paths
    assert train_paths | eval_paths == set((esc50_root / "audio").glob("*.wav"))
    assert all(p.name.startswith("2-") for p in eval_paths) and len(eval_paths) == 3


@pytest.mark.parametrize("fold", [0, 6])
def test_esc50_bad_folds(esc50_root, fold):
    with pytest.raises(ValueError, match="fold|folds"):
        esc50_folds(esc50_root, fold)


def test_esc50_missing_layout(tmp_path, esc50_root):
    with pytest.raises(ValueError, match="fold 9 does not exist; allowed: 1, 2, 3, 4, 5"):
        esc50_folds(esc50_root, 9)
    with pytest.raises(ValueError, match="ESC-50 root .* does not exist"):
        esc50_folds(tmp_path / "nowhere", 1)
    (tmp_path / "audio").mkdir()
    with pytest.raises(ValueError, match="esc50.csv does not exist"):
        esc50_folds(tmp_path, 1)


# --- Speech Commands V2 ---


def test_speech_commands_splits(speech_commands_root):
    root = speech_commands_root
    splits = {s: speech_commands_dataset(root, s) for s in ("train", "validation", "test")}
    for split, spec in splits.items():
        assert spec.labels == ["no", "up", "yes"] and not spec.multilabel and spec.name == f"speechcommands:{split}"
        for clip in spec.clips:
            assert clip.targets == (spec.labels.index(clip.path.parent.name),)
    relative = {s: {c.path.relative_to(root).as_posix() for c in spec.clips} for s, spec in splits.items()}
    assert relative["validation"] == set((root / "validation_list.txt").read_text().split())
    assert relative["test"] == set((root / "testing_list.txt").read_text().split())
    assert all(Path(r).name.startswith(SPEAKERS[2]) for r in relative["train"])  # the unlisted speaker
    every_word_file = {p.relative_to(root).as_posix() for p in root.glob("*/*.wav") if p.parent.name[0] != "_"}
    assert relative["train"] | relative["validation"] | relative["test"] == every_word_file
    assert sum(len(r) for r in relative.values()) == len(every_word_file) == 18
    assert not any("_background_noise_" in r for rel in relative.values() for r in rel)


def test_speech_commands_errors(tmp_path, speech_commands_root):
    with pytest.raises(ValueError, match="split 'valid' does not exist; allowed: train, validation, test"):
        speech_commands_dataset(speech_commands_root, "valid")
    copy = shutil.copytree(speech_commands_root, tmp_path / "sc")
    (copy / "testing_list.txt").unlink()
    with pytest.raises(ValueError, match="testing_list.txt does not exist"):
        speech_commands_dataset(copy, "train")
    (copy / "testing_list.txt").write_text("yes/missing_nohash_0.wav\n")
    with pytest.raises(ValueError, match="missing_nohash_0.wav"):
        speech_commands_dataset(copy, "test")
    (copy / "testing_list.txt").write_text("maybe/a_nohash_0.wav\n")
    with pytest.raises(ValueError, match="'maybe/a_nohash_0.wav' is not 'word/file.wav' with a known word"):
        speech_commands_dataset(copy, "train")


# --- a folder per class ---


def test_folder_dataset_all_clips(folder_root):
    spec = folder_dataset(folder_root)
    assert (
        spec.labels == ["hiss", "speech", "whistle"]
        and not spec.multilabel
        and spec.name == "folder:" + folder_root.name
    )
    assert class_counts(spec).tolist() == [6, 6, 6]
    assert {c.path.suffix for c in spec.clips} == {".wav", ".flac", ".ogg"}
    assert all(c.targets == (spec.labels.index(c.path.parent.name),) for c in spec.clips)


def test_folder_split_is_deterministic_and_disjoint(tmp_path, folder_root):
    train, held_out = folder_dataset(folder_root, "train"), folder_dataset(folder_root, "eval")
    assert train.name.endswith(":train") and held_out.name.endswith(":eval")
    assert class_counts(held_out).tolist() == [1, 1, 1]  # round(6 * 0.2)
    assert not {c.path for c in train.clips} & {c.path for c in held_out.clips}
    assert len(train.clips) + len(held_out.clips) == 18
    assert folder_dataset(folder_root, "eval").clips == held_out.clips
    assert class_counts(folder_dataset(folder_root, "eval", eval_fraction=0.5)).tolist() == [3, 3, 3]
    assert folder_dataset(folder_root, "eval", seed=1).clips != held_out.clips
    # another class does not move the split of the existing ones
    copy = shutil.copytree(folder_root, tmp_path / "more")
    (copy / "aaa").mkdir()
    tone(copy / "aaa" / "only.wav", 200, 0.2, 16000)
    moved = folder_dataset(copy, "eval")
    assert [c.path.relative_to(copy) for c in moved.clips] == [c.path.relative_to(folder_root) for c in held_out.clips]
    assert [c.path.name for c in folder_dataset(copy, "train").clips if c.targets == (0,)] == ["only.wav"]


def test_folder_errors(tmp_path, folder_root):
    with pytest.raises(ValueError, match="split 'test' does not exist; allowed: None, train, eval"):
        folder_dataset(folder_root, "test")
    with pytest.raises(ValueError, match="eval_fraction 1.0 is out of range"):
        folder_dataset(folder_root, "eval", eval_fraction=1.0)
    with pytest.raises(ValueError, match="dataset folder .*nowhere does not exist"):
        folder_dataset(tmp_path / "nowhere")
    (tmp_path / "empty_class").mkdir()
    (tmp_path / "empty_class" / "readme.txt").write_text("x")
    with pytest.raises(ValueError, match="empty_class has no audio files"):
        folder_dataset(tmp_path)


def test_spec_checks_targets(tmp_path):
    with pytest.raises(ValueError, match="needs exactly one"):
        DatasetSpec([Clip(tmp_path / "a.wav", (0, 1))], ["a", "b"], multilabel=False, name="t")
    with pytest.raises(ValueError, match="class index 2; allowed: 0..1"):
        DatasetSpec([Clip(tmp_path / "a.wav", (2,))], ["a", "b"], multilabel=True, name="t")


# --- WaveformDataset ---


def test_waveforms_are_load_audio_cut_to_the_window(folder_root):
    spec = folder_dataset(folder_root)
    window = 8000  # 0.5 s: speech and tones are longer, some noise clips too
    dataset = WaveformDataset(spec, window, train=False)
    assert len(dataset) == 18
    lengths = set()
    for i, clip in enumerate(spec.clips):
        waveform, target = dataset[i]
        full = load_audio(clip.path)
        assert waveform.dtype == torch.float32 and waveform.ndim == 1 and len(waveform) == min(len(full), window)
        assert torch.equal(waveform, torch.from_numpy(full[:window]))
        assert target.dtype == torch.float32 and target.tolist() == [float(k == clip.targets[0]) for k in range(3)]
        lengths.add(len(waveform) < window)
    assert lengths == {True, False}  # both cut and unpadded short clips occurred


def test_random_crops_depend_on_seed_and_epoch_only(speech_commands_root):
    spec = speech_commands_dataset(speech_commands_root, "train")
    window = 4000
    full = [load_audio(c.path) for c in spec.clips]
    assert all(len(f) > window + 100 for f in full)

    def crops(seed: int, epoch: int, order=None) -> list[int]:
        dataset = WaveformDataset(spec, window, train=True, seed=seed)
        dataset.set_epoch(epoch)
        starts = {}
        for i in order or range(len(spec.clips)):
            waveform = dataset[i][0].numpy()
            assert len(waveform) == window
            found = [s for s in range(len(full[i]) - window + 1) if np.array_equal(full[i][s : s + window], waveform)]
            assert found, "a training crop must be a slice of load_audio's output"
            starts[i] = found[0]
        return [starts[i] for i in sorted(starts)]

    first = crops(0, 0)
    assert crops(0, 0, order=list(reversed(range(len(spec.clips))))) == first  # independent of loading order
    assert crops(0, 1) != first and crops(1, 0) != first
    assert len(set(first)) > 1


def test_crops_are_the_same_in_dataloader_workers(speech_commands_root):
    spec = speech_commands_dataset(speech_commands_root, "validation")
    dataset = WaveformDataset(spec, 4000, train=True, seed=3)
    dataset.set_epoch(5)
    direct = [dataset[i][0] for i in range(len(dataset))]
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2)
    assert all(torch.equal(a, b) for a, b in zip(direct, [w for w, _ in loader], strict=True))


def test_multilabel_targets_and_resampled_stereo(tmp_path):
    stereo = tone(tmp_path / "stereo44k.wav", 1000, 1.0, 44100, channels=2)
    low = noise(tmp_path / "low8k.wav", 0.3, 8000, seed=1)
    spec = DatasetSpec([Clip(stereo, (0, 2)), Clip(low, ())], ["a", "b", "c"], multilabel=True, name="t")
    dataset = WaveformDataset(spec, 16000, train=True)
    waveform, target = dataset[0]
    assert target.tolist() == [1.0, 0.0, 1.0] and torch.equal(waveform, torch.from_numpy(load_audio(stereo)))
    assert abs(len(waveform) - 16000) <= 1  # 1 s at 44.1 kHz became 16 kHz (not longer than the window)
    waveform, target = dataset[1]
    assert target.tolist() == [0.0, 0.0, 0.0] and abs(len(waveform) - 4800) <= 1


def test_unreadable_clips_raise_audio_file_errors(tmp_path):
    (tmp_path / "text.wav").write_text("this is not audio\n" * 20)
    spec = DatasetSpec([Clip(tmp_path / "gone.wav", (0,)), Clip(tmp_path / "text.wav", (0,))], ["a"], False, "t")
    dataset = WaveformDataset(spec, 16000, train=False)
    with pytest.raises(AudioFileError, match="gone.wav: no such file"):
        dataset[0]
    with pytest.raises(AudioFileError, match="text.wav: not a readable audio file"):
        dataset[1]
    with pytest.raises(IndexError, match="clip index 2 is out of range for 2 clips"):
        dataset[2]
    with pytest.raises(ValueError, match="window_samples must be a positive integer, got 0"):
        WaveformDataset(spec, 0, train=False)


def test_scene_dataset_labels_crops_from_events(tmp_path):
    import soundfile as sf

    from rtast.train.data import WaveformDataset
    from rtast.train.scenes import scene_dataset

    (tmp_path / "clips").mkdir()
    sf.write(tmp_path / "clips" / "s1.wav", np.zeros(16000 * 10, np.float32), 16000)
    (tmp_path / "labels.csv").write_text("index,mid,display_name\n0,/m/a,Dog\n1,/m/b,Cat\n")
    (tmp_path / "manifest.json").write_text('{"data": [{"wav": "clips/s1.wav", "labels": "/m/a,/m/b"}]}')
    (tmp_path / "events.tsv").write_text(
        "filename\tonset\toffset\tevent_label\nclips/s1.wav\t1.0\t3.0\tDog\nclips/s1.wav\t6.0\t6.4\tCat\n"
    )
    train_spec = scene_dataset(tmp_path / "manifest.json", tmp_path / "labels.csv", tmp_path / "events.tsv")
    assert train_spec.strong and train_spec.clips[0].events == ((1.0, 3.0, 0), (6.0, 6.4, 1))
    eval_spec = scene_dataset(
        tmp_path / "manifest.json", tmp_path / "labels.csv", tmp_path / "events.tsv", eval_window=3.0, eval_hop=1.0
    )
    assert [c.start for c in eval_spec.clips] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    # Dog 1-3 s needs 0.5 s inside a crop; the 0.4-s Cat needs half of itself (0.2 s).
    assert [c.targets for c in eval_spec.clips] == [(0,), (0,), (0,), (), (1,), (1,), (1,), ()]
    dataset = WaveformDataset(eval_spec, 48000, train=False)
    wave, target = dataset[4]
    assert len(wave) == 48000 and target.tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="Bird"):
        (tmp_path / "bad.tsv").write_text("filename\tonset\toffset\tevent_label\nclips/s1.wav\t1\t2\tBird\n")
        scene_dataset(tmp_path / "manifest.json", tmp_path / "labels.csv", tmp_path / "bad.tsv")
