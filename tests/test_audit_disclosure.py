"""Disclosure control: small cells suppressed and not recoverable from published totals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from pbr_fairness.audit import suppress_counts
from pbr_fairness.audit.disclosure import attribute_extremes


def attack(table: np.ndarray, sup) -> dict[tuple[int, int], tuple[float, float]]:
    """Bounds an intruder can put on each hidden interior cell.

    The intruder knows every published cell and total, that counts are non-negative, and
    solves two linear programmes per hidden cell (minimise and maximise it).
    """
    r, c = table.shape
    ext = np.zeros((r + 1, c + 1))
    ext[:r, :c] = table
    ext[:r, c] = table.sum(1)
    ext[r, :c] = table.sum(0)
    ext[r, c] = table.sum()
    hidden = np.zeros_like(ext, dtype=bool)
    hidden[:r, :c] = sup.cells
    hidden[:r, c] = sup.row_totals
    hidden[r, :c] = sup.column_totals
    hidden[r, c] = sup.grand_total
    unknown = [tuple(ix) for ix in np.argwhere(hidden)]
    pos = {u: i for i, u in enumerate(unknown)}
    a_eq, b_eq = [], []
    # Row equations (including the row of column totals) and column equations.
    for i in range(r + 1):
        row = np.zeros(len(unknown))
        rhs = 0.0
        for j in range(c):
            if (i, j) in pos:
                row[pos[(i, j)]] += 1
            else:
                rhs -= ext[i, j]
        if (i, c) in pos:
            row[pos[(i, c)]] -= 1
        else:
            rhs += ext[i, c]
        a_eq.append(row)
        b_eq.append(rhs)
    for j in range(c + 1):
        col = np.zeros(len(unknown))
        rhs = 0.0
        for i in range(r):
            if (i, j) in pos:
                col[pos[(i, j)]] += 1
            else:
                rhs -= ext[i, j]
        if (r, j) in pos:
            col[pos[(r, j)]] -= 1
        else:
            rhs += ext[r, j]
        a_eq.append(col)
        b_eq.append(rhs)
    out = {}
    for u in unknown:
        if u[0] == r or u[1] == c:
            continue
        obj = np.zeros(len(unknown))
        obj[pos[u]] = 1
        lo = linprog(obj, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-obj, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        assert lo.status == 0 and hi.status in (0, 3)  # 3: unbounded above
        out[u] = (lo.fun, -hi.fun if hi.status == 0 else np.inf)
    return out


def test_single_small_cell_gets_a_partner_in_its_row_and_column():
    t = np.array([[3, 50, 60], [40, 45, 70], [20, 30, 80]])
    s = suppress_counts(t)
    assert s.primary[0, 0]
    assert s.cells[0].sum() >= 2 and s.cells[:, 0].sum() >= 2
    for lo, hi in attack(t, s).values():
        assert hi - lo > 0.5


def test_without_secondary_suppression_the_attack_recovers_the_cell():
    """The attack works: a lone suppressed cell is recovered exactly (the test can fail)."""
    t = np.array([[3, 50, 60], [40, 45, 70]])
    s = suppress_counts(t)
    lone = type(s)(
        cells=s.primary, row_totals=np.zeros(2, bool), column_totals=np.zeros(3, bool),
        grand_total=False, primary=s.primary,
    )
    lo, hi = attack(t, lone)[(0, 0)]
    assert lo == pytest.approx(3) and hi == pytest.approx(3)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda r: st.integers(2, 5).flatmap(
            lambda c: st.lists(
                st.lists(st.integers(0, 60), min_size=c, max_size=c), min_size=r, max_size=r
            )
        )
    )
)
def test_no_hidden_cell_is_pinned_down(rows):
    t = np.array(rows, dtype=float)
    s = suppress_counts(t, min_cell=10)
    small = (t > 0) & (t < 10)
    assert np.all(s.cells[small])
    for (i, j), (lo, hi) in attack(t, s).items():
        # Every small hidden cell keeps some uncertainty.
        if 0 < t[i, j] < 10:
            assert hi - lo > 0.5, (t, s, (i, j))


@pytest.mark.parametrize(
    "rows",
    [
        [[0, 1, 0, 0], [0, 1, 0, 0], [0, 8, 1, 1]],  # two hidden row totals with a known sum
        [[0, 0], [0, 1]],
        [[3, 4, 50], [60, 2, 70], [5, 6, 7]],
    ],
)
def test_known_hard_tables(rows):
    t = np.array(rows, dtype=float)
    s = suppress_counts(t)
    for (i, j), (lo, hi) in attack(t, s).items():
        if 0 < t[i, j] < 10:
            assert hi - lo > 0.5, (i, j)


def test_small_totals_are_suppressed_too():
    s = suppress_counts(np.array([[2], [3], [50]]), row_totals=False, column_totals=True)
    assert s.cells[:2, 0].all() and not s.cells[2, 0]
    s = suppress_counts(np.array([[4], [40], [50]]), row_totals=False)
    assert s.cells[:, 0].sum() == 2  # the small provider and one partner


def test_rows_hidden_already_serve_as_partners():
    t = np.array([[5, 40, 60], [30, 45, 70], [2, 3, 4], [25, 35, 50]], dtype=float)
    preset = np.zeros_like(t, dtype=bool)
    preset[1] = True  # a provider hidden as a whole, partnering the small provider in row 2
    s = suppress_counts(t, hidden=preset)
    assert s.cells[1].all() and s.cells[2].all()
    assert not s.cells[3].any()  # no needless loss in the other rows
    for (i, j), (lo, hi) in attack(t, s).items():
        assert hi - lo > 0.5, (i, j)


def attack_outcomes(n: np.ndarray, o: np.ndarray, sup) -> list[str]:
    """LP attack on people and outcome counts of a two-way table with margins.

    Unknowns: outcomes ``o`` and non-outcomes ``m = n - o`` of every suppressed cell and total
    (all non-negative); known: every published cell's ``n`` and ``o`` and the additive
    identities of rows and columns. Returns what the attack recovers.
    """
    r, c = n.shape

    def ext(t):
        e = np.zeros((r + 1, c + 1))
        e[:r, :c], e[:r, c], e[r, :c], e[r, c] = t, t.sum(1), t.sum(0), t.sum()
        return e

    en, eo = ext(n.astype(float)), ext(o.astype(float))
    hidden = np.zeros((r + 1, c + 1), dtype=bool)
    hidden[:r, :c], hidden[:r, c], hidden[r, :c] = sup.cells, sup.row_totals, sup.column_totals
    hidden[r, c] = sup.grand_total
    cells = [tuple(int(v) for v in x) for x in np.argwhere(hidden)]
    pos = {cell: i for i, cell in enumerate(cells)}
    lines = [[(i, j) for j in range(c)] + [(i, c)] for i in range(r + 1)]
    lines += [[(i, j) for i in range(r)] + [(r, j)] for j in range(c + 1)]
    a_eq, b_eq = [], []
    for part, vals in ((0, eo), (1, en - eo)):
        for line in lines:
            row, rhs = np.zeros(2 * len(cells)), 0.0
            for k, cell in enumerate(line):
                sign = -1.0 if k == len(line) - 1 else 1.0
                if cell in pos:
                    row[2 * pos[cell] + part] += sign
                else:
                    rhs -= sign * vals[cell]
            if row.any():
                a_eq.append(row)
                b_eq.append(rhs)
    found = []
    if not cells:
        return found

    def bound(obj, sense):
        res = linprog(sense * obj, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None),
                      method="highs")
        return np.inf if res.status == 3 else sense * res.fun

    for cell in cells:
        i = pos[cell]
        total_n, total_o = en[cell], eo[cell]
        if total_n == 0:
            continue
        both = np.zeros(2 * len(cells))
        both[2 * i] = both[2 * i + 1] = 1
        if total_n < 10 and bound(both, -1) - bound(both, 1) < 1 - 1e-6:
            found.append(f"n of {cell}")
        for part, value in ((0, total_o), (1, total_n - total_o)):
            one = np.zeros(2 * len(cells))
            one[2 * i + part] = 1
            if value <= 1 and bound(one, -1) < 2 - 1e-6:
                found.append(f"{'om'[part]} of {cell}")
    return found


@settings(max_examples=25, deadline=None)
@given(
    st.integers(2, 4).flatmap(
        lambda r: st.integers(2, 4).flatmap(
            lambda c: st.lists(
                st.lists(st.tuples(st.integers(0, 40), st.floats(0, 1)), min_size=c,
                         max_size=c),
                min_size=r, max_size=r,
            )
        )
    )
)
def test_outcome_counts_are_protected_too(rows):
    n = np.array([[a for a, _ in row] for row in rows])
    o = np.array([[round(a * f) for a, f in row] for row in rows])
    s = suppress_counts(n, attributes=[o])
    shown = ~s.cells & (n > 0)
    assert not (shown & ((n < 10) | (o <= 1) | (n - o <= 1))).any()
    assert attack_outcomes(n, o, s) == []


def test_attribute_extremes_are_suppressed_with_partners():
    n = np.array([[20, 30, 40], [25, 35, 45]])
    o = np.array([[0, 10, 12], [8, 9, 20]])  # 0 of 20 found work: group disclosure
    s = suppress_counts(n, attributes=[o])
    assert s.primary[0, 0] and s.cells[0].sum() >= 2 and s.cells[:, 0].sum() >= 2
    assert attack_outcomes(n, o, s) == []
    lone = type(s)(cells=s.primary, row_totals=np.zeros(2, bool),
                   column_totals=np.zeros(3, bool), grand_total=False, primary=s.primary)
    assert "o of (0, 0)" in attack_outcomes(n, o, lone)  # the attack works


def test_one_sided_attribute_publishes_zero_but_not_everyone():
    n = np.array([[20, 30, 40], [25, 35, 45]])
    x = np.array([[0, 10, 12], [24, 9, 20]])  # 24 of 25 on minimal support
    s = suppress_counts(n, one_sided_attributes=[x])
    assert not s.primary[0, 0]  # nobody on minimal support discloses nothing
    assert s.primary[1, 0] and s.cells[1, 0]


def test_a_column_group_subtotal_cannot_recover_a_cell():
    # Row 0's far group (columns 0-1) is published: with cell (0, 1) shown, (0, 0) would follow.
    n = np.array([[4, 30, 40, 50], [30, 35, 45, 60], [25, 40, 41, 42]])
    s = suppress_counts(n, column_groups=[[0, 1]])
    assert s.cells[0, 0] and s.group_totals.shape == (3, 1)
    if not s.group_totals[0, 0]:
        assert s.cells[0, 1]  # the partner sits inside the group
    assert attribute_extremes([10, 10], [5, 9]).tolist() == [False, True]


def test_the_minimal_support_threshold_is_never_one_persons_hours():
    from pbr_fairness.audit import minimal_support_threshold

    # 15 people: the lowest value (one person) is 1/15 > 5% of the caseload, a "mass point".
    hours = [2.537443537441, *np.linspace(4, 30, 14)]
    assert minimal_support_threshold(hours) == pytest.approx(2.537443537441, abs=1e-5)
    published = minimal_support_threshold(hours, min_cell=10)
    assert all(abs(published - h) > 1e-3 for h in hours)
