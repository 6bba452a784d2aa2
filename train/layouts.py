"""Dataset layouts read from their on-disk formats: AST-style JSON manifests, scenes with events, ESC-50,
Speech Commands V2 and a folder per class.

Every layout becomes one ``DatasetSpec``: clip paths, class indices and label names. Building a spec only
reads text files and directory listings; audio is decoded later by ``WaveformDataset``.
"""

from __future__ import annotations

import csv
import json
import os
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import soundfile as sf

from rtast.fbank import SAMPLE_RATE
from rtast.train.data import Clip, DatasetSpec

ESC50_FOLDS = (1, 2, 3, 4, 5)
ESC50_COLUMNS = ("filename", "fold", "target", "category")
SPEECH_COMMANDS_SPLITS = ("train", "validation", "test")
FOLDER_SPLITS = ("train", "eval")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
DEFAULT_MID_PREFIX = "/rtast/"  # write_manifest: mid of class i when none are given


def _require_file(path: Path, what: str) -> None:
    if not path.is_file():
        raise ValueError(f"{what} {path} does not exist or is not a file")


def _require_dir(path: Path, what: str) -> None:
    if not path.is_dir():
        raise ValueError(f"{what} {path} does not exist or is not a directory")


def _read_csv(path: Path, columns: Iterable[str], what: str, delimiter: str = ",") -> list[dict[str, str]]:
    """Rows of a CSV (or TSV) file that must have ``columns`` in its header."""
    _require_file(path, what)
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f, delimiter=delimiter)
            rows = list(reader)
            header = reader.fieldnames or []
    except UnicodeDecodeError as e:
        raise ValueError(f"{what} {path} is not UTF-8 text (byte {e.start}: {e.reason})") from e
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValueError(f"{what} {path}: missing column(s) {', '.join(missing)}; header is {','.join(header)}")
    return rows


def _parse_int(text: str, column: str, source: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{source}: column {column!r} holds {text!r}, expected an integer") from None


# --- AudioSet-style JSON manifests ---


def _read_label_csv(label_csv: Path) -> tuple[list[str], list[str]]:
    """(mids, display names) ordered by the ``index`` column, which must run 0..n-1."""
    rows = _read_csv(label_csv, ("index", "mid", "display_name"), "label CSV")
    by_index: dict[int, dict[str, str]] = {}
    for line, row in enumerate(rows, start=2):
        index = _parse_int(row["index"], "index", f"{label_csv} line {line}")
        if index in by_index:
            raise ValueError(f"label CSV {label_csv} line {line}: index {index} appears twice")
        by_index[index] = row
    if sorted(by_index) != list(range(len(by_index))):
        raise ValueError(f"label CSV {label_csv}: indices must run 0..{len(by_index) - 1} without gaps")
    if not by_index:
        raise ValueError(f"label CSV {label_csv} has no rows")
    ordered = [by_index[i] for i in range(len(by_index))]
    return [r["mid"].strip() for r in ordered], [r["display_name"] for r in ordered]


def manifest_dataset(manifest: Path, label_csv: Path) -> DatasetSpec:
    """An AST-style JSON manifest (``{"data": [{"wav": ..., "labels": "mid1,mid2"}, ...]}``), multi-label.

    Args:
        manifest: the JSON file; relative ``wav`` paths are resolved against its folder.
        label_csv: columns ``index,mid,display_name`` giving the class order.

    Raises:
        ValueError: unreadable files, a malformed entry or a mid missing from ``label_csv``.
    """
    manifest, label_csv = Path(manifest), Path(label_csv)
    mids, labels = _read_label_csv(label_csv)
    index_of_mid = {mid: i for i, mid in enumerate(mids)}
    _require_file(manifest, "manifest")
    try:
        document = json.loads(manifest.read_text("utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"manifest {manifest} is not valid JSON ({e})") from e
    entries = document.get("data") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"manifest {manifest}: expected a JSON object with a 'data' list of entries")
    clips = []
    for number, entry in enumerate(entries):
        where = f"manifest {manifest} entry {number}"
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("wav"), str)
            or not isinstance(entry.get("labels"), str)
        ):
            raise ValueError(f"{where}: expected an object with string fields 'wav' and 'labels', got {entry!r}")
        targets = set()
        for mid in (m.strip() for m in entry["labels"].split(",")):
            if not mid:
                continue
            if mid not in index_of_mid:
                raise ValueError(f"{where} ({entry['wav']}): unknown label mid {mid!r}, not in {label_csv}")
            targets.add(index_of_mid[mid])
        clips.append(Clip(manifest.parent / entry["wav"], tuple(sorted(targets))))
    return DatasetSpec(clips, labels, multilabel=True, name=f"manifest:{manifest.name}")


def write_manifest(spec: DatasetSpec, manifest: Path, label_csv: Path, mids: list[str] | None = None) -> None:
    """Write ``spec`` as an AST-style JSON manifest and its label CSV (the inverse of ``manifest_dataset``).

    Clips inside the manifest's folder are written relative to it, others as absolute paths.

    Args:
        spec: the clips and labels to write.
        manifest: the JSON file to write.
        label_csv: the ``index,mid,display_name`` CSV to write.
        mids: one unique mid per label, without commas; default ``/rtast/<index>``.
    """
    manifest, label_csv = Path(manifest), Path(label_csv)
    if mids is None:
        mids = [f"{DEFAULT_MID_PREFIX}{i}" for i in range(len(spec.labels))]
    if len(mids) != len(spec.labels):
        raise ValueError(f"got {len(mids)} mids for {len(spec.labels)} labels; give one mid per label")
    bad = [m for m in mids if not m.strip() or "," in m or m != m.strip()]
    if bad:
        raise ValueError(f"mid {bad[0]!r} is not allowed: mids must be non-empty, without commas or outer spaces")
    if len(set(mids)) != len(mids):
        raise ValueError("mids must be unique; the same mid names two labels")
    folder = manifest.parent.absolute()
    entries = []
    for clip in spec.clips:
        path = clip.path.absolute()
        wav = path.relative_to(folder).as_posix() if path.is_relative_to(folder) else str(path)
        entries.append({"wav": wav, "labels": ",".join(mids[t] for t in clip.targets)})
    manifest.write_text(json.dumps({"data": entries}, indent=1) + "\n", encoding="utf-8")
    with label_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["index", "mid", "display_name"])
        writer.writerows([i, mid, name] for i, (mid, name) in enumerate(zip(mids, spec.labels, strict=True)))


# --- ESC-50 ---


def _check_esc50_folds(folds: Iterable[int]) -> list[int]:
    chosen = sorted(set(folds))
    if not chosen:
        raise ValueError(f"no ESC-50 folds given; choose from {ESC50_FOLDS}")
    for fold in chosen:
        if fold not in ESC50_FOLDS:
            raise ValueError(f"ESC-50 fold {fold!r} does not exist; allowed: {', '.join(map(str, ESC50_FOLDS))}")
    return chosen


def _read_esc50(root: Path) -> tuple[list[tuple[str, int, int]], list[str]]:
    """(filename, fold, target) rows of meta/esc50.csv and the category names ordered by target id."""
    _require_dir(root, "ESC-50 root")
    _require_dir(root / "audio", "ESC-50 audio folder")
    csv_path = root / "meta" / "esc50.csv"
    rows = []
    category_of: dict[int, str] = {}
    for line, row in enumerate(_read_csv(csv_path, ESC50_COLUMNS, "ESC-50 metadata"), start=2):
        where = f"{csv_path} line {line}"
        fold = _parse_int(row["fold"], "fold", where)
        target = _parse_int(row["target"], "target", where)
        if fold not in ESC50_FOLDS:
            raise ValueError(f"{where}: fold {fold} is outside {ESC50_FOLDS}")
        if category_of.setdefault(target, row["category"]) != row["category"]:
            raise ValueError(f"{where}: target {target} is {row['category']!r} here but {category_of[target]!r} above")
        rows.append((row["filename"], fold, target))
    missing = sorted(set(range(max(category_of, default=-1) + 1)) - set(category_of))
    if not category_of or missing or min(category_of) < 0:
        raise ValueError(f"{csv_path}: target ids must run 0..n-1; missing {missing}, found {sorted(category_of)}")
    return rows, [category_of[t] for t in range(len(category_of))]


def _esc50_spec(root: Path, rows: list[tuple[str, int, int]], labels: list[str], folds: list[int]) -> DatasetSpec:
    clips = [Clip(root / "audio" / name, (target,)) for name, fold, target in rows if fold in folds]
    return DatasetSpec(clips, labels, multilabel=False, name=f"esc50:folds {','.join(map(str, folds))}")


def esc50_folds(root: Path, test_fold: int) -> tuple[DatasetSpec, DatasetSpec]:
    """(train, eval) for one cross-validation round: the other four folds and ``test_fold``."""
    root = Path(root)
    _check_esc50_folds([test_fold])
    rows, labels = _read_esc50(root)
    train_folds = [f for f in ESC50_FOLDS if f != test_fold]
    return _esc50_spec(root, rows, labels, train_folds), _esc50_spec(root, rows, labels, [test_fold])


# --- Speech Commands V2 ---


def _read_split_list(path: Path, words: set[str]) -> set[str]:
    """Relative ``word/file.wav`` paths listed in a Speech Commands split file."""
    _require_file(path, "Speech Commands split list")
    listed = set()
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        entry = line.strip()
        if not entry:
            continue
        word = entry.split("/", 1)[0]
        if "/" not in entry or word not in words:
            raise ValueError(f"{path} line {number}: {entry!r} is not 'word/file.wav' with a known word folder")
        listed.add(entry)
    return listed


def speech_commands_dataset(root: Path, split: str) -> DatasetSpec:
    """One split of Speech Commands V2: root/<word>/*.wav with validation_list.txt and testing_list.txt.

    ``train`` is every wav not named in either list; ``_background_noise_`` (any folder starting with ``_``
    or ``.``) is not a class. Labels are the word folder names, sorted.
    """
    root = Path(root)
    if split not in SPEECH_COMMANDS_SPLITS:
        allowed = ", ".join(SPEECH_COMMANDS_SPLITS)
        raise ValueError(f"Speech Commands split {split!r} does not exist; allowed: {allowed}")
    _require_dir(root, "Speech Commands root")
    words = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith(("_", ".")))
    if not words:
        raise ValueError(f"Speech Commands root {root} has no word folders")
    available = {
        f"{word}/{e.name}"
        for word in words
        for e in os.scandir(root / word)
        if e.is_file() and e.name.lower().endswith(".wav")
    }
    validation = _read_split_list(root / "validation_list.txt", set(words))
    testing = _read_split_list(root / "testing_list.txt", set(words))
    both = validation & testing
    if both:
        raise ValueError(f"{len(both)} file(s) are in both validation and testing lists, e.g. {min(both)}")
    if split == "train":
        chosen = available - validation - testing
    else:
        chosen = validation if split == "validation" else testing
        absent = chosen - available
        if absent:
            raise ValueError(f"{split} list names {len(absent)} file(s) missing under {root}, e.g. {min(absent)}")
    index_of_word = {word: i for i, word in enumerate(words)}
    clips = [Clip(root / rel, (index_of_word[rel.split("/", 1)[0]],)) for rel in sorted(chosen)]
    return DatasetSpec(clips, words, multilabel=False, name=f"speechcommands:{split}")


# --- a folder per class ---


def _eval_names(names: list[str], class_name: str, eval_fraction: float, seed: int) -> set[str]:
    """The file names of one class that go to the eval split: a fixed share, chosen by seed and class name."""
    if len(names) < 2:
        return set()
    count = min(max(round(len(names) * eval_fraction), 1), len(names) - 1)
    rng = np.random.default_rng([seed, zlib.crc32(class_name.encode("utf-8"))])
    return {names[i] for i in rng.permutation(len(names))[:count]}


BACKGROUND_FOLDER = "_background"  # clips of none of the classes: silence, room tone, other sounds


def _folder_classes(root: Path, background: bool) -> list[str]:
    _require_dir(root, "dataset folder")
    skip = ("_", ".") if background else (".",)
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith(skip))
    if not classes:
        raise ValueError(f"dataset folder {root} has no class sub-folders")
    return classes


def _audio_names(folder: Path) -> list[str]:
    names = sorted(e.name for e in os.scandir(folder) if e.is_file() and e.name.lower().endswith(AUDIO_SUFFIXES))
    if not names:
        raise ValueError(f"class folder {folder} has no audio files ({', '.join(AUDIO_SUFFIXES)})")
    return names


def folder_dataset(
    root: Path,
    split: str | None = None,
    eval_fraction: float = 0.2,
    seed: int = 0,
    background: bool = False,
    labels: list[str] | None = None,
) -> DatasetSpec:
    """root/<class name>/*.{wav,flac,ogg,mp3}, classes sorted by name.

    Args:
        root: one sub-folder per class (hidden folders are skipped).
        split: None for every clip; "train" or "eval" for a per-class split that depends only on the sorted
            file names, the class name and ``seed``. A class with one clip keeps it in "train"; others put
            ``round(n * eval_fraction)`` clips (at least one, at most n - 1) in "eval".
        eval_fraction: share of each class held out for "eval", in (0, 1).
        seed: chooses which clips are held out.
        background: multi-label (sigmoid) data: folders starting with ``_`` are not classes, and the clips
            of ``_background`` have no class at all, so a model learns to say "none". False: softmax data,
            where ``_background`` is an ordinary class.
        labels: the class order of a model to test (a test folder may lack classes, never add any).
    """
    root = Path(root)
    if split is not None and split not in FOLDER_SPLITS:
        raise ValueError(f"folder split {split!r} does not exist; allowed: None, {', '.join(FOLDER_SPLITS)}")
    if not 0.0 < eval_fraction < 1.0:
        raise ValueError(f"eval_fraction {eval_fraction} is out of range; allowed: strictly between 0 and 1")
    classes = _folder_classes(root, background)
    if labels is not None:
        unknown = [c for c in classes if c not in labels]
        if unknown:
            raise ValueError(f"{root} has class folder(s) {', '.join(unknown)} that the model does not know")
    index_of = {name: i for i, name in enumerate(labels if labels is not None else classes)}
    folders = [(c, (index_of[c],)) for c in classes]
    if background and (root / BACKGROUND_FOLDER).is_dir():
        folders.append((BACKGROUND_FOLDER, ()))
    clips = []
    for class_name, targets in folders:
        names = _audio_names(root / class_name)
        if split is not None:
            held_out = _eval_names(names, class_name, eval_fraction, seed)
            names = [n for n in names if (n in held_out) == (split == "eval")]
        clips += [Clip(root / class_name / n, targets) for n in names]
    suffix = f":{split}" if split else ""
    label_names = list(labels if labels is not None else classes)
    return DatasetSpec(clips, label_names, multilabel=background, name=f"folder:{root.name}{suffix}")


def synthetic_background(folder: Path, count: int, seconds: float, seed: int = 0) -> list[Clip]:
    """``count`` clips of no class written to ``folder``: digital silence, hum and white, pink or brown noise.

    Levels run from -90 to -30 dBFS, so that a model trained with them stays quiet in a quiet room.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, count])
    n = max(1, round(seconds * SAMPLE_RATE))
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    clips = []
    for i in range(count):
        kind = ("silence", "white", "pink", "brown", "hum")[i % 5]
        if kind == "silence":
            wave = np.zeros(n)
        elif kind == "hum":
            t = np.arange(n) / SAMPLE_RATE
            f0 = rng.choice([50.0, 60.0])
            wave = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) / k for k in (1, 2, 3))
            wave = wave + 0.1 * rng.standard_normal(n)
        else:
            slope = {"white": 0.0, "pink": 0.5, "brown": 1.0}[kind]  # amplitude ~ f^-slope
            spectrum = np.fft.rfft(rng.standard_normal(n)) / np.maximum(freqs, 20.0) ** slope
            wave = np.fft.irfft(spectrum, n)
        rms = np.sqrt(np.mean(wave**2)) + 1e-12
        wave = wave / rms * 10 ** (rng.uniform(-90.0, -30.0) / 20) if kind != "silence" else wave
        path = folder / f"{i:04d}_{kind}.wav"
        sf.write(path, np.clip(wave, -1, 1).astype(np.float32), SAMPLE_RATE)
        clips.append(Clip(path, ()))
    return clips
