"""Events for files (`rtast tag --events`), DESED TSV event logs, and stdout that carries only the events."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from conftest import random_model_file, write_wav

from rtast.cli import main
from rtast.events import Event
from rtast.modelfile import save_model_file
from rtast.sinks import TSV_HEADER, EventLog

LABELS = 4


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A random 4-class multi-label model with 1-s windows; a sharpened head makes its scores follow the audio."""
    model_file = random_model_file(input_tdim=128, num_classes=LABELS, window_seconds=1.0, seed=0)
    model_file.model_config = replace(model_file.model_config, multilabel=True)
    model_file.state_dict["head.weight"] *= 10  # noise drives class_3 up and the others down (measured)
    path = tmp_path_factory.mktemp("model") / "m.pt"
    save_model_file(path, model_file)
    return path


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """Silence, noise, a tone and silence again: 12 s at 16 kHz."""
    rng = np.random.default_rng(0)
    t = np.arange(16000 * 3) / 16000
    parts = [
        np.zeros(16000 * 3),
        rng.standard_normal(16000 * 3) * 0.3,
        0.5 * np.sin(2 * np.pi * 880 * t),
        np.zeros(16000 * 3),
    ]
    return write_wav(tmp_path_factory.mktemp("audio") / "scene.wav", np.concatenate(parts).astype(np.float32))


def rtast(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rtast", *args], capture_output=True, text=True, timeout=300)


def tsv_rows(text: str) -> list[list[str]]:
    lines = text.splitlines()
    assert lines[0] == TSV_HEADER
    return [line.split("\t") for line in lines[1:]]


EVENT_FLAGS = ("--threshold", "0.5", "--smoothing", "none")


def test_tag_events_equal_listen_events(small_model, scene, tmp_path):
    tag_tsv, listen_tsv = tmp_path / "tag.tsv", tmp_path / "listen.tsv"
    assert main(["tag", "--model", str(small_model), "--events", str(tag_tsv), *EVENT_FLAGS, str(scene)]) == 0
    listen = ["listen", "--model", str(small_model), "--input", str(scene), "--no-gui", "--quiet"]  # tag's hop
    assert main([*listen, "--events", str(listen_tsv), *EVENT_FLAGS]) == 0
    rows = tsv_rows(tag_tsv.read_text())
    assert rows, "the random model found no events; the scene or threshold no longer exercises the detector"
    assert tag_tsv.read_text() == listen_tsv.read_text()
    for name, onset, offset, label in rows:
        assert name == "scene.wav" and label.startswith("class_")
        assert 0 <= float(onset) < float(offset) <= 12.0


def test_tag_events_json_lines_and_flags_reach_the_detector(small_model, scene, tmp_path):
    jsonl = tmp_path / "ev.jsonl"
    assert main(["tag", "--model", str(small_model), "--events", str(jsonl), *EVENT_FLAGS, str(scene)]) == 0
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert {r["event"] for r in records} == {"onset", "offset"}
    assert all(r["source"] == str(scene) for r in records)
    longer = tmp_path / "long.jsonl"
    argv = ["tag", "--model", str(small_model), "--events", str(longer), *EVENT_FLAGS, "--min-duration", "4"]
    assert main([*argv, str(scene)]) == 0
    kept = [json.loads(line) for line in longer.read_text().splitlines() if '"offset"' in line]
    assert all(r["duration"] >= 4 for r in kept if r["event"] == "offset")
    assert len(kept) < len([r for r in records if r["event"] == "offset"])


def test_tag_events_to_stdout_carry_nothing_else(small_model, scene):
    proc = rtast(
        "tag",
        "--model",
        str(small_model),
        "--windows",
        "--events",
        "-",
        "--events-format",
        "tsv",
        *EVENT_FLAGS,
        str(scene),
    )
    assert proc.returncode == 0, proc.stderr
    rows = tsv_rows(proc.stdout)
    assert rows and all(len(r) == 4 for r in rows)
    assert str(scene) in proc.stderr and "window(s)" in proc.stderr and "event(s)" in proc.stderr


def test_listen_events_to_stdout_carry_nothing_else(small_model, scene):
    proc = rtast(
        "listen", "--model", str(small_model), "--input", str(scene), "--no-gui", "--events", "-", *EVENT_FLAGS
    )
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]  # every line is one JSON event
    assert records and all(r["event"] in ("onset", "offset") for r in records)
    assert " s] " in proc.stderr  # the window lines went to stderr


def test_json_and_events_on_stdout_are_refused(small_model, scene):
    proc = rtast("tag", "--model", str(small_model), "--json", "--events", "-", str(scene))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "both write to stdout" in proc.stderr


def test_tsv_refuses_two_files_of_one_name(small_model, scene, tmp_path):
    other = tmp_path / "scene.wav"
    other.write_bytes(scene.read_bytes())
    proc = rtast("tag", "--model", str(small_model), "--events", str(tmp_path / "e.tsv"), str(scene), str(other))
    assert proc.returncode == 2 and "share the name 'scene.wav'" in proc.stderr


def test_tsv_log_writes_finished_events_under_one_header(tmp_path):
    path = tmp_path / "ev.tsv"
    log = EventLog(str(path), source="/data/a.wav")
    assert path.read_text() == TSV_HEADER + "\n"  # a valid (empty) table from the start
    log.event(Event("Speech", 1.0, None, 0.7))  # an open event has no row
    log.event(Event("Speech", 1.0, 3.25, 0.9))
    log.close()
    log = EventLog(str(path), source="b.wav")  # appends without a second header
    log.event(Event("Dog", 0.5, 2.0, 0.6))
    log.close()
    assert path.read_text() == TSV_HEADER + "\na.wav\t1.000\t3.250\tSpeech\nb.wav\t0.500\t2.000\tDog\n"


def test_tsv_log_refuses_a_file_that_is_not_desed(tmp_path):
    path = tmp_path / "other.tsv"
    path.write_text("a\tb\n1\t2\n")
    with pytest.raises(ValueError, match="not the DESED header"):
        EventLog(str(path))
    assert path.read_text() == "a\tb\n1\t2\n"
