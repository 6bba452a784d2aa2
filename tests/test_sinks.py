"""rtast.sinks: the event log is flushed per event and survives a full disk."""

from __future__ import annotations

import json
import subprocess
import uuid

import numpy as np
import pytest

from rtast.events import Event
from rtast.sinks import EventLog, TerminalDisplay, WindowResult


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_event_is_on_disk_immediately(tmp_path):
    path = tmp_path / "ev.jsonl"
    log = EventLog(str(path), source="mic")
    log.event(Event("Speech", 1.0, None, 0.7))
    assert lines(path) == [
        {"event": "onset", "label": "Speech", "onset": 1.0, "peak": 0.7, "timing": "windows", "source": "mic"}
    ]
    log.event(Event("Speech", 1.0, 3.0, 0.9))
    assert [r["event"] for r in lines(path)] == ["onset", "offset"]
    log.close()
    log = EventLog(str(path))  # appends, never truncates
    log.event(Event("Dog", 4.0, None, 0.6))
    log.close()
    assert len(lines(path)) == 3


def test_unwritable_path_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="cannot open event log"):
        EventLog(str(tmp_path / "no" / "such" / "dir.jsonl"))


def test_dev_full_keeps_events_in_memory(capsys):
    log = EventLog("/dev/full", fsync=False)
    for i in range(3):
        log.event(Event("a", float(i), None, 0.5))
    assert log.pending == 3 and log.written == 0
    err = capsys.readouterr().err
    assert err.count("cannot write events to /dev/full") == 1  # warned once, not per event
    log.close()
    assert "3 event(s) could not be written" in capsys.readouterr().err


@pytest.fixture
def tiny_disk(tmp_path):
    """A 12 kB tmpfs: a real file system that fills up."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(mount)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)  # lazy: works even if a failed test left a file open


def test_full_disk_loses_nothing_and_leaves_whole_lines(tiny_disk, capsys):
    filler = tiny_disk / "filler"
    path = tiny_disk / "events.jsonl"
    log = EventLog(str(path))
    filler.write_bytes(b"x" * 8192)  # two of the three 4 kB pages: one page (~45 lines) is left for events
    sent = [Event(f"a fairly long label name number {i:03d}", float(i), None, 0.5) for i in range(100)]
    for e in sent:
        log.event(e)
    assert log.pending > 0 and log.write_errors > 0
    text = path.read_text()
    assert text == "" or text.endswith("\n")  # no half-written line
    assert "No space left on device" in capsys.readouterr().err
    filler.unlink()  # space comes back
    log.event(Event("after", 99.0, None, 0.5))
    log.close()
    records = lines(path)
    assert [r["label"] for r in records] == [e.label for e in sent] + ["after"]


def test_terminal_display_shows_top_labels_and_events(capsys):
    display = TerminalDisplay(["dog", "cat", "bird"], top_k=2)
    scores = np.array([0.2, 0.9, 0.5], np.float32)
    display.window(WindowResult(0.0, 3.0, scores, scores, 0.012))
    display.event(Event("cat", 2.0, None, 0.9))
    out = capsys.readouterr().out
    assert "cat 0.90  bird 0.50" in out and "12 ms" in out and "+ cat from 2.0 s" in out
