"""train.sed_metrics: event-based F1 with collars on hand-made cases."""

from __future__ import annotations

import pytest

from rtast.train.sed_metrics import EventRef, event_based_scores, read_events_tsv


def ev(label, onset, offset, file="a.wav"):
    return EventRef(file, label, onset, offset)


def test_perfect_and_empty():
    ref = [ev("Dog", 1, 3), ev("Cat", 4, 5)]
    assert event_based_scores(ref, ref).f1 == 1.0
    s = event_based_scores(ref, [])
    assert (s.tp, s.fp, s.fn, s.f1) == (0, 0, 2, 0.0)


def test_collars():
    ref = [ev("Dog", 1.0, 5.0)]
    assert event_based_scores(ref, [ev("Dog", 1.9, 5.5)]).tp == 1  # onset 0.9 s late, offset 0.5 s late
    assert event_based_scores(ref, [ev("Dog", 2.2, 5.0)]).tp == 0  # onset 1.2 s late
    assert event_based_scores(ref, [ev("Dog", 1.0, 6.9)]).tp == 1  # offset collar: 50 % of 4 s = 2 s
    assert event_based_scores(ref, [ev("Dog", 1.0, 7.1)]).tp == 0
    assert event_based_scores(ref, [ev("Dog", 1.0, 9.0)], score_offset=False).tp == 1
    assert event_based_scores(ref, [ev("Cat", 1.0, 5.0)]).tp == 0  # wrong label
    assert event_based_scores(ref, [ev("Dog", 1.0, 5.0, file="b.wav")]).tp == 0  # wrong file


def test_each_reference_matches_once():
    ref = [ev("Dog", 1, 2), ev("Dog", 6, 7)]
    est = [ev("Dog", 1.1, 2), ev("Dog", 1.3, 2), ev("Dog", 6.2, 7)]
    s = event_based_scores(ref, est)
    assert (s.tp, s.fp, s.fn) == (2, 1, 0)
    assert s.precision == pytest.approx(2 / 3) and s.recall == 1.0
    assert s.f1 == pytest.approx(0.8)
    assert s.per_label["Dog"]["references"] == 2


def test_read_tsv(tmp_path):
    p = tmp_path / "e.tsv"
    p.write_text("filename\tonset\toffset\tevent_label\nx.wav\t0.5\t1.25\tSiren\n")
    assert read_events_tsv(p) == [EventRef("x.wav", "Siren", 0.5, 1.25)]
