"""When a live window can open: the one line that says why it cannot."""

from __future__ import annotations

import importlib.util
import os

import pytest
from live_helpers import QT_MISSING

from rtast.live.availability import gui_unavailable_reason


def test_gui_unavailable_reasons(monkeypatch):
    assert gui_unavailable_reason({}).startswith("no display")
    with monkeypatch.context() as m:
        m.setattr(importlib.util, "find_spec", lambda name: None)
        reason = gui_unavailable_reason({"DISPLAY": ":0"})
    assert reason == "PySide6-Essentials is not installed; pip install 'rtast[gui]'"
    if QT_MISSING:
        pytest.skip(QT_MISSING)
    assert gui_unavailable_reason({**os.environ, "QT_QPA_PLATFORM": "offscreen"}) is None
    reason = gui_unavailable_reason({**os.environ, "QT_QPA_PLATFORM": "no-such-platform"})
    assert reason.startswith("Qt cannot start here: ") and "no-such-platform" in reason
