"""The model rtast ships: it loads by default, knows speech, and detects events in unseen scenes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import require

from rtast.checkpoints import default_model_path, load_model_file

SHIPPED = default_model_path()
pytestmark = pytest.mark.skipif(SHIPPED is None, reason="no default model is bundled in rtast/data")


def test_shipped_model_and_card():
    model_file = load_model_file(SHIPPED)
    assert "Speech" in model_file.labels and len(model_file.labels) == model_file.model_config.num_classes
    assert SHIPPED.stat().st_size < 10 * 2**20  # a few MB
    card = SHIPPED.with_name("default_model_card.md").read_text()
    assert "Held-out scores" in card and "Streaming events" in card
    assert float(model_file.meta["held_out_mAP"]) > 0.5


@pytest.mark.parametrize("voice", ["en+f4", "nl", "en+m3"])  # held-out voices (train/corpus.py)
def test_a_fresh_spoken_sentence_is_speech(tmp_path, voice):
    require("espeak-ng")
    wav = tmp_path / "sentence.wav"
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            voice,
            "-w",
            str(wav),
            "Excuse me, could you tell me what time the next bus leaves for the airport?",
        ],
        check=True,
        capture_output=True,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "rtast", "tag", "--json", "-k", "3", str(wav)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert "Speech" in [t["label"] for t in summary["top"]], summary["top"]


def test_streaming_event_f1_on_unseen_scenes(tmp_path):
    """New held-out scenes (another seed), streamed through the live path: event F1 with 1-s collars."""
    for tool in ("espeak-ng", "fluidsynth"):
        require(tool)
    from train.corpus import build_corpus
    from train.default_model import STREAM_HOP, stream_events
    from train.sed_metrics import EventRef, event_based_scores, read_events_tsv

    build_corpus(tmp_path / "corpus", 0, 12, seed=777, progress=False)
    reference = [
        EventRef(e.file.split("/")[-1], e.label, e.onset, e.offset)
        for e in read_events_tsv(tmp_path / "corpus" / "eval" / "events.tsv")
    ]
    scenes = sorted((tmp_path / "corpus" / "eval" / "clips").glob("*.wav"))
    estimated = stream_events(SHIPPED, scenes, STREAM_HOP)
    scores = event_based_scores(reference, estimated, collar=1.0)
    onsets = event_based_scores(reference, estimated, collar=1.0, score_offset=False)
    print(
        f"{len(reference)} events in {len(scenes)} scenes: F1 {scores.f1:.3f} "
        f"(P {scores.precision:.3f}, R {scores.recall:.3f}); onset-only F1 {onsets.f1:.3f}"
    )
    assert onsets.f1 >= MIN_ONSET_F1
    assert scores.f1 >= MIN_F1


# Measured here: F1 0.226, onset-only 0.302 on these 12 scenes (the card: 0.200 / 0.309 on 300).
# The floors leave room for other CPUs' rounding; a detector that does not work scores ~0.
MIN_ONSET_F1 = 0.2
MIN_F1 = 0.15
