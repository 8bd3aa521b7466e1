"""The differencing attack on a whole published audit: nothing suppressed can be recovered.

An intruder reads every published table of an audit (the CSV/JSON content: providers, outcomes
by provider x payment group, by provider x decile, the parking tables and the outcome gaps by
protected characteristic), writes down every linear fact they give about the unknown counts
(people, job outcomes and people on minimal support, in every cell, every provider and every
total, all non-negative), and solves linear programmes for the smallest and largest value each
suppressed count can take. The audit holds when no suppressed count of fewer than ``min_cell``
people is pinned down, no suppressed count of job outcomes that is 0 or 1 (or all but 0 or 1
of the cell) can be told apart from 2 or more, and no suppressed cell can be shown to have
all, or all but one, of its people on minimal support.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog

from pbr_fairness.audit import audit_caseload, decile_of, make_audit_scenario
from pbr_fairness.audit.fairness import ALL_PROVIDERS, characteristic_columns

MIN_CELL = 10
EPS = 1e-6


class Intruder:
    """Linear facts over non-negative unknown counts, and the bounds they imply."""

    def __init__(self) -> None:
        self.index: dict[tuple, int] = {}
        self.facts: list[tuple[dict[int, float], float]] = []

    def var(self, name: tuple) -> int:
        return self.index.setdefault(name, len(self.index))

    def fact(self, terms: dict[tuple, float], rhs: float) -> None:
        row: dict[int, float] = defaultdict(float)
        for name, coef in terms.items():
            row[self.var(name)] += coef
        self.facts.append((dict(row), float(rhs)))

    def _system(self):
        if not hasattr(self, "_cache") or self._cache[0] != len(self.facts):
            rows, cols, vals, rhs = [], [], [], []
            for i, (row, b) in enumerate(self.facts):
                for j, v in row.items():
                    rows.append(i)
                    cols.append(j)
                    vals.append(v)
                rhs.append(b)
            a = sparse.csr_matrix((vals, (rows, cols)), shape=(len(self.facts), len(self.index)))
            self._cache = (len(self.facts), a, np.array(rhs))
        return self._cache[1], self._cache[2]

    def bound(self, terms: dict[tuple, float], sense: int) -> float:
        a, b = self._system()
        c = np.zeros(len(self.index))
        for name, coef in terms.items():
            c[self.index[name]] += coef * sense
        res = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        if res.status == 3:
            return np.inf
        assert res.status == 0, res.message
        return sense * res.fun


def _num(v) -> float | None:
    if v is None or v is pd.NA:
        return None
    v = float(v)
    return None if np.isnan(v) else v


def _truth(frame: pd.DataFrame, res) -> dict:
    """Every count the attack may target, computed from the caseload itself."""
    prov = frame["provider_id"].astype(str).to_numpy()
    y = frame["job_outcome"].to_numpy(dtype=int)
    hours = frame["support_hours"].to_numpy(dtype=float)
    threshold = res.provenance["parameters"]["minimal_hours"]
    parked = (hours <= threshold).astype(int)
    dec = decile_of(frame["expected_p"].to_numpy(dtype=float))
    out: dict = {}
    keys = {"pg": frame["payment_group"].astype(str).to_numpy(), "dec": dec.astype(int)}
    for name, col in characteristic_columns(frame).items():
        keys[f"fair:{name}"] = col.to_numpy()
    df = pd.DataFrame({"p": prov, "y": y, "x": parked})
    for t, col in keys.items():
        g = df.assign(c=col).groupby(["p", "c"])
        out[t] = {k: (int(v["y"].sum()), int(len(v) - v["y"].sum()), int(v["x"].sum()),
                      int(len(v) - v["x"].sum())) for k, v in g}
    out["prov"] = {k: (int(v["y"].sum()), int(len(v) - v["y"].sum())) for k, v in df.groupby("p")}
    return out


def build_attack(frame: pd.DataFrame, res, far_deciles: int = 3) -> tuple[Intruder, list]:
    """Every linear fact of the published tables, and the checks to run on suppressed counts."""
    truth = _truth(frame, res)
    att = Intruder()
    checks: list[tuple[str, dict, float, float | None]] = []  # kind, terms, true value
    providers = res.tables["providers"]
    names = providers["provider_id"].astype(str).tolist()

    def cell_checks(terms_o, terms_m, o, m, extra=None):
        n = o + m
        if n == 0:
            return
        if n < MIN_CELL:
            checks.append(("width", {**terms_o, **terms_m}, n, None))
        if o <= 1:
            checks.append(("high", terms_o, o, None))
        if m <= 1:
            checks.append(("high", terms_m, m, None))
        if extra is not None:
            _, tmx, _, mx = extra
            if mx <= 1:  # all or all but one on minimal support
                checks.append(("high", tmx, mx, None))

    # Providers: n, observed count; the caseload total.
    for _, r in providers.iterrows():
        j = str(r["provider_id"])
        po, pm = ("prov", j, "o"), ("prov", j, "m")
        att.var(po)
        att.var(pm)
        n, o = _num(r["n"]), _num(r["observed"])
        if n is not None:
            att.fact({po: 1, pm: 1}, n)
        if o is not None:
            att.fact({po: 1}, o)
        if n is None:
            to, tm = truth["prov"][j]
            cell_checks({po: 1}, {pm: 1}, to, tm)
    total = res.provenance["n_people"]
    if total is not None:
        att.fact({("prov", j, w): 1 for j in names for w in "om"}, total)

    def grid(t: str, table: pd.DataFrame, column: str, *, parked: bool, totals_row: bool):
        cats = sorted({str(c) for c in table[column]})
        dims = ("o", "m", "x", "mx") if parked else ("o", "m")
        for j in names:
            for c in cats:
                if parked:
                    att.fact({(t, j, c, "o"): 1, (t, j, c, "m"): 1, (t, j, c, "x"): -1,
                              (t, j, c, "mx"): -1}, 0)
            for d in ("o", "m"):
                att.fact({**{(t, j, c, d): 1 for c in cats}, ("prov", j, d): -1}, 0)
        for c in cats:
            for d in dims:
                att.fact({**{(t, j, c, d): 1 for j in names}, (t, "*", c, d): -1}, 0)
            if parked:
                att.fact({(t, "*", c, "o"): 1, (t, "*", c, "m"): 1, (t, "*", c, "x"): -1,
                          (t, "*", c, "mx"): -1}, 0)
        # The cells as published; the truth of suppressed ones is checked.
        seen = set()
        for _, r in table.iterrows():
            j, c = str(r["provider_id"]), str(r[column])
            jj = "*" if j == ALL_PROVIDERS else j
            seen.add((jj, c))
            n = _num(r["n"])
            to, tm, tx, tmx = truth[t].get((j, int(c) if t == "dec" else c), (0, 0, 0, 0)) \
                if jj != "*" else _column_truth(truth[t], c, t)
            v = {d: (t, jj, c, d) for d in dims}
            if n is None:
                cell_checks({v["o"]: 1}, {v["m"]: 1}, to, tm,
                            ({v["x"]: 1}, {v["mx"]: 1}, tx, tmx) if parked else None)
                continue
            att.fact({v["o"]: 1, v["m"]: 1}, n)
            o = _num(r["observed"]) if "observed" in r else (
                None if _num(r.get("observed_rate")) is None else _num(r["observed_rate"]) * n)
            if o is not None:
                att.fact({v["o"]: 1}, round(o))
            if parked and _num(r.get("parked_share")) is not None:
                att.fact({v["x"]: 1}, round(_num(r["parked_share"]) * n))
            if parked and _num(r.get("n_others")) is not None:
                n_oth = _num(r["n_others"])
                att.fact({(t, "*", c, "o"): 1, (t, "*", c, "m"): 1, v["o"]: -1, v["m"]: -1},
                         n_oth)
                if _num(r.get("parked_share_others")) is not None:
                    att.fact({(t, "*", c, "x"): 1, v["x"]: -1},
                             round(_num(r["parked_share_others"]) * n_oth))
        # A table of non-empty cells only tells the reader that an absent cell is empty.
        for j in [*names, "*"]:
            for c in cats:
                if (j, c) not in seen and not (j == "*" and not totals_row):
                    for d in dims:
                        att.fact({(t, j, c, d): 1}, 0)
        return cats, seen

    tables = res.tables
    if "provider_payment_group" in tables:
        grid("pg", tables["provider_payment_group"], "payment_group", parked=False,
             totals_row=False)
    if "parking_by_decile" in tables:
        both = tables["provider_decile_outcomes"][["provider_id", "decile", "n", "observed"]]
        pk = tables["parking_by_decile"][["provider_id", "decile", "parked_share", "n_others",
                                          "parked_share_others"]]
        dec = both.merge(pk, on=["provider_id", "decile"], how="outer")
        grid("dec", dec, "decile", parked=True, totals_row=False)
        far = [str(d) for d in range(1, far_deciles + 1)]
        for _, r in tables["parking"].iterrows():
            j = str(r["provider_id"])
            fn = _num(r["far_n"])
            terms = {("dec", j, c, d): 1 for c in far for d in "om"}
            xterms = {("dec", j, c, "x"): 1 for c in far}
            if fn is not None:
                att.fact(terms, fn)
                share = _num(r["far_parked_share"])
                if share is not None:
                    att.fact(xterms, round(share * fn))
            else:
                cells = [truth["dec"].get((j, int(c)), (0, 0, 0, 0)) for c in far]
                n = sum(a + b for a, b, _, _ in cells)
                x = sum(v[2] for v in cells)
                if 0 < n < MIN_CELL:
                    checks.append(("width", terms, n, None))
                mx = n - x
                if n and mx <= 1:
                    checks.append(("high", {("dec", j, c, "mx"): 1 for c in far}, mx, None))
    fair = tables.get("fairness")
    if fair is not None and len(fair):
        for name, part in fair.groupby("characteristic"):
            grid(f"fair:{name}", part, "group", parked=False, totals_row=True)
    return att, checks


def _column_truth(cells: dict, c: str, t: str) -> tuple[int, int, int, int]:
    key = int(c) if t == "dec" else c
    tot = np.zeros(4, dtype=int)
    for (_, cc), v in cells.items():
        if cc == key:
            tot += np.array(v)
    return tuple(int(v) for v in tot)


def run_attack(frame: pd.DataFrame, res) -> list[str]:
    """Return a description of every suppressed count the intruder recovers."""
    att, checks = build_attack(frame, res)
    recovered = []
    for kind, terms, value, _ in checks:
        hi = att.bound(terms, -1)
        if kind == "width":
            lo = att.bound(terms, 1)
            if hi - lo < 1 - EPS:
                recovered.append(f"{sorted(terms)[0][:3]}: n={value} in [{lo:g}, {hi:g}]")
        elif hi < 2 - EPS:
            recovered.append(f"{sorted(terms)[0]}: count {value} at most {hi:g}")
    return recovered


def published_cells_are_safe(res) -> list[str]:
    """Published cells under min_cell, or with outcome counts 0/1 or n-0/n-1."""
    bad = []
    for name, t in res.tables.items():
        if "n" not in t.columns:
            continue
        n = pd.to_numeric(t["n"], errors="coerce").to_numpy(dtype=float)
        small = (n > 0) & (n < MIN_CELL)
        if small.any():
            bad.append(f"{name}: published n {sorted(set(n[small]))}")
        for col, rate, both in (("observed", False, True), ("observed_rate", True, True),
                                ("parked_share", True, False)):
            if col not in t.columns:
                continue
            v = pd.to_numeric(t[col], errors="coerce").to_numpy(dtype=float)
            count = np.round(v * n) if rate else v
            ok = np.isfinite(count) & (n > 0)
            extreme = ok & (((count <= 1) & both) | (n - count <= 1))
            if extreme.any():
                bad.append(f"{name}.{col}: {int(extreme.sum())} cells with counts 0/1 or n-0/n-1")
    par = res.tables.get("parking")
    if par is not None:
        fn = pd.to_numeric(par["far_n"], errors="coerce").to_numpy(dtype=float)
        if ((fn > 0) & (fn < MIN_CELL)).any():
            bad.append(f"parking: published far_n {sorted(set(fn[(fn > 0) & (fn < MIN_CELL)]))}")
    return bad


def _scenario(sizes: dict[str, int], seed: int) -> pd.DataFrame:
    """A caseload with providers of the given sizes (taken from a planner scenario)."""
    base = make_audit_scenario(150, 3, parking=("P1",), creaming=("P2",), rng=seed)
    base = base.drop(columns=[c for c in base.columns if c.startswith("true_")]
                     + ["scenario_role"])
    base["provider_id"] = base["provider_id"].astype(str)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(base))
    start = 0
    for name, size in sizes.items():
        base.loc[base.index[order[start:start + size]], "provider_id"] = name
        start += size
    return base.reset_index(drop=True)


@pytest.fixture(scope="module")
def issue_case():
    """The issue's case: a provider of 15 people and one of one person (and its partner)."""
    frame = _scenario({"P4": 15, "P5": 12, "PX": 1}, seed=4)
    return frame, audit_caseload(frame, min_cell=MIN_CELL, rng=1)


def test_far_from_work_counts_of_a_small_provider_are_not_published(issue_case):
    _, res = issue_case
    row = res.tables["parking"].set_index("provider_id").loc["P4"]
    # 15 people: its far-from-work group is under 10 and must not be published.
    assert _num(row["far_n"]) is None or _num(row["far_n"]) >= MIN_CELL
    # Nor in the sentences of the HTML report and the JSON findings.
    for text in (res.to_html(), res.to_json()):
        counts = [int(v) for v in re.findall(r"with (\d+) people in the far-from-work", text)]
        assert all(c >= MIN_CELL for c in counts), counts


def test_a_one_person_provider_is_a_full_grid_of_suppressed_cells(issue_case):
    _, res = issue_case
    for name in ("provider_payment_group", "provider_decile_outcomes", "parking_by_decile",
                 "fairness"):
        t = res.tables[name]
        key = next(c for c in ("payment_group", "decile", "group") if c in t.columns)
        extra = ["characteristic"] if "characteristic" in t.columns else []
        px = t[t["provider_id"] == "PX"]
        p3 = t[t["provider_id"] == "P3"]
        # The same keys as any other provider: the rows say nothing about who is in PX.
        assert sorted(map(tuple, px[[*extra, key]].astype(str).to_numpy())) == sorted(
            map(tuple, p3[[*extra, key]].astype(str).to_numpy())), name
        assert px["suppressed"].astype(bool).all(), name


def test_minimal_hours_in_provenance_is_not_one_persons_hours(issue_case):
    frame, res = issue_case
    threshold = res.provenance["parameters"]["minimal_hours"]
    hours = frame["support_hours"].to_numpy(dtype=float)
    close = np.abs(hours - threshold) <= 1e-6 * max(1.0, abs(threshold))
    assert close.sum() == 0 or close.sum() >= MIN_CELL


def test_published_cells_have_no_small_counts_and_no_extreme_outcome_counts(issue_case):
    _, res = issue_case
    assert published_cells_are_safe(res) == []


def test_the_differencing_attack_recovers_nothing(issue_case):
    frame, res = issue_case
    assert run_attack(*issue_case) == []
    assert len(build_attack(frame, res)[1]) > 20  # the attack had targets


def test_the_attack_recovers_cells_when_protection_is_removed(issue_case):
    """The attack is real: publishing one suppressed far-from-work count gives cells away."""
    frame, res = issue_case
    tables = dict(res.tables)
    dec = tables["provider_decile_outcomes"]
    hidden = dec[dec["suppressed"].astype(bool) & (dec["provider_id"] == "P4")]
    assert len(hidden) > 0
    # Un-suppress every cell of P4 but one in the decile tables: subtraction gives it back.
    keep = hidden.index[1:]
    truth = _truth(frame, res)["dec"]
    for name in ("provider_decile_outcomes", "parking_by_decile"):
        t = tables[name].copy()
        t["n"] = t["n"].astype("Float64")
        for i in keep:
            d = int(t.loc[i, "decile"])
            o, m, x, _ = truth.get(("P4", d), (0, 0, 0, 0))
            t.loc[i, "n"] = o + m
            if "observed" in t.columns:
                t.loc[i, "observed"] = o
            if "parked_share" in t.columns:
                t.loc[i, "parked_share"] = x / (o + m) if o + m else np.nan
            t.loc[i, "suppressed"] = False
        tables[name] = t
    leaky = type(res)(res.providers, res.fairness, res.findings, tables, res.provenance, res.plots)
    assert run_attack(frame, leaky) != []


@pytest.mark.parametrize("seed", [7])
def test_attack_on_random_small_providers_and_categories(seed):
    rng = np.random.default_rng(seed)
    sizes = {f"S{i}": int(s) for i, s in enumerate(rng.integers(1, 40, size=4))}
    frame = _scenario(sizes, seed=seed)
    res = audit_caseload(frame, min_cell=MIN_CELL, rng=1)
    assert published_cells_are_safe(res) == []
    assert run_attack(frame, res) == []
