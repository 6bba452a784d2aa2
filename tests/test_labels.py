"""rtast.labels: shipped AudioSet names and user label files."""

from __future__ import annotations

import pytest

from rtast.labels import audioset_labels, default_labels, read_labels


def test_audioset_names_ship_with_the_package():
    names = audioset_labels()
    assert len(names) == 527
    assert names[0] == "Speech" and names[137] == "Music"


def test_label_files(tmp_path):
    csv = tmp_path / "l.csv"
    csv.write_text('index,mid,display_name\n1,/m/b,"Dog, barking"\n0,/m/a,Cat\n')
    assert read_labels(csv) == ["Cat", "Dog, barking"]
    txt = tmp_path / "l.txt"
    txt.write_text("yes\nno\n\n")
    assert read_labels(txt) == ["yes", "no"]
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(ValueError, match="no names"):
        read_labels(tmp_path / "empty.txt")
    with pytest.raises(ValueError, match="cannot read"):
        read_labels(tmp_path / "missing.txt")


def test_default_labels():
    assert default_labels(527)[0] == "Speech"
    assert default_labels(3) == ["class_0", "class_1", "class_2"]
