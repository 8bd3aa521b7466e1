"""Statistical disclosure control for published tables: primary and complementary suppression.

A *cell* is a group of people (a provider, a provider x payment group, a provider x sex, ...).
The rules follow the UK guidance for tables of counts from administrative data:

* **Threshold rule** (primary suppression). Every count and every statistic of a cell with
  ``1 <= n < min_cell`` people is suppressed: "percentages referring to fewer than 10
  individuals" and "means, medians, ... only where based on a count of at least 10" count as
  low counts too (UK Longitudinal Linkage Collaboration, *Statistical Disclosure Control*,
  https://guidebook.ukllc.ac.uk/docs/user_guide/sdc; the ONS "10-5 rule" suppresses counts under
  ten, ONS, *Comparison of post-tabular statistical disclosure control methods*,
  https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates/methodologies/comparisonofposttabularstatisticaldisclosurecontrolmethods).
* **Group (attribute) disclosure** (primary suppression). A cell whose count of a yes/no
  attribute is 0 or 1, or all but 0 or 1 of its people, tells every reader who knows someone
  in the group that person's value: all, or all but one, share it (Hundepool et al.,
  *Handbook on Statistical Disclosure Control*, ESSnet, chapter 5 "Frequency tables",
  section 5.2 on disclosure risks, https://sdctools.github.io/HandbookSDC/05-frequency-tables.html).
  Such cells are suppressed like small ones. For job outcomes both sides disclose (nobody, or
  everybody, found work); for an attribute that is sensitive only when present (being left on
  minimal support) only "all or all but one have it" does, and a count of 0 or 1 is published
  (``one_sided_attributes``).
* **Complementary (secondary) suppression** against **disclosure by differencing**: a
  suppressed value must not follow from published totals "row-wise and column-wise" (UK LLC,
  above). Totals are cells too: a small total is suppressed and protected by the same rule.

The algorithm works on any table given as cells and *lines* (a set of cells that add up to a
total cell): a two-way table with its margins, and nested subtotals (for example the
far-from-work deciles of each provider). It hides further cells until

1. no line holds exactly one suppressed value (subtraction), and
2. an intruder who knows every published cell and total, that counts are non-negative, and
   the additive identities of every line, and who solves linear programmes for the smallest
   and largest value of each suppressed count, cannot pin down the size of any suppressed
   small cell (its interval is at least one person wide) nor tell a suppressed attribute count
   of 0 or 1 (or a complement of 0 or 1) from 2 or more.

The check in point 2 is exact (it is the attack itself, run with scipy's HiGHS solver) and is
re-run after every widening; feasible solutions found on the way are reused, so most checks
need no new solve. Empty cells (0 people) are published as 0: "nobody" tells nothing about a
person. Rows hidden as a whole (a suppressed provider) hide their empty cells too, so that a
suppressed provider's rows say nothing about who is in it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.optimize import linprog

__all__ = [
    "GridSuppression",
    "Suppression",
    "attribute_extremes",
    "suppress_counts",
    "suppress_grid",
    "suppress_long",
]

logger = logging.getLogger(__name__)

SUPPRESSED = "suppressed"
_TOL = 1e-6
#: Most linear programmes solved to protect one table, and to settle checks one at a time in
#: each round; beyond them a check counts as unmet, and more cells are hidden (safe, at some
#: loss of detail).
MAX_SOLVES = 400
INDIVIDUAL_SOLVES = 20


@dataclass(frozen=True)
class Suppression:
    """Which cells of a two-way table with margins are suppressed.

    Attributes
    ----------
    cells : numpy.ndarray of bool, shape (R, C)
        Suppressed interior cells.
    row_totals : numpy.ndarray of bool, shape (R,)
        Suppressed (or unpublished) row totals.
    column_totals : numpy.ndarray of bool, shape (C,)
        Suppressed column totals.
    grand_total : bool
        Whether the grand total is suppressed.
    primary : numpy.ndarray of bool, shape (R, C)
        Interior cells suppressed because they are small or an attribute count is 0/1 or
        n-0/n-1 (the rest of ``cells`` is complementary).
    group_totals : numpy.ndarray of bool, shape (R, G)
        Suppressed subtotals of each row over each column group (``column_groups``).
    group_column_totals : numpy.ndarray of bool, shape (G,)
        Suppressed subtotals of the column totals over each column group.
    """

    cells: NDArray[np.bool_]
    row_totals: NDArray[np.bool_]
    column_totals: NDArray[np.bool_]
    grand_total: bool
    primary: NDArray[np.bool_]
    group_totals: NDArray[np.bool_] = field(default_factory=lambda: np.zeros((0, 0), bool))
    group_column_totals: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))


def attribute_extremes(n: ArrayLike, count: ArrayLike) -> NDArray[np.bool_]:
    """Cells whose count of a yes/no attribute is 0 or 1, or all but 0 or 1 of the cell.

    Parameters
    ----------
    n : array-like
        People per cell.
    count : array-like
        People per cell with the attribute (``0 <= count <= n``).

    Returns
    -------
    numpy.ndarray of bool
        True for non-empty cells that disclose the attribute of (nearly) everyone in them.

    Examples
    --------
    >>> attribute_extremes([10, 10, 10, 10, 0], [0, 1, 5, 9, 0]).tolist()
    [True, True, False, True, False]
    """
    nn = np.asarray(n, dtype=float)
    a = np.asarray(count, dtype=float)
    return (nn > 0) & ((a <= 1) | (nn - a <= 1))


class _Layout:
    """Variables and lines of an R x C table with row, column and grouped subtotals.

    Variables, in order: interior cells (R*C), row subtotals per column group (R*G), row
    totals (R), column totals (C), column-group subtotals of the column totals (G), the grand
    total (1). Each line is ``(members, total)``: the members add up to the total.
    """

    def __init__(self, r: int, c: int, groups: Sequence[Sequence[int]]) -> None:
        self.r, self.c = r, c
        self.groups = [np.asarray(g, dtype=np.intp) for g in groups]
        g = len(self.groups)
        self.g = g
        self.o_sub = r * c
        self.o_row = self.o_sub + r * g
        self.o_col = self.o_row + r
        self.o_gcol = self.o_col + c
        self.o_grand = self.o_gcol + g
        self.size = self.o_grand + 1
        grouped = np.zeros(c, dtype=bool)
        for grp in self.groups:
            if grouped[grp].any():
                raise ValueError("column groups must not overlap")
            grouped[grp] = True
        ungrouped = np.flatnonzero(~grouped)
        lines: list[tuple[NDArray[np.intp], int]] = []
        # One "row" per table row and one for the column totals (row index r).
        for i in range(r + 1):
            cells = self._row_cells(i)
            subs = self._row_subs(i)
            total = self.o_row + i if i < r else self.o_grand
            for k, grp in enumerate(self.groups):
                lines.append((cells[grp], int(subs[k])))
            lines.append((np.concatenate([subs, cells[ungrouped]]).astype(np.intp), total))
        # One "column" per table column, per column group and for the row totals.
        for j in range(c):
            lines.append((np.arange(r) * c + j, self.o_col + j))
        for k in range(g):
            lines.append((self.o_sub + np.arange(r) * g + k, self.o_gcol + k))
        lines.append((self.o_row + np.arange(r), self.o_grand))
        self.lines = lines
        self.is_total = np.ones(self.size, dtype=bool)
        self.is_total[: r * c] = False

    def _row_cells(self, i: int) -> NDArray[np.intp]:
        if i < self.r:
            return np.arange(self.c, dtype=np.intp) + i * self.c
        return np.arange(self.c, dtype=np.intp) + self.o_col

    def _row_subs(self, i: int) -> NDArray[np.intp]:
        if i < self.r:
            return (self.o_sub + i * self.g + np.arange(self.g)).astype(np.intp)
        return (self.o_gcol + np.arange(self.g)).astype(np.intp)

    def extend(self, table: NDArray[np.float64]) -> NDArray[np.float64]:
        """Values of every variable given the interior cells."""
        r, c = self.r, self.c
        v = np.zeros(self.size)
        v[: r * c] = table.ravel()
        for k, grp in enumerate(self.groups):
            v[self.o_sub + np.arange(r) * self.g + k] = table[:, grp].sum(axis=1)
            v[self.o_gcol + k] = table[:, grp].sum()
        v[self.o_row : self.o_row + r] = table.sum(axis=1)
        v[self.o_col : self.o_col + c] = table.sum(axis=0)
        v[self.o_grand] = table.sum()
        return v


class _Intruder:
    """Linear-programming bounds on hidden counts, given what is published.

    With attribute counts ``a_k`` every value has the parts ``a_k`` and ``n - a_k`` (all
    non-negative) for each attribute, tied together by ``a_k + (n - a_k)`` being the same
    ``n``; without attributes the only part is ``n``. A part is known when the value's count
    is published and, for an attribute, that attribute's count is published there too;
    every other part is an unknown of the programmes.
    """

    def __init__(
        self,
        lines: list[tuple[NDArray[np.intp], int]],
        unknown: NDArray[np.bool_],
        n: NDArray[np.float64],
        attrs: NDArray[np.float64],
        attr_known: Sequence[NDArray[np.bool_]] = (),
    ) -> None:
        self.k = attrs.shape[0]
        parts = [n] if self.k == 0 else [v for a in attrs for v in (a, n - a)]
        self.width = len(parts)
        values = np.array(parts)  # (width, size)
        known = np.repeat(~unknown[None, :], self.width, axis=0)
        for k in range(self.k):
            shown = attr_known[k] if len(attr_known) else np.ones_like(unknown)
            known[2 * k] &= shown
            known[2 * k + 1] &= shown
        self.known = known
        self.index = -np.ones(known.shape, dtype=np.int64)
        self.index[~known] = np.arange(int((~known).sum()))
        nvar = int((~known).sum())
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        rhs: list[float] = []
        eq = 0
        for members, total in lines:
            idx = np.append(members, total)
            sign = np.ones(idx.size)
            sign[-1] = -1.0
            for p in range(self.width):
                hid = ~known[p, idx]
                if not hid.any():
                    continue
                rhs.append(-float(np.sum(sign[~hid] * values[p, idx[~hid]])))
                for v, sg in zip(idx[hid], sign[hid], strict=True):
                    rows.append(eq)
                    cols.append(int(self.index[p, v]))
                    vals.append(float(sg))
                eq += 1
        # Every attribute splits the same n: a_k + m_k = n (known) or = a_0 + m_0 (unknown).
        for v in np.flatnonzero((~known).any(axis=0)) if self.k else ():
            for k in range(self.k):
                if known[2 * k, v] and known[2 * k + 1, v]:
                    continue
                terms = [(2 * k, 1.0), (2 * k + 1, 1.0)]
                if unknown[v]:
                    if k == 0:
                        continue
                    terms += [(0, -1.0), (1, -1.0)]
                    b = 0.0
                else:
                    b = float(n[v])
                const = 0.0
                for p, sg in terms:
                    if known[p, v]:
                        const += sg * values[p, v]
                    else:
                        rows.append(eq)
                        cols.append(int(self.index[p, v]))
                        vals.append(sg)
                rhs.append(b - const)
                eq += 1
        self.a = sparse.csr_matrix((vals, (rows, cols)), shape=(eq, nvar))
        self.b = np.array(rhs)
        self.truth = values[~known]
        self.points: list[NDArray[np.float64]] = [self.truth]
        self.solves = 0

    def adopt(self, other: _Intruder) -> None:
        """Keep the feasible points of an intruder who knew more (fewer unknowns)."""
        mine = self.index[~other.known]  # every part unknown to them is unknown to me
        for point in other.points[1:]:
            new = self.truth.copy()
            new[mine] = point
            self.points.append(new)

    def objective(self, v: int, what: str, k: int = 0) -> NDArray[np.float64]:
        """Coefficients of n (``what="n"``), of attribute k or of its complement (``"m"``)."""
        c = np.zeros(self.truth.size)
        if what == "n":
            for p in ((0,) if self.k == 0 else (0, 1)):
                c[self.index[p, v]] = 1.0
        else:
            c[self.index[2 * k + (1 if what == "m" else 0), v]] = 1.0
        return c

    def extreme(self, c: NDArray[np.float64], sense: int) -> float:
        """Largest (``sense=-1``) or smallest (``sense=1``) value of ``c @ x``."""
        self.solves += 1
        if self.a.shape[0] == 0:
            return np.inf if sense < 0 else 0.0
        res = linprog(sense * c, A_eq=self.a, b_eq=self.b, bounds=(0, None), method="highs")
        if res.status == 3:
            return np.inf if sense < 0 else -np.inf
        if res.status != 0:  # pragma: no cover - the true table is always feasible
            return np.nan
        self.points.append(np.asarray(res.x))
        return float(sense * res.fun)

    def batch(
        self, cs: list[NDArray[np.float64]], offsets: NDArray[np.float64], cap: float
    ) -> NDArray[np.float64]:
        """Push many targets at once and return ``c_i @ x - offset_i`` at the solution.

        Maximises ``sum t_i`` with ``t_i <= c_i @ x - offset_i`` and ``t_i <= cap``: one
        programme settles most checks of a table; those it does not are tried again on their
        own.
        """
        self.solves += 1
        m, nvar = len(cs), self.truth.size
        c_mat = sparse.csr_matrix(np.array(cs)) if m else sparse.csr_matrix((0, nvar))
        # Rows: t_i - c_i @ x <= -offset_i.
        a_ub = sparse.hstack([-c_mat, sparse.identity(m, format="csr")], format="csr")
        a_eq = sparse.hstack([self.a, sparse.csr_matrix((self.a.shape[0], m))], format="csr")
        obj = np.concatenate([np.zeros(nvar), -np.ones(m)])
        bounds = [(0, None)] * nvar + [(None, cap)] * m
        res = linprog(obj, A_ub=a_ub, b_ub=-np.asarray(offsets, dtype=float),
                      A_eq=a_eq if a_eq.shape[0] else None,
                      b_eq=self.b if a_eq.shape[0] else None, bounds=bounds, method="highs")
        if res.status != 0:
            return np.full(m, -np.inf)
        x = np.asarray(res.x[:nvar])
        self.points.append(x)
        return np.asarray(c_mat @ x - offsets)

    def spread(self, c: NDArray[np.float64]) -> tuple[float, float]:
        """Smallest and largest value of ``c @ x`` over the feasible points seen so far."""
        vals = [float(c @ p) for p in self.points]
        return min(vals), max(vals)


def _unmet(
    intruder: _Intruder,
    needs: list[tuple[int, str, int]],
    n: NDArray[np.float64],
    attrs: NDArray[np.float64],
    *,
    budget: int,
) -> list[tuple[int, str, int]]:
    """Return the requirements the intruder can break.

    A small count pinned down, or an attribute count of 0 or 1 (or a complement of 0 or 1)
    that cannot be 2 or more.
    """

    def target(need: tuple[int, str, int]) -> tuple[NDArray[np.float64], float]:
        v, what, k = need
        value = n[v] if what == "n" else (attrs[k][v] if what == "a" else n[v] - attrs[k][v])
        return intruder.objective(v, what, k), float(value)

    todo = []
    for need in needs:  # settled by a feasible table seen already?
        c, value = target(need)
        lo, hi = intruder.spread(c)
        ok = (hi - lo >= 1 - _TOL) if need[1] == "n" else hi >= 2 - _TOL
        if not ok:
            todo.append(need)
    # Batches: counts of 2 or more for the attribute checks; one person more, or one fewer,
    # for the size checks. Repeat while a batch settles something.
    for kind, cap in (("high", 2.0), ("up", 1.0), ("down", 1.0)):
        while intruder.solves < budget:
            group = [nd for nd in todo if (nd[1] != "n") == (kind == "high")]
            if not group:
                break
            cs, offsets = [], []
            for nd in group:
                c, value = target(nd)
                sign = -1.0 if kind == "down" else 1.0
                cs.append(sign * c)
                offsets.append(0.0 if kind == "high" else sign * value)
            got = intruder.batch(cs, np.array(offsets), cap)
            done = {nd for nd, g in zip(group, got, strict=True) if g >= cap - _TOL}
            if not done:
                break
            todo = [nd for nd in todo if nd not in done]
    # What the batches leave, on its own (a few: the rest is counted as unmet, which only
    # suppresses more).
    unmet = []
    for i, need in enumerate(todo):
        if i >= INDIVIDUAL_SOLVES or intruder.solves >= budget:
            unmet.extend(todo[i:])
            break
        c, value = target(need)
        if need[1] == "n":
            ok = intruder.extreme(c, -1) >= value + 1 - _TOL or (
                intruder.extreme(c, 1) <= value - 1 + _TOL)
        else:
            ok = intruder.extreme(c, -1) >= 2 - _TOL
        if not ok:
            unmet.append(need)
    return unmet


def _protect(
    layout: _Layout,
    n: NDArray[np.float64],
    attrs: NDArray[np.float64],
    *,
    published: NDArray[np.bool_],
    hideable: NDArray[np.bool_],
    preset: NDArray[np.bool_],
    min_cell: int,
    sides: Sequence[int] = (),
    attr_published: Sequence[NDArray[np.bool_]] = (),
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Hidden and primary masks over the layout's variables.

    ``sides[k]`` is 2 when attribute k discloses at both ends (0/1 and n-0/n-1) and 1 when
    only at the top (n-0/n-1); ``attr_published[k]`` marks the variables whose attribute-k
    count is published (the intruder is nevertheless assumed to know it wherever ``n`` is
    known, which is the safe side). Locked values (not hideable) are protected where they are
    published first.
    """
    sides = list(sides) or [2] * len(attrs)
    shown = list(attr_published) or [np.ones_like(published)] * len(attrs)
    small = published & hideable & (n > 0) & (n < min_cell)
    extreme = np.zeros_like(small)
    for a, side, pub in zip(attrs, sides, shown, strict=True):
        top = (n > 0) & (n - a <= 1)
        extreme |= published & hideable & pub & (attribute_extremes(n, a) if side == 2 else top)
    primary = small | extreme
    hidden = primary | (preset & published)
    lines = layout.lines
    of_var: list[list[int]] = [[] for _ in range(layout.size)]
    for li, (members, total) in enumerate(lines):
        for v in (*members.tolist(), total):
            of_var[v].append(li)

    def mass(what: str, k: int) -> NDArray[np.float64]:
        if what == "n":
            return n
        return attrs[k] if what == "a" else n - attrs[k]

    def hide_one(candidates: NDArray[np.intp], what: str = "n", k: int = 0) -> bool:
        ok = candidates[published[candidates] & ~hidden[candidates] & hideable[candidates]]
        if ok.size == 0:
            return False
        pool = ok[mass(what, k)[ok] >= (1 if what == "n" else 2)]
        if pool.size == 0 and what == "n":
            pool = ok
        if pool.size == 0:
            return False
        key = n[pool] + np.where(layout.is_total[pool], 1e12, 0.0)
        hidden[pool[int(np.argmin(key))]] = True
        return True

    def pair_lines() -> None:
        changed = True
        while changed:
            changed = False
            for members, total in lines:
                idx = np.append(members, total)
                unknown = hidden[idx] | ~published[idx]
                if unknown.sum() == 1 and hidden[idx[unknown]].all() and hide_one(idx):
                    changed = True

    def widen(v: int, what: str, k: int) -> bool:
        # The line through v with the least hidden slack first, then any line, then anywhere.
        m = mass(what, k)
        order = sorted(of_var[v], key=lambda li: float(np.sum(
            m[np.append(lines[li][0], lines[li][1])][hidden[np.append(lines[li][0],
                                                                      lines[li][1])]])))
        for li in order:
            if hide_one(np.append(lines[li][0], lines[li][1]), what, k):
                return True
        return hide_one(np.arange(layout.size, dtype=np.intp), what, k)

    # Requirements: (variable, "n") for small cells; (variable, "a"/"m", k) for extremes.
    needs: list[tuple[int, str, int]] = [(int(v), "n", 0) for v in np.flatnonzero(small)]
    for k, a in enumerate(attrs):
        for v in np.flatnonzero(primary):
            if a[v] <= 1 and sides[k] == 2:
                needs.append((int(v), "a", k))
            if n[v] - a[v] <= 1:
                needs.append((int(v), "m", k))
    solves = 0
    previous: _Intruder | None = None
    for _ in range(layout.size + 1):
        pair_lines()
        unknown = hidden | ~published
        intruder = _Intruder(lines, unknown, n, attrs, shown)
        if previous is not None:
            intruder.adopt(previous)
        failing = _unmet(intruder, needs, n, attrs, budget=MAX_SOLVES - solves)
        solves += intruder.solves
        previous = intruder
        needs = failing  # hiding more only widens every interval: passed checks stay passed
        if not failing:
            break
        progressed = False
        for v, what, k in failing:
            progressed |= widen(v, what, k)
        if not progressed:
            logger.warning("disclosure control: %d suppressed values could not be protected by"
                           " suppressing more single cells; every cell of the table is"
                           " suppressed", len(failing))
            hidden |= published & hideable
            break
    return hidden, primary


def suppress_counts(
    counts: ArrayLike,
    *,
    min_cell: int = 10,
    row_totals: bool = True,
    column_totals: bool = True,
    hidden: ArrayLike | None = None,
    attributes: Sequence[ArrayLike] = (),
    one_sided_attributes: Sequence[ArrayLike] = (),
    attribute_margins: Sequence[str] | None = None,
    column_groups: Sequence[Sequence[int]] = (),
    unpublished_row_totals: ArrayLike | None = None,
    locked_row_totals: bool = False,
) -> Suppression:
    """Primary and complementary suppression of a two-way table of counts and its margins.

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
    attributes : sequence of array-like of shape (R, C), optional
        Counts of yes/no attributes published with the cells (job outcomes, people on minimal
        support): cells where one is 0 or 1, or all but 0 or 1 of the cell, are suppressed,
        and no suppressed attribute count 0 or 1 may be told apart from 2 or more.
    one_sided_attributes : sequence of array-like of shape (R, C), optional
        Counts of attributes that disclose only when (nearly) everyone has them, such as
        being left on minimal support: only counts of ``n`` or ``n - 1`` are protected.
    attribute_margins : sequence of str, optional
        For each attribute (two-sided first, then one-sided), which of its margins are
        published: a string holding any of ``"r"`` (row totals), ``"c"`` (column totals and
        the grand total) and ``"g"`` (column-group subtotals); default all. An attribute
        margin that is not published is never suppressed for being 0/1 or n-0/n-1.
    column_groups : sequence of sequences of int, optional
        Disjoint groups of columns whose row subtotals are published too (for example the
        far-from-work deciles); they are protected like totals.
    unpublished_row_totals : array-like of bool, shape (R,), optional
        Row totals the reader does not know (for example providers suppressed elsewhere).
    locked_row_totals : bool, default False
        Row totals are published elsewhere and cannot be suppressed here.

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
    layout = _Layout(r, c, column_groups)
    attrs = []
    sides = [2] * len(attributes) + [1] * len(one_sided_attributes)
    for a in [*attributes, *one_sided_attributes]:
        arr = np.asarray(a, dtype=float).reshape(r, c)
        if np.any(arr < 0) or np.any(arr > t) or not np.all(np.isfinite(arr)):
            raise ValueError("attribute counts must be finite, between 0 and the cell's count")
        attrs.append(layout.extend(arr))
    n = layout.extend(t)
    published = np.ones(layout.size, dtype=bool)
    rows = slice(layout.o_row, layout.o_row + r)
    if not row_totals:
        published[layout.o_sub : layout.o_col] = False
    if not column_totals:
        published[layout.o_col : layout.o_grand] = False
    if not row_totals and not column_totals:
        published[layout.o_grand] = False
    if unpublished_row_totals is not None:
        hidden_rt = np.asarray(unpublished_row_totals, dtype=bool)
        if hidden_rt.shape != (r,):
            raise ValueError(f"unpublished_row_totals must have shape {(r,)}")
        published[rows] &= ~hidden_rt
    hideable = np.ones(layout.size, dtype=bool)
    if locked_row_totals:
        hideable[rows] = False
        hideable[layout.o_grand] = False
    preset = np.zeros(layout.size, dtype=bool)
    if hidden is not None:
        h = np.asarray(hidden, dtype=bool)
        if h.shape != (r, c):
            raise ValueError(f"hidden must have the table's shape {(r, c)}, got {h.shape}")
        preset[: r * c] = h.ravel()
        for k, grp in enumerate(layout.groups):
            if grp.size:
                preset[layout.o_sub + np.arange(r) * layout.g + k] = h[:, grp].all(axis=1)
    margins = list(attribute_margins) if attribute_margins is not None else ["rcg"] * len(sides)
    if len(margins) != len(sides):
        raise ValueError("attribute_margins needs one entry per attribute")
    shown = []
    for m in margins:
        pub = np.zeros(layout.size, dtype=bool)
        pub[: r * c] = True
        pub[layout.o_sub : layout.o_row] = "g" in m
        pub[rows] = "r" in m
        pub[layout.o_col : layout.o_col + c] = "c" in m
        pub[layout.o_gcol : layout.o_grand] = "c" in m and "g" in m
        pub[layout.o_grand] = "c" in m or "r" in m
        shown.append(pub)
    att = np.array(attrs) if attrs else np.zeros((0, layout.size))
    hide, primary = _protect(layout, n, att, published=published, hideable=hideable,
                             preset=preset, min_cell=min_cell, sides=sides,
                             attr_published=shown)
    unknown = hide | ~published
    g = layout.g
    return Suppression(
        cells=hide[: r * c].reshape(r, c),
        row_totals=unknown[rows],
        column_totals=unknown[layout.o_col : layout.o_col + c],
        grand_total=bool(unknown[layout.o_grand]),
        primary=primary[: r * c].reshape(r, c),
        group_totals=unknown[layout.o_sub : layout.o_row].reshape(r, g),
        group_column_totals=unknown[layout.o_gcol : layout.o_grand],
    )


@dataclass(frozen=True)
class GridSuppression:
    """Suppression of a long table laid out as a full grid of row x column keys.

    Attributes
    ----------
    mask : numpy.ndarray of bool
        True for rows of the long table whose statistics must be suppressed.
    rows, columns : list
        Row and column keys of the grid, in order.
    suppression : Suppression
        The suppression of the grid (cells, totals, column-group subtotals).
    """

    mask: NDArray[np.bool_]
    rows: list[object]
    columns: list[object]
    suppression: Suppression

    def column_total_hidden(self, key: object) -> bool:
        """Whether the total of column ``key`` is suppressed."""
        return bool(self.suppression.column_totals[self.columns.index(key)])

    def group_total_hidden(self, row: object, group: int = 0) -> bool:
        """Whether the subtotal of row ``row`` over column group ``group`` is suppressed."""
        return bool(self.suppression.group_totals[self.rows.index(row), group])


def suppress_grid(
    frame: pd.DataFrame,
    *,
    row: str,
    column: str,
    count: str = "n",
    attributes: Sequence[str] = (),
    one_sided_attributes: Sequence[str] = (),
    attribute_margins: Sequence[str] | None = None,
    min_cell: int = 10,
    column_totals: bool = True,
    hidden_rows: Sequence[object] = (),
    column_groups: Sequence[Sequence[object]] = (),
    locked_row_totals: bool = True,
) -> GridSuppression:
    """Suppress a long table with one row per (row, column) cell.

    The row totals (for example each provider's ``n``) are published elsewhere: they are
    known to the reader, except for the rows in ``hidden_rows``, whose every cell (empty
    ones included) is suppressed.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long table with the cell keys, a count column and attribute-count columns; give it
        as a full grid (every row key with every column key) so that no row key tells who is
        in a suppressed cell.
    row, column : str
        Key columns forming the two-way table.
    count : str, default "n"
        Count column.
    attributes, one_sided_attributes : sequence of str, default ()
        Columns holding counts of yes/no attributes (see :func:`suppress_counts`).
    attribute_margins : sequence of str, optional
        Which margins of each attribute are published (see :func:`suppress_counts`).
    min_cell : int, default 10
        Smallest publishable count.
    column_totals : bool, default True
        Whether column totals are published.
    hidden_rows : sequence, default ()
        Row keys hidden as a whole already (for example providers suppressed in the provider
        table).
    column_groups : sequence of sequences of column keys, default ()
        Groups of columns whose row subtotals are published.
    locked_row_totals : bool, default True
        Row totals are published elsewhere (they cannot be suppressed here).

    Returns
    -------
    GridSuppression
    """
    if frame.empty:
        empty = suppress_counts(np.zeros((0, 0)))
        return GridSuppression(np.zeros(0, dtype=bool), [], [], empty)
    wide = frame.pivot_table(
        index=row, columns=column, values=count, aggfunc="sum", fill_value=0, observed=False,
        dropna=False,
    )
    rows, cols = list(wide.index), list(wide.columns)
    def spread(name: str) -> NDArray[np.float64]:
        wide_a = frame.pivot_table(index=row, columns=column, values=name, aggfunc="sum",
                                   fill_value=0, observed=False, dropna=False)
        return wide_a.reindex(index=rows, columns=cols, fill_value=0).to_numpy(dtype=float)

    is_hidden = pd.Index(rows).isin(list(hidden_rows))
    preset = np.repeat(is_hidden[:, None], len(cols), axis=1)
    groups = [[cols.index(k) for k in grp if k in cols] for grp in column_groups]
    s = suppress_counts(
        wide.to_numpy(dtype=float), min_cell=min_cell, column_totals=column_totals,
        hidden=preset, attributes=[spread(a) for a in attributes],
        one_sided_attributes=[spread(a) for a in one_sided_attributes],
        attribute_margins=attribute_margins, column_groups=groups,
        unpublished_row_totals=is_hidden, locked_row_totals=locked_row_totals,
    )
    hidden = pd.DataFrame(s.cells | preset, index=wide.index, columns=wide.columns).stack()
    keys = pd.MultiIndex.from_frame(frame[[row, column]])
    mask = np.array(hidden.reindex(keys).fillna(True).to_numpy(dtype=bool), copy=True)
    return GridSuppression(mask, rows, cols, s)


def suppress_long(
    frame: pd.DataFrame,
    *,
    row: str,
    column: str,
    count: str = "n",
    min_cell: int = 10,
    column_totals: bool = True,
    hidden_rows: list[str] | tuple[str, ...] = (),
    attributes: Sequence[str] = (),
) -> NDArray[np.bool_]:
    """Suppression mask for a long table with one row per (row, column) cell.

    A thin form of :func:`suppress_grid` that returns the mask only.

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
        Row keys hidden as a whole already; all their cells are suppressed.
    attributes : sequence of str, default ()
        Attribute-count columns (see :func:`suppress_counts`).

    Returns
    -------
    numpy.ndarray of bool
        True for rows of ``frame`` whose statistics must be suppressed.
    """
    return suppress_grid(
        frame, row=row, column=column, count=count, min_cell=min_cell,
        column_totals=column_totals, hidden_rows=hidden_rows, attributes=attributes,
        locked_row_totals=False,
    ).mask
