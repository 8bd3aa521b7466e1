"""Statistical disclosure control for published tables: primary and secondary suppression.

A *cell* is a group of people (a provider, a provider x payment group, a provider x sex, ...).
Every statistic of a cell with fewer than ``min_cell`` people is suppressed (*primary*
suppression). Because a reader also sees totals (each provider's ``n`` beside its payment-group
rows, the caseload's ``n`` beside the providers), a single suppressed cell in a row or column
could be recovered by subtraction. *Secondary* suppression therefore hides further cells until
every published line (row or column, including the line of totals) holds either no suppressed
cell or at least two, choosing each time the smallest non-empty unsuppressed cell of the line
(least information lost). Totals themselves are cells: a total under ``min_cell`` is
suppressed too, and then protected by the same rule.

The rule "no line with exactly one suppressed cell" defeats recovery by subtraction; the tests
also attack the suppressed tables with linear programming (bounds on each hidden cell given
every published total and non-negativity) to check no hidden count is pinned down exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["Suppression", "suppress_counts", "suppress_long"]

SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Suppression:
    """Which cells of a two-way table with margins are suppressed.

    Attributes
    ----------
    cells : numpy.ndarray of bool, shape (R, C)
        Suppressed interior cells.
    row_totals : numpy.ndarray of bool, shape (R,)
        Suppressed row totals.
    column_totals : numpy.ndarray of bool, shape (C,)
        Suppressed column totals.
    grand_total : bool
        Whether the grand total is suppressed.
    primary : numpy.ndarray of bool, shape (R, C)
        Interior cells suppressed because they are small (the rest of ``cells`` is secondary).
    """

    cells: NDArray[np.bool_]
    row_totals: NDArray[np.bool_]
    column_totals: NDArray[np.bool_]
    grand_total: bool
    primary: NDArray[np.bool_]


def _determined(unknown: NDArray[np.bool_], r: int, c: int) -> NDArray[np.bool_]:
    """Unknown cells of an extended (R+1, C+1) table that the additive identities pin down.

    Each row and column of the extended table satisfies "cells sum to the total". A cell is
    determined by the known cells exactly when its unit vector lies in the row space of the
    identities restricted to the unknown cells, that is when the null space of that system
    has no component on it.
    """
    from scipy.linalg import null_space

    idx = np.argwhere(unknown)
    out = np.zeros_like(unknown)
    if idx.size == 0:
        return out
    pos = {(int(a), int(b)): k for k, (a, b) in enumerate(idx)}
    eqs = []
    for i in range(r + 1):
        row = np.zeros(len(idx))
        for j in range(c + 1):
            k = pos.get((i, j))
            if k is not None:
                row[k] = -1.0 if j == c else 1.0
        eqs.append(row)
    for j in range(c + 1):
        col = np.zeros(len(idx))
        for i in range(r + 1):
            k = pos.get((i, j))
            if k is not None:
                col[k] = -1.0 if i == r else 1.0
        eqs.append(col)
    ns = null_space(np.array(eqs))
    free = np.abs(ns).max(axis=1) > 1e-9 if ns.size else np.zeros(len(idx), dtype=bool)
    out[idx[:, 0], idx[:, 1]] = ~free
    return out


def suppress_counts(
    counts: ArrayLike,
    *,
    min_cell: int = 10,
    row_totals: bool = True,
    column_totals: bool = True,
    hidden: ArrayLike | None = None,
) -> Suppression:
    """Primary and secondary suppression of a two-way table of counts and its margins.

    Parameters
    ----------
    counts : array-like of shape (R, C)
        People per cell (non-negative integers). Empty cells (0 people) hold no one: they are
        not suppressed, since publishing "nobody" discloses nothing about a person.
    min_cell : int, default 10
        Cells with ``1 <= n < min_cell`` people are suppressed.
    row_totals, column_totals : bool, default True
        Whether row totals (and the grand total) / column totals are published, so that the
        cells must be protected against subtraction from them.
    hidden : array-like of bool, shape (R, C), optional
        Interior cells already hidden for another reason (for example every cell of a
        provider suppressed in the provider table); they count as suppressed, so they can
        serve as the partners of small cells.

    Returns
    -------
    Suppression

    Examples
    --------
    >>> s = suppress_counts([[3, 50, 60], [40, 45, 70]])
    >>> s.cells.astype(int).tolist()
    [[1, 1, 0], [1, 1, 0]]
    """
    t = np.asarray(counts, dtype=float)
    if t.ndim == 1:
        t = t[:, None]
    if t.ndim != 2:
        raise ValueError("counts must be a one- or two-dimensional table")
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError("counts must be finite and non-negative")
    r, c = t.shape
    # Extended table: interior, row totals (last column), column totals (last row), grand total.
    ext = np.zeros((r + 1, c + 1))
    ext[:r, :c] = t
    ext[:r, c] = t.sum(axis=1)
    ext[r, :c] = t.sum(axis=0)
    ext[r, c] = t.sum()
    published = np.ones_like(ext, dtype=bool)
    if not row_totals:
        published[:, c] = False
    if not column_totals:
        published[r, :] = False
    if not row_totals and not column_totals:
        published[r, c] = False
    small = (ext > 0) & (ext < min_cell) & published
    primary = small[:r, :c].copy()
    preset = np.zeros((r, c), dtype=bool) if hidden is None else np.asarray(hidden, dtype=bool)
    if preset.shape != (r, c):
        raise ValueError(f"hidden must have the table's shape {(r, c)}, got {preset.shape}")
    hidden = small.copy()
    hidden[:r, :c] |= preset

    # Lines: each row (its cells plus its total, if published) and each column likewise.
    lines: list[tuple[NDArray[np.intp], NDArray[np.intp]]] = []
    if row_totals:
        for i in range(r + (1 if column_totals else 0)):
            lines.append((np.full(c + 1, i), np.arange(c + 1)))
    if column_totals:
        for j in range(c + (1 if row_totals else 0)):
            lines.append((np.arange(r + 1), np.full(r + 1, j)))

    def pair_lines() -> None:
        changed = True
        while changed:
            changed = False
            for rows, cols in lines:
                mask = published[rows, cols]
                if not mask.any():
                    continue
                lr, lc = rows[mask], cols[mask]
                h = hidden[lr, lc]
                if h.sum() != 1:
                    continue
                if _hide_smallest(lr, lc):
                    changed = True

    def _hide_smallest(lr: NDArray[np.intp], lc: NDArray[np.intp]) -> bool:
        h = hidden[lr, lc]
        values = ext[lr, lc]
        candidates = (~h) & (values > 0) & published[lr, lc]
        if not candidates.any():
            candidates = (~h) & published[lr, lc]
        if not candidates.any():
            return False
        # Prefer interior cells over totals, then the smallest count.
        is_total = (lr == r) | (lc == c)
        key = np.where(candidates, values + np.where(is_total, 1e12, 0.0), np.inf)
        pick = int(np.argmin(key))
        hidden[lr[pick], lc[pick]] = True
        return True

    pair_lines()
    # "At least two hidden cells per line" defeats subtraction but not every combination of
    # lines (two hidden row totals whose sum is known can pin a hidden cell in a column):
    # check exact determinability with linear algebra and widen the suppression until no
    # small cell is determined by the published totals.
    all_rows = np.arange(r + 1)
    all_cols = np.arange(c + 1)
    for _ in range(ext.size):
        pinned = _determined(hidden | ~published, r, c) & small
        if not pinned.any():
            break
        i, j = (int(v) for v in np.argwhere(pinned)[0])
        if not (_hide_smallest(np.full(c + 1, i), all_cols)
                or _hide_smallest(all_rows, np.full(r + 1, j))):
            flat_r, flat_c = np.nonzero(~hidden & published)
            if flat_r.size == 0 or not _hide_smallest(flat_r, flat_c):
                break
        pair_lines()
    return Suppression(
        cells=hidden[:r, :c],
        row_totals=hidden[:r, c],
        column_totals=hidden[r, :c],
        grand_total=bool(hidden[r, c]),
        primary=primary,
    )


def suppress_long(
    frame: pd.DataFrame,
    *,
    row: str,
    column: str,
    count: str = "n",
    min_cell: int = 10,
    column_totals: bool = True,
    hidden_rows: list[str] | tuple[str, ...] = (),
) -> NDArray[np.bool_]:
    """Suppression mask for a long table with one row per (row, column) cell.

    The row totals (for example each provider's ``n``) are assumed published; column totals
    (for example each payment group's ``n`` over all providers) are protected when
    ``column_totals`` is True.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long table with the cell keys and a count column.
    row, column : str
        Key columns forming the two-way table.
    count : str, default "n"
        Count column.
    min_cell : int, default 10
        Smallest publishable count.
    column_totals : bool, default True
        Whether column totals are published.
    hidden_rows : sequence of str, default ()
        Row keys hidden as a whole already (for example providers suppressed in the provider
        table); all their cells are suppressed and serve as partners.

    Returns
    -------
    numpy.ndarray of bool
        True for rows of ``frame`` whose statistics must be suppressed.
    """
    if frame.empty:
        return np.zeros(0, dtype=bool)
    wide = frame.pivot_table(
        index=row, columns=column, values=count, aggfunc="sum", fill_value=0, observed=True
    )
    preset = np.repeat(wide.index.isin(list(hidden_rows))[:, None], wide.shape[1], axis=1)
    s = suppress_counts(
        wide.to_numpy(), min_cell=min_cell, column_totals=column_totals, hidden=preset
    )
    hidden = pd.DataFrame(s.cells, index=wide.index, columns=wide.columns)
    stacked = hidden.stack()
    keys = pd.MultiIndex.from_frame(frame[[row, column]])
    return np.array(stacked.reindex(keys).fillna(False).to_numpy(dtype=bool), copy=True)
