"""Class names: the AudioSet ontology shipped with the package, or a user's label file."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from rtast.configs import ConfigError

AUDIOSET_NUM_CLASSES = 527


def _read_label_csv(lines: list[str], source: str) -> list[str]:
    rows = list(csv.DictReader(lines))
    if not rows or "display_name" not in rows[0]:
        raise ConfigError(f"{source}: expected a CSV with a 'display_name' column (AudioSet layout)")
    if "index" in rows[0]:
        rows.sort(key=lambda r: int(r["index"]))
    return [r["display_name"] for r in rows]


def _audioset_csv() -> list[str]:
    return resources.files("rtast").joinpath("data/audioset_class_labels_indices.csv").read_text("utf-8").splitlines()


def audioset_labels() -> list[str]:
    """The 527 AudioSet display names, in model output order."""
    return _read_label_csv(_audioset_csv(), "audioset_class_labels_indices.csv")


def audioset_mids() -> dict[str, str]:
    """AudioSet display name -> its ontology mid (e.g. ``/m/09x0r`` for Speech)."""
    return {row["display_name"]: row["mid"] for row in csv.DictReader(_audioset_csv())}


def read_labels(path: str | Path) -> list[str]:
    """Label names from a CSV with a ``display_name`` column, or a text file with one name a line."""
    path = Path(path)
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as e:
        raise ConfigError(f"cannot read label file {path}: {e.strerror}") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"label file {path} is not UTF-8 text (byte {e.start}: {e.reason})") from e
    if lines and "display_name" in lines[0]:
        return _read_label_csv(lines, str(path))
    names = [line.strip() for line in lines if line.strip()]
    if not names:
        raise ConfigError(f"label file {path} has no names")
    return names


def default_labels(num_classes: int) -> list[str]:
    """AudioSet names for a 527-class model, otherwise ``class_0`` … ``class_{n-1}``."""
    if num_classes == AUDIOSET_NUM_CLASSES:
        return audioset_labels()
    return [f"class_{i}" for i in range(num_classes)]
