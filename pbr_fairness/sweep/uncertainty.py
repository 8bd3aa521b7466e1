"""Parameter uncertainty: how far the headline results move over the estimates' plausible ranges.

Every estimated parameter of the generator and of the historic provider that carries a
``range`` in ``pbr_fairness/data/generator.yaml`` is drawn by Latin hypercube (uniform within
its range, seeded). Each draw is **recalibrated** to the fitted targets
(:func:`pbr_fairness.caseload.calibration.calibrate`: the group intercepts and the contact
hours) on the fitting caseload, and the baseline contract (and, when given, a proposed tariff)
is simulated on that caseload with the engine. The 5th and 95th percentiles over the draws
give 90% intervals for the headline measures: parked share by decile of ``p0`` and by payment
group, cost per additional job, deadweight share, provider margin, and the worst lower-half
parked share of the proposal. The draws run on the sweep machinery
(:func:`pbr_fairness.sweep.backend.iter_batches`: local processes or Dask).

A draw whose recalibration cannot reproduce every fitted target (some combinations put ESA
spend above JSA spend whatever the disability factor) is inconsistent with the evidence: it is
counted (``draws_off_target``) and left out of the intervals.

The intervals cover the *estimated* parameters only: the characteristics' joint distribution,
the referral mix and the latent-index coefficients are held at their values (their ranges are
not documented well enough to draw from), and the fitted targets are held at the published
figures.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pbr_fairness.caseload.calibration import (
    FIT_SEED,
    FitDraws,
    calibrate,
    draw_fit_caseload,
    fit_population,
)
from pbr_fairness.caseload.generator import (
    historic_provider,
    make_caseload,
    response_scenario,
    with_response,
)
from pbr_fairness.caseload.parameters import load_generator_parameters
from pbr_fairness.caseload.schema import PAYMENT_GROUPS
from pbr_fairness.contracts import Contract, load_contract
from pbr_fairness.contracts.contract import contract_from_yaml, contract_to_yaml
from pbr_fairness.distance import load_default_model, predict_probability
from pbr_fairness.engine.evaluation import Evaluation, breakdown_measures, evaluate
from pbr_fairness.engine.population import Population
from pbr_fairness.engine.prediction import needs_prediction
from pbr_fairness.errors import InputError, Problem, show_value
from pbr_fairness.limits import check_seed
from pbr_fairness.sweep.backend import Backend, iter_batches
from pbr_fairness.sweep.spec import latin_hypercube
from pbr_fairness.version import package_version

__all__ = [
    "UncertaintyResult",
    "draw_parameters",
    "evaluate_draw",
    "parameter_uncertainty",
    "uncertain_parameters",
]

logger = logging.getLogger(__name__)

#: Most draws one run may ask for (each is a recalibration and two simulations).
MAX_DRAWS = 5_000
#: Lower-half deciles of true p0 (the target of the fairer tariffs).
LOWER_HALF = ("D1", "D2", "D3", "D4", "D5")


def uncertain_parameters(params: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    """Every estimated parameter with a documented range: ``path -> (value, low, high)``.

    Paths are dotted into the parameter file; the response scenario's own parameters are
    under ``response.scenarios.<scenario>``.

    Examples
    --------
    >>> ranges = uncertain_parameters(load_generator_parameters())
    >>> "historic_regime.cost_per_hour" in ranges
    True
    """
    name = response_scenario(params)["name"]
    out: dict[str, tuple[float, float, float]] = {}
    roots: list[tuple[str, Any]] = [
        (f"response.scenarios.{name}", params["response"]["scenarios"][name]),
        ("historic_regime", params["historic_regime"]),
        ("latent_index", params["latent_index"]),
        ("exit_hazard", params["exit_hazard"]),
    ]
    for prefix, section in roots:
        for key, entry in section.items():
            if isinstance(entry, dict) and "range" in entry and "value" in entry:
                lo, hi = (float(x) for x in entry["range"])
                out[f"{prefix}.{key}"] = (float(entry["value"]), lo, hi)
    return out


def _set(params: dict[str, Any], path: str, value: float) -> None:
    node = params
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]]["value"] = float(value)


def draw_parameters(
    params: dict[str, Any], draws: int, seed: int
) -> tuple[list[str], NDArray[np.float64]]:
    """Latin-hypercube draws over the documented ranges: the paths and a ``draws x d`` array.

    Examples
    --------
    >>> paths, x = draw_parameters(load_generator_parameters(), 10, 1)
    >>> x.shape == (10, len(paths))
    True
    """
    ranges = uncertain_parameters(params)
    paths = sorted(ranges)
    lo = np.array([ranges[p][1] for p in paths])
    hi = np.array([ranges[p][2] for p in paths])
    u = latin_hypercube(int(draws), len(paths), np.random.default_rng(seed))
    return paths, lo + u * (hi - lo)


# -- one draw --------------------------------------------------------------------------------
_CACHE: dict[tuple[Any, ...], Any] = {}


def _fit_draws(params: dict[str, Any], n: int) -> FitDraws:
    key = ("fit", response_scenario(params)["name"], n)
    if key not in _CACHE:
        _CACHE[key] = draw_fit_caseload(params, n=n, seed=FIT_SEED)
    return _CACHE[key]


def _headline(pop: Population, ev: Evaluation, prefix: str) -> dict[str, float]:
    """Flatten the headline measures of one evaluation to ``name -> value``."""
    out: dict[str, float] = {}
    overall = ev.overall
    for m in ("cost_per_additional_job", "deadweight_share", "provider_margin",
              "parked_share", "job_outcome_rate", "provider_cost_per_person"):
        out[f"{prefix}{m}"] = float(overall[m])
    for b, label in (("decile_true_p0", "decile"), ("payment_group", "group")):
        bd = pop.breakdowns[b]
        ms = breakdown_measures(pop, ev, bd.codes, len(bd.labels), pop.rank_p0)
        for g, v in zip(bd.labels, ms["parked_share"], strict=True):
            out[f"{prefix}parked_share.{label}.{g}"] = float(v)
        if b == "decile_true_p0":
            out[f"{prefix}worst_parked_share_lower_half"] = float(
                np.nanmax(ms["parked_share"][: len(LOWER_HALF)])
            )
    return out


def _tariff(contract: Contract, pop: Population, predicted: NDArray[np.float64] | None) -> Any:
    if not needs_prediction(contract):
        table = contract.tariff_by_group(np.asarray(pop.breakdowns["payment_group"].labels))
        return {key: col[pop.breakdowns["payment_group"].codes] for key, col in table.items()}
    return contract.tariff_per_person({"person_id": pop.person_id}, predicted)


def evaluate_draw(
    params: dict[str, Any],
    *,
    n: int,
    seed: int,
    baseline: Contract,
    proposal: Contract | None = None,
    predicted: NDArray[np.float64] | None = None,
) -> dict[str, float]:
    """Recalibrate one set of parameters and simulate the contracts on the fitting caseload.

    The fitting caseload (``n`` people, the calibration's seed) is drawn once per process and
    re-used by every draw: only the truth moves with the parameters. Returns the headline
    measures of the baseline (``baseline.<measure>``) and the proposal (``proposal.<measure>``),
    the fitted contact hours and whether every fitted target was met.
    """
    draws = _fit_draws(params, n)
    fit = calibrate(params, n=n, draws=draws)
    fitted = copy.deepcopy(params)
    name = fit.response
    fitted.setdefault("calibrated", {})[name] = fit.to_dict()
    fitted["historic_regime"]["contact_hours"]["value"] = fit.contact_hours
    intercepts = np.array([fit.intercepts[g] for g in PAYMENT_GROUPS])
    pop = fit_population(draws, fitted, intercepts)
    provider = historic_provider(fitted)
    out = {
        "contact_hours": fit.contact_hours,
        "spend_per_esa": fit.spend_esa,
        "fits_targets": float(fit.fits_targets),
    }
    for prefix, contract in (("baseline.", baseline), ("proposal.", proposal)):
        if contract is None:
            continue
        ev = evaluate(
            pop,
            _tariff(contract, pop, predicted),
            provider,
            minimum_hours=contract.minimum_hours,
            window_months=contract.window_months,
            with_planner=False,
        )
        out |= _headline(pop, ev, prefix)
    return out


def _run_batch(payload: dict[str, Any], batch: list[tuple[int, list[float]]]) -> list[Any]:
    """Worker task: evaluate a batch of draws (module-level, so that it pickles)."""
    base = payload["params"]
    baseline = contract_from_yaml(payload["baseline_yaml"], source="baseline")
    proposal = (
        None
        if payload["proposal_yaml"] is None
        else contract_from_yaml(payload["proposal_yaml"], source="proposal")
    )
    predicted = None if payload["predicted"] is None else np.asarray(payload["predicted"])
    rows = []
    for index, values in batch:
        params = copy.deepcopy(base)
        for path, v in zip(payload["paths"], values, strict=True):
            _set(params, path, v)
        try:
            row = evaluate_draw(
                params,
                n=payload["n"],
                seed=payload["seed"],
                baseline=baseline,
                proposal=proposal,
                predicted=predicted,
            )
        except (ValueError, InputError) as exc:  # a draw the calibration cannot fit
            logger.warning("draw %d could not be calibrated: %s", index, exc)
            row = {"failed": 1.0}
        rows.append((index, row))
    return rows


# -- the whole analysis ----------------------------------------------------------------------
@dataclass(frozen=True)
class UncertaintyResult:
    """Headline measures with 90% intervals over the parameters' plausible ranges.

    Attributes
    ----------
    table : pandas.DataFrame
        ``measure, point, lower, median, upper``: the point value at the central calibration
        and the 5th, 50th and 95th percentiles over the draws.
    draws : pandas.DataFrame
        One row per draw: the drawn parameters and every measure.
    parameters : dict
        ``path -> (value, low, high)`` of every parameter drawn.
    seconds : float
        Wall time.
    provenance : dict
        Package version, seed, draws, people, response scenario and contracts.
    """

    table: pd.DataFrame
    draws: pd.DataFrame = field(repr=False)
    parameters: dict[str, tuple[float, float, float]]
    seconds: float
    provenance: dict[str, Any]

    def interval(self, measure: str) -> tuple[float, float, float]:
        """Return ``(point, lower, upper)`` of one measure."""
        row = self.table.set_index("measure").loc[measure]
        return float(row["point"]), float(row["lower"]), float(row["upper"])

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: the table, the parameters and the provenance."""

        def num(x: Any) -> float | None:
            x = float(x)
            return None if math.isnan(x) else x

        return {
            "intervals": [
                {k: (num(v) if k != "measure" else v) for k, v in row.items()}
                for row in self.table.to_dict(orient="records")
            ],
            "parameters": {k: list(v) for k, v in self.parameters.items()},
            "failed_draws": int(self.draws.get("failed", pd.Series(dtype=float)).fillna(0).sum()),
            "draws_off_target": int(
                (self.draws.get("fits_targets", pd.Series(dtype=float)).fillna(0) == 0).sum()
            ),
            "seconds": round(self.seconds, 2),
            "provenance": self.provenance,
        }


def parameter_uncertainty(
    *,
    draws: int = 200,
    n: int = 50_000,
    seed: int = 20261201,
    response: str | None = None,
    baseline: Contract | str = "work_programme_2011",
    proposal: Contract | str | None = None,
    predicted: Sequence[float] | NDArray[np.float64] | None = None,
    model: Any = None,
    backend: Backend = "local",
    jobs: int = 1,
    scheduler: str | None = None,
    client: Any = None,
    params: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> UncertaintyResult:
    """Draw the estimated parameters, recalibrate each draw, and report 90% intervals.

    Parameters
    ----------
    draws : int, default 200
        Latin-hypercube draws (at most 5,000).
    n : int, default 50000
        People in each draw's fitting and simulated caseloads.
    seed : int
        Seeds the draws and the caseloads: the same seed gives the same intervals.
    response : str, optional
        The response scenario (default: the parameter file's).
    baseline : Contract or str, default "work_programme_2011"
        The contract the headline measures describe.
    proposal : Contract or str, optional
        A proposed tariff: adds its measures, among them its worst lower-half parked share.
    predicted, model : optional
        Predictions for contracts priced on predicted distance (or a model to make them);
        by default the shipped model's, when a contract needs them.
    backend : {"local", "dask"}, default "local"
    jobs : int, default 1
        Worker processes (local) or Dask workers.
    scheduler, client : optional
        An existing Dask scheduler address or client.
    params : dict, optional
        Generator parameters (default: the shipped file).
    progress : callable, optional
        ``progress(done, total)`` after every batch.

    Returns
    -------
    UncertaintyResult

    Examples
    --------
    >>> res = parameter_uncertainty(draws=4, n=3000, seed=1)
    >>> lo, hi = res.interval("baseline.deadweight_share")[1:]
    >>> bool(0 < lo <= hi < 1)
    True
    """
    if not isinstance(draws, int) or not 2 <= draws <= MAX_DRAWS:
        raise InputError([Problem(f"must be a whole number 2..{MAX_DRAWS:,}, got"
                                  f" {show_value(draws)}", column="draws")])
    if not isinstance(n, int) or not 500 <= n <= 1_000_000:
        raise InputError([Problem(f"must be a whole number 500..1,000,000, got"
                                  f" {show_value(n)}", column="n")])
    check_seed(seed, option="seed")
    start = time.perf_counter()
    params = with_response(params or load_generator_parameters(), response)
    base = load_contract(baseline) if isinstance(baseline, str) else baseline
    prop = load_contract(proposal) if isinstance(proposal, str) else proposal
    q = None if predicted is None else np.asarray(predicted, dtype=float)
    if q is None and needs_prediction([base, prop]):
        # the fitting caseload's people (the same characteristics as make_caseload's at the
        # calibration's seed): predictions do not move with the drawn parameters
        sample = make_caseload(n, rng=FIT_SEED, providers=4, params=params, observable=False)
        q = np.asarray(predict_probability(model or load_default_model(), sample), dtype=float)
    paths, values = draw_parameters(params, draws, seed)
    payload = {
        "params": params,
        "paths": paths,
        "n": int(n),
        "seed": int(seed),
        "baseline_yaml": contract_to_yaml(base),
        "proposal_yaml": None if prop is None else contract_to_yaml(prop),
        "predicted": None if q is None else q.tolist(),
    }
    central = evaluate_draw(params, n=n, seed=seed, baseline=base, proposal=prop, predicted=q)
    items = [(i, values[i].tolist()) for i in range(draws)]
    size = max(1, min(8, math.ceil(draws / max(1, jobs * 4))))
    batches = [items[i : i + size] for i in range(0, draws, size)]
    rows: dict[int, dict[str, float]] = {}
    for result in iter_batches(
        _run_batch, payload, batches, backend=backend, jobs=jobs, scheduler=scheduler,
        client=client,
    ):
        rows.update(dict(result))
        if progress is not None:
            progress(len(rows), draws)
    frame = pd.DataFrame([{**dict(zip(paths, values[i], strict=True)), **rows[i]}
                          for i in range(draws)])
    measures = [m for m in central if m in frame.columns and m != "fits_targets"]
    # a draw that cannot reproduce the fitted targets is inconsistent with the evidence:
    # it is counted and left out of the intervals
    fitted = frame.get("fits_targets", pd.Series(1.0, index=frame.index)).fillna(0) == 1
    ok = frame[fitted]
    table = pd.DataFrame(
        {
            "measure": measures,
            "point": [central[m] for m in measures],
            "lower": [float(np.nanpercentile(ok[m], 5)) for m in measures],
            "median": [float(np.nanpercentile(ok[m], 50)) for m in measures],
            "upper": [float(np.nanpercentile(ok[m], 95)) for m in measures],
        }
    )
    return UncertaintyResult(
        table=table,
        draws=frame,
        parameters=uncertain_parameters(params),
        seconds=time.perf_counter() - start,
        provenance={
            "package_version": package_version(),
            "seed": int(seed),
            "draws": int(draws),
            "n": int(n),
            "response": response_scenario(params)["name"],
            "baseline": base.name,
            "proposal": None if prop is None else prop.name,
            "backend": backend,
        },
    )
