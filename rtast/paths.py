"""Output paths checked before the work that fills them: a bad -o fails at once, not after a long build."""

from __future__ import annotations

import os
from pathlib import Path


class OutputPathError(ValueError):
    """An output path that cannot be written; the message names the flag and the path."""


def check_writable_file(path: str | Path, what: str) -> Path:
    """Raise OutputPathError unless a file can be created (or replaced) at ``path``; leaves nothing behind."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{what} {path} is a directory; give a file name")
    existed = path.exists()
    try:
        with open(path, "a"):  # the one test that also covers read-only mounts and /proc
            pass
    except OSError as e:
        raise OutputPathError(f"{what} {path}: cannot write there ({e.strerror})") from e
    if not existed:
        os.unlink(path)
    return path


def check_writable_dir(path: str | Path, what: str) -> Path:
    """Create the folder ``path`` if needed and raise OutputPathError unless files can be written in it."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{what} {path} exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".rtast-write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise OutputPathError(f"{what} {path}: cannot write there ({e.strerror})") from e
    return path
