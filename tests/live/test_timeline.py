"""The event timeline: what was played under what was detected."""

from __future__ import annotations

import pytest
from live_helpers import qtbot_or_skip

from rtast.events import Event
from rtast.live.intervals import Intervals


@pytest.fixture
def bot(request):
    return qtbot_or_skip(request)


def test_timeline_draws_what_was_played_under_what_was_detected(bot):
    from rtast.live.timeline import PLAYED_Y, TimelineView
    from rtast.reference import Played

    view = TimelineView(30.0)
    bot.addWidget(view)
    view.set_reference((Played("Siren", 1.0, 4.0), Played("Speech", 6.0, 9.0), Played("Dog", 20.0, 22.0)))
    detected = Intervals().add([Event("Speech", 6.2, None, 0.8), Event("Speech", 6.2, 8.9, 0.9)])
    view.show_intervals(detected, now=7.0)
    # rows: the played labels begun by now, then the detected ones; the dog has not been played yet
    assert view.rows == ["Siren", "Speech"]
    assert [(p.label, p.onset) for p in view.played] == [("Siren", 1.0), ("Speech", 6.0)]
    x0, y, width = (view.played_item.opts[k] for k in ("x0", "y", "width"))
    assert list(x0) == [1.0, 6.0] and list(y) == [PLAYED_Y, 1 + PLAYED_Y]
    assert list(width) == [3.0, 1.0]  # the speech is drawn as far as it has been played
    assert view.show_details_at(2.0, PLAYED_Y) == Played("Siren", 1.0, 4.0)
    assert "played 1.00-4.00 s" in view.details.toPlainText()
    assert isinstance(view.show_details_at(7.0, 1.0), type(detected.items[0]))  # the detected bar above it
    assert "played" in view.getPlotItem().titleLabel.text
