"""Building the configuration dataclasses from stored dictionaries (model files, engine metadata)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A setting that cannot work: a flag's value or a combination of flags (the message names them)."""


def from_dict(cls: type[T], d: dict[str, Any], what: str) -> T:
    """``cls(**d)``, refusing keys the dataclass does not have, naming them and the known ones."""
    known = {f.name for f in fields(cls)}
    unknown = set(d) - known
    if unknown:
        raise ValueError(f"unknown {what} keys {sorted(unknown)}; known: {sorted(known)}")
    return cls(**d)
