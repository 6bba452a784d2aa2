"""Model names: a local path, or a Hugging Face hub id (``org/name`` with an optional ``@revision``).

A hub model is fetched with ``huggingface_hub`` (its cache, ``HF_HUB_OFFLINE``, tokens, resumed
downloads), its weights are checked against the hash the hub names them by, and it is converted
once to an rtast model file kept beside the download, under a name made of the weights' SHA-256
and rtast's version: a new download or a new rtast converts again, nothing else does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from rtast import __version__
from rtast.modelfile import ModelFileError, file_sha256, load_model_file, save_model_file

HUB_ID = re.compile(r"^(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)(?:@(?P<revision>[\w./-]+))?$")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


@dataclass(frozen=True)
class KnownModel:
    name: str  # hub id, or the official file name
    what: str
    address: str  # where it is published


OFFICIAL_BASE = (
    "https://www.dropbox.com/s"  # the AST repository (README, "Pretrained Models") links its .pth files there
)
# Hub ids and file addresses as published by MIT / the AST authors (transformers' AST conversion script lists the
# same pairs): the hub models were converted from these .pth files.
_PUBLISHED = [
    ("10-10-0.4593", "AudioSet, strides 10/10, mAP 0.459 (weight averaging)", "ca0b1v2nlxzyeb4/audioset_10_10_0.4593"),
    ("10-10-0.450", "AudioSet, strides 10/10, mAP 0.450", "1tv0hovue1bxupk/audioset_10_10_0.4495"),
    ("10-10-0.448", "AudioSet, strides 10/10, mAP 0.448", "6u5sikl4b9wo4u5/audioset_10_10_0.4483"),
    ("10-10-0.448-v2", "AudioSet, strides 10/10, mAP 0.448", "kt6i0v9fvfm1mbq/audioset_10_10_0.4475"),
    ("12-12-0.447", "AudioSet, strides 12/12, mAP 0.447", "snfhx3tizr4nuc8/audioset_12_12_0.4467"),
    ("14-14-0.443", "AudioSet, strides 14/14, mAP 0.443", "z18s6pemtnxm4k7/audioset_14_14_0.4431"),
    ("16-16-0.442", "AudioSet, strides 16/16, mAP 0.442", "mdsa4t1xmcimia6/audioset_16_16_0.4422"),
]
KNOWN_MODELS = [
    *(KnownModel(f"MIT/ast-finetuned-audioset-{tag}", what, "hub") for tag, what, _ in _PUBLISHED),
    KnownModel("MIT/ast-finetuned-speech-commands-v2", "Speech Commands V2, 35 words, acc 0.981", "hub"),
    *(
        KnownModel(
            f"{path.split('/')[1]}.pth",
            f"official .pth: {what} (rtast import-checkpoint FILE)",
            f"{OFFICIAL_BASE}/{path}.pth?dl=1",
        )
        for _, what, path in _PUBLISHED
    ),
    KnownModel(
        "speechcommands_10_10_0.9812.pth",
        "official .pth: Speech Commands V2 (import-checkpoint FILE --labels)",
        f"{OFFICIAL_BASE}/q0tbqpwv44pquwy/speechcommands_10_10_0.9812.pth?dl=1",
    ),
]


class HubError(ModelFileError):
    """A hub model that cannot be fetched or is corrupt; the message says what to fetch and where to put it."""


def is_hub_id(name: str) -> bool:
    """True for ``org/name[@revision]`` that is not an existing local path."""
    return HUB_ID.match(name) is not None and not Path(name).exists()


def _hub():
    import huggingface_hub
    from huggingface_hub import constants, errors

    return huggingface_hub, constants, errors


def _fetch(repo: str, revision: str | None, filename: str, force: bool = False) -> Path:
    """One file of a hub repository, from the cache or the network."""
    hf, constants, errors = _hub()
    try:
        return Path(hf.hf_hub_download(repo, filename, revision=revision, force_download=force))
    except errors.EntryNotFoundError as e:
        if not isinstance(e, errors.LocalEntryNotFoundError):
            raise  # the hub answered: no such file (callers try the next name)
        raise _unreachable(repo, filename, constants) from e
    except (errors.RepositoryNotFoundError, errors.RevisionNotFoundError, errors.GatedRepoError) as e:
        raise HubError(f"{repo}{'@' + revision if revision else ''}: {str(e).splitlines()[0]}") from e
    except (errors.HfHubHTTPError, OSError) as e:
        raise _unreachable(repo, filename, constants) from e


def _unreachable(repo: str, filename: str, constants) -> HubError:
    offline = " (HF_HUB_OFFLINE is set)" if constants.HF_HUB_OFFLINE else ""
    return HubError(
        f"cannot fetch {filename} of {repo} from {constants.ENDPOINT}{offline} and it is not in the cache "
        f"({constants.HF_HUB_CACHE}); with no network, download config.json and model.safetensors from "
        f"{constants.ENDPOINT}/{repo} into one folder and pass that folder instead of the name"
    )


def _verified(repo: str, revision: str | None, filename: str) -> Path:
    """The weights file, whose SHA-256 must equal the hash the hub's cache names its blob by."""
    path = _fetch(repo, revision, filename)
    for attempt in (1, 2):
        blob = path.resolve().name
        if not re.fullmatch(r"[0-9a-f]{64}", blob) or file_sha256(path) == blob:
            return path
        _, constants, _ = _hub()
        if attempt == 2 or constants.HF_HUB_OFFLINE:
            raise HubError(
                f"cached {filename} of {repo} is corrupt (its SHA-256 is not {blob}); delete {path.resolve()} "
                "and fetch it again"
            )
        path = _fetch(repo, revision, filename, force=True)
    raise AssertionError("unreachable")


def fetch_hub_snapshot(name: str) -> tuple[Path, Path]:
    """(snapshot folder, verified weights file) of hub id ``name``, from the cache or the network."""
    m = HUB_ID.match(name)
    if m is None:
        raise HubError(f"{name!r} is not a hub id (org/name or org/name@revision)")
    repo, revision = m.group("repo"), m.group("revision")
    _, _, errors = _hub()
    config = _fetch(repo, revision, "config.json")
    for filename in WEIGHT_FILES:
        try:
            weights = _verified(repo, revision, filename)
            break
        except errors.EntryNotFoundError:
            continue
    else:
        raise HubError(f"{repo} has none of {', '.join(WEIGHT_FILES)}; not an ASTForAudioClassification repository")
    try:
        _fetch(repo, revision, "preprocessor_config.json")  # normalisation statistics, when published
    except (errors.EntryNotFoundError, HubError):
        pass  # the AST defaults for its frame count apply
    return config.parent, weights


def fetch_hub_model(name: str) -> Path:
    """The rtast model file for hub id ``name``, downloading and converting it if needed."""
    from rtast.importers import import_hf_directory

    snapshot, weights = fetch_hub_snapshot(name)
    converted = snapshot.parents[1] / "rtast" / f"{file_sha256(weights)[:16]}-rtast{__version__}.pt"
    if converted.is_file():
        try:
            load_model_file(converted)
            return converted
        except ModelFileError:
            pass  # a damaged conversion is simply redone
    converted.parent.mkdir(parents=True, exist_ok=True)
    model_file = import_hf_directory(snapshot)
    model_file.meta["source"] = f"huggingface:{name.partition('@')[0]}@{snapshot.name}"
    save_model_file(converted, model_file)
    return converted


def resolve_model(name: str) -> Path:
    """A local model path as given, or the converted file of a hub id."""
    return fetch_hub_model(name) if is_hub_id(name) else Path(name)


def cached_size(name: str) -> int | None:
    """Bytes held in the hub cache for ``name`` (None when nothing is cached)."""
    hf, _, _ = _hub()
    try:
        info = hf.scan_cache_dir()
    except (hf.CacheNotFound, OSError):
        return None
    for repo in info.repos:
        if repo.repo_id == name and repo.repo_type == "model":
            return repo.size_on_disk + sum(
                f.stat().st_size for f in (repo.repo_path / "rtast").glob("*.pt") if f.is_file()
            )
    return None


def describe_known_models() -> list[dict]:
    """The known AST checkpoints, what they are, where they are published, and what is cached."""
    out = []
    for m in KNOWN_MODELS:
        hub = m.address == "hub"
        size = cached_size(m.name) if hub else None
        out.append(
            {
                "name": m.name,
                "what": m.what,
                "address": f"{os.environ.get('HF_ENDPOINT', 'https://huggingface.co')}/{m.name}" if hub else m.address,
                "cached_bytes": size,
            }
        )
    return out
