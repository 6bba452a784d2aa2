"""Writing a corpus: labels.csv, each split's scenes, manifest, events and notes, and sources.json."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from rtast.fbank import SAMPLE_RATE
from rtast.train.corpus.cache import GENERATOR_VERSION
from rtast.train.corpus.deps import SOUNDFONTS, package_version
from rtast.train.corpus.scenes import Event, mix_scene
from rtast.train.corpus.sources import SOURCE_SEED, SPLIT_IDS, SPLITS, Source, audioset_classes


def scene_name(index: int) -> str:
    return f"scene_{index:05d}.wav"


def write_labels(out_dir: Path, names: list[str]) -> dict[str, str]:
    """Write labels.csv (index,mid,display_name in ``names`` order) and return name -> mid."""
    table = audioset_classes()
    with (out_dir / "labels.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["index", "mid", "display_name"])
        writer.writerows([i, table[name][1], name] for i, name in enumerate(names))
    return {name: table[name][1] for name in names}


def event_note(event: Event) -> dict:
    """An event as described in scenes.json."""
    return {
        "label": event.label,
        "onset": round(event.onset, 3),
        "offset": round(event.offset, 3),
        "source": event.source,
        "level_db": event.level_db,
    }


def build_split(
    out_dir: Path,
    split: str,
    count: int,
    seed: int,
    pools: dict[str, list[Source]],
    mids: dict[str, str],
    n: int,
    progress: bool,
) -> int:
    """Mix and write ``count`` scenes of one split with their manifest, events and scene notes; returns events."""
    folder = out_dir / split
    clips = folder / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    for old in clips.glob("scene_*.wav"):
        old.unlink()
    order = list(mids)
    entries, rows, notes = [], [], []
    for index in tqdm(range(1, count + 1), desc=f"{split} scenes", disable=not progress):
        rng = np.random.default_rng([seed, SPLIT_IDS[split], index])
        audio, events, bg, norm_db = mix_scene(rng, pools, n)
        name = scene_name(index)
        sf.write(str(clips / name), audio.astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
        present = sorted({e.label for e in events}, key=order.index)
        entries.append({"wav": f"clips/{name}", "labels": ",".join(mids[label] for label in present)})
        rows += [(name, f"{e.onset:.3f}", f"{e.offset:.3f}", e.label) for e in events]
        notes.append(
            {
                "wav": f"clips/{name}",
                "background": bg,
                "normalise_db": norm_db,
                "events": [event_note(e) for e in events],
            }
        )
    (folder / "manifest.json").write_text(json.dumps({"data": entries}, indent=1) + "\n", encoding="utf-8")
    with (folder / "events.tsv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["filename", "onset", "offset", "event_label"])
        writer.writerows(rows)
    (folder / "scenes.json").write_text(json.dumps({"scenes": notes}, indent=1) + "\n", encoding="utf-8")
    return len(rows)


def source_record(source: Source, mids: dict[str, str]) -> dict:
    """A source as described in sources.json."""
    return {
        "id": source.id,
        "label": source.label,
        "mid": mids[source.label],
        "split": source.split,
        "kind": source.kind,
        "group": source.group,
        "package": source.package or None,
        "croppable": source.croppable,
        "weight": source.weight,
        "seconds": round(len(source.audio) / SAMPLE_RATE, 3),
        "file": source.file,
        "params": source.params,
    }


def write_sources(out_dir: Path, sources: list[Source], mids: dict[str, str], fetched: dict | None = None) -> None:
    """sources.json: the packages, classes and every source, for the model card.

    ``fetched``: Debian packages of real recordings (name -> train.debsources.Package), with their licences.
    """
    fetched = fetched or {}
    packages = sorted(({s.package for s in sources if s.package} | {"fluidsynth"}) - set(fetched))
    counts = {
        name: {split: sum(s.label == name and s.split == split for s in sources) for split in SPLITS} for name in mids
    }
    document = {
        "generator": "rtast.train.corpus",
        "generator_version": GENERATOR_VERSION,
        "source_seed": SOURCE_SEED,
        "sample_rate": SAMPLE_RATE,
        "packages": {p: package_version(p) for p in packages},
        "recordings": {name: p.record() for name, p in fetched.items()},
        "soundfonts": {
            split: {"file": str(f.path), "package": f.package, "name": f.name} for split, f in SOUNDFONTS.items()
        },
        "classes": [{"display_name": n, "mid": mids[n], "sources": counts[n]} for n in mids],
        "sources": [source_record(s, mids) for s in sources],
    }
    (out_dir / "sources.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
