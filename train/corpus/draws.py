"""Drawn synthesis parameter sets: many training sources where a table holds a few.

A table row of ``tables.py`` is one parameter set; eight per class gave the model eight beeps to
learn "beep" from, and it heard the held-out ones as something else (crop AP 0.07). The training
split adds sets drawn from ranges around the table's; a draw close to a held-out row in every
number is drawn again, so train and eval still never share a parameter combination.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rtast.train.corpus.tables import ALARMS, BEEPS, BELLS, BUSY_TONES, RINGTONES, SIRENS, WHISTLES, WHISTLING

DRAWS_PER_CLASS = 40
NEAR = 0.08  # relative difference under which two numbers count as the same
TIMBRES = ("sine", "square", "triangle", "saw")


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _r(x: float, digits: int = 3) -> float:
    return round(float(x), digits)


def siren(rng: np.random.Generator) -> dict:
    mode = str(rng.choice(["wail", "yelp", "hilo"]))
    low = _log_uniform(rng, 350, 800)
    ratio = rng.uniform(1.25, 1.4) if mode == "hilo" else rng.uniform(1.8, 2.8)
    period = {"wail": (2.0, 7.0), "yelp": (0.15, 0.45), "hilo": (0.7, 1.8)}[mode]
    timbre = str(rng.choice(TIMBRES[1:]))
    return {
        "mode": mode,
        "low": round(low),
        "high": round(low * ratio),
        "period": _r(rng.uniform(*period)),
        "timbre": timbre,
    }


def beep(rng: np.random.Generator) -> tuple:
    on = _log_uniform(rng, 0.04, 0.7)
    return (
        round(_log_uniform(rng, 400, 4500)),
        int(rng.integers(1, 5)),
        _r(on),
        _r(rng.uniform(0.04, 0.3)),
        str(rng.choice(TIMBRES[:3])),
    )


def alarm(rng: np.random.Generator) -> tuple:
    on, off, size = _r(rng.uniform(0.03, 0.2)), _r(rng.uniform(0.03, 0.2)), int(rng.integers(1, 7))
    busy = size * on + (size - 1) * off
    period = _r(busy + rng.uniform(0.2, 0.8))
    return (round(rng.uniform(2300, 4300)), on, off, size, period, str(rng.choice(TIMBRES[:3])))


def ringtone(rng: np.random.Generator) -> tuple:
    f1 = _log_uniform(rng, 600, 1800)
    if rng.random() < 0.6:
        cadence = ((_r(rng.uniform(0.6, 2.2)), _r(rng.uniform(0.3, 1.5))),)
    else:
        on, gap = _r(rng.uniform(0.25, 0.5)), _r(rng.uniform(0.15, 0.3))
        cadence = ((on, gap), (on, _r(rng.uniform(0.8, 1.6))))
    return (
        round(f1),
        round(f1 * rng.uniform(1.15, 1.35)),
        round(rng.uniform(8, 28)),
        cadence,
        str(rng.choice(TIMBRES[:3])),
    )


def busy(rng: np.random.Generator) -> tuple:
    freqs = (
        (round(rng.uniform(350, 500)),)
        if rng.random() < 0.7
        else (round(rng.uniform(440, 500)), round(rng.uniform(580, 660)))
    )
    on = _r(rng.uniform(0.15, 0.8))
    cadence = (on, _r(on * rng.uniform(0.8, 1.25)))
    return (f"drawn {'+'.join(map(str, freqs))} Hz {cadence[0]}/{cadence[1]} s", freqs, cadence)


def whistle(rng: np.random.Generator) -> tuple:
    blasts = []
    for _ in range(int(rng.integers(1, 4))):
        blasts.append((_r(rng.uniform(0.12, 1.8)), _r(rng.uniform(0.08, 0.4))))
    blasts[-1] = (blasts[-1][0], 0.0)
    return (round(rng.uniform(2100, 3900)), round(rng.uniform(20, 50)), tuple(blasts))


def whistling(rng: np.random.Generator) -> tuple:
    low = round(rng.uniform(800, 1300))
    return ((low, 2 * low), _r(rng.uniform(4.0, 7.0), 2), _r(rng.uniform(0.005, 0.03), 4))


def bell(rng: np.random.Generator) -> tuple:
    return (round(_log_uniform(rng, 150, 900)), "risset", _r(rng.uniform(1.5, 7.0), 2))


def _numbers(row) -> list:
    """The leaves of a row (dict, tuple or value), in order."""
    if isinstance(row, dict):
        return [x for k in sorted(row) for x in _numbers(row[k])]
    if isinstance(row, tuple | list):
        return [x for item in row for x in _numbers(item)]
    return [row]


def near(a, b) -> bool:
    """Whether two rows have the same shape, the same words and every number within NEAR of each other."""
    xs, ys = _numbers(a), _numbers(b)
    if len(xs) != len(ys):
        return False
    for x, y in zip(xs, ys, strict=True):
        if isinstance(x, str) or isinstance(y, str):
            if x != y:
                return False
        elif abs(x - y) > NEAR * max(abs(x), abs(y), 1e-9):
            return False
    return True


DRAWERS: dict[str, tuple[Callable[[np.random.Generator], object], dict]] = {  # class -> (drawer, its table)
    "Siren": (siren, SIRENS),
    "Beep, bleep": (beep, BEEPS),
    "Alarm clock": (alarm, ALARMS),
    "Ringtone": (ringtone, RINGTONES),
    "Busy signal": (busy, BUSY_TONES),
    "Whistle": (whistle, WHISTLES),
    "Whistling": (whistling, WHISTLING),
    "Bell": (bell, BELLS),
}


def drawn_rows(label: str, rng: np.random.Generator, count: int = DRAWS_PER_CLASS) -> list:
    """``count`` training rows for ``label`` in its table's format, none near a held-out row."""
    draw, table = DRAWERS[label]
    held_out = [r[1:] if label == "Busy signal" else r for r in table["eval"]]  # a busy tone's name is no number
    rows = []
    while len(rows) < count:
        row = draw(rng)
        if not any(near(row[1:] if label == "Busy signal" else row, h) for h in held_out):
            rows.append(row)
    return rows
