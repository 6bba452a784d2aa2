"""The source tables: what is spoken, which theme files and General MIDI programs are played, and the
synthesis parameter sets, each per split (train and eval never share an entry)."""

from __future__ import annotations

from dataclasses import dataclass

from rtast.train.corpus.signals import TRIM_DB

# Speech: espeak-ng voices, with sentences written for this corpus; train and eval share neither voice nor text.
SENTENCES = {
    "en-train": (
        "The morning train to the city was late again today.",
        "Please remember to switch off the lights when you leave the room.",
        "We planted tomatoes and beans in the garden last spring.",
        "Could you tell me the way to the nearest post office?",
        "The children were laughing as they ran across the field.",
        "Our meeting has been moved to Thursday afternoon at three.",
        "She bought a new bicycle and rode it all the way to the lake.",
        "The weather forecast says it will rain all weekend.",
        "He opened the window and listened to the birds outside.",
        "Dinner will be ready in about twenty minutes.",
        "The library closes early on Sundays and public holidays.",
        "I think we should leave before the traffic gets worse.",
    ),
    "en-eval": (
        "A cup of hot tea is the best thing on a cold evening.",
        "The museum has a new exhibition about ancient ships.",
        "Turn left at the bakery and walk straight for two blocks.",
        "My brother is learning to play the drums this year.",
        "The battery is almost empty, so I need to charge my phone.",
        "They watched the sunset from the top of the hill.",
        "Every Friday we order pizza and watch an old film.",
        "The river was so calm that it looked like a mirror.",
    ),
    "de": (
        "Heute Morgen war der Zug wieder einmal zu spät.",
        "Kannst du mir bitte das Salz reichen?",
        "Wir fahren im Sommer mit dem Fahrrad an die Ostsee.",
        "Das Wetter soll am Wochenende sonnig und warm werden.",
        "Die Kinder spielen im Garten mit dem kleinen Hund.",
        "Ich habe das Buch in zwei Tagen zu Ende gelesen.",
        "Der Supermarkt an der Ecke hat bis zehn Uhr geöffnet.",
        "Morgen treffen wir uns um acht Uhr vor dem Bahnhof.",
    ),
    "fr": (
        "Le train de ce matin est encore arrivé en retard.",
        "Pourriez-vous me dire où se trouve la gare, s'il vous plaît ?",
        "Nous avons passé nos vacances au bord de la mer.",
        "Il fait beau aujourd'hui, allons nous promener au parc.",
        "Ma sœur prépare un gâteau au chocolat pour ce soir.",
        "Le musée est fermé le lundi et les jours fériés.",
        "Les enfants jouent au football dans la cour de l'école.",
        "Je voudrais un café et un croissant, s'il vous plaît.",
    ),
    "es": (
        "El autobús de la mañana llegó tarde otra vez.",
        "¿Puedes decirme dónde está la estación de tren?",
        "Este verano vamos a viajar a la costa con mis abuelos.",
        "Hace mucho calor, vamos a la piscina esta tarde.",
        "Mi hermano está aprendiendo a tocar la guitarra.",
        "La tienda de la esquina abre a las nueve de la mañana.",
        "Los niños juegan en el parque después de la escuela.",
        "Me gustaría una mesa para dos personas, por favor.",
    ),
    "it": (
        "Il treno per Roma parte alle otto e mezza.",
        "Domani andiamo al mare con i nostri amici.",
        "Vorrei un caffè e un bicchiere d'acqua, per favore.",
        "La biblioteca è chiusa la domenica pomeriggio.",
        "Mia nonna prepara la pasta fatta in casa ogni sabato.",
        "Scusi, sa dirmi dove si trova la farmacia?",
    ),
    "pt": (
        "O comboio para Lisboa sai às nove horas.",
        "Amanhã vamos jantar a casa dos meus pais.",
        "Gostaria de um café e um pastel de nata, por favor.",
        "O tempo está ótimo para um passeio na praia.",
        "As crianças brincam no jardim depois da escola.",
        "Pode dizer-me onde fica a estação de autocarros?",
    ),
    "nl": (
        "De trein naar Amsterdam vertrekt om half negen.",
        "Morgen gaan we met de fiets naar het strand.",
        "Mag ik een kopje koffie en een stuk appeltaart?",
        "De bibliotheek is op zondag de hele dag gesloten.",
        "Mijn broer speelt elke zaterdag voetbal met zijn vrienden.",
        "Kunt u mij vertellen waar het station is?",
    ),
}
VOICES = {  # split -> (espeak-ng voice, sentence set)
    "train": (
        ("en", "en-train"),
        ("en-us", "en-train"),
        ("en+f3", "en-train"),
        ("en+m1", "en-train"),
        ("de", "de"),
        ("de+f2", "de"),
        ("fr", "fr"),
        ("fr+f2", "fr"),
        ("es", "es"),
        ("es+f3", "es"),
    ),
    "eval": (
        ("en+m3", "en-eval"),
        ("en+f4", "en-eval"),
        ("it", "it"),
        ("pt", "pt"),
        ("nl", "nl"),
    ),
}
SPEECH_RATES = {"train": (140, 160, 180), "eval": (150, 170)}  # words per minute (espeak-ng -s)
SPEECH_PITCHES = {"train": (40, 50, 60), "eval": (35, 55, 65)}  # espeak-ng -p, 0..99


@dataclass(frozen=True)
class ThemeFile:
    label: str
    split: str
    note: str  # what the recording is, as checked by listening to its spectrum and envelope
    croppable: bool = False
    weight: float = 1.0
    trim_db: float = TRIM_DB


THEME_FILES = {
    # Real speech (one adult female speaker names loudspeaker positions): files split between train and eval.
    "audio-channel-front-left.oga": ThemeFile("Speech", "train", "spoken words 'front left'", weight=5.0),
    "audio-channel-front-right.oga": ThemeFile("Speech", "train", "spoken words 'front right'", weight=5.0),
    "audio-channel-front-center.oga": ThemeFile("Speech", "train", "spoken words 'front center'", weight=5.0),
    "audio-channel-rear-left.oga": ThemeFile("Speech", "train", "spoken words 'rear left'", weight=5.0),
    "audio-channel-rear-right.oga": ThemeFile("Speech", "train", "spoken words 'rear right'", weight=5.0),
    "audio-channel-rear-center.oga": ThemeFile("Speech", "eval", "spoken words 'rear center'", weight=5.0),
    "audio-channel-side-left.oga": ThemeFile("Speech", "eval", "spoken words 'side left'", weight=5.0),
    "audio-channel-side-right.oga": ThemeFile("Speech", "eval", "spoken words 'side right'", weight=5.0),
    # Single recordings of a class are held out: train learns the class from synthesis, eval tests it on these.
    "alarm-clock-elapsed.oga": ThemeFile(
        "Alarm clock",
        "eval",
        "digital alarm clock: pairs of ~4.1 kHz beeps every ~1.1 s, over a -60 dB noise floor",
        croppable=True,
        weight=4.0,
        trim_db=-20.0,
    ),
    "phone-incoming-call.oga": ThemeFile(
        "Ringtone", "eval", "electronic telephone ringer: 860/1080 Hz trill at ~12.5 Hz", weight=4.0
    ),
    "phone-outgoing-busy.oga": ThemeFile(
        "Busy signal", "eval", "European busy tone: 425 Hz, ~0.5 s on / 0.5 s off, 8 kHz telephone audio", True, 4.0
    ),
    "suspend-error.oga": ThemeFile("Beep, bleep", "eval", "a 1.2 s 1424 Hz error beep", weight=4.0),
    "bell.oga": ThemeFile("Bell", "eval", "a short bell 'ding' (0.14 s; inharmonic partials 824-2007 Hz)", weight=2.0),
    "audio-test-signal.oga": ThemeFile(
        "Pink noise", "eval", "audio test noise with about equal energy per octave (125 Hz - 8 kHz)", weight=2.0
    ),
}


@dataclass(frozen=True)
class Instrument:
    """A class played by General MIDI presets: (bank, program, preset name) per split, a note range, a style."""

    label: str
    style: str  # "keys", "strum", "melody", "mallet", "strikes" or "drums"
    low: int  # MIDI note range (drums: unused)
    high: int
    train: tuple[tuple[int, int, str], ...]  # in SOUNDFONTS["train"]
    eval: tuple[tuple[int, int, str], ...]  # in SOUNDFONTS["eval"]
    per_split: tuple[int, int] = (18, 8)  # melodies per class: train, eval


INSTRUMENTS = (
    Instrument(
        "Piano",
        "keys",
        36,
        96,
        ((0, 0, "Acoustic Grand Piano"), (0, 3, "Honky-tonk Piano")),
        ((0, 1, "Bright Acoustic Piano"), (0, 2, "Electric Grand Piano")),
    ),
    Instrument(
        "Guitar",
        "strum",
        40,
        84,
        ((0, 24, "Acoustic Guitar (nylon)"), (0, 27, "Electric Guitar (clean)"), (0, 30, "Distortion Guitar")),
        ((0, 25, "Acoustic Guitar (steel)"), (0, 26, "Electric Guitar (jazz)"), (0, 29, "Overdriven Guitar")),
    ),
    Instrument("Violin, fiddle", "melody", 55, 93, ((0, 40, "Violin"), (8, 40, "Slow Violin")), ((0, 110, "Fiddle"),)),
    Instrument(
        "Flute", "melody", 60, 93, ((0, 73, "Flute"), (0, 75, "Pan Flute")), ((0, 72, "Piccolo"), (0, 74, "Recorder"))
    ),
    Instrument(
        "Organ",
        "keys",
        36,
        84,
        ((0, 16, "Drawbar Organ"), (0, 19, "Church Organ"), (0, 20, "Reed Organ")),
        ((0, 17, "Percussive Organ"), (0, 18, "Rock Organ")),
    ),
    Instrument("Trumpet", "melody", 55, 82, ((0, 56, "Trumpet"),), ((0, 59, "Muted Trumpet"),)),
    Instrument(
        "Saxophone",
        "melody",
        46,
        80,
        ((0, 65, "Alto Sax"), (0, 66, "Tenor Sax")),
        ((0, 64, "Soprano Sax"), (0, 67, "Baritone Sax")),
    ),
    Instrument(
        "Accordion", "keys", 48, 84, ((0, 21, "Accordion"), (8, 21, "Italian Accordion")), ((0, 23, "Tango Accordion"),)
    ),
    Instrument("Marimba, xylophone", "mallet", 48, 96, ((0, 12, "Marimba"),), ((0, 13, "Xylophone"),)),
    Instrument(
        "Drum",
        "drums",
        0,
        0,
        ((128, 0, "Standard kit"), (128, 8, "Room kit"), (128, 16, "Power kit")),
        ((128, 0, "Standard kit"), (128, 32, "Jazz kit"), (128, 40, "Brush kit")),
    ),
    Instrument("Bell", "strikes", 55, 84, ((8, 14, "Church Bell"),), ((0, 112, "Tinkle Bell"),), per_split=(8, 4)),
)
# Drum notes (GM percussion key map): only drums, no cymbals or hi-hats, different drums in eval.
DRUM_NOTES = {
    "train": {"kick": (36,), "snare": (38,), "toms": (41, 45, 48)},  # bass drum 1, acoustic snare, toms
    "eval": {"kick": (35,), "snare": (40,), "toms": (43, 47, 50)},  # acoustic bass drum, electric snare, toms
}
SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "pentatonic": (0, 2, 4, 7, 9),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
}


# Synthesis parameter sets: train and eval never share a parameter combination (the group names them).
SIRENS = {
    "train": (
        {"mode": "wail", "low": 550, "high": 1350, "period": 4.0, "timbre": "saw"},
        {"mode": "wail", "low": 600, "high": 1450, "period": 5.0, "timbre": "square"},
        {"mode": "wail", "low": 500, "high": 1250, "period": 6.0, "timbre": "triangle"},
        {"mode": "yelp", "low": 600, "high": 1400, "period": 0.30, "timbre": "square"},
        {"mode": "yelp", "low": 650, "high": 1500, "period": 0.36, "timbre": "saw"},
        {"mode": "hilo", "low": 440, "high": 585, "period": 1.2, "timbre": "saw"},
        {"mode": "hilo", "low": 490, "high": 650, "period": 1.6, "timbre": "square"},
        {"mode": "hilo", "low": 370, "high": 494, "period": 1.0, "timbre": "triangle"},
    ),
    "eval": (
        {"mode": "wail", "low": 720, "high": 1750, "period": 2.6, "timbre": "square"},
        {"mode": "yelp", "low": 700, "high": 1650, "period": 0.20, "timbre": "triangle"},
        {"mode": "hilo", "low": 435, "high": 488, "period": 1.1, "timbre": "square"},
        {"mode": "hilo", "low": 660, "high": 880, "period": 0.9, "timbre": "saw"},
    ),
}
BEEPS = {  # frequency Hz, count, on s, gap s, timbre
    "train": (
        (1000, 1, 0.25, 0.0, "sine"),
        (2000, 2, 0.08, 0.08, "sine"),
        (800, 3, 0.15, 0.10, "square"),
        (1500, 1, 0.60, 0.0, "sine"),
        (2500, 2, 0.12, 0.06, "triangle"),
        (1200, 1, 0.10, 0.0, "square"),
        (3000, 3, 0.05, 0.05, "sine"),
        (600, 2, 0.30, 0.20, "triangle"),
    ),
    "eval": (
        (1800, 1, 0.35, 0.0, "square"),
        (900, 2, 0.10, 0.10, "sine"),
        (2200, 3, 0.07, 0.07, "triangle"),
        (700, 1, 0.15, 0.0, "sine"),
    ),
}
ALARMS = {  # frequency Hz, pulse on s, pulse off s, pulses per group, group period s, timbre
    "train": (
        (3100, 0.06, 0.06, 4, 1.0, "square"),
        (2700, 0.10, 0.10, 2, 0.8, "square"),
        (3400, 0.05, 0.05, 3, 0.9, "sine"),
        (3900, 0.08, 0.08, 4, 1.2, "square"),
        (2900, 0.12, 0.08, 2, 1.0, "sine"),
        (3600, 0.04, 0.04, 6, 1.0, "square"),
        (3200, 0.20, 0.20, 1, 0.8, "square"),
        (2800, 0.07, 0.07, 4, 1.4, "triangle"),
    ),
    "eval": (
        (2600, 0.09, 0.09, 3, 1.1, "square"),
        (3700, 0.06, 0.05, 4, 0.9, "sine"),
        (3000, 0.15, 0.15, 2, 1.3, "square"),
        (4000, 0.05, 0.05, 5, 1.2, "square"),
    ),
}
RINGTONES = {  # two trill frequencies Hz, trill rate Hz, ring cadence [(on s, off s) ...], timbre
    "train": (
        (1000, 1250, 16, ((1.2, 0.8),), "square"),
        (900, 1200, 20, ((1.0, 1.0),), "triangle"),
        (1300, 1600, 12, ((1.5, 0.6),), "square"),
        (800, 1000, 25, ((0.4, 0.2), (0.4, 1.2)), "sine"),
        (1100, 1400, 18, ((2.0, 1.0),), "triangle"),
        (1500, 1900, 15, ((1.0, 0.5),), "square"),
        (700, 880, 10, ((1.2, 0.8),), "triangle"),
        (1200, 1500, 22, ((0.4, 0.2), (0.4, 1.0)), "square"),
    ),
    "eval": (
        (750, 950, 17, ((1.0, 0.7),), "square"),
        (1400, 1750, 13, ((1.3, 0.9),), "triangle"),
        (950, 1150, 24, ((0.4, 0.2), (0.4, 1.4)), "sine"),
        (1050, 1320, 11, ((1.6, 0.8),), "square"),
    ),
}
BUSY_TONES = {  # national busy tones: frequencies Hz, cadence (on s, off s)
    "train": (
        ("US", (480, 620), (0.5, 0.5)),
        ("UK", (400,), (0.375, 0.375)),
        ("Japan", (400,), (0.5, 0.5)),
        ("India", (400,), (0.75, 0.75)),
        ("China", (450,), (0.35, 0.35)),
        ("Russia", (425,), (0.4, 0.4)),
    ),
    "eval": (
        ("Spain", (425,), (0.2, 0.2)),
        ("Brazil", (425,), (0.25, 0.25)),
        ("Australia", (425,), (0.375, 0.375)),
    ),
}
WHISTLES = {  # pea (referee) whistle: frequency Hz, pea trill Hz, blast pattern [(blast s, gap s) ...]
    "train": (
        (2400, 28, ((1.2, 0.0),)),
        (2800, 35, ((0.25, 0.15), (0.25, 0.15), (0.9, 0.0))),
        (3200, 42, ((0.6, 0.3), (0.6, 0.0))),
        (3600, 28, ((1.6, 0.0),)),
        (2400, 42, ((0.3, 0.2), (0.3, 0.2), (0.3, 0.0))),
        (2800, 28, ((2.0, 0.0),)),
        (3200, 35, ((0.15, 0.1), (0.15, 0.1), (1.2, 0.0))),
        (3600, 42, ((0.8, 0.4), (0.8, 0.0))),
    ),
    "eval": (
        (2600, 24, ((1.4, 0.0),)),
        (3000, 32, ((0.2, 0.12), (0.2, 0.12), (1.0, 0.0))),
        (3400, 46, ((0.5, 0.25), (0.5, 0.0))),
        (3000, 24, ((0.25, 0.2), (0.25, 0.2), (0.25, 0.0))),
    ),
}
WHISTLING = {  # human whistling: register Hz, vibrato rate Hz, vibrato depth (fraction of the pitch)
    "train": tuple(((900, 1800), 5.0, 0.010) if k % 2 else ((1100, 2200), 6.0, 0.020) for k in range(8)),
    "eval": tuple(((1000, 2000), 4.5, 0.015) if k % 2 else ((1200, 2400), 6.5, 0.025) for k in range(4)),
}
BELL_PARTIALS = {  # ratio to the strike note, amplitude, decay time as a fraction of the bell's
    # Risset's bell (Dodge & Jerse), with its beating pairs: train
    "risset": (
        (0.56, 1.0, 1.0),
        (0.5625, 0.67, 0.9),
        (0.92, 1.0, 0.65),
        (0.925, 1.8, 0.55),
        (1.19, 2.67, 0.325),
        (1.7, 1.67, 0.35),
        (2.0, 1.46, 0.25),
        (2.74, 1.33, 0.2),
        (3.0, 1.33, 0.15),
        (3.76, 1.0, 0.1),
        (4.07, 1.33, 0.075),
    ),
    # a tuned church bell (hum, prime, minor-third tierce, quint, nominal, upper partials): eval
    "church": (
        (0.5, 0.6, 1.0),
        (1.0, 0.9, 0.7),
        (1.2, 1.0, 0.55),
        (1.5, 0.5, 0.45),
        (2.0, 1.0, 0.5),
        (2.5, 0.4, 0.3),
        (3.0, 0.35, 0.25),
        (4.0, 0.25, 0.18),
        (5.33, 0.15, 0.12),
    ),
}
BELLS = {  # strike frequency Hz, partial set, decay s
    "train": tuple((f, "risset", d) for f, d in ((196, 6.0), (294, 5.0), (415, 4.0), (587, 3.0)) for _ in range(2)),
    "eval": ((262, "church", 5.5), (370, "church", 4.5), (523, "church", 3.5), (698, "church", 2.5)),
}
NOISES = {  # class -> split -> (algorithm, sources)
    "White noise": {"train": ("gaussian", 4), "eval": ("uniform", 2)},
    "Pink noise": {"train": ("fft-1/f", 4), "eval": ("voss-mccartney", 2)},
}
