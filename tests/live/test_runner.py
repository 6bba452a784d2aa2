"""The live runner's settings: a threshold set in the window keeps an explicit release below it."""

from __future__ import annotations

import pytest

from rtast.events import EventConfig
from rtast.live.runner import with_threshold


def test_threshold_keeps_an_explicit_release_below_it():
    assert with_threshold(EventConfig(), 0.9).release_threshold == pytest.approx(0.72)
    assert with_threshold(EventConfig(threshold=0.6, release=0.5), 0.3).release == 0.3
    assert with_threshold(EventConfig(threshold=0.6, release=0.2), 0.3).release == 0.2
