"""rtast.hub: hub ids fetched with huggingface_hub from a local server that answers as the hub does."""

from __future__ import annotations

import hashlib
import importlib
import subprocess
import sys

import pytest
import torch
from hub_server import HubServer

transformers = pytest.importorskip("transformers")

REPO = "test-org/tiny-ast"


@pytest.fixture(scope="module")
def hf_repo(tmp_path_factory):
    """A random ASTForAudioClassification (hidden 64, 2 layers, 3 classes) saved with save_pretrained."""
    torch.manual_seed(0)
    config = transformers.ASTConfig(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=256,
        max_length=128,
        num_labels=3,
        id2label={0: "Speech", 1: "Dog", 2: "Siren"},
        label2id={"Speech": 0, "Dog": 1, "Siren": 2},
    )
    model = transformers.ASTForAudioClassification(config).eval()
    folder = tmp_path_factory.mktemp("hub") / "tiny-ast"
    model.save_pretrained(folder, safe_serialization=True)
    return folder, model


@pytest.fixture
def hub(hf_repo, tmp_path, monkeypatch):
    """The server, with huggingface_hub pointed at it and at an empty cache."""
    with HubServer({REPO: hf_repo[0]}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
        monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        reload_hub()
        yield server
    reload_hub()


def reload_hub() -> None:
    """huggingface_hub reads its environment at import: reload what holds it."""
    import huggingface_hub.constants as constants

    importlib.reload(constants)
    import huggingface_hub.file_download as fd

    importlib.reload(fd)
    import huggingface_hub

    importlib.reload(huggingface_hub)


def test_hub_id_gives_transformers_logits(hub, hf_repo):
    from rtast.hub import fetch_hub_model
    from rtast.modelfile import load_model_file

    path = fetch_hub_model(REPO)
    model_file = load_model_file(path)
    assert model_file.labels == ["Speech", "Dog", "Siren"]
    x = torch.randn(2, 128, 128)
    with torch.no_grad():
        ours = model_file.build_model()(x)
        theirs = hf_repo[1](x).logits
    assert (ours - theirs).abs().max() <= 1e-4
    assert path.parent.name == "rtast" and path.name.endswith(".pt")
    gets = [r for r in hub.requests if r[0] == "GET"]
    assert fetch_hub_model(REPO) == path  # second call: converted file reused
    assert [r for r in hub.requests if r[0] == "GET"] == gets  # ... and nothing downloaded again


def test_interrupted_download_resumes(hub, hf_repo, monkeypatch):
    import huggingface_hub.constants

    from rtast.hub import fetch_hub_model

    # The client counts whole chunks as received (10 MB by default): smaller chunks than this model.
    monkeypatch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", 1 << 16)
    hub.cut_next_get = "model.safetensors"
    fetch_hub_model(REPO)
    ranges = [r[2] for r in hub.requests if r[0] == "GET" and r[1].endswith("model.safetensors")]
    assert len(ranges) == 2 and ranges[0] is None
    assert ranges[1].startswith("bytes=") and int(ranges[1][6:].rstrip("-")) > 0  # resumed, not restarted


def test_corrupt_cached_weights_are_caught(hub, monkeypatch):
    from rtast.hub import HubError, fetch_hub_model

    path = fetch_hub_model(REPO)
    blob = next((path.parents[1] / "blobs").iterdir(), None)
    blobs = [b for b in (path.parents[1] / "blobs").iterdir() if len(b.name) == 64]
    assert blob is not None and len(blobs) == 1
    data = bytearray(blobs[0].read_bytes())
    data[len(data) // 2] ^= 0xFF
    blobs[0].write_bytes(bytes(data))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reload_hub()
    with pytest.raises(HubError, match="is corrupt"):
        fetch_hub_model(REPO)
    monkeypatch.delenv("HF_HUB_OFFLINE")
    reload_hub()
    fetch_hub_model(REPO)  # online: fetched again and verified
    assert hashlib.sha256(blobs[0].read_bytes()).hexdigest() == blobs[0].name


def test_offline_is_served_from_the_cache(hub, monkeypatch):
    from rtast.hub import fetch_hub_model

    path = fetch_hub_model(REPO)
    hub.httpd.shutdown()  # no network from here on
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reload_hub()
    assert fetch_hub_model(REPO) == path


def test_cli_uses_hub_ids_and_says_what_to_fetch_without_network(hub, tmp_path):
    env = {"HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_DISABLE_XET": "1", "PATH": ""}
    run = lambda *a, **kw: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "rtast", *a], capture_output=True, text=True, timeout=300, env={**env, **kw}
    )
    proc = run("info", REPO)
    assert proc.returncode == 0, proc.stderr
    assert '"num_classes": 3' in proc.stdout
    proc = run("import-checkpoint", REPO, "-o", str(tmp_path / "m.pt"))
    assert proc.returncode == 0 and (tmp_path / "m.pt").is_file(), proc.stderr
    proc = run("info", "test-org/other-model", HF_HUB_OFFLINE="1")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "download config.json and model.safetensors" in proc.stderr and "test-org/other-model" in proc.stderr
    proc = run("models")
    assert proc.returncode == 0 and "MIT/ast-finetuned-audioset-10-10-0.4593" in proc.stdout
