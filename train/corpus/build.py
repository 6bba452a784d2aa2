"""build_corpus: render (or reuse) the sources and write the train and eval scenes."""

from __future__ import annotations

from pathlib import Path

from rtast.fbank import SAMPLE_RATE
from rtast.train.corpus.cache import load_sources
from rtast.train.corpus.deps import check_dependencies
from rtast.train.corpus.sources import SPLITS, all_sources, class_names
from rtast.train.corpus.write import build_split, write_labels, write_sources


def build_corpus(
    out_dir: str | Path,
    train_scenes: int,
    eval_scenes: int,
    seed: int,
    scene_seconds: float = 10.0,
    progress: bool = True,
    real_table: str | None = None,
) -> dict:
    """Render the sources (or reuse them from out_dir/sources) and write the train and eval scenes.

    ``real_table``: the text of a real-sources table (train/realsources.py; ``"default"`` for the shipped
    one). Its packages are fetched, and a class it covers is learned and tested from those recordings
    only: its synthetic and espeak-ng sources are dropped. Its soundfont rows add instruments.

    Returns counts: classes, scenes, events and sources per split.

    Raises:
        MissingDependencyError: a needed Debian package is not installed (the message names it).
        ValueError: a negative scene count or seed, or a scene length under one second.
    """
    if train_scenes < 0 or eval_scenes < 0:
        raise ValueError(f"scene counts must be >= 0, got train {train_scenes} and eval {eval_scenes}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if not scene_seconds >= 1.0:
        raise ValueError(f"scene_seconds must be at least 1 s, got {scene_seconds}")
    check_dependencies()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sources, fetched = all_sources(), {}
    if real_table is not None:
        from rtast.train.realsources import default_table, read_table, real_sources

        real, fetched = real_sources(read_table(default_table() if real_table == "default" else real_table))
        covered = {s.label for s in real if s.kind == "debian-file"}
        synthetic = ("synthesis", "espeak-ng")
        sources = [s for s in sources if not (s.label in covered and s.kind in synthetic)] + real
    names = class_names(sources, need_train=train_scenes > 0)  # held-out scenes alone need no train sources
    sources = [s for s in sources if s.label in names]
    load_sources(out_dir, sources, progress)
    mids = write_labels(out_dir, names)
    write_sources(out_dir, sources, mids, fetched)
    n = round(scene_seconds * SAMPLE_RATE)
    counts = {"classes": len(names)}
    for split, count in zip(SPLITS, (train_scenes, eval_scenes), strict=True):
        pools = {name: [s for s in sources if s.label == name and s.split == split] for name in names}
        counts[f"{split}_scenes"] = count
        counts[f"{split}_events"] = build_split(out_dir, split, count, seed, pools, mids, n, progress)
        counts[f"{split}_sources"] = sum(s.split == split for s in sources)
    return counts
