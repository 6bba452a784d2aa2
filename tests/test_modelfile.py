"""rtast.modelfile: the self-describing model file, loaded safely."""

from __future__ import annotations

import os

import pytest
import torch
from conftest import random_model_file

from rtast.fbank import FrontendConfig
from rtast.modelfile import ModelFile, ModelFileError, file_sha256, load_model_file, save_model_file


def test_round_trip_keeps_everything(tmp_path):
    original = random_model_file(input_tdim=128, num_classes=5, window_seconds=1.0)
    path = tmp_path / "m.pt"
    save_model_file(path, original)
    loaded = load_model_file(path)
    assert loaded.model_config == original.model_config
    assert loaded.frontend == original.frontend
    assert loaded.labels == original.labels
    assert loaded.meta["source"] == "test:random" and "rtast_version" in loaded.meta
    x = torch.randn(2, 128, 128)
    with torch.no_grad():
        assert torch.equal(original.build_model()(x), loaded.build_model()(x))


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/rtast-pwned",))


def test_pickled_code_is_not_executed(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "rtast-model", "payload": Evil()}, path)
    with pytest.raises(ModelFileError, match="cannot read"):
        load_model_file(path)
    assert not os.path.exists("/tmp/rtast-pwned")


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "does not exist"), (b"hello", "not an rtast model file"), ({"a": torch.zeros(1)}, "not an rtast model")],
)
def test_not_a_model_file(tmp_path, content, message):
    path = tmp_path / "x.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        torch.save(content, path)
    with pytest.raises(ModelFileError, match=message):
        load_model_file(path)


def test_inconsistent_contents_are_refused():
    good = random_model_file(input_tdim=128, num_classes=5)
    with pytest.raises(ModelFileError, match="label names"):
        ModelFile(good.model_config, good.frontend, good.labels[:3], good.state_dict)
    with pytest.raises(ModelFileError, match="frames"):
        ModelFile(good.model_config, FrontendConfig(target_length=1024), good.labels, good.state_dict)
    bad_weights = dict(good.state_dict)
    bad_weights.pop("head.bias")
    with pytest.raises(ModelFileError, match="missing"):
        ModelFile(good.model_config, good.frontend, good.labels, bad_weights).build_model()


def test_sha256_changes_with_the_weights(tmp_path):
    a, b = tmp_path / "a.pt", tmp_path / "b.pt"
    save_model_file(a, random_model_file(input_tdim=128, num_classes=5, seed=0))
    save_model_file(b, random_model_file(input_tdim=128, num_classes=5, seed=1))
    assert file_sha256(a) != file_sha256(b)
    assert len(file_sha256(a)) == 64
