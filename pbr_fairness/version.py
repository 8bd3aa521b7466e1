"""The installed package's version, for provenance (a leaf module: imports nothing else)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["package_version"]


def package_version() -> str:
    """Return the installed version of pbr-fairness (``0.0.0+unknown`` from a bare source tree).

    Examples
    --------
    >>> isinstance(package_version(), str)
    True
    """
    try:
        return version("pbr-fairness")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0.0.0+unknown"
