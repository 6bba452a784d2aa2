"""`rtast demo`: a generated scene with known events through the live path."""

from __future__ import annotations

import subprocess
import sys

from conftest import require

from rtast.demo import make_scene


def test_scene_has_the_planned_events_where_it_is_loud():
    scene, events = make_scene()
    assert [e.label for e in events][:2] == ["Siren", "Busy signal"]
    for e in events:
        inside = scene[int(e.onset * 16000) : int(e.offset * 16000)]
        assert abs(inside).max() > 0.05  # the event is really there
    gap = scene[int((events[0].offset + 0.2) * 16000) : int((events[0].offset + 1.2) * 16000)]
    assert abs(gap).max() < 0.01  # and the gaps are quiet


def test_demo_reports_played_vs_detected(speech_detector_path):
    proc = subprocess.run(
        [sys.executable, "-m", "rtast", "demo", "--model", str(speech_detector_path), "--fast", "--no-gui"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "played vs detected" in proc.stderr and "Traceback" not in proc.stderr
    played = [line.split()[-1] for line in proc.stderr.splitlines() if line.strip().endswith(("Siren", "signal"))]
    assert played == ["Siren", "signal"]  # the plan printed before playing
    speech_line = next(line for line in proc.stderr.splitlines() if line.strip().startswith("Speech") and "->" in line)
    assert "not detected" not in speech_line  # the trained speech detector finds the spoken sentence


def test_listen_with_an_engine(speech_detector_path, speech_wav, tmp_path):
    engine = tmp_path / "speech.onnx"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "rtast",
            "build-engine",
            str(speech_detector_path),
            "--backend",
            "onnx",
            "-o",
            str(engine),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rtast",
            "listen",
            "--engine",
            str(engine),
            "--input",
            str(speech_wav),
            "--no-gui",
            "--events",
            "-",
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert '"label": "Speech"' in proc.stdout and "onnx-cpu" in proc.stderr


def test_the_shipped_model_detects_everything_the_demo_plays():
    require("espeak-ng")
    proc = subprocess.run(
        [sys.executable, "-m", "rtast", "demo", "--fast", "--no-gui"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    report = proc.stderr.split("played vs detected")[1].splitlines()[1:]
    rows = [line for line in report if "->" in line]
    assert [r.split()[0] for r in rows] == ["Siren", "Busy", "Speech", "White"]
    assert not [r for r in rows if "not detected" in r], proc.stderr
