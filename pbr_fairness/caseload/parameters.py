"""Load the generator's parameter file (``pbr_fairness/data/generator.yaml``)."""

from __future__ import annotations

import copy
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["DEFAULT_PARAMETER_FILE", "load_generator_parameters"]

DEFAULT_PARAMETER_FILE = Path(str(resources.files("pbr_fairness") / "data" / "generator.yaml"))


@lru_cache(maxsize=8)
def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_generator_parameters(path: str | Path | None = None) -> dict[str, Any]:
    """Read the generator parameters (a fresh copy that callers may modify).

    Parameters
    ----------
    path : str or Path, optional
        A parameter file; default the shipped ``generator.yaml``.

    Returns
    -------
    dict
    """
    return copy.deepcopy(_load(str(path or DEFAULT_PARAMETER_FILE)))


def value(entry: Any) -> Any:
    """Return ``entry['value']`` for a sourced leaf, else the entry itself."""
    return entry["value"] if isinstance(entry, dict) and "value" in entry else entry
