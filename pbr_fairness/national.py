"""National-scale simulation: ten million people in chunks, with bounded memory.

A caseload too large to build as one table is generated chunk by chunk (each chunk from its
own ``numpy.random.SeedSequence`` child, so the whole is reproducible), and each chunk is
reduced at once to the few numeric arrays the simulation needs (about 100 bytes a person;
the wide table of characteristics is dropped). The provider's capacity multiplier is then
solved across all chunks with
:func:`pbr_fairness.simulation.allocation.solve_log_multiplier`, whose ``sums(t)`` callback
adds up over the chunks, and likewise the planner's. The measures are additive group sums
(:func:`pbr_fairness.simulation.measures.group_sums`) accumulated over chunks; the ranks of
``p0`` that the creaming index needs are taken over everyone. The result equals
:func:`pbr_fairness.simulation.simulate_contract` on the concatenated caseload (a test checks
it where that fits in memory).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pbr_fairness.caseload.schema import AGE_BANDS, PROTECTED_CHARACTERISTICS, age_band
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.simulation.allocation import breakpoints, solve_log_multiplier
from pbr_fairness.simulation.measures import (
    MEASURES,
    group_sums,
    measures_from_sums,
    parked_mask,
)
from pbr_fairness.simulation.planner import PlannerSettings
from pbr_fairness.simulation.provider import ProviderSettings
from pbr_fairness.simulation.response import logit, response, sigmoid, sustainment_factor

__all__ = [
    "NATIONAL_BREAKDOWNS",
    "ChunkedAllocation",
    "NationalResult",
    "allocate_hours_chunked",
    "simulate_chunks",
    "simulate_national",
]

logger = logging.getLogger(__name__)

#: Breakdowns of a national result (those of ``simulate_contract`` that need no model).
NATIONAL_BREAKDOWNS: tuple[str, ...] = (
    "overall",
    "payment_group",
    "decile_true_p0",
    "provider",
    *PROTECTED_CHARACTERISTICS,
)

_CATEGORICAL = ("payment_group", "provider", "sex", "age_band", "disability", "ethnicity")


# -- the multiplier across chunks ---------------------------------------------------------
@dataclass(frozen=True)
class ChunkedAllocation:
    """Hours per chunk and the one multiplier that produced them.

    Attributes
    ----------
    hours : list of numpy.ndarray
        Hours per person, chunk by chunk.
    marginal_cost : float
        ``cost + lam``.
    multiplier : float
        ``lam``.
    capacity_binds : bool
        Whether all capacity is used.
    """

    hours: list[NDArray[np.float64]]
    marginal_cost: float
    multiplier: float
    capacity_binds: bool


def _hours_at(b: NDArray[np.float64], k: NDArray[np.float64], t: float, minimum: float):
    with np.errstate(invalid="ignore"):
        return minimum + np.where(b > t, (b - t) / k, 0.0)


def allocate_hours_chunked(
    values: Sequence[NDArray[np.float64]],
    gains: Sequence[NDArray[np.float64]],
    ks: Sequence[NDArray[np.float64]],
    *,
    cost: float,
    capacity: float | None,
    minimum: float,
) -> ChunkedAllocation:
    """:func:`~pbr_fairness.simulation.allocation.allocate_hours` over chunks of people.

    The same optimum as on the concatenated arrays: the capacity multiplier is found by
    :func:`~pbr_fairness.simulation.allocation.solve_log_multiplier` with sums added up
    over the chunks; only per-chunk temporaries are allocated.

    Parameters
    ----------
    values, gains, ks : sequence of numpy.ndarray
        Per chunk: value of a job outcome to the agent, ``pmax - p0`` as perceived, and
        responsiveness.
    cost : float
        Cost of an hour (``>= 0``).
    capacity : float or None
        Total hours over all chunks.
    minimum : float
        Minimum hours per person.

    Returns
    -------
    ChunkedAllocation
    """
    n = int(sum(np.size(v) for v in values))
    if cost < 0 or not np.isfinite(cost):
        raise ValueError(f"cost must be a finite number >= 0, got {cost!r}")
    if capacity is not None and capacity < n * minimum * (1 - 1e-12):
        raise ValueError(
            f"capacity {capacity:g} hours is below the minimum for everyone "
            f"({n} people x {minimum:g} hours = {n * minimum:g})"
        )
    bs = [breakpoints(v, g, k, minimum) for v, g, k in zip(values, gains, ks, strict=True)]
    ks = [np.asarray(k, dtype=float) for k in ks]

    def total(t: float) -> float:
        return float(sum(_hours_at(b, k, t, minimum).sum() for b, k in zip(bs, ks, strict=True)))

    def hours_at(t: float) -> list[NDArray[np.float64]]:
        return [_hours_at(b, k, t, minimum) for b, k in zip(bs, ks, strict=True)]

    if cost > 0:
        t0 = float(np.log(cost))
        if capacity is None or total(t0) <= capacity:
            return ChunkedAllocation(hours_at(t0), float(cost), 0.0, False)
    elif capacity is None:
        raise ValueError("with zero cost a capacity is needed, or the hours are unbounded")
    finite_max = -np.inf
    finite_min = np.inf
    for b in bs:
        f = b[np.isfinite(b)]
        if f.size:
            finite_max = max(finite_max, float(f.max()))
            finite_min = min(finite_min, float(f.min()))
    if not np.isfinite(finite_max):
        return ChunkedAllocation(
            [np.full(b.size, float(minimum)) for b in bs], float(cost), 0.0, False
        )
    t_high = finite_max
    t_low = float(np.log(cost)) if cost > 0 else finite_min - 1.0
    if cost == 0:
        while total(t_low) <= capacity:
            t_low -= max(1.0, abs(t_low))

    def sums(t: float) -> tuple[float, float, float]:
        s0 = s1 = count = 0.0
        for b, k in zip(bs, ks, strict=True):
            active = b > t
            inv = 1.0 / k[active]
            s0 += float(inv.sum())
            s1 += float((b[active] * inv).sum())
            count += float(np.count_nonzero(active))
        return s0, s1, count

    assert capacity is not None
    t = solve_log_multiplier(
        sums, n=n, minimum=minimum, capacity=float(capacity), t_low=t_low, t_high=t_high
    )
    mu = float(np.exp(t))
    return ChunkedAllocation(hours_at(t), mu, max(mu - cost, 0.0), True)


# -- per-chunk arrays ------------------------------------------------------------------------
@dataclass
class _Chunk:
    """The numeric arrays of one chunk (the wide table is dropped)."""

    p0: NDArray[np.float64]
    gain: NDArray[np.float64]  # true pmax - p0
    k: NDArray[np.float64]
    value: NDArray[np.float64]  # V_i, what a job outcome pays
    attachment: NDArray[np.float64]
    perceived_gain: NDArray[np.float64]  # the same array as gain without noise
    codes: dict[str, NDArray[np.int16]]
    hours: NDArray[np.float64] | None = None
    planner_hours: NDArray[np.float64] | None = None

    @property
    def n(self) -> int:
        return int(self.p0.size)


class _Labels:
    """Labels of one breakdown seen across chunks; codes re-sorted at the end."""

    def __init__(self, fixed: tuple[str, ...] | None = None) -> None:
        self.fixed = fixed
        self.labels: list[str] = list(fixed) if fixed else []
        self.index: dict[str, int] = {s: i for i, s in enumerate(self.labels)}

    def encode(self, values: pd.Series) -> NDArray[np.int16]:
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


def _bool_text(values: pd.Series) -> pd.Series:
    if values.dtype == bool or str(values.dtype) == "boolean":
        return values.map({True: "yes", False: "no"})
    txt = values.astype("string").str.strip().str.lower()
    yes = txt.isin(["1", "true", "yes", "y", "t", "1.0"])
    no = txt.isin(["0", "false", "no", "n", "f", "0.0"])
    return pd.Series(np.where(yes, "yes", np.where(no, "no", None)), dtype="string")


def _reduce_chunk(
    frame: pd.DataFrame,
    contract: Any,
    provider: ProviderSettings,
    labels: dict[str, _Labels],
    noise_rng: np.random.Generator,
) -> _Chunk:
    needed = ("payment_group", "true_p0", "true_pmax", "true_k", "true_exit_hazard")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(
            [
                Problem("needed by the simulator (a synthetic caseload has it)", column=c)
                for c in missing
            ],
            source="caseload chunk",
        )
    p0 = frame["true_p0"].to_numpy(dtype=float)
    pmax = np.maximum(frame["true_pmax"].to_numpy(dtype=float), p0)
    k = frame["true_k"].to_numpy(dtype=float)
    h = frame["true_exit_hazard"].to_numpy(dtype=float)
    if provider.information_noise > 0:
        # As prepare_population: logit noise on p0, the person's log-odds shift kept.
        delta = logit(pmax) - logit(p0)
        lp = logit(p0) + noise_rng.normal(0.0, provider.information_noise, p0.size)
        perceived_p0 = sigmoid(lp)
        perceived_gain = np.maximum(sigmoid(lp + delta) - perceived_p0, 0.0)
    else:
        perceived_gain = None
    tariff = contract.tariff_per_person(frame)
    value = np.asarray(tariff["J"], dtype=float) + np.asarray(
        tariff["S"], dtype=float
    ) * sustainment_factor(h, tariff["M"])
    attachment = np.broadcast_to(np.asarray(tariff["A"], dtype=float), p0.shape).copy()
    codes: dict[str, NDArray[np.int16]] = {}
    codes["payment_group"] = labels["payment_group"].encode(frame["payment_group"])
    if "provider_id" in frame.columns:
        codes["provider"] = labels["provider"].encode(frame["provider_id"])
        if np.any(codes["provider"] < 0):
            raise InputError(
                [Problem("missing provider_id", column="provider_id")], source="caseload chunk"
            )
    for c in PROTECTED_CHARACTERISTICS:
        if c == "age_band":
            if "age_band" in frame.columns:
                series = frame["age_band"].astype("string")
            elif "age" in frame.columns:
                series = pd.Series(age_band(frame["age"].to_numpy(dtype=float)))
            else:
                continue
        elif c in frame.columns:
            series = _bool_text(frame[c]) if c == "disability" else frame[c]
        else:
            continue
        codes[c] = labels[c].encode(series)
    gain = pmax - p0
    del pmax
    if perceived_gain is None:
        perceived_gain = gain
    return _Chunk(p0, gain, k, value, attachment, perceived_gain, codes)


# -- ranks over everyone ---------------------------------------------------------------------
def _sorted_fractional_rank(xs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Fractional ranks ``(rank - 0.5) / n`` of values already sorted, ties averaged.

    The arithmetic of :func:`pbr_fairness.simulation.population.fractional_rank` for one
    group, on the group's values in increasing order.
    """
    n = xs.size
    if n == 0:
        return np.zeros(0)
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = xs[1:] != xs[:-1]
    run_start = np.flatnonzero(new_run).astype(float)
    run_len = np.diff(np.append(run_start, n))
    run_id = np.cumsum(new_run) - 1
    del new_run
    return ((run_start + (run_len - 1) / 2.0)[run_id] + 0.5) / n


def _decile_codes_from_order(order: NDArray[np.intp]) -> NDArray[np.int16]:
    n = order.size
    codes = np.empty(n, dtype=np.int16)
    codes[order] = (np.arange(n, dtype=np.int64) * 10) // max(n, 1)
    return codes


# -- the result ----------------------------------------------------------------------------
@dataclass(frozen=True)
class NationalResult:
    """Measures of a contract on a caseload simulated in chunks.

    Attributes
    ----------
    n : int
        People.
    n_chunks : int
        Chunks they were processed in.
    overall : dict of str to float
        Every measure over everyone.
    frame : pandas.DataFrame
        Tidy measures: ``breakdown, group, measure, value``.
    marginal_cost : tuple of float
        ``c + lam`` of each provider.
    capacity_binds : tuple of bool
        Whether each provider used all its capacity.
    minimum_hours : float
        The minimum of service used.
    seconds : float
        Wall time.
    provenance : dict
        Package version, contract name and sha256, seed entropy, chunk size.
    """

    n: int
    n_chunks: int
    overall: dict[str, float]
    frame: pd.DataFrame = field(repr=False)
    marginal_cost: tuple[float, ...]
    capacity_binds: tuple[bool, ...]
    minimum_hours: float
    seconds: float
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy measures (``breakdown, group, measure, value``)."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: overall measures, by group, provenance."""
        by: dict[str, dict[str, dict[str, float]]] = {}
        for row in self.frame.itertuples(index=False):
            if row.breakdown == "overall":
                continue
            by.setdefault(row.breakdown, {}).setdefault(row.group, {})[row.measure] = (
                None if pd.isna(row.value) else float(row.value)
            )
        return {
            "n": self.n,
            "n_chunks": self.n_chunks,
            "overall": {k: (None if np.isnan(v) else v) for k, v in self.overall.items()},
            "by_group": by,
            "marginal_cost": list(self.marginal_cost),
            "capacity_binds": list(self.capacity_binds),
            "minimum_hours": self.minimum_hours,
            "seconds": round(self.seconds, 3),
            "provenance": self.provenance,
        }

    def summary(self) -> str:
        """Describe the result in a few lines of text."""
        o = self.overall
        lines = [
            f"National simulation: {self.n:,} people in {self.n_chunks} chunks "
            f"({self.seconds:.1f} s), contract {self.provenance.get('contract', '?')}",
            f"job outcome rate {o['job_outcome_rate']:.3f} (no support {o['no_support_rate']:.3f}),"
            f" additional jobs {o['additional_jobs']:,.0f}",
            f"government spend £{o['government_spend']:,.0f}, cost per additional job "
            f"£{o['cost_per_additional_job']:,.0f}",
            f"parked share {o['parked_share']:.3f}, creaming index {o['creaming_index']:.3f}, "
            f"planner gap {o['planner_gap']:.3f}",
        ]
        return "\n".join(lines)


def _root_seed(rng: np.random.Generator | int | np.random.SeedSequence | None):
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(0, 2**63 - 1)))
    return np.random.SeedSequence(rng)


def simulate_chunks(
    chunks: Iterable[pd.DataFrame],
    contract: Any,
    provider: ProviderSettings | None = None,
    *,
    planner: PlannerSettings | None = None,
    rng: np.random.Generator | int | np.random.SeedSequence | None = None,
    n_chunks: int | None = None,
    progress: bool = False,
    breakdowns: Sequence[str] = NATIONAL_BREAKDOWNS,
) -> NationalResult:
    """Simulate a contract (expected mode) on a caseload given as chunks.

    Parameters
    ----------
    chunks : iterable of pandas.DataFrame
        The caseload in pieces (synthetic: the truth columns are needed). Each piece is
        reduced to numeric arrays as soon as it arrives, so a generator of chunks keeps
        memory bounded.
    contract : Contract or str
        A contract or a preset name / YAML path (basis ``payment_group``).
    provider : ProviderSettings, optional
        Provider behaviour; capacity is ``capacity_hours`` times each provider's people.
    planner : PlannerSettings, optional
        The planner's equity weights.
    rng : Generator, int or SeedSequence, optional
        For the provider's information noise (one child SeedSequence per chunk).
    n_chunks : int, optional
        Number of chunks, for the progress bar.
    progress : bool, default False
        Show a progress bar over chunks.
    breakdowns : sequence of str
        Breakdowns to report (subset of :data:`NATIONAL_BREAKDOWNS`).

    Returns
    -------
    NationalResult
    """
    from pbr_fairness.contracts import load_contract

    start = time.perf_counter()
    provider = provider or ProviderSettings()
    planner = planner or PlannerSettings()
    if isinstance(contract, str):
        contract = load_contract(contract)
    if contract.needs_prediction:
        raise InputError(
            [
                Problem(
                    "a national run supports payment-group contracts only (no model "
                    "predictions at this scale)",
                    column="basis",
                )
            ],
            source=contract.source,
        )
    bad = [b for b in breakdowns if b not in NATIONAL_BREAKDOWNS]
    if bad:
        raise InputError(
            [
                Problem(
                    f"unknown breakdowns {bad}; allowed: {', '.join(NATIONAL_BREAKDOWNS)}",
                    column="breakdowns",
                )
            ]
        )
    minimum = provider.minimum_hours if contract.minimum_hours is None else contract.minimum_hours
    if minimum > provider.capacity_hours:
        raise InputError(
            [
                Problem(
                    f"the minimum of {minimum:g} hours exceeds the provider's capacity of "
                    f"{provider.capacity_hours:g} hours per person",
                    column="minimum_hours",
                )
            ]
        )
    root = _root_seed(rng)
    labels = {c: _Labels(AGE_BANDS if c == "age_band" else None) for c in _CATEGORICAL}
    from tqdm.auto import tqdm

    parts: list[_Chunk] = []
    bar = tqdm(total=n_chunks, unit="chunk", disable=not progress, desc="chunks")
    try:
        for i, frame in enumerate(chunks):
            noise_rng = np.random.default_rng(
                np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, i))
            )
            parts.append(_reduce_chunk(frame, contract, provider, labels, noise_rng))
            del frame
            bar.update(1)
    finally:
        bar.close()
    if not parts:
        raise InputError([Problem("the caseload has no people")])
    n = sum(c.n for c in parts)
    # Final, sorted labels (as the one-piece simulation sorts them).
    final_labels: dict[str, tuple[str, ...]] = {}
    for name, lab in labels.items():
        if not any(name in c.codes for c in parts):
            continue
        final, lut = lab.sorted_lut()
        final_labels[name] = final
        for c in parts:
            if name in c.codes:
                raw = c.codes[name]
                c.codes[name] = np.where(raw >= 0, lut[np.maximum(raw, 0)], -1).astype(np.int16)
    # Planner weights with the mean over everyone (computed when needed, not stored).
    mean_distance = sum(float((1.0 - c.p0).sum()) for c in parts) / n

    def weights(c: _Chunk) -> NDArray[np.float64]:
        if mean_distance <= 0:
            return np.full(c.n, planner.social_value_per_job)
        d = 1.0 - c.p0
        return planner.social_value_per_job * (d / mean_distance) ** planner.equity_exponent

    # Providers: one multiplier each, solved across chunks.
    m = provider.mission_weight
    provider_labels = final_labels.get("provider", ("all",))
    n_prov = len(provider_labels)
    mus: list[float] = []
    binds: list[bool] = []
    if any("provider" in c.codes for c in parts):  # hours are filled provider by provider
        for c in parts:
            c.hours = np.empty(c.n)
            c.planner_hours = np.empty(c.n)
    for j in range(n_prov):
        sel = [
            (np.flatnonzero(c.codes["provider"] == j) if "provider" in c.codes else None)
            for c in parts
        ]

        def pick(a: NDArray[np.float64], s: NDArray[np.intp] | None) -> NDArray[np.float64]:
            return a if s is None else a[s]

        agent_value = [
            pick(c.value if m == 0 else (1.0 - m) * c.value + m * weights(c), s)
            for c, s in zip(parts, sel, strict=True)
        ]
        n_j = sum(v.size for v in agent_value)
        if n_j == 0:
            mus.append(float("nan"))
            binds.append(False)
            continue
        alloc = allocate_hours_chunked(
            agent_value,
            [pick(c.perceived_gain, s) for c, s in zip(parts, sel, strict=True)],
            [pick(c.k, s) for c, s in zip(parts, sel, strict=True)],
            cost=provider.cost_per_hour,
            capacity=provider.capacity_hours * n_j,
            minimum=minimum,
        )
        del agent_value
        mus.append(alloc.marginal_cost)
        binds.append(alloc.capacity_binds)
        total = float(sum(h.sum() for h in alloc.hours))
        for c, s, h in zip(parts, sel, alloc.hours, strict=True):
            if s is None:
                c.hours = h
            else:
                c.hours[s] = h
        # The planner: the same hours as this provider used, by equity weight.
        if total <= n_j * minimum * (1 + 1e-12):
            star = [np.full(h.size, float(minimum)) for h in alloc.hours]
        else:
            star = allocate_hours_chunked(
                [pick(weights(c), s) for c, s in zip(parts, sel, strict=True)],
                [pick(c.gain, s) for c, s in zip(parts, sel, strict=True)],
                [pick(c.k, s) for c, s in zip(parts, sel, strict=True)],
                cost=0.0,
                capacity=total,
                minimum=minimum,
            ).hours
        for c, s, h in zip(parts, sel, star, strict=True):
            if s is None:
                c.planner_hours = h
            else:
                c.planner_hours[s] = h
    # p0 over everyone, sorted once: deciles, and the ranks the creaming index needs.
    offsets = np.cumsum([0] + [c.n for c in parts])
    p0_all = np.concatenate([c.p0 for c in parts])
    hours_all = np.concatenate([c.hours for c in parts])
    order0 = np.argsort(p0_all, kind="stable")
    if n < 2**31 - 1:
        order0 = order0.astype(np.int32)
    if "decile_true_p0" in breakdowns:
        dec = _decile_codes_from_order(order0)
        final_labels["decile_true_p0"] = tuple(f"D{i}" for i in range(1, 11))
        for i, c in enumerate(parts):
            c.codes["decile_true_p0"] = dec[offsets[i] : offsets[i + 1]]
        del dec
    rows: list[dict[str, Any]] = []
    overall: dict[str, float] = {}
    for name in breakdowns:
        if name == "overall":
            lab: tuple[str, ...] = ("all",)
        elif name in final_labels:
            lab = final_labels[name]
        else:
            continue
        total_sums: dict[str, NDArray[np.float64]] | None = None
        for c in parts:
            assert c.hours is not None
            p = response(c.hours, c.p0, c.p0 + c.gain, c.k)
            s = group_sums(
                None if name == "overall" else c.codes[name].astype(np.int64),
                len(lab),
                p=p,
                p0=c.p0,
                hours=c.hours,
                planner_hours=c.planner_hours,
                spend=c.attachment + p * c.value,
                parked=parked_mask(c.hours, minimum),
                rank=np.broadcast_to(0.0, (c.n,)),  # hours x rank is summed below
            )
            if total_sums is None:
                total_sums = s
            else:
                for key in total_sums:
                    total_sums[key] = total_sums[key] + s[key]
        assert total_sums is not None
        # sum of hours x (fractional rank of p0 within the group), group by group
        hours_rank = np.zeros(len(lab))
        if name == "overall":
            # np.sum of a product, not a BLAS dot: the same rounding on any thread count
            hours_rank[0] = np.sum(hours_all[order0] * _sorted_fractional_rank(p0_all[order0]))
        else:
            codes_sorted = np.concatenate([c.codes[name] for c in parts])[order0]
            for g in range(len(lab)):
                sel = order0[codes_sorted == g]
                hours_rank[g] = np.sum(hours_all[sel] * _sorted_fractional_rank(p0_all[sel]))
                del sel
            del codes_sorted
        total_sums["hours_rank"] = hours_rank
        meas = measures_from_sums(total_sums, provider.cost_per_hour)
        for g_i, g in enumerate(lab):
            for mname in MEASURES:
                rows.append(
                    {
                        "breakdown": name,
                        "group": g,
                        "measure": mname,
                        "value": float(meas[mname][g_i]),
                    }
                )
        if name == "overall":
            overall = {mname: float(meas[mname][0]) for mname in MEASURES}
    frame = pd.DataFrame(rows, columns=["breakdown", "group", "measure", "value"])
    try:
        import pbr_fairness

        version = str(getattr(pbr_fairness, "__version__", "unknown"))
    except Exception:  # pragma: no cover
        version = "unknown"
    return NationalResult(
        n=int(n),
        n_chunks=len(parts),
        overall=overall,
        frame=frame,
        marginal_cost=tuple(mus),
        capacity_binds=tuple(binds),
        minimum_hours=float(minimum),
        seconds=time.perf_counter() - start,
        provenance={
            "package_version": version,
            "contract": contract.name,
            "contract_sha256": contract.sha256,
            "provider": provider.to_dict(),
            "noise_seed_entropy": str(root.entropy),
        },
    )


def _chunk_sizes(n: int, chunk_size: int) -> list[int]:
    k = math.ceil(n / chunk_size)
    return [chunk_size] * (k - 1) + [n - chunk_size * (k - 1)]


def national_chunks(
    n: int,
    *,
    chunk_size: int = 250_000,
    providers: int = 1,
    rng: np.random.Generator | int | np.random.SeedSequence | None = None,
    params: dict[str, Any] | None = None,
) -> Callable[[], Iterable[pd.DataFrame]]:
    """Return a re-iterable source of synthetic chunks: chunk ``i`` from child ``i`` of the seed.

    Returns a function that yields the chunks afresh on every call (each built with
    ``make_caseload(size, rng=child_i, providers=providers, observable=False)``).
    """
    from pbr_fairness.caseload.generator import make_caseload

    root = _root_seed(rng)
    sizes = _chunk_sizes(n, chunk_size)

    def gen() -> Iterable[pd.DataFrame]:
        children = np.random.SeedSequence(root.entropy, spawn_key=root.spawn_key).spawn(len(sizes))
        for size, child in zip(sizes, children, strict=True):
            yield make_caseload(
                size,
                rng=np.random.default_rng(child),
                providers=providers,
                params=params,
                observable=False,
            )

    return gen


def simulate_national(
    n: int,
    contract: Any = "work_programme_2011",
    provider: ProviderSettings | None = None,
    *,
    providers: int = 1,
    chunk_size: int = 250_000,
    rng: np.random.Generator | int | None = None,
    planner: PlannerSettings | None = None,
    params: dict[str, Any] | None = None,
    progress: bool = False,
    breakdowns: Sequence[str] = NATIONAL_BREAKDOWNS,
) -> NationalResult:
    """Simulate a contract on a national-size synthetic caseload, chunk by chunk.

    Parameters
    ----------
    n : int
        People (10,000,000 fits in well under 4 GB).
    contract : Contract or str, default "work_programme_2011"
        A contract, preset name or YAML path (basis ``payment_group``).
    provider : ProviderSettings, optional
        Provider behaviour (each provider's capacity is ``capacity_hours`` per person).
    providers : int, default 1
        Providers the caseload is split between at random.
    chunk_size : int, default 250000
        People generated at a time.
    rng : Generator or int, optional
        Seed: chunk ``i`` of the caseload comes from ``SeedSequence(seed).spawn(2)[0]``'s
        child ``i``; the provider's information noise from ``spawn(2)[1]``.
    planner : PlannerSettings, optional
        The planner's weights.
    params : dict, optional
        Generator parameters.
    progress : bool, default False
        Show a progress bar.
    breakdowns : sequence of str
        Breakdowns to report.

    Returns
    -------
    NationalResult

    Examples
    --------
    >>> res = simulate_national(20_000, chunk_size=5_000, rng=1)
    >>> res.n, res.n_chunks
    (20000, 4)
    """
    if not isinstance(n, int | np.integer) or n < 1:
        raise InputError([Problem(f"must be a positive number of people, got {n!r}", column="n")])
    if not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise InputError([Problem(f"must be positive, got {chunk_size!r}", column="chunk_size")])
    root = _root_seed(rng)
    caseload_ss, noise_ss = root.spawn(2)
    source = national_chunks(
        int(n), chunk_size=int(chunk_size), providers=providers, rng=caseload_ss, params=params
    )
    res = simulate_chunks(
        source(),
        contract,
        provider,
        planner=planner,
        rng=noise_ss,
        n_chunks=len(_chunk_sizes(int(n), int(chunk_size))),
        progress=progress,
        breakdowns=breakdowns,
    )
    prov = {
        **res.provenance,
        "seed_entropy": str(root.entropy),
        "chunk_size": int(chunk_size),
        "providers": int(providers),
    }
    return NationalResult(
        n=res.n,
        n_chunks=res.n_chunks,
        overall=res.overall,
        frame=res.frame,
        marginal_cost=res.marginal_cost,
        capacity_binds=res.capacity_binds,
        minimum_hours=res.minimum_hours,
        seconds=res.seconds,
        provenance=prov,
    )
