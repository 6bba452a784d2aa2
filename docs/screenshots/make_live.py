"""Make docs/screenshots/live.png: the live window while a detector hears espeak-ng speech.

Two utterances are replayed at real time; the picture is taken during the second one, so the
timeline shows a finished event and a growing one, with the hover details of the first.

    xvfb-run -a -s "-screen 0 1280x800x24" python docs/screenshots/make_live.py [--model speech.pt]

Without --model the detector is rtast's shipped default model. The picture in the README was taken with
the one-class Speech detector of the tests (tests/speech_detector.py trains it, about 30 s; pass its file).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from rtast.audiofile import load_audio  # noqa: E402
from rtast.detector import from_model_file  # noqa: E402
from rtast.listener import ListenConfig  # noqa: E402
from rtast.live.app import open_window  # noqa: E402
from rtast.live.inputs import InputChoice  # noqa: E402
from rtast.live.qt import QtCore, QtWidgets  # noqa: E402
from rtast.live.runner import LiveSetup  # noqa: E402
from rtast.modelfile import default_model_path, load_model_file  # noqa: E402


def speak(voice: str, text: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, capture_output=True)
    return path


def make_clip(work: Path) -> tuple[Path, float]:
    """Silence, speech, silence, speech; and when to take the picture (seconds into the clip)."""
    first = load_audio(speak("en", "Sound events are everywhere around us.", work / "a.wav"))
    second = load_audio(speak("en+f3", "Please remember to close the window before you leave.", work / "b.wav"))
    parts = [np.zeros(16000), first, np.zeros(24000), second, np.zeros(16000)]
    sf.write(work / "espeak-speech.wav", np.concatenate(parts).astype(np.float32), 16000)
    return Path("espeak-speech.wav"), (16000 + len(first) + 24000 + 0.7 * len(second)) / 16000  # relative: short


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a model file with a Speech class (default: rtast's default model)")
    parser.add_argument("--out", default=str(Path(__file__).with_name("live.png")))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    model_path = Path(args.model).resolve() if args.model else default_model_path()
    model = load_model_file(model_path)
    out = Path(args.out).resolve()
    os.chdir(work)  # the status line shows the file as given
    clip, at = make_clip(work)
    setup = LiveSetup(from_model_file(model, model_path.name), ListenConfig(hop_seconds=0.25))
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["rtast"])
    window = open_window(setup, InputChoice.file(clip, realtime=True))

    def shoot() -> None:
        first = window.timeline.intervals[0]
        window.timeline.show_details_at(first.onset + 0.5, 0.1)  # what hovering over the first event shows
        app.processEvents()
        window.save_screenshot(out)
        print(f"wrote {out}: {window.status_label.text()}")
        window.close()

    QtCore.QTimer.singleShot(round(at * 1000) + 1500, shoot)  # + the start-up of the worker
    app.exec()


if __name__ == "__main__":
    main()
