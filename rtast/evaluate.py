"""Scoring detected events against a ground truth with the DCASE tools: sed_eval and sed_scores_eval.

Both sides are DESED TSV tables (``filename onset offset event_label``). sed_eval gives the
event-based F1 (onset collar, offset collar of max(collar, fraction x length)) and the
segment-based F1, per class, class-averaged and overall. sed_scores_eval gives PSDS in the two
DCASE task 4 scenarios. An event table is one operating point (the detections at one threshold),
so its PSDS is the area under a one-point PSD-ROC: comparable between runs of the same kind,
lower than a PSDS computed from frame scores over all thresholds.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rtast.sinks import TSV_HEADER

# DCASE 2021-2024 task 4: detection/ground-truth intersection criteria, cross-trigger and stability weights.
PSDS_SCENARIOS = {
    "psds1": {"dtc_threshold": 0.7, "gtc_threshold": 0.7, "cttc_threshold": None, "alpha_ct": 0.0, "alpha_st": 1.0},
    "psds2": {"dtc_threshold": 0.1, "gtc_threshold": 0.1, "cttc_threshold": 0.3, "alpha_ct": 0.5, "alpha_st": 1.0},
}
MAX_EFPR = 100.0  # false positives per hour


class EvaluationError(ValueError):
    """A table that cannot be scored, or the scoring libraries are missing; the message says which."""


@dataclass(frozen=True)
class TsvEvent:
    filename: str
    onset: float
    offset: float
    label: str


@dataclass(frozen=True)
class EventTable:
    """A DESED TSV: its events and every file it names (a file may be listed without events)."""

    events: list[TsvEvent]
    files: list[str]


def read_events_tsv(path: str | Path, what: str = "events") -> EventTable:
    """Read a DESED TSV (header ``filename onset offset event_label``); rows without a label are event-free files."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f, delimiter="\t"))
    except OSError as e:
        raise EvaluationError(f"cannot read {what} table {path} ({e.strerror})") from e
    except UnicodeDecodeError as e:
        raise EvaluationError(f"{what} table {path} is not UTF-8 text") from e
    wanted = TSV_HEADER.split("\t")
    if not rows or any(name not in rows[0] for name in wanted):
        raise EvaluationError(f"{what} table {path} does not start with the DESED header: {' '.join(wanted)}")
    column = {name: rows[0].index(name) for name in wanted}
    events, files = [], {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {name: row[i].strip() if i < len(row) else "" for name, i in column.items()}
        files.setdefault(cell["filename"], None)
        if not cell["event_label"]:
            continue
        try:
            onset, offset = float(cell["onset"]), float(cell["offset"])
        except ValueError as e:
            raise EvaluationError(f"{path} line {number}: onset and offset must be numbers ({e})") from e
        if not (math.isfinite(onset) and math.isfinite(offset) and 0 <= onset <= offset):
            raise EvaluationError(f"{path} line {number}: need 0 <= onset <= offset, got {onset} and {offset}")
        events.append(TsvEvent(cell["filename"], onset, offset, cell["event_label"]))
    return EventTable(events, list(files))


def read_durations_tsv(path: str | Path) -> dict[str, float]:
    """DESED durations table: ``filename duration`` (seconds), with a header."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f, delimiter="\t"))
    except OSError as e:
        raise EvaluationError(f"cannot read durations table {path} ({e.strerror})") from e
    if not rows or rows[0][:2] != ["filename", "duration"]:
        raise EvaluationError(f"durations table {path} does not start with the header: filename duration")
    try:
        return {row[0]: float(row[1]) for row in rows[1:] if row and row[0].strip()}
    except (ValueError, IndexError) as e:
        raise EvaluationError(f"durations table {path}: every row needs a filename and a duration ({e})") from e


def _libraries():
    """(sed_eval, dcase_util MetaDataContainer, sed_scores_eval) or a one-line EvaluationError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # their imports warn about pkg_resources and old numpy names
            import sed_eval
            import sed_scores_eval
            from dcase_util.containers import MetaDataContainer
    except ImportError as e:
        raise EvaluationError(
            f"rtast evaluate needs sed_eval and sed_scores_eval ({e}); install them with: pip install 'rtast[eval]'"
        ) from e
    return sed_eval, MetaDataContainer, sed_scores_eval


def _f_scores(metrics, labels: list[str]) -> dict:
    overall = metrics.results_overall_metrics()["f_measure"]
    average = metrics.results_class_wise_average_metrics()["f_measure"]
    per_class = metrics.results_class_wise_metrics()
    return {
        "overall": {k: _num(overall[k]) for k in ("f_measure", "precision", "recall")},
        "class_average": {k: _num(average[k]) for k in ("f_measure", "precision", "recall")},
        "per_class": {
            label: {
                **{k: _num(per_class[label]["f_measure"][k]) for k in ("f_measure", "precision", "recall")},
                "references": int(per_class[label]["count"]["Nref"]),
                "estimates": int(per_class[label]["count"]["Nsys"]),
            }
            for label in labels
        },
    }


def _num(value) -> float | None:
    """sed_eval reports undefined ratios as NaN; JSON gets null."""
    value = float(value)
    return round(value, 4) if math.isfinite(value) else None


def _binary_scores(events: list[TsvEvent], duration: float, labels: list[str], create_score_dataframe):
    """A detection table as sed_scores_eval scores: 1 inside a detected event of a class, 0 elsewhere."""
    import numpy as np

    bounds = sorted({0.0, duration, *(t for e in events for t in (e.onset, e.offset) if t <= duration)})
    mids = [(a + b) / 2 for a, b in zip(bounds[:-1], bounds[1:], strict=False)]
    scores = np.array(
        [[float(any(e.label == c and e.onset <= m < e.offset for e in events)) for c in labels] for m in mids]
    )
    return create_score_dataframe(scores.reshape(len(mids), len(labels)), np.array(bounds), labels)


def union_per_label(events: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Events of one file with each class's overlapping or touching events joined: PSDS counts a class's
    activity, and sed_scores_eval refuses connected events of one class (mixed scenes often have them)."""
    out: list[tuple[float, float, str]] = []
    for onset, offset, label in sorted(events, key=lambda e: (e[2], e[0])):
        if out and out[-1][2] == label and onset <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], offset), label)
        else:
            out.append((onset, offset, label))
    return out


def evaluate(
    truth: EventTable,
    estimated: EventTable,
    durations: dict[str, float] | None = None,
    collar: float = 0.2,
    offset_fraction: float = 0.2,
    segment: float = 1.0,
) -> dict:
    """Event-based and segment-based F1 (sed_eval) and PSDS (sed_scores_eval) of ``estimated`` against ``truth``.

    The files scored are those of the truth table (and of ``durations``, if given). Without
    durations a file is taken to end at its last event, reference or estimate.
    """
    sed_eval, MetaDataContainer, sed_scores_eval = _libraries()
    from sed_scores_eval.base_modules.scores import create_score_dataframe

    files = list(dict.fromkeys(truth.files + list(durations or {})))
    if not files:
        raise EvaluationError("the truth table lists no files")
    ignored = sorted(set(estimated.files) - set(files))
    if estimated.files and len(ignored) == len(estimated.files):
        raise EvaluationError(
            f"none of the {len(estimated.files)} file(s) in the events table appear in the truth table "
            f"(e.g. {estimated.files[0]!r} vs {files[0]!r}); the filename columns must use the same names"
        )
    refs, ests = defaultdict(list), defaultdict(list)
    for e in truth.events:
        refs[e.filename].append(e)
    for e in estimated.events:
        ests[e.filename].append(e)
    lengths = {}
    for f in files:
        last = max((e.offset for e in refs[f] + ests[f]), default=0.0)
        if durations is not None and f not in durations:
            raise EvaluationError(f"the durations table has no row for {f}")
        if last > (durations or {}).get(f, math.inf):
            raise EvaluationError(f"{f} has an event ending at {last} s, after its duration {durations[f]} s")
        lengths[f] = durations[f] if durations is not None else last
    files = [f for f in files if lengths[f] > 0]  # no events and no duration: nothing to score
    lengths = {f: lengths[f] for f in files}
    if not files:
        raise EvaluationError("no file has events or a duration; pass --durations")
    labels = sorted({e.label for e in truth.events} | {e.label for e in estimated.events if e.filename in lengths})
    event_based = sed_eval.sound_event.EventBasedMetrics(
        event_label_list=labels, t_collar=collar, percentage_of_length=offset_fraction
    )
    segment_based = sed_eval.sound_event.SegmentBasedMetrics(event_label_list=labels, time_resolution=segment)

    def container(events: list[TsvEvent]):
        return MetaDataContainer(
            [{"filename": e.filename, "event_label": e.label, "onset": e.onset, "offset": e.offset} for e in events]
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in files:
            ref, est = container(refs[f]), container(ests[f])
            event_based.evaluate(reference_event_list=ref, estimated_event_list=est)
            segment_based.evaluate(
                reference_event_list=ref, estimated_event_list=est, evaluated_length_seconds=lengths[f]
            )
        scores = {f: _binary_scores(ests[f], lengths[f], labels, create_score_dataframe) for f in files}
        ground_truth = {f: union_per_label([(e.onset, e.offset, e.label) for e in refs[f]]) for f in files}
        psds = {}
        for name, params in PSDS_SCENARIOS.items():
            if len(labels) < 2:  # sed_scores_eval 0.0.x fails inside its statistics on a single class
                psds[name] = {"value": None, "per_class": {}, "note": "PSDS needs two classes or more here"}
                continue
            value, per_class, *_ = sed_scores_eval.intersection_based.psds(
                scores, ground_truth, lengths, max_efpr=MAX_EFPR, unit_of_time="hour", **params
            )
            psds[name] = {"value": _num(value), "per_class": {k: _num(v) for k, v in per_class.items()}}
    return {
        "files": len(files),
        "ignored_files": ignored,
        "durations": "given" if durations is not None else "last event of each file",
        "labels": labels,
        "event_based": {"collar": collar, "offset_fraction": offset_fraction, **_f_scores(event_based, labels)},
        "segment_based": {"segment": segment, **_f_scores(segment_based, labels)},
        "psds": {"operating_points": 1, "max_efpr": MAX_EFPR, **psds},
    }


def format_report(report: dict) -> str:
    """The report as a short table: overall figures, then one line per class."""

    def pct(value: float | None) -> str:
        return "   -" if value is None else f"{100 * value:5.1f}"

    def psds(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    eb, sb, ps = report["event_based"], report["segment_based"], report["psds"]
    lines = [
        f"{report['files']} file(s), {len(report['labels'])} class(es); durations: {report['durations']}",
        f"event-based (collar {eb['collar']:g} s, offset max(collar, {eb['offset_fraction']:g} x length)): "
        f"F1 {pct(eb['overall']['f_measure'])} % overall (micro), {pct(eb['class_average']['f_measure'])} % class "
        f"average; precision {pct(eb['overall']['precision'])} %, recall {pct(eb['overall']['recall'])} %",
        f"segment-based ({sb['segment']:g}-s segments): F1 {pct(sb['overall']['f_measure'])} % overall, "
        f"{pct(sb['class_average']['f_measure'])} % class average",
        f"PSDS (sed_scores_eval, one operating point, eFPR up to {ps['max_efpr']:g}/h): "
        f"scenario 1 {psds(ps['psds1']['value'])}, scenario 2 {psds(ps['psds2']['value'])}",
        "",
        f"{'class':<28} {'refs':>5} {'dets':>5} {'event F1':>9} {'segment F1':>11} {'PSDS1':>6} {'PSDS2':>6}",
    ]
    for label in report["labels"]:
        e, s = eb["per_class"][label], sb["per_class"][label]
        p1, p2 = ps["psds1"]["per_class"].get(label), ps["psds2"]["per_class"].get(label)
        lines.append(
            f"{label[:28]:<28} {e['references']:>5} {e['estimates']:>5} {pct(e['f_measure']):>8}% "
            f"{pct(s['f_measure']):>10}% {psds(p1):>6} {psds(p2):>6}"
        )
    return "\n".join(lines)
