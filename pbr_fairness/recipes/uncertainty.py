"""How sure the designer's headline figures are: 90% ranges over the estimates' plausible ranges.

:func:`pbr_fairness.sweep.uncertainty.parameter_uncertainty` evaluates a contract's fees with
the historic provider on the fitting population (no instruments, no provider settings of the
user's, none of the designer's headline spend measures). :func:`designer_uncertainty` asks the
same question of a designer run as the designer shows it: the estimated parameters are drawn
by the same Latin hypercube (:func:`~pbr_fairness.sweep.uncertainty.draw_parameters`), each
draw is recalibrated to the fitted targets
(:func:`~pbr_fairness.caseload.calibration.calibrate`), a caseload of the default recipe
(seed, providers) is generated from the recalibrated parameters, and the run's whole contract
(fees and instruments) is simulated on it with :func:`~pbr_fairness.simulation.simulate_contract`
under the run's provider: the settings the user changed are held at the user's values, the
others are the draw's. The 5th and 95th percentiles over the draws that reproduce every
fitted target give each headline measure's 90% range on the small caseload.

The figures on the designer's cards come from its own, larger caseload. The same recipe at
the central estimates (recalibrated like every draw) gives each measure's central value on
the small caseload, and :meth:`HeadlineRanges.around` applies the draws' spread around it to a
card's figure: shares move by the same points (kept within 0 to 100%), counts and pounds by
the same proportion (so that totals of a caseload of another size scale with it). The spread
is the parameters' uncertainty alone, not the small caseload's sampling noise.

The app runs it with few draws and people (:data:`DESIGNER_DRAWS`, :data:`DESIGNER_PEOPLE`)
so that it takes seconds; the documented intervals (docs/calibration.md) use 200 draws of
50,000 people.
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

from pbr_fairness.caseload.calibration import calibrate
from pbr_fairness.caseload.generator import historic_provider, make_caseload, with_response
from pbr_fairness.caseload.parameters import load_generator_parameters
from pbr_fairness.errors import InputError, Problem, show_value
from pbr_fairness.labels import measure as measure_label
from pbr_fairness.limits import check_seed
from pbr_fairness.prepare import DEFAULT_PROVIDERS, DEFAULT_SEED
from pbr_fairness.recipes.data import DESIGNER_DRAWS, DESIGNER_PEOPLE
from pbr_fairness.recipes.designer import DesignerRun
from pbr_fairness.recipes.response import DEFAULT_RESPONSE, RESPONSES
from pbr_fairness.reporting.summaries import HEADLINE_MEASURES
from pbr_fairness.scenario import provider_overrides
from pbr_fairness.simulation import simulate_contract
from pbr_fairness.sweep.uncertainty import draw_parameters

__all__ = [
    "DESIGNER_DRAWS",
    "DESIGNER_PEOPLE",
    "DOCUMENTED_DRAWS",
    "HeadlineRanges",
    "designer_uncertainty",
    "estimated_seconds",
]

logger = logging.getLogger(__name__)

#: Draws of the documented intervals (docs/calibration.md, ``pbr-fairness uncertainty``).
DOCUMENTED_DRAWS = 200
#: Seed of the draws (the command line's default).
UNCERTAINTY_SEED = 20261201
#: Seconds per draw and person, and per draw, measured in one process on a 2-core machine
#: shared with others: 40 draws of 10,000 people took 4.6 to 6.7 s (evidence), 4.9 s
#: (gain_falls) and 8.9 to 10.4 s (gain_rises, whose calibration fits more); of 1,000
#: people 2 to 3 s (evidence).
_SECONDS_PER_PERSON_DRAW = 9e-6
_SECONDS_PER_DRAW = 0.05
_WORLD_FACTOR = {"evidence": 1.0, "gain_falls": 0.8, "gain_rises": 1.6}
#: How far two calibrations may differ in an overall rate they are both fitted to: each
#: fits every payment group's rate within 2e-4 (``calibrate``'s tolerance). A central value
#: this close outside the draws' range is the fits' noise, not the parameters'.
FIT_NOISE = 2 * 2e-4

Predict = Callable[[pd.DataFrame], NDArray[np.float64]]


def estimated_seconds(draws: int, people: int, response: str = DEFAULT_RESPONSE) -> int:
    """Return roughly how long :func:`designer_uncertainty` takes, in whole seconds (at least 1).

    Examples
    --------
    >>> estimated_seconds(40, 10_000), estimated_seconds(40, 10_000, "gain_rises")
    (6, 10)
    """
    per_draw = _SECONDS_PER_DRAW + _SECONDS_PER_PERSON_DRAW * people
    factor = _WORLD_FACTOR.get(response, 1.0)
    return max(1, math.ceil((draws + 1) * per_draw * factor))  # the draws and the centre


@dataclass(frozen=True)
class HeadlineRanges:
    """90% ranges of the designer's headline measures over the estimated parameters.

    Attributes
    ----------
    table : pandas.DataFrame
        ``measure, central, lower, median, upper``: the value at the central estimates and
        the 5th, 50th and 95th percentiles over the draws that reproduce every fitted target,
        one row per headline measure, on the draws' caseload.
    draws : int
        Draws asked for.
    used : int
        Draws in the ranges (the others could not be recalibrated to the fitted targets).
    people : int
        People in each draw's caseload.
    response : str
        The response scenario.
    seconds : float
        Wall time.
    values : pandas.DataFrame
        One row per draw: every headline measure and whether the draw fits the targets.
    """

    table: pd.DataFrame
    draws: int
    used: int
    people: int
    response: str
    seconds: float
    values: pd.DataFrame = field(repr=False)

    def range(self, measure: str) -> tuple[float, float]:
        """Return ``(lower, upper)`` of one measure on the draws' caseload."""
        row = self.table.set_index("measure").loc[measure]
        return float(row["lower"]), float(row["upper"])

    def around(self, measure: str, point: float) -> tuple[float, float]:
        """Return the 90% range of a figure computed on another caseload at the central estimates.

        Shares move by the draws' points around the central value (within 0 to 1); counts
        and pounds by their proportion of it. A share whose central value lies outside the
        draws' range by no more than :data:`FIT_NOISE` (a rate the model is fitted to) has
        its range widened to it.

        Examples
        --------
        >>> t = pd.DataFrame({"measure": ["parked_share", "government_spend"],
        ...                   "central": [0.4, 100.0], "lower": [0.3, 90.0],
        ...                   "median": [0.4, 100.0], "upper": [0.6, 120.0]})
        >>> r = HeadlineRanges(t, 4, 4, 1000, "evidence", 1.0, pd.DataFrame())
        >>> [round(x, 2) for x in r.around("parked_share", 0.5)]
        [0.4, 0.7]
        >>> [round(x, 2) for x in r.around("government_spend", 1000.0)]
        [900.0, 1200.0]
        """
        row = self.table.set_index("measure").loc[measure]
        central, lo, hi = float(row["central"]), float(row["lower"]), float(row["upper"])
        if measure_unit(measure) == "share":
            if lo - FIT_NOISE <= central < lo:
                lo = central
            if hi < central <= hi + FIT_NOISE:
                hi = central
            return max(0.0, point + lo - central), min(1.0, point + hi - central)
        if central == 0 or not math.isfinite(central):
            return float("nan"), float("nan")
        return point * lo / central, point * hi / central

    def contains(self, measure: str, point: float) -> bool:
        """Whether a card's figure lies in its range (:meth:`around`)."""
        lo, hi = self.around(measure, point)
        return bool(lo - 1e-12 <= point <= hi + 1e-12)


def measure_unit(key: str) -> str:
    """Return the unit of a headline measure (``"share"``, ``"count"``, ``"GBP"``...)."""
    return str(measure_label(key).unit)


def _with_values(params: dict[str, Any], paths: Sequence[str], values: NDArray[np.float64]
                 ) -> dict[str, Any]:
    out = copy.deepcopy(params)
    for path, v in zip(paths, values, strict=True):
        node = out
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]]["value"] = float(v)
    return out


def _recalibrated(params: dict[str, Any], people: int) -> tuple[dict[str, Any], bool]:
    """Return the parameters with the draw's fit (intercepts, contact hours), and if it fits."""
    fit = calibrate(params, n=people)
    fitted = copy.deepcopy(params)
    fitted.setdefault("calibrated", {})[fit.response] = fit.to_dict()
    fitted["historic_regime"]["contact_hours"]["value"] = fit.contact_hours
    return fitted, bool(fit.fits_targets)


def designer_uncertainty(
    run: DesignerRun,
    *,
    response: str = DEFAULT_RESPONSE,
    draws: int = DESIGNER_DRAWS,
    people: int = DESIGNER_PEOPLE,
    seed: int = UNCERTAINTY_SEED,
    predict: Predict | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> HeadlineRanges:
    """90% ranges of a designer run's headline measures over the estimated parameters.

    Parameters
    ----------
    run : DesignerRun
        The contract (fees and instruments), the provider and what the provider knows.
    response : str, default "evidence"
        The response scenario the parameters are drawn in.
    draws : int, default 40
        Latin-hypercube draws (2 to 1,000).
    people : int, default 10000
        People in each draw's caseload (500 to 200,000).
    seed : int
        Seeds the draws: the same seed gives the same ranges.
    predict : callable, optional
        ``predict(caseload) -> probabilities``: the distance model's prediction, needed when
        the run prices on it or the provider acts on it.
    progress : callable, optional
        ``progress(done, total)`` after every draw.

    Returns
    -------
    HeadlineRanges

    Raises
    ------
    InputError
        For a bad size or seed, or a run that needs a prediction without ``predict``.

    Examples
    --------
    >>> from pbr_fairness.recipes import designer_runs
    >>> from pbr_fairness.scenario import Scenario
    >>> run = designer_runs(Scenario())["This scenario"]
    >>> res = designer_uncertainty(run, draws=3, people=1000, seed=1)
    >>> lo, hi = res.range("parked_share")
    >>> bool(0 <= lo <= hi <= 1)
    True
    """
    problems = []
    if not isinstance(draws, int) or not 2 <= draws <= 1_000:
        problems.append(Problem(f"must be a whole number 2..1,000, got {show_value(draws)}",
                                column="draws"))
    if not isinstance(people, int) or not 500 <= people <= 200_000:
        problems.append(Problem(f"must be a whole number 500..200,000, got"
                                f" {show_value(people)}", column="people"))
    if response not in RESPONSES:
        problems.append(Problem(f"must be one of {', '.join(RESPONSES)}, got"
                                f" {show_value(response)}", column="response"))
    if run.needs_prediction and predict is None:
        problems.append(Problem(f"{run.name} needs the distance model's predictions",
                                column="predict"))
    if problems:
        raise InputError(problems)
    check_seed(seed, option="seed")
    start = time.perf_counter()
    params = with_response(load_generator_parameters(), response)
    paths, values = draw_parameters(params, draws, seed)
    held = provider_overrides(run.provider)  # what the user set is not drawn

    def headline(drawn: dict[str, Any]) -> dict[str, float]:
        try:
            fitted, fits = _recalibrated(drawn, people)
            caseload = make_caseload(people, rng=DEFAULT_SEED, providers=DEFAULT_PROVIDERS,
                                     params=fitted, observable=False)
            result = simulate_contract(
                caseload,
                run.contract,
                historic_provider(fitted).replace(**held),
                predicted=predict(caseload) if run.needs_prediction and predict else None,
                provider_knows=run.provider_knows,  # type: ignore[arg-type]
                rng=DEFAULT_SEED,
            )
        except (ValueError, InputError) as exc:  # a draw the calibration cannot fit
            logger.warning("a draw could not be evaluated: %s", exc)
            return {"fits_targets": 0.0}
        overall = result.overall
        return {**{m: float(overall[m]) for m in HEADLINE_MEASURES},
                "fits_targets": float(fits)}

    central = headline(copy.deepcopy(params))
    rows = []
    for i in range(draws):
        rows.append(headline(_with_values(params, paths, values[i])))
        if progress is not None:
            progress(i + 1, draws)
    frame = pd.DataFrame(rows, columns=[*HEADLINE_MEASURES, "fits_targets"])
    ok = frame[frame["fits_targets"] == 1]
    table = pd.DataFrame({
        "measure": list(HEADLINE_MEASURES),
        "central": [central.get(m, float("nan")) for m in HEADLINE_MEASURES],
        "lower": [_pct(ok[m], 5) for m in HEADLINE_MEASURES],
        "median": [_pct(ok[m], 50) for m in HEADLINE_MEASURES],
        "upper": [_pct(ok[m], 95) for m in HEADLINE_MEASURES],
    })
    return HeadlineRanges(
        table=table, draws=int(draws), used=len(ok), people=int(people), response=response,
        seconds=time.perf_counter() - start, values=frame,
    )


def _pct(values: pd.Series, q: float) -> float:
    x = values.to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    return float(np.percentile(x, q)) if x.size else float("nan")
