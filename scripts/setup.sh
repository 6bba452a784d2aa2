#!/usr/bin/env bash
# One-time set-up of a fresh Debian machine for rtast: system audio libraries and tools, then the
# Python package with its test extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  libsndfile1    # soundfile: reading WAV/FLAC/OGG/MP3
  libportaudio2  # sounddevice: microphones
  espeak-ng      # tests: real speech
  sox            # tests: converting and measuring audio
  pulseaudio pulseaudio-utils libasound2-plugins  # tests: a null-sink "microphone" (PortAudio -> ALSA pulse)
  fluidsynth fluidr3mono-gm-soundfont timgm6mb-soundfont sound-theme-freedesktop  # the default model's corpus
  libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0  # Qt (the live window), offscreen
  xvfb xauth libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1  # Qt on X11/Xvfb
  libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxcb-randr0 libxcb-xfixes0 libxcb-sync1 libx11-xcb1 libxcb-shm0
)
if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
# The CPU build of torch first, so that no dependency pulls a multi-GB CUDA build.
"$PY" -m pip install -q --disable-pip-version-check "torch==2.13.0"
"$PY" -m pip install -q --disable-pip-version-check -e ".[test,audio,onnx,gui]"
echo "rtast set up: $("$PY" -m rtast --version)"
