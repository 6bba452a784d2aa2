"""Training data: clips and their specs, and the waveform Dataset that decodes them (layouts: train/layouts.py).

Audio is decoded by ``WaveformDataset`` with ``rtast.audiofile.load_audio``, the same decoder the
taggers use, so training and listening see identical audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rtast.audiofile import load_audio
from rtast.fbank import SAMPLE_RATE


@dataclass(frozen=True)
class Clip:
    """One audio file and its classes."""

    path: Path
    targets: tuple[int, ...]  # class indices; exactly one for single-label datasets
    start: float | None = None  # seconds: a fixed crop start (evaluation windows); None = random / first
    events: tuple[tuple[float, float, int], ...] = ()  # strong labels (onset s, offset s, class) in the clip


@dataclass
class DatasetSpec:
    """A list of clips with their label names; every loader in this module returns one."""

    clips: list[Clip]
    labels: list[str]  # display names; index = class id
    multilabel: bool  # AudioSet-style manifests: True; ESC-50, Speech Commands, folders: False
    name: str  # e.g. "manifest:train.json", "esc50:folds 1,2,3,4", "speechcommands:train"
    strong: bool = False  # targets of a crop come from the clip's events (sound event detection data)

    def __post_init__(self) -> None:
        num_classes = len(self.labels)
        for clip in self.clips:
            if not self.multilabel and len(clip.targets) != 1:
                raise ValueError(
                    f"{self.name}: {clip.path} has targets {clip.targets}; a single-label dataset needs exactly one"
                )
            for target in clip.targets:
                if not 0 <= target < num_classes:
                    raise ValueError(
                        f"{self.name}: {clip.path} has class index {target}; allowed: 0..{num_classes - 1}"
                    )


def class_counts(spec: DatasetSpec) -> np.ndarray:
    """Clips per class, shape (num_classes,), int64; a multi-label clip counts for each of its classes."""
    counts = np.zeros(len(spec.labels), np.int64)
    for clip in spec.clips:
        counts[list(clip.targets)] += 1
    return counts


# --- torch Dataset ---


MIN_EVENT_OVERLAP = 0.5  # seconds of an event a crop must hold to carry its label (or half of a shorter event)


class WaveformDataset(torch.utils.data.Dataset):
    """Clips as 16 kHz mono float32 waveforms of at most ``window_samples``, with multi-hot targets.

    Longer clips are cut: at a random start when ``train`` (reproducible from ``seed``, the epoch set by
    ``set_epoch`` and the clip index, whichever worker loads it), at the start otherwise. Shorter clips
    are returned unpadded; padding happens in the fbank domain, as at inference.
    """

    def __init__(
        self,
        spec: DatasetSpec,
        window_samples: int,
        train: bool,
        seed: int = 0,
        step_times: np.ndarray | None = None,
        min_overlap: float = MIN_EVENT_OVERLAP,
    ):
        if int(window_samples) != window_samples or window_samples <= 0:
            raise ValueError(f"window_samples must be a positive integer, got {window_samples!r}")
        if step_times is not None and not spec.strong:
            raise ValueError(f"{spec.name}: a frame head's step targets need event times (strong labels)")
        self.spec = spec
        self.step_times = step_times  # (steps, 2) s from the window start: items get step targets too
        self.window_samples = int(window_samples)
        self.min_overlap = min_overlap  # strong labels: see events_in
        self.train = train
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.spec.clips)

    def set_epoch(self, epoch: int) -> None:
        """Choose the random crops of ``epoch`` (call before each epoch; workers see it if not persistent)."""
        self.epoch = int(epoch)

    def crop_start(self, index: int, num_samples: int) -> int:
        """Where the window starts in a clip of ``num_samples`` 16 kHz samples."""
        spare = num_samples - self.window_samples
        fixed = self.spec.clips[index].start
        if fixed is not None:
            return min(max(0, round(fixed * SAMPLE_RATE)), max(spare, 0))
        if spare <= 0 or not self.train:
            return 0
        rng = np.random.default_rng([self.seed, self.epoch, index])
        return int(rng.integers(0, spare + 1))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        """(waveform float32 (n,), n <= window_samples; target float32 (num_classes,) multi-hot), and with
        ``step_times`` the targets of each time step (steps, num_classes)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"clip index {index} is out of range for {len(self)} clips")
        index %= len(self)
        clip = self.spec.clips[index]
        audio = load_audio(clip.path)
        start = self.crop_start(index, len(audio))
        waveform = torch.from_numpy(np.ascontiguousarray(audio[start : start + self.window_samples]))
        target = torch.zeros(len(self.spec.labels), dtype=torch.float32)
        if self.spec.strong:
            crop = (start / SAMPLE_RATE, (start + len(waveform)) / SAMPLE_RATE)
            target[sorted(events_in(clip.events, *crop, self.min_overlap))] = 1.0
            if self.step_times is not None:
                steps, _ = step_targets(clip.events, *crop, self.step_times, len(self.spec.labels))
                return waveform, target, torch.from_numpy(steps)
        else:
            target[list(clip.targets)] = 1.0
        return waveform, target


def events_in(
    events: tuple[tuple[float, float, int], ...], t0: float, t1: float, min_overlap: float = MIN_EVENT_OVERLAP
) -> set[int]:
    """Classes whose events overlap [t0, t1) by at least min(``min_overlap`` s, half the event)."""
    found = set()
    for onset, offset, target in events:
        overlap = min(offset, t1) - max(onset, t0)
        if overlap > 0 and overlap >= min(min_overlap, 0.5 * (offset - onset)):
            found.add(target)
    return found


STEP_OVERLAP = 0.5  # share of a time step an event must cover to label it


def step_targets(
    events: tuple[tuple[float, float, int], ...], t0: float, t1: float, times: np.ndarray, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """(targets (steps, classes), valid (steps,)) of a crop [t0, t1) of a scene: a class is on in a step its
    events cover by at least STEP_OVERLAP of the step; steps past the crop's audio are not valid (they hold
    the silence a short window is padded with, so their all-zero targets are still true)."""
    starts, ends = t0 + times[:, 0], t0 + times[:, 1]
    targets = np.zeros((len(times), classes), np.float32)
    for onset, offset, label in events:
        cover = np.minimum(ends, offset) - np.maximum(starts, onset)
        targets[cover >= STEP_OVERLAP * (ends - starts), label] = 1.0
    return targets, starts < t1
