"""The self-describing model file (``model.pt``): weights, configs, normalisation and labels.

The file is a ``torch.save`` dict of tensors, strings, numbers and lists only, so it loads with
``torch.load(weights_only=True)``: no arbitrary code runs when a model file is opened.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import pickle
import warnings
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
        mean, std = self.frontend.mean, self.frontend.std
        if not (math.isfinite(mean) and math.isfinite(std) and std > 0):
            raise ModelFileError(f"normalisation statistics mean {mean}, std {std}: std must be finite and above 0")

    def check_weights(self) -> None:
        """Raise ModelFileError if a weight is NaN or infinite: such a model scores every window NaN."""
        for name, tensor in self.state_dict.items():
            if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
                raise ModelFileError(f"weight {name} holds NaN or infinite values (a diverged training run?)")

    def build_model(self) -> AST:
        """The AST with these weights, in eval mode on the CPU."""
        model = AST(self.model_config)
        missing, unexpected = model.load_state_dict(self.state_dict, strict=False)
        if missing or unexpected:
            raise ModelFileError(f"weights do not fit the model: missing {missing}, unexpected {unexpected}")
        return model.eval()


def read_torch_file(path: str | Path, what: str = "file") -> object:
    """``torch.load`` of plain tensors only; raises ModelFileError with a one-line reason.

    torch's own messages for unsafe files advise ``weights_only=False``, which would run whatever
    code the file holds: they are never passed on.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pickle-protocol notices about files refused anyway
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise ModelFileError(
            f"cannot read {what} {path}: it is corrupt or holds pickled objects other than tensors "
            "(not loaded, as that could run code)"
        ) from e
    except RuntimeError as e:
        if "zip archive" in str(e) or "PytorchStreamReader" in str(e):
            raise ModelFileError(f"cannot read {what} {path}: truncated or corrupt torch archive") from e
        raise ModelFileError(f"cannot read {what} {path}: {str(e).splitlines()[0]}") from e
    except OSError as e:
        raise ModelFileError(f"cannot read {what} {path} ({e.strerror or e})") from e
    except Exception as e:  # torch raises many types (KeyError, EOFError, ...) for files that are not its own
        raise ModelFileError(f"cannot read {what} {path}: not a torch file ({type(e).__name__})") from e


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
    if path.is_dir():
        raise ModelFileError(f"cannot write model file {path}: it is a directory")
    tmp = path.with_name(path.name + ".partial")
    try:
        torch.save(payload, tmp)
        tmp.replace(path)  # never leave a half-written model under the real name
    except (OSError, RuntimeError) as e:  # torch.save reports unwritable paths as RuntimeError without the path
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        reason = e.strerror if isinstance(e, OSError) and e.strerror else "the folder is missing or read-only?"
        raise ModelFileError(f"cannot write model file {path} ({reason})") from e


def load_model_file(path: str | Path) -> ModelFile:
    """Read a model file written by ``save_model_file``; raises ModelFileError with the reason."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file {path} does not exist")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path} is not an rtast model file (not a torch archive)")
    payload = read_torch_file(path, "model file")
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
        model_file = ModelFile(
            model_config=ASTConfig.from_dict(payload["model_config"]),
            frontend=FrontendConfig.from_dict(payload["frontend"]),
            labels=list(payload["labels"]),
            state_dict=payload["state_dict"],
            meta=dict(payload.get("meta", {})),
        )
        model_file.check_weights()
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ModelFileError(f"model file {path} is incomplete or inconsistent: {e}") from e
    return model_file


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
