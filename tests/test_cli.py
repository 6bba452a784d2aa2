"""The `rtast` command line on real files: output formats and bad input, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import require, write_wav

from rtast.cli import main

MEASURE = (
    "import resource, sys; from rtast.cli import main; rc = main(sys.argv[1:]); "
    "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(rc)"
)


def rtast(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rtast", *args], capture_output=True, text=True, timeout=600)


def test_json_lines_per_window_and_file(tiny_model_path, speech_wav, tmp_path):
    long = write_wav(
        tmp_path / "long.wav", (np.random.default_rng(0).standard_normal(16000 * 14) * 0.1).astype(np.float32)
    )
    proc = rtast("tag", "--model", str(tiny_model_path), "--json", "--hop", "4", str(speech_wav), str(long))
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [(r["type"], r["file"]) for r in records]
    assert kinds == [("window", str(speech_wav)), ("file", str(speech_wav))] + [("window", str(long))] * 2 + [
        ("file", str(long))
    ]
    for r in records:
        assert len(r["scores"]) == 527 and "Speech" in r["scores"]
        scores = [t["score"] for t in r["top"]]
        assert scores == sorted(scores, reverse=True) and len(scores) == 5
        assert r["top"][0]["score"] == max(r["scores"].values())
    assert (records[2]["start"], records[2]["end"], records[3]["start"], records[3]["end"]) == (0, 10, 4, 14)
    assert records[4]["windows"] == 2 and records[4]["duration"] == 14.0


def test_table_output(tiny_model_path, speech_wav, capsys):
    assert main(["tag", "--model", str(tiny_model_path), "--windows", "-k", "3", str(speech_wav)]) == 0
    out = capsys.readouterr().out
    assert str(speech_wav) in out and "1 window(s)" in out and "max over windows" in out


def bad_files(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "notaudio.wav").write_text("hello, I am text\n" * 100)
    write_wav(tmp_path / "zero.wav", np.zeros(0, np.float32))
    nan = np.zeros(16000, np.float32)
    nan[100] = np.nan
    write_wav(tmp_path / "nan.wav", nan, subtype="FLOAT")
    return {
        "missing.wav": "no such file",
        "empty.wav": "empty file",
        "notaudio.wav": "not a readable audio file",
        "zero.wav": "zero length",
        "nan.wav": "NaN or infinite samples",
    }


def test_bad_inputs_give_one_clear_line_each(tiny_model_path, speech_wav, tmp_path):
    expected = bad_files(tmp_path)
    paths = [str(tmp_path / name) for name in expected]
    proc = rtast("tag", "--model", str(tiny_model_path), "--json", *paths, str(speech_wav))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    for name, message in expected.items():
        assert any(name in line and message in line for line in proc.stderr.splitlines()), (name, proc.stderr)
    assert f"{len(expected)} of {len(expected) + 1} file(s) could not be tagged" in proc.stderr
    good = [json.loads(line) for line in proc.stdout.splitlines()]
    assert good[-1]["type"] == "file" and good[-1]["file"] == str(speech_wav)  # the good file is still tagged


def test_usage_errors(tmp_path, speech_wav):
    for args, message in [
        (["tag", "--model", str(tmp_path / "nope.pt"), str(speech_wav)], "does not exist"),
        (["tag", "--model", str(speech_wav), str(speech_wav)], "not an rtast model file"),
        (["tag", "--hop", "-1", "--model", str(tmp_path / "nope.pt"), str(speech_wav)], "argument --hop"),
    ]:
        proc = rtast(*args)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_without_a_model_says_none_is_bundled(speech_wav):
    from rtast.modelfile import default_model_path

    if default_model_path() is not None:
        pytest.skip("a default model is bundled")
    proc = rtast("tag", str(speech_wav))
    assert proc.returncode == 2 and "no default model is bundled" in proc.stderr


def test_help_explains_every_command():
    proc = rtast("--help")
    assert proc.returncode == 0
    for command in ("tag", "import-checkpoint", "info"):
        assert command in proc.stdout
        sub = rtast(command, "--help")
        assert sub.returncode == 0 and "usage: rtast " + command in sub.stdout


def test_one_hour_file_streams_in_bounded_memory(tiny_model_path, tmp_path):
    """Peak memory tagging 60 minutes stays within 100 MB of tagging 1 minute (8 kHz, resampled)."""
    require("sox")
    peaks = {}
    for minutes in (1, 60):
        path = tmp_path / f"{minutes}min.wav"
        subprocess.run(
            [
                "sox",
                "-n",
                "-r",
                "8000",
                "-b",
                "16",
                "-c",
                "1",
                str(path),
                "synth",
                str(minutes * 60),
                "pinknoise",
                "vol",
                "0.1",
            ],
            check=True,
        )
        proc = subprocess.run(
            [sys.executable, "-c", MEASURE, "tag", "--model", str(tiny_model_path), "--json", "--hop", "10", str(path)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stderr
        last = json.loads(proc.stdout.splitlines()[-1])
        assert last["type"] == "file" and last["duration"] == pytest.approx(minutes * 60, abs=0.01)
        assert last["windows"] == minutes * 6
        peaks[minutes] = int(proc.stderr.split("MAXRSS_KB")[1].split()[0]) / 1024
        path.unlink()
    print(f"peak RSS: 1 min {peaks[1]:.0f} MB, 60 min {peaks[60]:.0f} MB")
    assert peaks[60] < peaks[1] + 100
