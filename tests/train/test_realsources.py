"""Real recordings from Debian packages: the fetcher, the reviewed table, and a corpus built from real voices.

The end-to-end cases fetch klettres-data (40 MB: letters read by people in about 20 languages) with
apt-get download into a temporary cache, as the recipe does on a fresh machine.
"""

from __future__ import annotations

import json
import shutil
import zipfile

import numpy as np
import pytest
import soundfile as sf

from rtast.train.corpus import INSTRUMENTS as INSTRUMENTS_PLAYED
from rtast.train.corpus import SOUNDFONTS, instrument_sources
from rtast.train.debsources import PackageError, expand, fetch, licenses, read_audio
from rtast.train.realsources import INSTRUMENTS, TableError, default_table, pick, read_table, real_sources, render_file

HEADER = "package\tpattern\tlabel\tgroup\tsplit\tlimit\tnote\n"
KLETTRES = (
    HEADER
    + "# two speakers for training, one held out\n"
    + "klettres-data\tusr/share/klettres/de/alpha/*.ogg\tSpeech\tklettres/de\ttrain\t6\tGerman letters\n"
    + "klettres-data\tusr/share/klettres/it/alpha/*.ogg\tSpeech\tklettres/it\ttrain\t6\tItalian letters\n"
    + "klettres-data\tusr/share/klettres/fr/alpha/*.ogg\tSpeech\tklettres/fr\teval\t4\tFrench letters\n"
)


@pytest.fixture(scope="module")
def deb_cache(tmp_path_factory):
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        pytest.skip("apt-get and dpkg-deb (Debian) fetch the real recordings")
    cache = tmp_path_factory.mktemp("debian")
    try:
        fetch("klettres-data", cache)
    except PackageError as e:
        pytest.skip(f"klettres-data cannot be downloaded here: {e}")
    return cache


def test_fetch_unpacks_once_and_names_version_and_licences(deb_cache):
    package = fetch("klettres-data", deb_cache)
    assert package.root.is_dir() and package.version and len(package.sha256) == 64 and package.deb_bytes > 1e6
    assert "GPL-2+" in package.licenses  # from usr/share/doc/klettres-data/copyright
    assert fetch("klettres-data", deb_cache) == package  # the second call reads the cache
    assert len(expand(package.root, "usr/share/klettres/*/alpha/*.ogg")) > 400


def test_a_package_that_does_not_exist_is_one_clear_error(deb_cache):
    with pytest.raises(PackageError, match="no-such-package-rtast"):
        fetch("no-such-package-rtast", deb_cache)


def test_table_rows_become_sources_split_by_speaker(deb_cache, monkeypatch):
    monkeypatch.setenv("RTAST_DEB_CACHE", str(deb_cache))
    sources, packages = real_sources(read_table(KLETTRES, "klettres.tsv"))
    assert list(packages) == ["klettres-data"]
    train = [s for s in sources if s.split == "train"]
    held = [s for s in sources if s.split == "eval"]
    assert len(train) == 12 and len(held) == 4 and len({s.id for s in sources}) == 16
    assert {s.group for s in train} == {"klettres/de", "klettres/it"} and {s.group for s in held} == {"klettres/fr"}
    assert sources == real_sources(read_table(KLETTRES, "klettres.tsv"))[0]  # the same files every time
    audio = render_file(held[0])
    assert audio.ndim == 1 and 0.1 < len(audio) / 16000 < 10 and np.abs(audio).max() > 0.05  # a spoken letter


def test_corpus_with_real_voices_drops_synthetic_speech(deb_cache, monkeypatch, tmp_path):
    from rtast.train.corpus import build_corpus

    monkeypatch.setenv("RTAST_DEB_CACHE", str(deb_cache))
    build_corpus(tmp_path, 3, 2, seed=0, progress=False, real_table=KLETTRES)
    document = json.loads((tmp_path / "sources.json").read_text())
    speech = [s for s in document["sources"] if s["label"] == "Speech"]
    assert speech and {s["kind"] for s in speech} <= {"debian-file", "sound-theme"}  # no espeak-ng left
    assert {s["group"] for s in speech if s["split"] == "eval" and s["kind"] == "debian-file"} == {"klettres/fr"}
    recording = document["recordings"]["klettres-data"]
    assert recording["version"] and "GPL-2+" in recording["licenses"]
    assert sf.info(str(tmp_path / speech[0]["file"])).samplerate == 16000


def test_table_errors_name_the_line():
    with pytest.raises(TableError, match="t.tsv: the first line must be the header"):
        read_table("package\tpattern\n", "t.tsv")
    with pytest.raises(TableError, match="t.tsv:2: 3 columns"):
        read_table(HEADER + "a\tb\tc\n", "t.tsv")
    with pytest.raises(TableError, match="t.tsv:2: split must be train or eval"):
        read_table(HEADER + "p\tx/*.ogg\tSpeech\tg\ttest\t\tn\n", "t.tsv")
    with pytest.raises(TableError, match="t.tsv:3: group 'g' is in both train and eval"):
        read_table(HEADER + "p\tx/*.ogg\tSpeech\tg\ttrain\t\tn\np\ty/*.ogg\tSpeech\tg\teval\t\tn\n", "t.tsv")
    with pytest.raises(TableError, match="limit must be a whole number"):
        read_table(HEADER + "p\tx/*.ogg\tSpeech\tg\ttrain\tmany\tn\n", "t.tsv")


def test_the_shipped_table_is_well_formed():
    from rtast.train.corpus import audioset_classes

    rows = read_table(default_table())
    fonts = [r for r in rows if r.label == INSTRUMENTS]
    rows = [r for r in rows if r.label != INSTRUMENTS]
    names = audioset_classes()
    assert rows and all(r.label in names for r in rows)
    for label in {r.label for r in rows}:  # every class is learned from some groups and tested on others
        assert {r.split for r in rows if r.label == label} == {"train", "eval"}, label
    # soundfonts only train: the held-out instruments are TimGM6mb's samples, which no row may use
    assert {r.split for r in fonts} <= {"train"}
    assert SOUNDFONTS["eval"].package not in {r.package for r in fonts}


def test_a_soundfont_row_plays_every_instrument_class_with_the_programs_of_both_splits(tmp_path):
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        pytest.skip("apt-get and dpkg-deb (Debian) fetch the soundfont")
    row = "fluidr3mono-gm-soundfont\tusr/share/sounds/sf3/*.sf3\t*instruments*\tsoundfont/Fluid Mono\ttrain\t\tn\n"
    try:
        sources, packages = real_sources(read_table(HEADER + row, "fonts.tsv"), tmp_path)
    except PackageError as e:
        pytest.skip(f"fluidr3mono-gm-soundfont cannot be downloaded here: {e}")
    assert list(packages) == ["fluidr3mono-gm-soundfont"]
    assert {s.split for s in sources} == {"train"} and {s.kind for s in sources} == {"fluidsynth"}
    for inst in INSTRUMENTS_PLAYED:
        programs = {(s.params["bank"], s.params["program"]) for s in sources if s.label == inst.label}
        assert programs == {(b, p) for b, p, _ in inst.train + inst.eval}, inst.label
    assert {s.params["soundfont"] for s in sources} == {"Fluid Mono"}
    assert str(packages["fluidr3mono-gm-soundfont"].root) in sources[0].params["soundfont_file"]
    # other melodies than the split's own soundfont plays: the same program is not the same source
    own = {json.dumps(s.params["notes"]) for s in instrument_sources("train")}
    assert not own & {json.dumps(s.params["notes"]) for s in sources}


def test_pick_is_stable_and_keeps_order():
    paths = [f"a/{i:03d}.ogg" for i in range(100)]
    chosen = pick(paths, 10)
    assert len(chosen) == 10 and chosen == sorted(chosen) and chosen == pick(list(reversed(paths)), 10)
    assert pick(paths, None) == paths and pick(paths[:3], 10) == paths[:3]


def test_members_of_zip_archives(tmp_path):
    root = tmp_path / "pkg"
    (root / "data").mkdir(parents=True)
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)).astype(np.float32)
    sf.write(tmp_path / "tone.wav", tone, 8000)
    with zipfile.ZipFile(root / "data" / "pak0.pk3", "w") as z:
        z.write(tmp_path / "tone.wav", "sound/steps/step1.wav")
        z.write(tmp_path / "tone.wav", "sound/other/x.wav")
    (found,) = expand(root, "data/*.pk3!sound/steps/*.wav")
    assert found == "data/pak0.pk3!sound/steps/step1.wav"
    audio, rate = read_audio(root, found)
    assert rate == 8000 and audio.shape == (8000, 1) and np.allclose(audio[:, 0], tone, atol=1e-4)


def test_licences_of_a_copyright_file():
    text = "Files: *\nLicense: GPL-2+\n text\n\nFiles: a/*\nLicense: CC0-1.0\n\nLicense: GPL-2+\n full text\n"
    assert licenses(text) == ("GPL-2+", "CC0-1.0")
