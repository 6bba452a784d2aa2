"""The self-describing model file (``model.pt``): weights, configs, normalisation and labels.

The file is a ``torch.save`` dict of tensors, strings, numbers and lists only, so it loads with
``torch.load(weights_only=True)``: no arbitrary code runs when a model file is opened.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from rtast import __version__
from rtast.fbank import FrontendConfig
from rtast.model import AST, ASTConfig

FORMAT = "rtast-model"
FORMAT_VERSION = 1
DEFAULT_MODEL_NAME = "default_model.pt"  # in rtast/data/, loaded when no --model is given


class ModelFileError(ValueError):
    """A model file that is missing, unreadable or not an rtast model."""


@dataclass
class ModelFile:
    """Everything a listener needs to rebuild and use a model."""

    model_config: ASTConfig
    frontend: FrontendConfig
    labels: list[str]
    state_dict: dict[str, torch.Tensor]
    meta: dict[str, str] = field(default_factory=dict)  # source, notes, rtast version

    def __post_init__(self) -> None:
        if len(self.labels) != self.model_config.num_classes:
            raise ModelFileError(
                f"{len(self.labels)} label names for a model with {self.model_config.num_classes} classes"
            )
        if self.frontend.num_mel_bins != self.model_config.num_mel_bins:
            raise ModelFileError(
                f"frontend makes {self.frontend.num_mel_bins} mel bins, model expects {self.model_config.num_mel_bins}"
            )
        if self.frontend.target_length != self.model_config.input_tdim:
            raise ModelFileError(
                f"frontend makes {self.frontend.target_length} frames, model expects {self.model_config.input_tdim}"
            )

    def build_model(self) -> AST:
        """The AST with these weights, in eval mode on the CPU."""
        model = AST(self.model_config)
        missing, unexpected = model.load_state_dict(self.state_dict, strict=False)
        if missing or unexpected:
            raise ModelFileError(f"weights do not fit the model: missing {missing}, unexpected {unexpected}")
        return model.eval()


def save_model_file(path: str | Path, model_file: ModelFile) -> None:
    """Write ``model_file`` to ``path`` (any extension; ``.pt`` by convention)."""
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_config": model_file.model_config.to_dict(),
        "frontend": model_file.frontend.to_dict(),
        "labels": list(model_file.labels),
        "meta": {"rtast_version": __version__, **model_file.meta},
        "state_dict": {k: v.detach().cpu().contiguous() for k, v in model_file.state_dict.items()},
    }
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    torch.save(payload, tmp)
    tmp.replace(path)  # never leave a half-written model under the real name


def load_model_file(path: str | Path) -> ModelFile:
    """Read a model file written by ``save_model_file``; raises ModelFileError with the reason."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file {path} does not exist")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path} is not an rtast model file (not a torch archive)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for corrupt or unsafe archives
        raise ModelFileError(f"cannot read model file {path}: {e}") from e
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(
            f"{path} is not an rtast model file; convert official or Hugging Face checkpoints "
            "with `rtast import-checkpoint`"
        )
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format version {payload['format_version']}; this rtast reads up to {FORMAT_VERSION}"
        )
    try:
        return ModelFile(
            model_config=ASTConfig.from_dict(payload["model_config"]),
            frontend=FrontendConfig.from_dict(payload["frontend"]),
            labels=list(payload["labels"]),
            state_dict=payload["state_dict"],
            meta=dict(payload.get("meta", {})),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"model file {path} is incomplete or inconsistent: {e}") from e


def default_model_path() -> Path | None:
    """The model file shipped inside the package, or None while none is bundled."""
    path = Path(__file__).parent / "data" / DEFAULT_MODEL_NAME
    return path if path.is_file() else None


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file, to tie derived artefacts (engines) to their source model."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
