"""National-scale simulation: ten million people in chunks, with bounded memory.

The chunked mode of the one engine, not a second simulator. A caseload too large to build as
one table is generated chunk by chunk (each chunk from its own ``numpy.random.SeedSequence``
child, so the whole is reproducible), and each chunk is reduced at once to the few numeric
arrays the engine needs (about 100 bytes a person; the wide table of characteristics is
dropped): the engine's outcome value, perceived chances and planner weights. Each provider's
best response is then the engine's :func:`~pbr_fairness.engine.respond_by_provider` with the
people held in chunks (its capacity search adds its sums up over them), the planner's the
same search at zero cost. The measures are the engine's additive group sums accumulated over
chunks; the ranks of ``p0`` that the creaming index needs are taken over everyone. The result
equals :func:`pbr_fairness.simulation.simulate_contract` on the concatenated caseload (a test
checks it where that fits in memory).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.caseload.schema import AGE_BANDS, PROTECTED_CHARACTERISTICS
from pbr_fairness.contracts import Contract, load_contract
from pbr_fairness.engine.capacity import allocate_hours_chunked
from pbr_fairness.engine.curve import response_from_gain
from pbr_fairness.engine.hours import agent_value, parked_mask
from pbr_fairness.engine.information import perceived_chances
from pbr_fairness.engine.measures import MEASURES, group_sums, measures_from_sums
from pbr_fairness.engine.planner import PlannerSettings, planner_weights
from pbr_fairness.engine.population import decile_codes_from_order, sorted_fractional_rank
from pbr_fairness.engine.prediction import needs_prediction
from pbr_fairness.engine.provider import ProviderSettings, effective_minimum
from pbr_fairness.engine.response import respond_by_provider
from pbr_fairness.engine.value import GREEN_BOOK_RATE, outcome_value
from pbr_fairness.errors import InputError, Problem, show_value
from pbr_fairness.limits import MAX_NATIONAL_PEOPLE, check_count, check_people, check_rng
from pbr_fairness.maths import logit
from pbr_fairness.simulation.labels import ChunkLabels
from pbr_fairness.simulation.national_result import NationalResult
from pbr_fairness.simulation.population import TRUTH_ARRAYS, characteristic_column
from pbr_fairness.version import package_version

__all__ = [
    "NATIONAL_BREAKDOWNS",
    "NationalResult",
    "national_chunks",
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


@dataclass
class _Chunk:
    """The numeric arrays of one chunk (the wide table is dropped)."""

    p0: NDArray[np.float64]
    gain: NDArray[np.float64]  # true pmax - p0
    k: NDArray[np.float64]
    value: NDArray[np.float64]  # V_i, what a job outcome pays (undiscounted)
    value_provider: NDArray[np.float64]  # V_i at the provider's discount rate
    value_discounted: NDArray[np.float64]  # V_i at the Green Book rate
    attachment: NDArray[np.float64]
    perceived_gain: NDArray[np.float64]  # the same array as gain without noise
    codes: dict[str, NDArray[np.int16]]
    hours: NDArray[np.float64] | None = None
    planner_hours: NDArray[np.float64] | None = None

    @property
    def n(self) -> int:
        return int(self.p0.size)


def _reduce_chunk(
    frame: pd.DataFrame,
    contract: Contract,
    provider: ProviderSettings,
    labels: dict[str, ChunkLabels],
    noise_rng: np.random.Generator,
) -> _Chunk:
    needed = ("payment_group", *TRUTH_ARRAYS)
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
    gain = pmax - p0
    perceived_gain = gain
    if provider.information_noise > 0:
        # As prepare_population: logit noise on p0, the person's log-odds shift kept.
        lp0 = logit(p0)
        _, noisy = perceived_chances(
            lp0, logit(pmax) - lp0, noise=provider.information_noise, rng=noise_rng
        )
        perceived_gain = np.maximum(noisy, 0.0)
    del pmax
    tariff = contract.tariff_per_person(frame)
    window = contract.window_months
    value = outcome_value(tariff, h)
    value_provider = (
        value
        if provider.discount_rate == 0
        else outcome_value(tariff, h, discount_rate=provider.discount_rate, window_months=window)
    )
    value_discounted = outcome_value(
        tariff, h, discount_rate=GREEN_BOOK_RATE, window_months=window
    )
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
        series = characteristic_column(frame, c)
        if series is not None:
            codes[c] = labels[c].encode(series)
    return _Chunk(
        p0, gain, k, value, value_provider, value_discounted, attachment, perceived_gain, codes
    )


def _root_seed(
    rng: np.random.Generator | int | np.random.SeedSequence | None,
) -> np.random.SeedSequence:
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(0, 2**63 - 1)))
    return np.random.SeedSequence(rng)


def _check_inputs(contract: Contract, breakdowns: Sequence[str]) -> None:
    if needs_prediction(contract):
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
    if contract.families:
        raise InputError(
            [
                Problem(
                    "a national run prices the fees only; contract instruments "
                    f"({', '.join(contract.families)}) need simulate_contract",
                    column="instruments",
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


def _read_chunks(
    chunks: Iterable[pd.DataFrame],
    contract: Contract,
    provider: ProviderSettings,
    root: np.random.SeedSequence,
    n_chunks: int | None,
    progress: bool,
) -> tuple[list[_Chunk], dict[str, tuple[str, ...]]]:
    """Reduce every chunk to arrays; return them with the final, sorted labels."""
    labels = {c: ChunkLabels(AGE_BANDS if c == "age_band" else None) for c in _CATEGORICAL}
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
    return parts, final_labels


def _respond(
    parts: list[_Chunk],
    provider: ProviderSettings,
    planner: PlannerSettings,
    minimum: float,
    n_providers: int,
) -> tuple[list[float], list[bool]]:
    """Fill each chunk's provider and planner hours; return marginal costs and binding flags."""
    n = sum(c.n for c in parts)
    # Planner weights with the mean over everyone (computed when needed, not stored).
    mean_distance = sum(float((1.0 - c.p0).sum()) for c in parts) / n

    def weights(c: _Chunk) -> NDArray[np.float64]:
        return planner_weights(c.p0, planner, mean_distance=mean_distance)

    by_provider = any("provider" in c.codes for c in parts)
    index: list[list[NDArray[np.intp] | None]] = [
        [np.flatnonzero(c.codes["provider"] == j) if by_provider else None for c in parts]
        for j in range(n_providers)
    ]
    m = provider.mission_weight
    resp = respond_by_provider(
        [agent_value(c.value_provider, weights(c) if m else None, m) for c in parts],
        [c.perceived_gain for c in parts],
        [c.k for c in parts],
        index,
        cost=provider.cost_per_hour,
        capacity_hours=provider.capacity_hours,
        minimum=minimum,
    )
    for c, h in zip(parts, resp.hours, strict=True):
        c.hours = h
        c.planner_hours = np.empty(c.n) if by_provider else None
    for sel in index:

        def pick(a: NDArray[np.float64], s: NDArray[np.intp] | None) -> NDArray[np.float64]:
            return a if s is None else a[s]

        hours = [pick(c.hours, s) for c, s in zip(parts, sel, strict=True)]  # type: ignore[arg-type]
        n_j = sum(h.size for h in hours)
        if n_j == 0:
            continue
        # The planner: the same hours as this provider used, by equity weight.
        star = allocate_hours_chunked(
            [pick(weights(c), s) for c, s in zip(parts, sel, strict=True)],
            [pick(c.gain, s) for c, s in zip(parts, sel, strict=True)],
            [pick(c.k, s) for c, s in zip(parts, sel, strict=True)],
            cost=0.0,
            capacity=float(sum(h.sum() for h in hours)),
            minimum=minimum,
        ).hours
        for c, s, h in zip(parts, sel, star, strict=True):
            if s is None:
                c.planner_hours = h
            else:
                assert c.planner_hours is not None
                c.planner_hours[s] = h
    return [float(x) for x in resp.marginal_cost], [bool(x) for x in resp.capacity_binds]


def _breakdown_rows(
    parts: list[_Chunk],
    name: str,
    labels: tuple[str, ...],
    minimum: float,
    provider: ProviderSettings,
    p0_all: NDArray[np.float64],
    hours_all: NDArray[np.float64],
    order0: NDArray[np.intp],
) -> tuple[list[dict[str, Any]], dict[str, NDArray[np.float64]]]:
    """Every measure of one breakdown, its sums added up over the chunks."""
    total_sums: dict[str, NDArray[np.float64]] | None = None
    for c in parts:
        assert c.hours is not None
        p = response_from_gain(c.hours, c.p0, c.gain, c.k)
        arrays = {
            "p": p,
            "p0": c.p0,
            "hours": c.hours,
            "spend": c.attachment + p * c.value,
            "spend_discounted": c.attachment + p * c.value_discounted,
            "revenue": c.attachment + p * c.value_provider,
            "cost": provider.cost_per_person(c.hours),
        }
        s = group_sums(
            None if name == "overall" else c.codes[name].astype(np.int64),
            len(labels),
            arrays,
            parked=parked_mask(c.hours, minimum),
            rank=np.broadcast_to(0.0, (c.n,)),  # hours x rank is summed below
            planner_hours=c.planner_hours,
        )
        if total_sums is None:
            total_sums = s
        else:
            for key in total_sums:
                total_sums[key] = total_sums[key] + s[key]
    assert total_sums is not None
    # sum of hours x (fractional rank of p0 within the group), group by group
    hours_rank = np.zeros(len(labels))
    if name == "overall":
        # np.sum of a product, not a BLAS dot: the same rounding on any thread count
        hours_rank[0] = np.sum(hours_all[order0] * sorted_fractional_rank(p0_all[order0]))
    else:
        codes_sorted = np.concatenate([c.codes[name] for c in parts])[order0]
        for g in range(len(labels)):
            sel = order0[codes_sorted == g]
            hours_rank[g] = np.sum(hours_all[sel] * sorted_fractional_rank(p0_all[sel]))
            del sel
        del codes_sorted
    total_sums["hours_rank"] = hours_rank
    meas = measures_from_sums(total_sums)
    rows = [
        {"breakdown": name, "group": g, "measure": m, "value": float(meas[m][i])}
        for i, g in enumerate(labels)
        for m in MEASURES
    ]
    return rows, meas


def simulate_chunks(
    chunks: Iterable[pd.DataFrame],
    contract: Contract | str,
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
    start = time.perf_counter()
    provider = provider or ProviderSettings()
    planner = planner or PlannerSettings()
    if isinstance(contract, str):
        contract = load_contract(contract)
    _check_inputs(contract, breakdowns)
    minimum = effective_minimum(provider, contract.minimum_hours)
    root = _root_seed(rng)
    parts, final_labels = _read_chunks(chunks, contract, provider, root, n_chunks, progress)
    n = sum(c.n for c in parts)
    mus, binds = _respond(
        parts, provider, planner, minimum, len(final_labels.get("provider", ("all",)))
    )
    # p0 over everyone, sorted once: deciles, and the ranks the creaming index needs.
    offsets = np.cumsum([0] + [c.n for c in parts])
    p0_all = np.concatenate([c.p0 for c in parts])
    hours_all = np.concatenate([c.hours for c in parts if c.hours is not None])
    order0 = np.argsort(p0_all, kind="stable")
    if n < 2**31 - 1:
        order0 = order0.astype(np.int32)
    if "decile_true_p0" in breakdowns:
        dec = decile_codes_from_order(order0)
        final_labels["decile_true_p0"] = tuple(f"D{i}" for i in range(1, 11))
        for i, c in enumerate(parts):
            c.codes["decile_true_p0"] = dec[offsets[i] : offsets[i + 1]]
        del dec
    rows: list[dict[str, Any]] = []
    overall: dict[str, float] = {}
    for name in breakdowns:
        if name != "overall" and name not in final_labels:
            continue
        lab = ("all",) if name == "overall" else final_labels[name]
        part_rows, meas = _breakdown_rows(
            parts, name, lab, minimum, provider, p0_all, hours_all, order0
        )
        rows += part_rows
        if name == "overall":
            overall = {m: float(meas[m][0]) for m in MEASURES}
    return NationalResult(
        n=int(n),
        n_chunks=len(parts),
        overall=overall,
        frame=pd.DataFrame(rows, columns=["breakdown", "group", "measure", "value"]),
        marginal_cost=tuple(mus),
        capacity_binds=tuple(binds),
        minimum_hours=float(minimum),
        seconds=time.perf_counter() - start,
        provenance={
            "package_version": package_version(),
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
    response: str | None = None,
) -> Callable[[], Iterable[pd.DataFrame]]:
    """Return a re-iterable source of synthetic chunks: chunk ``i`` from child ``i`` of the seed.

    Returns a function that yields the chunks afresh on every call (each built with
    ``make_caseload(size, rng=child_i, providers=providers, observable=False)``).
    """
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
                response=response,
            )

    return gen


def simulate_national(
    n: int,
    contract: Contract | str = "work_programme_2011",
    provider: ProviderSettings | None = None,
    *,
    providers: int = 1,
    chunk_size: int = 250_000,
    rng: np.random.Generator | int | None = None,
    planner: PlannerSettings | None = None,
    params: dict[str, Any] | None = None,
    progress: bool = False,
    breakdowns: Sequence[str] = NATIONAL_BREAKDOWNS,
    response: str | None = None,
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
    response : str, optional
        The response scenario of the synthetic caseload (default: the generator's).

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
        raise InputError([Problem(f"must be a positive number of people, got {show_value(n)}",
                                  column="n")])
    if not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise InputError([Problem(f"must be positive, got {show_value(chunk_size)}",
                                  column="chunk_size")])
    check_rng(rng)
    check_count(int(n), maximum=MAX_NATIONAL_PEOPLE, option="n", what="people",
                way_round="run several seeds of smaller national caseloads, or a sweep on a"
                " Dask cluster")
    check_people(min(int(chunk_size), int(n)), option="chunk_size",
                 way_round="Give a smaller chunk size.")
    root = _root_seed(rng)
    caseload_ss, noise_ss = root.spawn(2)
    source = national_chunks(
        int(n),
        chunk_size=int(chunk_size),
        providers=providers,
        rng=caseload_ss,
        params=params,
        response=response,
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
