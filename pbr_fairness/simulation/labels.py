"""Labels of a breakdown seen chunk by chunk, re-coded into one sorted set at the end.

A caseload read in chunks shows its payment groups, providers and characteristics a few at a
time; :class:`ChunkLabels` gives each new label a code as it appears and, at the end, the
sorted labels and the map from first-seen codes to sorted ones (the one-piece simulation
sorts its labels, so both report groups in the same order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["ChunkLabels"]


class ChunkLabels:
    """Labels of one breakdown seen across chunks; codes re-sorted at the end."""

    def __init__(self, fixed: tuple[str, ...] | None = None) -> None:
        self.fixed = fixed
        self.labels: list[str] = list(fixed) if fixed else []
        self.index: dict[str, int] = {s: i for i, s in enumerate(self.labels)}

    def encode(self, values: pd.Series) -> NDArray[np.int16]:
        """Codes of one chunk's values (``-1`` for missing or, with fixed labels, unknown)."""
        if isinstance(values.dtype, pd.CategoricalDtype):
            cats = [None if pd.isna(c) else str(c) for c in values.cat.categories]
            local = values.cat.codes.to_numpy()
        else:
            s = values.astype("string")
            local, uniques = pd.factorize(s, use_na_sentinel=True)
            cats = [str(u) for u in uniques]
        lut = np.empty(len(cats) + 1, dtype=np.int16)
        lut[-1] = -1  # code -1 (missing) maps to -1
        for i, c in enumerate(cats):
            if c is None:
                lut[i] = -1
                continue
            if c not in self.index:
                if self.fixed:
                    lut[i] = -1
                    continue
                self.index[c] = len(self.labels)
                self.labels.append(c)
            lut[i] = self.index[c]
        return lut[local]

    def sorted_lut(self) -> tuple[tuple[str, ...], NDArray[np.int16]]:
        """Return the final labels (sorted unless fixed) and the first-seen-code map."""
        if self.fixed:
            return tuple(self.labels), np.arange(len(self.labels), dtype=np.int16)
        order = sorted(range(len(self.labels)), key=lambda i: self.labels[i])
        lut = np.empty(len(self.labels), dtype=np.int16)
        lut[np.array(order, dtype=np.int64)] = np.arange(len(order), dtype=np.int16)
        return tuple(self.labels[i] for i in order), lut
