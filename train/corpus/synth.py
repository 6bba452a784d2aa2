"""Signal synthesis: sirens, beeps, alarm clocks, ringtones, busy tones, whistles, whistling, bells and noise.

rtast.demo keeps its own siren and busy tone: they are different signals (a tanh-clipped sweep, an unfiltered
gated sine), and the corpus output must stay byte-identical, so neither can adopt the other.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

from rtast.fbank import SAMPLE_RATE
from rtast.train.corpus.sources import Source, _rng
from rtast.train.corpus.tables import BELL_PARTIALS, SCALES

TONE_LIMIT_HZ = 7600.0  # synthesised partials fade out towards this frequency (Nyquist is 8 kHz)


def harmonics(timbre: str) -> list[tuple[int, float]]:
    """(harmonic number, amplitude) of a waveform: sine, saw, square or triangle."""
    if timbre == "sine":
        return [(1, 1.0)]
    if timbre == "saw":
        return [(n, 1.0 / n) for n in range(1, 40)]
    if timbre == "square":
        return [(n, 1.0 / n) for n in range(1, 40, 2)]
    if timbre == "triangle":
        return [(n, (-1.0) ** (n // 2) / n**2) for n in range(1, 40, 2)]
    raise ValueError(f"unknown timbre {timbre!r}; use sine, saw, square or triangle")


def tone(freq: np.ndarray, timbre: str = "sine", phase0: float = 0.0) -> np.ndarray:
    """A band-limited tone following the per-sample frequency track ``freq`` (Hz)."""
    phase = phase0 + 2.0 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    out = np.zeros(len(freq))
    for n, amp in harmonics(timbre):
        weight = np.clip((TONE_LIMIT_HZ - n * freq) / 500.0, 0.0, 1.0)
        if not weight.any():
            break
        out += amp * weight * np.sin(n * phase)
    return out


def smooth(x: np.ndarray, seconds: float) -> np.ndarray:
    """Moving-average smoothing (for gates and pitch glides), same length, edges held."""
    n = max(int(seconds * SAMPLE_RATE), 1)
    if n == 1:
        return x
    padded = np.pad(x, (n // 2, n - 1 - n // 2), mode="edge")
    return np.convolve(padded, np.ones(n) / n, mode="valid")


def gate(total: float, intervals: list[tuple[float, float]], ramp: float = 0.005) -> np.ndarray:
    """An on/off envelope of ``total`` s, on during each (start, end) interval, with ``ramp``-s edges."""
    g = np.zeros(round(total * SAMPLE_RATE))
    for a, b in intervals:
        g[round(a * SAMPLE_RATE) : round(b * SAMPLE_RATE)] = 1.0
    return smooth(g, ramp)


def cadence(total: float, pattern: list[tuple[float, float]] | tuple, offset: float = 0.0) -> list[tuple[float, float]]:
    """On intervals of a repeating (on, off) cadence filling ``total`` s."""
    intervals, t = [], offset
    while t < total:
        for on, off in pattern:
            intervals.append((t, min(t + on, total)))
            t += on + off
    return intervals


def band_noise(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """Gaussian noise band-limited to [low, high] Hz, unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    x = np.fft.irfft(spectrum * ((freqs >= low) & (freqs <= high)), n)
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def shaped_noise(rng: np.random.Generator, n: int, exponent: float, uniform: bool = False) -> np.ndarray:
    """Noise with power spectrum ~ 1/f**exponent (0 white, 1 pink, 2 brown) above 20 Hz, unit RMS."""
    white = rng.uniform(-1.0, 1.0, n) if uniform else rng.standard_normal(n)
    if exponent:
        freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
        white = np.fft.irfft(np.fft.rfft(white) / np.maximum(freqs, 20.0) ** (exponent / 2.0), n)
    return white / (np.sqrt(np.mean(white**2)) + 1e-12)


def voss_pink(rng: np.random.Generator, n: int, rows: int = 16) -> np.ndarray:
    """Pink noise by the Voss-McCartney method: white rows held for 1, 2, 4 … samples, summed; unit RMS."""
    x = rng.standard_normal(n)
    for k in range(1, rows):
        hold = 2**k
        x += np.repeat(rng.standard_normal(n // hold + 1), hold)[:n]
    x -= x.mean()
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def synth_siren(p: dict) -> np.ndarray:
    """Electronic siren: wail (slow rise and fall), yelp (fast sweeps) or hi-lo (two alternating tones)."""
    t = np.arange(round(p["seconds"] * SAMPLE_RATE)) / SAMPLE_RATE
    u = (t / p["period"] + p["start"]) % 1.0
    if p["mode"] == "hilo":
        shape = smooth((u < 0.5).astype(float), 0.02)
    else:
        rise = 0.6 if p["mode"] == "wail" else 0.85
        shape = np.where(u < rise, u / rise, (1.0 - u) / (1.0 - rise))
        shape = 0.5 - 0.5 * np.cos(np.pi * shape)
    return tone(p["low"] + (p["high"] - p["low"]) * shape, p["timbre"])


def synth_beep(p: dict) -> np.ndarray:
    """One to three electronic beeps."""
    total = p["count"] * (p["on"] + p["gap"]) + 0.02
    intervals = [
        (0.01 + k * (p["on"] + p["gap"]), 0.01 + k * (p["on"] + p["gap"]) + p["on"]) for k in range(p["count"])
    ]
    envelope = gate(total, intervals)
    return envelope * tone(np.full(len(envelope), float(p["freq"])), p["timbre"])


def synth_alarm(p: dict) -> np.ndarray:
    """Digital alarm clock: groups of short high beeps, repeated."""
    rest = p["period"] - p["group"] * p["on"] - (p["group"] - 1) * p["off"]
    pulses = [(p["on"], p["off"])] * (p["group"] - 1) + [(p["on"], rest)]
    envelope = gate(p["seconds"], cadence(p["seconds"], pulses, 0.02), 0.003)
    return envelope * tone(np.full(len(envelope), float(p["freq"])), p["timbre"])


def synth_ringtone(p: dict) -> np.ndarray:
    """Electronic telephone ringer: a fast trill between two tones, in rings."""
    n = round(p["seconds"] * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    freq = np.where((t * p["trill"]) % 1.0 < 0.5, float(p["f1"]), float(p["f2"]))
    envelope = gate(p["seconds"], cadence(p["seconds"], p["cadence"], 0.02), 0.004)
    return envelope * tone(smooth(freq, 0.002), p["timbre"])


def telephone_band(x: np.ndarray) -> np.ndarray:
    """Band-limit to the 300-3400 Hz telephone channel."""
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1.0 / SAMPLE_RATE)
    return np.fft.irfft(spectrum * ((freqs >= 300.0) & (freqs <= 3400.0)), len(x))


def synth_busy(p: dict) -> np.ndarray:
    """A national busy tone: steady tone(s) in an on/off cadence, through a telephone band."""
    n = round(p["seconds"] * SAMPLE_RATE)
    mixed = sum(tone(np.full(n, float(f))) for f in p["freqs"]) / len(p["freqs"])
    envelope = gate(p["seconds"], cadence(p["seconds"], [tuple(p["cadence"])], 0.02), 0.01)
    return telephone_band(envelope * mixed)


def synth_whistle(p: dict) -> np.ndarray:
    """Pea (referee) whistle: a high tone warbled by the rolling pea, with breath noise, in blasts."""
    rng = _rng(3, p["seed"], p["freq"], p["trill"])
    intervals, t = [], 0.01
    for blast, pause in p["blasts"]:
        intervals.append((t, t + blast))
        t += blast + pause
    total = t + 0.02
    n = round(total * SAMPLE_RATE)
    time = np.arange(n) / SAMPLE_RATE
    warble = np.sin(2.0 * np.pi * p["trill"] * time)
    x = tone(p["freq"] * (1.0 + 0.03 * warble)) * (1.0 - 0.45 * (0.5 + 0.5 * warble))
    x += 0.12 * band_noise(rng, n, p["freq"] - 800.0, p["freq"] + 800.0)
    return gate(total, intervals, 0.015)[:n] * x


def synth_whistling(p: dict) -> np.ndarray:
    """Human whistling: a tune of pure tones with glides, vibrato and a little breath."""
    rng = _rng(4, p["seed"])
    low, high = p["register"]
    steps = np.arange(0, 37)
    pitches = [f for f in low * 2.0 ** (steps / 12.0) if f <= high]
    scale = SCALES[str(rng.choice(sorted(SCALES)))]
    pitches = [f for i, f in enumerate(pitches) if i % 12 in scale]
    track, intervals, t, pos = [], [], 0.05, int(rng.integers(len(pitches)))
    for _ in range(int(rng.integers(4, 12))):
        length = float(rng.uniform(0.15, 0.6))
        pos = int(np.clip(pos + int(rng.integers(-2, 3)), 0, len(pitches) - 1))
        track.append(np.full(round(length * SAMPLE_RATE), pitches[pos]))
        gap = 0.06 if rng.random() < 0.3 else 0.0
        intervals.append((t, t + length - gap))
        t += length
    total = t + 0.05
    n = round(total * SAMPLE_RATE)
    freq = np.pad(np.concatenate(track), (round(0.05 * SAMPLE_RATE), 0), mode="edge")
    freq = smooth(np.pad(freq, (0, max(n - len(freq), 0)), mode="edge")[:n], 0.04)
    time = np.arange(n) / SAMPLE_RATE
    freq = freq * (1.0 + p["depth"] * np.sin(2.0 * np.pi * p["vibrato"] * time))
    x = tone(freq) + 0.04 * band_noise(rng, n, 800.0, 4000.0)
    return gate(total, intervals, 0.02)[:n] * x


def synth_bell(p: dict) -> np.ndarray:
    """A struck bell: inharmonic partials with exponential decays, struck one to three times."""
    rng = _rng(5, p["seed"])
    strikes = np.cumsum([0.0, *rng.uniform(0.9, 1.8, int(rng.integers(0, 3)))])
    n = round((strikes[-1] + p["decay"]) * SAMPLE_RATE)
    out = np.zeros(n)
    for strike in strikes:
        start = round(strike * SAMPLE_RATE)
        t = np.arange(n - start) / SAMPLE_RATE
        ring = np.zeros(len(t))
        for ratio, amp, decay in BELL_PARTIALS[p["partials"]]:
            freq = p["freq"] * ratio
            if freq < TONE_LIMIT_HZ:
                ring += (
                    amp * np.exp(-6.9 * t / (p["decay"] * decay)) * np.sin(2.0 * np.pi * freq * t + rng.uniform(0, 6.3))
                )
        out[start:] += ring * float(rng.uniform(0.6, 1.0))
    return out


def synth_noise(p: dict) -> np.ndarray:
    """White (gaussian or uniform) or pink (1/f by FFT shaping, or Voss-McCartney) noise."""
    rng = _rng(6, p["seed"], zlib.crc32(p["algorithm"].encode("utf-8")))
    n = round(p["seconds"] * SAMPLE_RATE)
    if p["algorithm"] == "voss-mccartney":
        return voss_pink(rng, n)
    exponent = 1.0 if p["algorithm"] == "fft-1/f" else 0.0
    return shaped_noise(rng, n, exponent, uniform=p["algorithm"] == "uniform")


SYNTHS: dict[str, Callable[[dict], np.ndarray]] = {
    "siren": synth_siren,
    "beep": synth_beep,
    "alarm": synth_alarm,
    "ringtone": synth_ringtone,
    "busy": synth_busy,
    "whistle": synth_whistle,
    "whistling": synth_whistling,
    "bell": synth_bell,
    "white-noise": synth_noise,
    "pink-noise": synth_noise,
}


def render_synth(source: Source) -> np.ndarray:
    return SYNTHS[source.params["type"]](source.params)


# --- the source cache ---
