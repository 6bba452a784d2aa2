"""A Standard MIDI File writer and the events that play one fluidsynth source."""

from __future__ import annotations

import struct

from rtast.train.corpus.sources import Source

TICKS_PER_BEAT = 480
TICKS_PER_SECOND = 960  # at the default tempo of 120 beats per minute


def _vlq(value: int) -> bytes:
    """A MIDI variable-length quantity."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


def midi_file(events: list[tuple[int, int, bytes]]) -> bytes:
    """A format-0 Standard MIDI File from (tick, order, message) events; order breaks ties (offs first)."""
    track, now = bytearray(), 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):
        track += _vlq(tick - now) + message
        now = tick
    track += _vlq(0) + b"\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_BEAT)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)


def _ticks(seconds: float) -> int:
    return round(seconds * TICKS_PER_SECOND)


def segment_events(source: Source, start: float) -> tuple[list[tuple[int, int, bytes]], float]:
    """MIDI events playing ``source`` from ``start`` s (bank, program, notes), and when its last note ends."""
    p = source.params
    channel = 9 if p["drums"] else 0
    events = [(_ticks(start), 1, bytes([0xB0 | channel, 121, 0]))]  # reset controllers
    if not p["drums"]:
        events.append((_ticks(start), 1, bytes([0xB0 | channel, 0, p["bank"]])))  # bank select
    events.append((_ticks(start), 1, bytes([0xC0 | channel, p["program"]])))
    first, end = start + 0.05, start + 0.05
    for onset, duration, note, velocity in p["notes"]:
        on, off = first + onset, first + onset + duration
        events.append((_ticks(on), 2, bytes([0x90 | channel, int(note), int(velocity)])))
        events.append((_ticks(off), 0, bytes([0x80 | channel, int(note), 0])))
        end = max(end, off)
    events.append((_ticks(end + 0.01), 1, bytes([0xB0 | channel, 123, 0])))  # all notes off
    return events, end
