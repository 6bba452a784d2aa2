"""The dataset layouts train/ reads: AudioSet-style manifests, ESC-50, Speech Commands V2, a folder per class."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from replicas import (
    AUDIOSET_CSV,
    SPEAKERS,
    tone,
)

from rtast.labels import audioset_labels
from rtast.train.data import Clip, DatasetSpec, class_counts
from rtast.train.layouts import (
    esc50_folds,
    folder_dataset,
    manifest_dataset,
    speech_commands_dataset,
    write_manifest,
)

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
