"""What was played beside what was detected: reference events for `rtast demo` and `rtast listen --reference`.

A reference is a DESED table (``filename onset offset event_label``, the format `rtast evaluate`
reads). The window draws it under the detected events; the summary says, per played event,
where the detector found it (an event of its label within 1 s of it) or that it did not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rtast.evaluate import EvaluationError, read_events_tsv
from rtast.events import Event
from rtast.sinks import TSV_HEADER

COLLAR = 1.0  # seconds: a detection this close to a played event found it


@dataclass(frozen=True)
class Played:
    """One event of the reference: a sound that was played from ``onset`` to ``offset`` seconds."""

    label: str  # AudioSet display name
    onset: float
    offset: float


def write_reference(path: str | Path, played: list[Played], filename: str) -> None:
    rows = [f"{filename}\t{p.onset:.3f}\t{p.offset:.3f}\t{p.label}" for p in played]
    Path(path).write_text("\n".join([TSV_HEADER, *rows]) + "\n", encoding="utf-8")


def read_reference(path: str | Path, input_name: str | None) -> list[Played]:
    """The reference events of ``input_name`` (its file name) in the table, or all of them when the table
    describes one file (a microphone session has no file name)."""
    table = read_events_tsv(path, "reference")
    files = table.files
    wanted = Path(input_name).name if input_name else None
    if wanted in files:
        files = [wanted]
    elif len(files) > 1:
        raise EvaluationError(
            f"reference table {path} describes {len(files)} files and none is named {wanted or 'like the input'}: "
            "keep the rows of one file"
        )
    return [Played(e.label, e.onset, e.offset) for e in table.events if e.filename in files]


def found_by(played: Played, detected: list[Event], collar: float = COLLAR) -> list[Event]:
    """The detected events of the played event's label that overlap it, give or take ``collar`` seconds."""
    return [
        d
        for d in detected
        if d.label == played.label
        and d.offset is not None
        and d.onset < played.offset + collar
        and d.offset > played.onset - collar
    ]


def played_vs_detected(played: list[Played], detected: list[Event]) -> list[str]:
    """One line per played event (where it was detected, or "not detected"), then the labels nobody played."""
    lines = []
    for p in played:
        where = ", ".join(f"{d.onset:.1f}-{d.offset:.1f} s" for d in found_by(p, detected)) or "not detected"
        lines.append(f"{p.label:14s} {p.onset:5.1f}-{p.offset:5.1f} s  ->  {where}")
    others = sorted({d.label for d in detected} - {p.label for p in played})
    if others:
        lines.append(f"also reported: {', '.join(others)}")
    return lines
