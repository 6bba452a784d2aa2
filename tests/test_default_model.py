"""The model rtast ships, measured here on recordings and scenes it never heard.

The held-out corpus is rebuilt in the test from the shipped table's held-out rows of three small
Debian packages (klettres-data: letters read in French, Italian, Dutch and Hebrew; the asterisk
Italian prompts: a male voice at 8 kHz; minetest-data: footsteps, water, fire, explosions),
fetched with apt-get download, plus the held-out soundfont, sound-theme files and synthesis.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import require

from rtast.modelfile import default_model_path, load_model_file

SHIPPED = default_model_path()
pytestmark = pytest.mark.skipif(SHIPPED is None, reason="no default model is bundled in rtast/data")
SMALL_PACKAGES = ("klettres-data", "asterisk-core-sounds-it-wav", "minetest-data")  # 62 MB of .debs


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    """A corpus of held-out scenes (no training scenes) and its rendered held-out recordings."""
    for tool in ("fluidsynth", "apt-get", "dpkg-deb"):
        require(tool)
    from rtast.train.corpus import build_corpus
    from rtast.train.debsources import PackageError
    from rtast.train.realsources import COLUMNS, default_table, read_table

    rows = [r for r in read_table(default_table()) if r.package in SMALL_PACKAGES and r.split == "eval"]
    table = "\t".join(COLUMNS) + "\n"
    table += "".join(f"{r.package}\t{r.pattern}\t{r.label}\t{r.group}\teval\t{r.limit or ''}\t\n" for r in rows)
    out = tmp_path_factory.mktemp("held_out")
    try:
        build_corpus(out, 0, 12, seed=777, progress=False, real_table=table)
    except PackageError as e:
        pytest.skip(f"the held-out recordings cannot be fetched here: {e}")
    return out


def test_shipped_model_loads_by_default_with_its_card():
    model_file = load_model_file(SHIPPED)
    assert "Speech" in model_file.labels and len(model_file.labels) == model_file.model_config.num_classes
    assert SHIPPED.stat().st_size <= 25 * 2**20
    assert model_file.model_config.frame_head  # event times come from its time steps
    assert model_file.model_config.frame_input == "concat"  # each step's frequency tokens side by side
    card = SHIPPED.with_name("default_model_card.md").read_text()
    assert "Held-out scores" in card and "Streaming events" in card


def test_held_out_real_voices_are_ranked_speech(held_out):
    from rtast.train.default_model import isolated_recordings

    scores = isolated_recordings(SHIPPED, held_out)
    print(json.dumps(scores, indent=1))
    assert scores["Speech"]["recordings"] >= 100
    assert scores["Speech (asterisk-core-sounds-it-wav)"]["top1"] >= MIN_SPEECH_TOP1_8KHZ  # telephone band, male
    assert scores["Speech (klettres-data)"]["top1"] >= MIN_SPEECH_TOP1


def test_continuous_real_speech_is_covered_by_speech_events(held_out):
    """Each held-out speaker's utterances one after another with short pauses, streamed: the share of the
    speech inside Speech events."""
    from rtast.train.default_model import continuous_speech

    speech = continuous_speech(SHIPPED, held_out)
    print(json.dumps(speech, indent=1))
    assert len(speech["speakers"]) >= 5  # four klettres languages and the Italian telephone voice
    assert speech["mean"] >= MIN_SPEECH_COVERAGE
    assert min(v["coverage"] for v in speech["speakers"].values()) >= MIN_SPEAKER_COVERAGE


def test_streaming_event_f1_on_held_out_scenes(held_out):
    """Held-out scenes streamed through the live path: event F1 with 1-s collars."""
    from rtast.train.default_model import STREAM_HOP, stream_events
    from rtast.train.sed_metrics import EventRef, event_based_scores, read_events_tsv

    reference = [
        EventRef(e.file.split("/")[-1], e.label, e.onset, e.offset)
        for e in read_events_tsv(held_out / "eval" / "events.tsv")
    ]
    scenes = sorted((held_out / "eval" / "clips").glob("*.wav"))
    estimated = stream_events(SHIPPED, scenes, STREAM_HOP)
    scores = event_based_scores(reference, estimated, collar=1.0)
    onsets = event_based_scores(reference, estimated, collar=1.0, score_offset=False)
    print(
        f"{len(reference)} events in {len(scenes)} scenes: F1 {scores.f1:.3f} "
        f"(P {scores.precision:.3f}, R {scores.recall:.3f}); onset-only F1 {onsets.f1:.3f}"
    )
    assert onsets.f1 >= MIN_ONSET_F1
    assert scores.f1 >= MIN_F1


@pytest.mark.parametrize("voice", ["en+f4", "nl"])
def test_a_synthetic_voice_is_speech_too(tmp_path, voice):
    """espeak-ng is no longer in the training data; a machine voice is still speech."""
    require("espeak-ng")
    wav = tmp_path / "sentence.wav"
    text = "Excuse me, could you tell me what time the next bus leaves for the airport?"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True, capture_output=True)
    proc = subprocess.run(
        [sys.executable, "-m", "rtast", "tag", "--json", "-k", "3", str(wav)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert "Speech" in [t["label"] for t in summary["top"]], summary["top"]


# Floors under what the shipped model measured here (Xeon Sapphire Rapids, 2026-11-26; the model trained on
# real recordings, with a frame head, short clips followed by silence): Speech first for 79 % of the held-out
# letters and 89 % of the 8-kHz prompts, 100 % of continuous speech inside Speech events, event F1 0.15 and
# onset-only F1 0.30 on these 12 scenes. With the frame head reading each step's frequency tokens side by side
# (AMD EPYC Zen 3, AVX2 only, 2026-12-07): letters 0.86, prompts 0.97, event F1 0.34, onset-only F1 0.43; after
# the joint stage (encoder and frame head trained together): letters 0.79, prompts 0.94, F1 0.43, onsets 0.47.
# Room is left for other CPUs' rounding; a model that does not hear scores near 0 on each (and 0.55 / 0.73
# with the reference's zero padding).
MIN_SPEECH_TOP1 = 0.7
MIN_SPEECH_TOP1_8KHZ = 0.8
MIN_SPEECH_COVERAGE = 0.8  # the target, over the speakers (0.95 measured)
MIN_SPEAKER_COVERAGE = 0.5  # any one speaker (0.79 measured: Dutch letters)
MIN_ONSET_F1 = 0.3
MIN_F1 = 0.2
