"""The Debian packages the corpus renders its sources with: which are missing, and their versions."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rtast.train.corpus.tables import THEME_FILES

THEME_DIR = Path("/usr/share/sounds/freedesktop/stereo")
THEME_PACKAGE = "sound-theme-freedesktop"


class MissingDependencyError(RuntimeError):
    """A Debian package that the corpus needs is not installed; the message names it."""


@dataclass(frozen=True)
class SoundFont:
    path: Path
    package: str
    name: str


# Train instruments come from one soundfont and held-out ones from an unrelated other (TimGM6mb and
# csound's sf_GMbank share samples, FluidR3 Mono does not share with either), so eval never reuses a sample.
SOUNDFONTS = {
    "train": SoundFont(Path("/usr/share/sounds/sf3/FluidR3Mono_GM.sf3"), "fluidr3mono-gm-soundfont", "FluidR3 Mono GM"),
    "eval": SoundFont(Path("/usr/share/sounds/sf2/TimGM6mb.sf2"), "timgm6mb-soundfont", "TimGM6mb"),
}
TOOLS = {"espeak-ng": "espeak-ng", "fluidsynth": "fluidsynth"}  # executable -> Debian package


def missing_dependencies() -> list[tuple[str, str]]:
    """(what is missing, the Debian package that provides it) for each missing tool, soundfont or sound theme."""
    missing = [(f"the {tool} program", package) for tool, package in TOOLS.items() if shutil.which(tool) is None]
    for font in SOUNDFONTS.values():
        if not font.path.is_file():
            missing.append((f"the soundfont {font.path}", font.package))
    absent = [name for name in THEME_FILES if not (THEME_DIR / name).is_file()]
    if absent:
        missing.append((f"the sound theme files {THEME_DIR}/{absent[0]} …", THEME_PACKAGE))
    return missing


def check_dependencies() -> None:
    """Raise MissingDependencyError naming every missing Debian package."""
    missing = missing_dependencies()
    if missing:
        what = "; ".join(f"{thing} (Debian package {package})" for thing, package in missing)
        packages = " ".join(sorted({package for _, package in missing}))
        raise MissingDependencyError(f"the corpus generator needs {what}. Install with: apt-get install {packages}")


def package_version(package: str) -> str | None:
    """The installed version of a Debian package, or None when dpkg does not know it."""
    try:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None
