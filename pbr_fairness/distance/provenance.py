"""Where a model or a table came from: the package version and a hash of a table's values.

``package_version`` is :func:`pbr_fairness.version.package_version`, re-exported here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pbr_fairness.version import package_version

__all__ = ["frame_hash", "package_version"]


def frame_hash(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """Return a SHA-256 of a table's values (row order matters, the index does not).

    Parameters
    ----------
    frame : pandas.DataFrame
        Table.
    columns : sequence of str, optional
        Columns to hash, in this order (default: all).

    Returns
    -------
    str
        ``"sha256:<hex>"``.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2]}, index=[5, 6])
    >>> frame_hash(a) == frame_hash(a.reset_index(drop=True))
    True
    >>> frame_hash(a) == frame_hash(a.iloc[::-1])
    False
    """
    cols = list(columns) if columns is not None else list(frame.columns)
    h = hashlib.sha256()
    h.update(json.dumps(cols).encode())
    if len(frame):
        hashed = pd.util.hash_pandas_object(frame[cols], index=False)
        h.update(np.ascontiguousarray(hashed.to_numpy()).tobytes())
    return "sha256:" + h.hexdigest()
