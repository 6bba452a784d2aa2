"""rtast.reference: what was played, read from a DESED table, beside what was detected."""

from __future__ import annotations

import pytest

from rtast.evaluate import EvaluationError
from rtast.events import Event
from rtast.reference import Played, played_vs_detected, read_reference, write_reference
from rtast.sinks import EventCollector


def test_a_written_reference_reads_back(tmp_path):
    played = [Played("Siren", 1.0, 4.0), Played("Speech", 5.5, 9.25)]
    write_reference(tmp_path / "played.tsv", played, "scene.wav")
    assert read_reference(tmp_path / "played.tsv", "/somewhere/scene.wav") == played
    assert read_reference(tmp_path / "played.tsv", None) == played  # one file: a microphone session takes it


def test_a_table_of_several_files_gives_the_input_s_rows_or_one_clear_error(tmp_path):
    table = tmp_path / "ref.tsv"
    table.write_text("filename\tonset\toffset\tevent_label\na.wav\t0\t1\tDog\nb.wav\t2\t3\tCat\n", encoding="utf-8")
    assert read_reference(table, "dir/b.wav") == [Played("Cat", 2.0, 3.0)]
    with pytest.raises(EvaluationError, match="describes 2 files and none is named c.wav"):
        read_reference(table, "c.wav")
    table.write_text("onset\toffset\n", encoding="utf-8")
    with pytest.raises(EvaluationError, match="DESED header"):
        read_reference(table, "a.wav")


def test_played_vs_detected_lines():
    recorder = EventCollector()
    for e in (Event("Siren", 1.2, None, 0.8), Event("Siren", 1.2, 4.6, 0.9), Event("Pink noise", 9.0, 9.5, 0.6)):
        recorder.event(e)
    assert [e.label for e in recorder.finished] == ["Siren", "Pink noise"]  # finished events only
    lines = played_vs_detected([Played("Siren", 1.0, 4.0), Played("Speech", 5.0, 8.0)], recorder.finished)
    assert lines[0].endswith("->  1.2-4.6 s") and lines[0].startswith("Siren")
    assert lines[1].endswith("not detected")
    assert lines[2] == "also reported: Pink noise"
    # a detection of the label more than the collar away from the played event did not find it
    assert played_vs_detected([Played("Siren", 10.0, 12.0)], recorder.finished)[0].endswith("not detected")
