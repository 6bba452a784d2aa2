"""The source cache: rendered sources as WAV files under OUT_DIR/sources, keyed by what determines them."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from rtast.fbank import SAMPLE_RATE
from rtast.train.corpus.deps import package_version
from rtast.train.corpus.render import render_jobs
from rtast.train.corpus.signals import FRAME, SOURCE_PEAK, TRIM_DB, trim
from rtast.train.corpus.sources import Source

GENERATOR_VERSION = 1  # bump when rendering changes, so cached sources are rendered again


def cache_key(source: Source, versions: dict[str, str | None]) -> str:
    """A short hash of everything that determines a source's audio."""
    what = {
        "generator": GENERATOR_VERSION,
        "rate": SAMPLE_RATE,
        "kind": source.kind,
        "params": source.params,
        "package": versions.get(source.package) if source.package else None,
        "tool": versions.get("fluidsynth") if source.kind == "fluidsynth" else None,
    }
    return hashlib.sha1(json.dumps(what, sort_keys=True).encode("utf-8")).hexdigest()[:10]


def finish_source(audio: np.ndarray, source: Source) -> np.ndarray:
    """Trim a rendered source to where its energy is and peak-normalise it."""
    x = trim(np.asarray(audio, np.float64), source.params.get("trim_db", TRIM_DB))
    if len(x) < FRAME:
        raise RuntimeError(f"source {source.id} rendered silent (check {source.kind} and {source.package or 'numpy'})")
    return x * (SOURCE_PEAK / np.max(np.abs(x)))


def load_sources(out_dir: Path, sources: list[Source], progress: bool, workers: int = 4) -> None:
    """Fill every source's ``audio`` from the cache under out_dir/sources, rendering what is missing."""
    versions = {p: package_version(p) for p in sorted({s.package for s in sources if s.package} | {"fluidsynth"})}
    for source in sources:
        source.file = f"sources/{source.id}.{cache_key(source, versions)}.wav"
    missing = [s for s in sources if not (out_dir / s.file).is_file()]
    by_id = {s.id: s for s in sources}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(job): what for what, job in render_jobs(missing)}
        for future in tqdm(as_completed(futures), total=len(futures), desc="render sources", disable=not progress):
            try:
                rendered = future.result()
            except (OSError, RuntimeError, sf.LibsndfileError) as e:
                raise RuntimeError(f"rendering {futures[future]} failed: {e}") from e
            for sid, audio in rendered.items():
                path = out_dir / by_id[sid].file
                path.parent.mkdir(parents=True, exist_ok=True)
                sf.write(str(path), finish_source(audio, by_id[sid]).astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
    for source in sources:
        source.audio = sf.read(str(out_dir / source.file), dtype="float32")[0]
    remove_stale_cache(out_dir, {s.file for s in sources})


def remove_stale_cache(out_dir: Path, keep: set[str]) -> None:
    """Delete cached source files that no current source uses."""
    root = out_dir / "sources"
    for path in root.rglob("*.wav"):
        if path.relative_to(out_dir).as_posix() not in keep:
            path.unlink()
