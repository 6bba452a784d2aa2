"""train/scenes.py: scene datasets labelled from their event times (strong labels)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from rtast.train.data import WaveformDataset


def test_scene_dataset_labels_crops_from_events(tmp_path):

    from rtast.train.scenes import scene_dataset

    (tmp_path / "clips").mkdir()
    sf.write(tmp_path / "clips" / "s1.wav", np.zeros(16000 * 10, np.float32), 16000)
    (tmp_path / "labels.csv").write_text("index,mid,display_name\n0,/m/a,Dog\n1,/m/b,Cat\n")
    (tmp_path / "manifest.json").write_text('{"data": [{"wav": "clips/s1.wav", "labels": "/m/a,/m/b"}]}')
    (tmp_path / "events.tsv").write_text(
        "filename\tonset\toffset\tevent_label\nclips/s1.wav\t1.0\t3.0\tDog\nclips/s1.wav\t6.0\t6.4\tCat\n"
    )
    train_spec = scene_dataset(tmp_path / "manifest.json", tmp_path / "labels.csv", tmp_path / "events.tsv")
    assert train_spec.strong and train_spec.clips[0].events == ((1.0, 3.0, 0), (6.0, 6.4, 1))
    eval_spec = scene_dataset(
        tmp_path / "manifest.json", tmp_path / "labels.csv", tmp_path / "events.tsv", eval_window=3.0, eval_hop=1.0
    )
    assert [c.start for c in eval_spec.clips] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    # Dog 1-3 s needs 0.5 s inside a crop; the 0.4-s Cat needs half of itself (0.2 s).
    assert [c.targets for c in eval_spec.clips] == [(0,), (0,), (0,), (), (1,), (1,), (1,), ()]
    dataset = WaveformDataset(eval_spec, 48000, train=False)
    wave, target = dataset[4]
    assert len(wave) == 48000 and target.tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="Bird"):
        (tmp_path / "bad.tsv").write_text("filename\tonset\toffset\tevent_label\nclips/s1.wav\t1\t2\tBird\n")
        scene_dataset(tmp_path / "manifest.json", tmp_path / "labels.csv", tmp_path / "bad.tsv")


def test_label_overlap_sets_how_much_of_an_event_a_training_crop_needs(tmp_path):
    from rtast.train.data import events_in
    from rtast.train.scenes import scene_dataset

    events = ((2.7, 6.0, 0), (0.0, 0.3, 1))  # Dog from 2.7 s: 0.3 s inside a crop [0, 3); a 0.3-s Cat
    assert events_in(events, 0.0, 3.0) == {1}  # 0.5 s of Dog needed; half the Cat is enough
    assert events_in(events, 0.0, 3.0, min_overlap=0.25) == {0, 1}
    (tmp_path / "clips").mkdir()
    sf.write(tmp_path / "clips" / "s1.wav", np.zeros(16000 * 3, np.float32), 16000)
    (tmp_path / "labels.csv").write_text("index,mid,display_name\n0,/m/a,Dog\n1,/m/b,Cat\n")
    (tmp_path / "manifest.json").write_text('{"data": [{"wav": "clips/s1.wav", "labels": "/m/a"}]}')
    (tmp_path / "events.tsv").write_text("filename\tonset\toffset\tevent_label\nclips/s1.wav\t2.7\t6.0\tDog\n")
    spec = scene_dataset(tmp_path / "manifest.json", tmp_path / "labels.csv", tmp_path / "events.tsv")
    assert WaveformDataset(spec, 48000, train=True)[0][1].tolist() == [0.0, 0.0]  # the crop is the whole file
    assert WaveformDataset(spec, 48000, train=True, min_overlap=0.25)[0][1].tolist() == [1.0, 0.0]
