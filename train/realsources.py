"""Real recordings as corpus sources: the reviewed table ``train/data/real_sources.tsv`` read into Sources.

Each row of the table maps files of one Debian package (a glob, or ``ARCHIVE!GLOB`` inside a zip
archive) to an AudioSet class, a recording group (speaker, voice pack, language folder, package) and
a split. Train and eval never share a group, so held-out scores are on voices and recordings the
model never heard. ``limit`` caps the files a row gives, picked by a hash of their paths, so the
same table always gives the same files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from rtast.train.corpus import SoundFont, Source, _slug, instrument_sources, to_16k_mono
from rtast.train.debsources import Package, expand, fetch, read_audio

TABLE = "data/real_sources.tsv"
INSTRUMENTS = "*instruments*"  # a row's label when its file is a General MIDI soundfont to play every instrument class
COLUMNS = ("package", "pattern", "label", "group", "split", "limit", "note")


class TableError(ValueError):
    """A malformed row in a real-sources table; the message names the file and line."""


@dataclass(frozen=True)
class Row:
    package: str
    pattern: str
    label: str
    group: str
    split: str
    limit: int | None
    note: str
    line: int


def default_table() -> str:
    return resources.files("train").joinpath(TABLE).read_text("utf-8")


def read_table(text: str, name: str = TABLE) -> list[Row]:
    """Parse the table (tab-separated, a header line, ``#`` comment lines)."""
    lines = [(i + 1, line) for i, line in enumerate(text.splitlines()) if line.strip() and not line.startswith("#")]
    if not lines or tuple(lines[0][1].split("\t")) != COLUMNS:
        raise TableError(f"{name}: the first line must be the header {' '.join(COLUMNS)}")
    rows = []
    for number, text in lines[1:]:
        fields = text.split("\t")
        if len(fields) != len(COLUMNS):
            raise TableError(f"{name}:{number}: {len(fields)} columns, expected {len(COLUMNS)}")
        package, pattern, label, group, split, limit, note = (f.strip() for f in fields)
        if split not in ("train", "eval"):
            raise TableError(f"{name}:{number}: split must be train or eval, not {split!r}")
        if limit and not limit.isdigit():
            raise TableError(f"{name}:{number}: limit must be a whole number or empty, not {limit!r}")
        rows.append(Row(package, pattern, label, group, split, int(limit) if limit else None, note, number))
    groups = {}
    for row in rows:
        if groups.setdefault(row.group, row.split) != row.split:
            raise TableError(f"{name}:{row.line}: group {row.group!r} is in both train and eval")
    return rows


def pick(paths: list[str], limit: int | None) -> list[str]:
    """At most ``limit`` of ``paths``, chosen by a hash of each path (stable across machines)."""
    if limit is None or len(paths) <= limit:
        return paths
    return sorted(sorted(paths, key=lambda p: hashlib.sha1(p.encode()).hexdigest())[:limit])


def real_sources(rows: list[Row], cache: Path | None = None) -> tuple[list[Source], dict[str, Package]]:
    """Every file the table names, as Sources (fetching the packages first), and the packages used."""
    packages: dict[str, Package] = {}
    sources, seen = [], set()
    for row in rows:
        package = packages.get(row.package) or fetch(row.package, cache)
        packages[row.package] = package
        paths = expand(package.root, row.pattern)
        if not paths:
            raise TableError(f"{TABLE}:{row.line}: {row.pattern!r} matches nothing in {row.package} {package.version}")
        if row.label == INSTRUMENTS:  # every program of both lists: eval instruments stay held out by their samples
            font = SoundFont(package.root / paths[0], row.package, row.group.split("/")[-1])
            sources += instrument_sources(row.split, font, every_program=True)
            continue
        for path in pick(paths, row.limit):
            if (row.package, path) in seen:
                continue
            seen.add((row.package, path))
            name = f"{_slug(Path(path.split('!')[-1]).stem)[:40]}-{hashlib.sha1(path.encode()).hexdigest()[:6]}"
            sid = f"{row.split}/{_slug(row.label)}/{_slug(row.package)}-{name}"
            params = {"package": row.package, "version": package.version, "path": path, "note": row.note}
            sources.append(Source(sid, row.label, row.split, "debian-file", row.group, params, row.package))
    return sources, packages


def render_file(source: Source) -> np.ndarray:
    """Decode the source's file from its unpacked package (already fetched) to 16 kHz mono."""
    audio, rate = read_audio(fetch(source.params["package"]).root, source.params["path"])
    return to_16k_mono(audio, rate)
