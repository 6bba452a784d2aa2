"""Whether ``rtast listen`` can open a window here, and if not, why, in a few words.

A window needs a display (DISPLAY or WAYLAND_DISPLAY, or QT_QPA_PLATFORM naming a platform such
as ``offscreen``) and a Qt that starts on it. Qt aborts the whole process when its platform
plugin cannot load (a missing system library, an X server that does not answer), so the check
starts a QApplication in a child process first.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Mapping

DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
PROBE_TIMEOUT = 30.0  # seconds; a first start may compile font caches

# Loading the platform plugin by hand first names the missing system library; Qt's own message
# for a missing xcb dependency always blames libxcb-cursor0.
PROBE = """
import ctypes, os, sys
from PySide6 import QtCore
platform = sys.argv[1]
plugin = os.path.join(QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.PluginsPath),
                      "platforms", f"libq{platform}.so")
if platform and os.path.exists(plugin):
    try:
        ctypes.CDLL(plugin)
    except OSError as e:  # "libxcb-icccm.so.4: cannot open shared object file: No such file or directory"
        missing = str(e).split(": ")[0] + " is missing" if "cannot open shared object" in str(e) else str(e)
        sys.exit(f"the Qt {platform} platform plugin cannot load: {missing}")
from PySide6.QtWidgets import QApplication
import pyqtgraph
app = QApplication(["rtast"])
"""


def platform_name(env: Mapping[str, str]) -> str:
    """The Qt platform plugin that will be used, where it can be told without Qt ("" if not)."""
    explicit = env.get("QT_QPA_PLATFORM", "")
    if explicit:
        return explicit.split(";")[0].split(":")[0]
    return "xcb" if env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY") else ""


def gui_unavailable_reason(env: Mapping[str, str] | None = None) -> str | None:
    """None if a window can open; otherwise one short reason."""
    env = os.environ if env is None else env
    if not any(env.get(v) for v in DISPLAY_VARIABLES):
        return "no display: DISPLAY, WAYLAND_DISPLAY and QT_QPA_PLATFORM are not set"
    for module, package in (("PySide6", "PySide6-Essentials"), ("pyqtgraph", "pyqtgraph")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed; pip install 'rtast[gui]'"
    try:
        probe = subprocess.run(
            [sys.executable, "-c", PROBE, platform_name(env)],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return f"Qt did not start within {PROBE_TIMEOUT:.0f} s"
    if probe.returncode != 0:
        lines = [line.strip() for line in probe.stderr.splitlines() if line.strip()]
        return f"Qt cannot start here: {lines[0] if lines else f'exit status {probe.returncode}'}"
    return None
