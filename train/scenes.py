"""Scenes with strong labels: an AST manifest plus a DCASE events file, for sound event detection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from rtast.train.data import Clip, DatasetSpec, events_in
from rtast.train.layouts import _read_csv, _require_file, manifest_dataset


def scene_dataset(
    manifest: Path, label_csv: Path, events_tsv: Path, eval_window: float | None = None, eval_hop: float | None = None
) -> DatasetSpec:
    """Scenes with strong labels: an AST manifest plus a DCASE events file (filename, onset, offset, event_label).

    Training crops take their labels from the events they overlap. With ``eval_window`` and
    ``eval_hop`` (seconds), each scene becomes fixed crops every hop, for evaluation; the scene
    length is read from the file header.
    """
    base = manifest_dataset(manifest, label_csv)
    _require_file(Path(events_tsv), "events file")
    index = {name: i for i, name in enumerate(base.labels)}
    by_file: dict[str, list[tuple[float, float, int]]] = {}
    for row in _read_csv(
        Path(events_tsv), ("filename", "onset", "offset", "event_label"), "events file", delimiter="\t"
    ):
        if row["event_label"] not in index:
            raise ValueError(f"{events_tsv}: event label {row['event_label']!r} is not in {label_csv}")
        by_file.setdefault(row["filename"], []).append(
            (float(row["onset"]), float(row["offset"]), index[row["event_label"]])
        )
    root = Path(manifest).parent
    clips = []
    for clip in base.clips:
        key = str(clip.path.relative_to(root)) if clip.path.is_relative_to(root) else str(clip.path)
        events = tuple(by_file.get(key, by_file.get(clip.path.name, [])))
        if eval_window is None:
            clips.append(Clip(clip.path, clip.targets, None, events))
            continue
        duration = sf.info(str(clip.path)).duration
        starts = np.arange(0.0, max(duration - eval_window, 0.0) + 1e-9, eval_hop or eval_window)
        clips += [
            Clip(clip.path, tuple(sorted(events_in(events, t, t + eval_window))), float(t), events) for t in starts
        ]
    return DatasetSpec(clips, base.labels, True, f"scenes:{Path(manifest).name}", strong=True)
