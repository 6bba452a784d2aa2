"""Debian packages as a source of real recordings: fetched with apt, unpacked into a cache, never installed.

``fetch("klettres-data")`` runs ``apt-get download`` and ``dpkg-deb -x`` once, into
``$XDG_CACHE_HOME/rtast/debian`` (or ``RTAST_DEB_CACHE``), and returns the unpacked tree with the
package's version, the archive's SHA-256 and the licences its copyright file names: what a model
card needs to say where its training sounds came from.
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import soundfile as sf

from rtast.modelfile import file_sha256


class PackageError(RuntimeError):
    """A Debian package could not be downloaded or unpacked; the message names it and what to do."""


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    sha256: str  # of the .deb
    deb_bytes: int
    licenses: tuple[str, ...]  # the License: short names in usr/share/doc/NAME/copyright
    root: Path  # the unpacked tree

    def record(self) -> dict:
        """What a model card lists for this package (not where this machine unpacked it)."""
        out = asdict(self)
        del out["root"]
        out["licenses"] = list(self.licenses)
        return out


def cache_dir() -> Path:
    if os.environ.get("RTAST_DEB_CACHE"):
        return Path(os.environ["RTAST_DEB_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "rtast" / "debian"


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as e:
        raise PackageError(f"{cmd[0]} is not available: real recordings are fetched with Debian's apt") from e


def _download(name: str, where: Path) -> Path:
    """apt-get download NAME into ``where``; refreshes the package lists once if apt does not know it."""
    done = _run(["apt-get", "download", name], where)
    if done.returncode != 0 and "Unable to locate package" in done.stderr:
        _run(["apt-get", "update", "-qq"], where)
        done = _run(["apt-get", "download", name], where)
    debs = sorted(where.glob(f"{name}_*.deb"))
    if done.returncode != 0 or not debs:
        raise PackageError(
            f"cannot download the Debian package {name}: {done.stderr.strip().splitlines()[-1:] or ['no .deb']}"
            " (needs apt with network access to a Debian mirror; or put NAME_VERSION_ARCH.deb into "
            f"{where} by hand)"
        )
    return debs[-1]


def licenses(copyright_text: str) -> tuple[str, ...]:
    """The distinct License: short names of a Debian copyright file, in order of appearance."""
    names = []
    for match in re.finditer(r"^License:[ \t]*(\S[^\n]*)$", copyright_text, re.MULTILINE):
        name = match.group(1).strip()
        if name not in names:
            names.append(name)
    return tuple(names)


def fetch(name: str, cache: Path | None = None) -> Package:
    """Download and unpack the package NAME (once), and describe it."""
    cache = cache or cache_dir()
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{name}_*.deb"))
    deb = found[-1] if found else _download(name, debs)
    version = unquote(deb.name.split("_")[1])  # apt writes an epoch's colon as %3a
    root = cache / "x" / f"{name}_{version}"
    meta = Path(f"{root}.json")
    if meta.is_file() and root.is_dir():
        record = json.loads(meta.read_text("utf-8"))
        return Package(name, version, record["sha256"], record["deb_bytes"], tuple(record["licenses"]), root)
    partial = Path(f"{root}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    done = _run(["dpkg-deb", "-x", str(deb), str(partial)], cache)
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise PackageError(f"cannot unpack {deb}: {done.stderr.strip()} (delete the file to download it again)")
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    copyright_file = root / "usr" / "share" / "doc" / name / "copyright"
    text = copyright_file.read_text("utf-8", errors="replace") if copyright_file.is_file() else ""
    sha = file_sha256(deb)
    package = Package(name, version, sha, deb.stat().st_size, licenses(text), root)
    meta.write_text(json.dumps(package.record()) + "\n", "utf-8")
    return package


def expand(root: Path, pattern: str) -> list[str]:
    """Paths under ``root`` matching ``pattern``, sorted; ``ARCHIVE!GLOB`` matches members of a zip archive."""
    if "!" in pattern:
        archive, member_glob = pattern.split("!", 1)
        out = []
        for path in sorted(root.glob(archive)):
            with zipfile.ZipFile(path) as z:
                members = sorted(n for n in z.namelist() if fnmatch.fnmatch(n, member_glob))
            out += [f"{path.relative_to(root).as_posix()}!{m}" for m in members]
        return out
    return sorted(p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_file())


def read_audio(root: Path, path: str) -> tuple[np.ndarray, int]:
    """(samples as (n, channels) float64, rate) of a file in the tree, or of ``ARCHIVE!MEMBER``."""
    if "!" in path:
        archive, member = path.split("!", 1)
        with zipfile.ZipFile(root / archive) as z:
            data = io.BytesIO(z.read(member))
        return sf.read(data, dtype="float64", always_2d=True)
    return sf.read(str(root / path), dtype="float64", always_2d=True)
