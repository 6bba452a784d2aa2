"""Event-based detection scores for sound event detection (the DCASE definition, 1-s collars).

An estimated event matches a reference event of the same label when its onset is within
``collar`` seconds of the reference onset and (if offsets are scored) its offset within
max(collar, ``offset_fraction`` x reference duration) of the reference offset. Each reference
matches at most one estimate (greedy by onset distance, as sed_eval does per file and label).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class EventRef:
    file: str
    label: str
    onset: float
    offset: float


@dataclass
class EventScores:
    tp: int
    fp: int
    fn: int
    per_label: dict[str, dict[str, float]]

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict:
        return {
            "f1": round(self.f1, 4),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "per_label": self.per_label,
        }


def _matches(ref: EventRef, est: EventRef, collar: float, score_offset: bool, offset_fraction: float) -> bool:
    if abs(ref.onset - est.onset) > collar:
        return False
    if score_offset:
        return abs(ref.offset - est.offset) <= max(collar, offset_fraction * (ref.offset - ref.onset))
    return True


def event_based_scores(
    reference: list[EventRef],
    estimated: list[EventRef],
    collar: float = 1.0,
    score_offset: bool = True,
    offset_fraction: float = 0.5,
) -> EventScores:
    """Micro-averaged event-based precision, recall and F1, plus per-label F1."""
    refs: dict[tuple[str, str], list[EventRef]] = defaultdict(list)
    ests: dict[tuple[str, str], list[EventRef]] = defaultdict(list)
    for e in reference:
        refs[(e.file, e.label)].append(e)
    for e in estimated:
        ests[(e.file, e.label)].append(e)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # label -> tp, fp, fn
    for key in set(refs) | set(ests):
        r_list, e_list = sorted(refs[key], key=lambda e: e.onset), sorted(ests[key], key=lambda e: e.onset)
        pairs = sorted(
            (
                (abs(r.onset - e.onset), i, j)
                for i, r in enumerate(r_list)
                for j, e in enumerate(e_list)
                if _matches(r, e, collar, score_offset, offset_fraction)
            )
        )
        used_r, used_e = set(), set()
        for _, i, j in pairs:
            if i not in used_r and j not in used_e:
                used_r.add(i)
                used_e.add(j)
        c = counts[key[1]]
        c[0] += len(used_r)
        c[1] += len(e_list) - len(used_e)
        c[2] += len(r_list) - len(used_r)
    tp, fp, fn = (sum(c[k] for c in counts.values()) for k in range(3))
    per_label = {}
    for label, (t, f, n) in sorted(counts.items()):
        s = EventScores(t, f, n, {})
        per_label[label] = {
            "f1": round(s.f1, 4),
            "precision": round(s.precision, 4),
            "recall": round(s.recall, 4),
            "references": t + n,
        }
    return EventScores(tp, fp, fn, per_label)


def read_events_tsv(path) -> list[EventRef]:
    """DCASE form: filename, onset, offset, event_label (tab-separated, with a header)."""
    out = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        idx = {name: header.index(name) for name in ("filename", "onset", "offset", "event_label")}
        for line in f:
            if line.strip():
                cols = line.rstrip("\n").split("\t")
                out.append(
                    EventRef(
                        cols[idx["filename"]],
                        cols[idx["event_label"]],
                        float(cols[idx["onset"]]),
                        float(cols[idx["offset"]]),
                    )
                )
    return out
