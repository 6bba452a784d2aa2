"""Regenerate demo.png: `rtast demo`'s scene replayed in real time through the live window (offscreen).

python docs/screenshots/make_demo.py docs/screenshots/demo.png
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from rtast.demo import write_scene  # noqa: E402
from rtast.detector import from_model_file  # noqa: E402
from rtast.listener import ListenConfig  # noqa: E402
from rtast.live.app import application, open_window  # noqa: E402
from rtast.live.inputs import InputChoice  # noqa: E402
from rtast.live.runner import LiveSetup  # noqa: E402
from rtast.modelfile import default_model_path, load_model_file  # noqa: E402


def main(out: str) -> None:
    app = application()
    model = load_model_file(default_model_path())
    scene = Path(tempfile.mkdtemp()) / "demo.wav"
    played = write_scene(scene, 0)
    setup = LiveSetup(
        from_model_file(model, "default_model.pt"),
        ListenConfig(hop_seconds=0.5),  # as `rtast demo`
        reference=tuple(played),
    )
    window = open_window(setup, InputChoice.file(str(scene), realtime=True))
    end = time.monotonic() + played[-1].offset + 5.0  # the whole scene, played in real time
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    window.save_screenshot(out)
    window.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots/demo.png")
