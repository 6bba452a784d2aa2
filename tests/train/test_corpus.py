"""train.corpus: a tiny synthesised corpus (6 train + 4 eval scenes) checked file by file."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import require

from rtast.train import corpus

TRAIN_SCENES, EVAL_SCENES, SEED = 6, 4, 7
SCENE_SAMPLES = 160000  # 10 s at 16 kHz
AUDIOSET_CSV = Path(__file__).resolve().parents[2] / "rtast" / "data" / "audioset_class_labels_indices.csv"


def require_corpus_packages() -> None:
    """Skip unless espeak-ng, fluidsynth, both soundfonts and the freedesktop sound theme are installed."""
    require("espeak-ng")
    missing = corpus.missing_dependencies()
    if missing:
        what = ", ".join(thing for thing, _ in missing)
        packages = " ".join(sorted({package for _, package in missing}))
        pytest.skip(f"corpus sources missing ({what}): apt-get install {packages}")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    require_corpus_packages()
    out = tmp_path_factory.mktemp("corpus") / "a"
    counts = corpus.build_corpus(out, TRAIN_SCENES, EVAL_SCENES, SEED, progress=False)
    return out, counts


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def events_by_file(path: Path) -> dict[str, list[tuple[float, float, str]]]:
    events: dict[str, list[tuple[float, float, str]]] = {}
    for row in read_tsv(path):
        events.setdefault(row["filename"], []).append((float(row["onset"]), float(row["offset"]), row["event_label"]))
    return events


def manifest_entries(out: Path, split: str) -> list[dict[str, str]]:
    return json.loads((out / split / "manifest.json").read_text("utf-8"))["data"]


def label_rows(out: Path) -> list[dict[str, str]]:
    with (out / "labels.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_files_and_manifests_exist_and_parse(built):
    out, counts = built
    assert counts["train_scenes"] == TRAIN_SCENES and counts["eval_scenes"] == EVAL_SCENES
    assert counts["classes"] == len(label_rows(out)) >= 15
    for split, scenes in (("train", TRAIN_SCENES), ("eval", EVAL_SCENES)):
        entries = manifest_entries(out, split)
        assert [e["wav"] for e in entries] == [f"clips/scene_{i:05d}.wav" for i in range(1, scenes + 1)]
        assert all((out / split / e["wav"]).is_file() for e in entries)
        assert sorted(p.name for p in (out / split / "clips").iterdir()) == [Path(e["wav"]).name for e in entries]
        assert (out / split / "events.tsv").read_text("utf-8").splitlines()[0] == "filename\tonset\toffset\tevent_label"
        assert len(json.loads((out / split / "scenes.json").read_text("utf-8"))["scenes"]) == scenes
        assert counts[f"{split}_events"] == len(read_tsv(out / split / "events.tsv"))
    sources = json.loads((out / "sources.json").read_text("utf-8"))
    assert len(sources["sources"]) == counts["train_sources"] + counts["eval_sources"]
    assert all((out / s["file"]).is_file() for s in sources["sources"])


def test_labels_csv_has_real_audioset_mids(built):
    out, _ = built
    with AUDIOSET_CSV.open(newline="", encoding="utf-8") as f:
        audioset = {row["display_name"]: (int(row["index"]), row["mid"]) for row in csv.DictReader(f)}
    rows = label_rows(out)
    assert [int(r["index"]) for r in rows] == list(range(len(rows)))
    for row in rows:
        assert row["display_name"] in audioset, row
        assert row["mid"] == audioset[row["display_name"]][1], row
    order = [audioset[r["display_name"]][0] for r in rows]
    assert order == sorted(order) and len(set(order)) == len(order)
    assert {"Speech", "Piano", "Siren", "Drum", "Beep, bleep"} <= {r["display_name"] for r in rows}


def test_manifest_labels_are_the_events_of_each_scene(built):
    out, _ = built
    mid_of = {r["display_name"]: r["mid"] for r in label_rows(out)}
    for split in corpus.SPLITS:
        events = events_by_file(out / split / "events.tsv")
        entries = manifest_entries(out, split)
        assert set(events) <= {Path(e["wav"]).name for e in entries}
        for entry in entries:
            labels = {m for m in entry["labels"].split(",") if m}
            assert labels == {mid_of[label] for _, _, label in events.get(Path(entry["wav"]).name, [])}, entry


def test_event_times_lie_within_the_scene(built):
    out, _ = built
    for split in corpus.SPLITS:
        for row in read_tsv(out / split / "events.tsv"):
            assert re.fullmatch(r"\d+\.\d{3}", row["onset"]) and re.fullmatch(r"\d+\.\d{3}", row["offset"]), row
            assert 0.0 <= float(row["onset"]) < float(row["offset"]) <= 10.0, row


def test_eval_sources_are_disjoint_from_train_sources(built):
    out, _ = built
    sources = json.loads((out / "sources.json").read_text("utf-8"))["sources"]
    by_split = {split: [s for s in sources if s["split"] == split] for split in corpus.SPLITS}
    assert len({s["id"] for s in sources}) == len(sources)

    def keys(split: str, what) -> set:
        return {what(s) for s in by_split[split]} - {None}

    for what in (
        lambda s: s["group"],
        lambda s: s["params"].get("voice"),
        lambda s: s["params"].get("text"),
        lambda s: s["params"].get("file"),
        lambda s: json.dumps(s["params"]["notes"]) if "notes" in s["params"] else None,
        lambda s: (
            (s["params"].get("soundfont"), s["params"].get("bank"), s["params"].get("program"))
            if s["kind"] == "fluidsynth"
            else None
        ),
    ):
        assert not keys("train", what) & keys("eval", what)
    labels = {r["display_name"] for r in label_rows(out)}
    assert {s["label"] for s in by_split["train"]} == {s["label"] for s in by_split["eval"]} == labels
    for split in corpus.SPLITS:
        ids = {s["id"] for s in by_split[split]}
        scenes = json.loads((out / split / "scenes.json").read_text("utf-8"))["scenes"]
        assert all(e["source"] in ids for scene in scenes for e in scene["events"])


def test_scenes_are_16k_mono_10s_unclipped_and_audible(built):
    out, _ = built
    for split in corpus.SPLITS:
        events = events_by_file(out / split / "events.tsv")
        for entry in manifest_entries(out, split):
            path = out / split / entry["wav"]
            info = sf.info(str(path))
            assert (info.samplerate, info.channels, info.frames, info.subtype) == (16000, 1, SCENE_SAMPLES, "PCM_16")
            samples = sf.read(str(path), dtype="int16")[0]
            assert np.abs(samples.astype(np.int32)).max() < 32767, f"{path} clips"
            if path.name in events:
                assert np.abs(samples).max() > 300, f"{path} has events but is nearly silent"


def test_events_stand_out_from_the_background(built):
    out, _ = built
    for split in corpus.SPLITS:
        for name, events in events_by_file(out / split / "events.tsv").items():
            x = sf.read(str(out / split / "clips" / name), dtype="float64")[0]
            outside = np.ones(len(x), bool)
            for onset, offset, _ in events:
                outside[round(onset * 16000) : round(offset * 16000)] = False
            if outside.sum() < 8000:  # events cover all but 0.5 s: nothing to compare with
                continue
            floor = np.sqrt(np.mean(x[outside] ** 2)) + 1e-9
            ratios = [np.sqrt(np.mean(x[round(a * 16000) : round(b * 16000)] ** 2)) / floor for a, b, _ in events]
            assert max(ratios) > 10 ** (10 / 20), f"{split}/{name}: no event 10 dB above the background"


def test_same_seed_gives_identical_output(built, tmp_path):
    out, _ = built
    again = tmp_path / "b"
    corpus.build_corpus(again, TRAIN_SCENES, EVAL_SCENES, SEED, progress=False)
    first, second = all_files(out), all_files(again)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_other_seed_changes_scenes_but_not_sources(built, tmp_path):
    out, _ = built
    other = tmp_path / "c"
    shutil.copytree(out / "sources", other / "sources")  # the cache: nothing needs rendering again
    corpus.build_corpus(other, 2, 1, SEED + 1, progress=False)
    assert (other / "sources.json").read_bytes() == (out / "sources.json").read_bytes()
    assert (other / "labels.csv").read_bytes() == (out / "labels.csv").read_bytes()
    assert (other / "train/clips/scene_00001.wav").read_bytes() != (out / "train/clips/scene_00001.wav").read_bytes()
    assert len(manifest_entries(other, "train")) == 2


def test_scenes_load_as_strongly_labelled_training_data(built):
    data = pytest.importorskip("rtast.train.scenes")
    out, _ = built
    spec = data.scene_dataset(out / "train/manifest.json", out / "labels.csv", out / "train/events.tsv")
    assert spec.strong and len(spec.clips) == TRAIN_SCENES
    assert spec.labels == [r["display_name"] for r in label_rows(out)]
    assert sum(len(c.events) for c in spec.clips) == len(read_tsv(out / "train/events.tsv"))


def test_missing_packages_are_named(monkeypatch, tmp_path):
    monkeypatch.setattr(corpus.deps.shutil, "which", lambda tool: None if tool == "fluidsynth" else "/usr/bin/" + tool)
    font = corpus.SOUNDFONTS["eval"]
    monkeypatch.setitem(corpus.SOUNDFONTS, "eval", corpus.SoundFont(tmp_path / "absent.sf2", font.package, font.name))
    monkeypatch.setattr(corpus.deps, "THEME_DIR", tmp_path / "no-theme")
    with pytest.raises(corpus.MissingDependencyError) as error:
        corpus.build_corpus(tmp_path / "out", 1, 1, 0, progress=False)
    message = str(error.value)
    for package in ("fluidsynth", "timgm6mb-soundfont", "sound-theme-freedesktop"):
        assert package in message
    assert "espeak-ng" not in message
    assert not (tmp_path / "out").exists()


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="scene counts"):
        corpus.build_corpus(tmp_path, -1, 1, 0, progress=False)
    with pytest.raises(ValueError, match="seed"):
        corpus.build_corpus(tmp_path, 1, 1, -3, progress=False)
    with pytest.raises(ValueError, match="scene_seconds"):
        corpus.build_corpus(tmp_path, 1, 1, 0, scene_seconds=0.5, progress=False)
