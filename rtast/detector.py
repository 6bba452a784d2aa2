"""The front door: ``rtast.open`` gives one Detector (engine, frontend, labels) to every consumer.

The CLI, the live window, the demo, the training recipe's evaluation and the benches all start
here, so a model file, a hub id or a compiled engine reaches the stream the same way::

    detector = rtast.open()                          # the shipped model
    detector = rtast.open("MIT/ast-finetuned-audioset-10-10-0.4593")
    detector = rtast.open(engine="model.onnx")       # built by `rtast build-engine`
    detector = rtast.open(server="127.0.0.1:8000")   # `rtast serve` (or Triton) scores the windows
    stats = detector.listener(FileSource("clip.wav"), [sink]).run()

Compiled engines are loaded by the ``engines`` package, which depends on rtast: it registers its
loader under the ``rtast.engine_loaders`` entry point, so rtast never imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from rtast.configs import ConfigError
from rtast.engine import BackendUnavailable, Engine, TorchEngine
from rtast.fbank import FrontendConfig
from rtast.modelfile import ModelFile, ModelFileError, default_model_path, load_model_file

ENGINE_LOADERS = "rtast.engine_loaders"


@dataclass(frozen=True)
class Detector:
    """What runs the model on windows, and what it needs to know about them."""

    engine: Engine
    frontend: FrontendConfig
    labels: list[str]
    multilabel: bool = True
    name: str = ""  # what runs, for status lines: "model default", "engine FILE (onnx-cpu)"

    def listener(self, source, sinks=(), config=None):
        """A Listener streaming ``source`` through this detector (``config``: a ListenConfig)."""
        from rtast.listener import Listener

        return Listener(source, self.engine, self.frontend, self.labels, list(sinks), config)

    def tagger(self, config=None):
        """A Tagger scoring whole files with this detector (``config``: a TagConfig)."""
        from rtast.tagging import TagConfig, Tagger

        return Tagger(self.engine, self.frontend, self.labels, self.multilabel, config or TagConfig())


def model_path_for(model: str | Path | None) -> Path:
    """A model file path for ``model``: a path, a hub id (fetched and converted if needed) or None (shipped)."""
    if model is None:
        path = default_model_path()
        if path is None:
            raise ModelFileError(
                "no default model is bundled with this rtast yet; pass --model model.pt "
                "(make one with `rtast import-checkpoint`, e.g. from the official AudioSet checkpoint)"
            )
        return path
    from rtast.hub import resolve_model as from_hub_or_path

    return Path(from_hub_or_path(str(model)))


def from_model_file(model_file: ModelFile, name: str = "", device: str = "cpu") -> Detector:
    """The eager detector of a loaded model file."""
    return Detector(
        TorchEngine(model_file.build_model(), device),
        model_file.frontend,
        list(model_file.labels),
        model_file.model_config.multilabel,
        name,
    )


def open(  # noqa: A001
    model: str | Path | None = None,
    engine: str | Path | None = None,
    device: str | None = None,
    server: str | None = None,
    server_model: str | None = None,
    timeout: float | None = None,
) -> Detector:
    """The detector of ``server`` (HOST:PORT of a Triton server: ``rtast serve``; its model ``server_model``,
    each request limited to ``timeout`` seconds), else of ``engine`` (a compiled engine file, checked against
    ``model`` when given), else the eager detector of ``model`` (a path or hub id; default: the shipped model)
    on ``device`` (default cpu)."""
    if server is not None:
        if model is not None or engine is not None or device is not None:
            raise ConfigError("a server runs its own model: give either a server or a model/engine/device")
        from rtast.remote import DEFAULT_MODEL_NAME, DEFAULT_TIMEOUT, open_remote

        return open_remote(server, server_model or DEFAULT_MODEL_NAME, timeout or DEFAULT_TIMEOUT)
    if engine is None:
        return from_model_file(load_model_file(model_path_for(model)), f"model {model or 'default'}", device or "cpu")
    loaders = entry_points(group=ENGINE_LOADERS)
    if not loaders:
        raise BackendUnavailable(
            f"{engine}: compiled engines are loaded by rtast's engines package, registered under the "
            f"{ENGINE_LOADERS} entry point, which this install does not list: reinstall rtast (pip install -e . "
            "in a checkout; an old rtast.egg-info in the current folder can hide it)"
        )
    load_engine = next(iter(loaders)).load()
    model_path = None if model is None else model_path_for(model)
    compiled, meta = load_engine(engine, device=device, model_path=model_path)
    name = f"engine {engine} ({compiled.name})"
    return Detector(compiled, meta.frontend_config, list(meta.labels), meta.multilabel, name)
