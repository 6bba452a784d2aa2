"""rtast evaluate: sed_eval F1 and sed_scores_eval PSDS on hand-made DESED tables, and its one-line errors."""

from __future__ import annotations

import json

import pytest

from rtast.cli import main
from rtast.evaluate import EvaluationError, TsvEvent, evaluate, read_events_tsv
from rtast.train.sed_metrics import EventRef, event_based_scores

pytest.importorskip("sed_eval")
pytest.importorskip("sed_scores_eval")

HEADER = "filename\tonset\toffset\tevent_label\n"
TRUTH = HEADER + "a.wav\t1.0\t3.0\tSpeech\na.wav\t5.0\t8.0\tDog\nb.wav\t0.0\t4.0\tSpeech\nc.wav\t\t\t\n"
ESTIMATED = HEADER + "a.wav\t1.1\t3.0\tSpeech\na.wav\t6.5\t8.0\tDog\nb.wav\t0.1\t3.9\tSpeech\nc.wav\t2.0\t3.0\tDog\n"


def table(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_scores_by_hand(tmp_path):
    truth = read_events_tsv(table(tmp_path, "t.tsv", TRUTH))
    assert truth.files == ["a.wav", "b.wav", "c.wav"] and len(truth.events) == 3  # c.wav: a file without events
    report = evaluate(truth, read_events_tsv(table(tmp_path, "e.tsv", ESTIMATED)), {f: 10.0 for f in truth.files})
    eb = report["event_based"]
    # Speech: both found within 0.2 s; Dog: one starts 1.5 s late, one is a false alarm in c.wav.
    assert eb["per_class"]["Speech"] == {
        "f_measure": 1.0,
        "precision": 1.0,
        "recall": 1.0,
        "references": 2,
        "estimates": 2,
    }
    assert eb["per_class"]["Dog"]["f_measure"] == 0.0 and eb["per_class"]["Dog"]["estimates"] == 2
    assert eb["overall"]["precision"] == 0.5 and eb["overall"]["recall"] == pytest.approx(0.6667)
    assert report["segment_based"]["per_class"]["Speech"]["f_measure"] == 1.0
    assert report["psds"]["psds1"]["per_class"]["Speech"] == 1.0  # every Speech event found, no false alarm
    assert 0 <= report["psds"]["psds2"]["value"] <= 1


def test_event_f1_agrees_with_the_projects_own_metric(tmp_path):
    truth = read_events_tsv(table(tmp_path, "t.tsv", TRUTH))
    est = read_events_tsv(table(tmp_path, "e.tsv", ESTIMATED))
    report = evaluate(truth, est, collar=1.0, offset_fraction=0.5)
    own = event_based_scores(
        [EventRef(e.filename, e.label, e.onset, e.offset) for e in truth.events],
        [EventRef(e.filename, e.label, e.onset, e.offset) for e in est.events],
        collar=1.0,
    )
    assert report["event_based"]["overall"]["f_measure"] == pytest.approx(own.f1, abs=1e-4)


def test_a_table_scored_against_itself_is_perfect(tmp_path):
    truth = read_events_tsv(table(tmp_path, "t.tsv", TRUTH))
    report = evaluate(truth, truth)
    assert report["event_based"]["overall"]["f_measure"] == 1.0
    assert report["segment_based"]["overall"]["f_measure"] == 1.0
    assert report["psds"]["psds1"]["value"] == pytest.approx(1.0)


def test_cli_table_and_json(tmp_path, capsys):
    t, e = table(tmp_path, "t.tsv", TRUTH), table(tmp_path, "e.tsv", ESTIMATED)
    assert main(["evaluate", "--truth", str(t), str(e)]) == 0
    out = capsys.readouterr().out
    assert "event-based" in out and "segment-based" in out and "PSDS" in out and "Speech" in out
    assert main(["evaluate", "--truth", str(t), str(e), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"] == 3


@pytest.mark.parametrize(
    "events, message",
    [
        ("onset\toffset\n1\t2\n", "does not start with the DESED header"),
        (HEADER + "a.wav\tx\t2\tDog\n", "line 2: onset and offset must be numbers"),
        (HEADER + "a.wav\t3\t2\tDog\n", "need 0 <= onset <= offset"),
        (HEADER + "z.wav\t1\t2\tDog\n", "none of the 1 file(s) in the events table appear in the truth table"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, capsys, events, message):
    t, e = table(tmp_path, "t.tsv", TRUTH), table(tmp_path, "e.tsv", events)
    assert main(["evaluate", "--truth", str(t), str(e)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.startswith("rtast evaluate: error:")


def test_missing_duration_is_named(tmp_path):
    truth = read_events_tsv(table(tmp_path, "t.tsv", TRUTH))
    with pytest.raises(EvaluationError, match="no row for b.wav"):
        evaluate(truth, truth, {"a.wav": 10.0, "c.wav": 10.0})


def test_events_written_by_tag_are_read_back(tmp_path):
    from rtast.events import Event
    from rtast.sinks import EventLog

    path = tmp_path / "ev.tsv"
    log = EventLog(str(path), source="/x/a.wav")
    log.event(Event("Speech", 1.0, 2.5, 0.9))
    log.close()
    assert read_events_tsv(path).events == [TsvEvent("a.wav", 1.0, 2.5, "Speech")]


def test_overlapping_truth_events_of_one_class_are_scored(tmp_path):
    """Mixed scenes (the default model's corpus) hold overlapping events of one class: PSDS scores their union."""
    overlapping = HEADER + "a.wav\t1.0\t4.0\tPiano\na.wav\t2.5\t6.0\tPiano\na.wav\t6.0\t7.0\tPiano\nb.wav\t1\t2\tDog\n"
    truth = read_events_tsv(table(tmp_path, "t.tsv", overlapping))
    union = HEADER + "a.wav\t1.0\t7.0\tPiano\nb.wav\t1\t2\tDog\n"
    report = evaluate(truth, read_events_tsv(table(tmp_path, "e.tsv", union)), {"a.wav": 10.0, "b.wav": 10.0})
    assert report["psds"]["psds1"]["per_class"]["Piano"] == pytest.approx(1.0)
    assert report["event_based"]["per_class"]["Piano"]["references"] == 3  # sed_eval still counts each event


def test_one_class_gets_f1_and_no_psds(tmp_path):
    truth = read_events_tsv(table(tmp_path, "t.tsv", HEADER + "a.wav\t1.0\t4.0\tPiano\n"))
    report = evaluate(truth, truth, {"a.wav": 10.0})
    assert report["event_based"]["overall"]["f_measure"] == 1.0
    assert report["psds"]["psds1"]["value"] is None and "two classes" in report["psds"]["psds1"]["note"]
