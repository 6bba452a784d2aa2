"""Drawn synthesis parameter sets: many, varied, renderable, and never a held-out set."""

import numpy as np
import pytest

from rtast.train.corpus.draws import DRAWERS, DRAWS_PER_CLASS, drawn_rows, near
from rtast.train.corpus.sources import synth_sources
from rtast.train.corpus.synth import render_synth


@pytest.mark.parametrize("label", sorted(DRAWERS))
def test_draws_are_distinct_and_none_is_near_a_held_out_row(label):
    _, table = DRAWERS[label]
    rows = drawn_rows(label, np.random.default_rng(0))
    assert len(rows) == DRAWS_PER_CLASS
    assert len({repr(r) for r in rows}) == len(rows)
    assert all(type(r) is type(table["train"][0]) for r in rows)
    held_out = table["eval"]
    if label == "Busy signal":  # a busy tone's name is not a parameter
        rows, held_out = [r[1:] for r in rows], [h[1:] for h in held_out]
    assert not any(near(r, h) for r in rows for h in held_out)


def test_near_compares_every_number_and_word():
    assert near((1000, 2, 0.25, "sine"), (1040, 2, 0.24, "sine"))
    assert not near((1000, 2, 0.25, "sine"), (1000, 2, 0.25, "square"))
    assert not near((1000, 2, 0.25, "sine"), (1200, 2, 0.25, "sine"))
    assert not near({"a": 1.0, "b": (2.0, 3.0)}, {"a": 1.0, "b": (2.0,)})


def test_training_split_gets_the_draws_and_eval_keeps_its_table():
    train, held = synth_sources("train"), synth_sources("eval")
    beeps = [s for s in train if s.label == "Beep, bleep"]
    assert len(beeps) == len(DRAWERS["Beep, bleep"][1]["train"]) + DRAWS_PER_CLASS
    assert len([s for s in held if s.label == "Beep, bleep"]) == len(DRAWERS["Beep, bleep"][1]["eval"])
    assert not {s.group for s in train} & {s.group for s in held}
    assert [s.id for s in synth_sources("train")] == [s.id for s in train]  # fixed, whatever the scene seed


def test_every_drawn_source_renders_audible_audio():
    for source in synth_sources("train"):
        if int(source.id.rsplit("-", 1)[1]) < 8:
            continue  # a table row, rendered by the corpus tests
        x = render_synth(source)
        assert np.isfinite(x).all() and len(x) > 800 and np.abs(x).max() > 0.01, source.id
