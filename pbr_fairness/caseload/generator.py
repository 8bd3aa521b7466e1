"""Synthetic Work Programme-like caseloads, calibrated to the programme's published results.

A person's no-support chance of a job outcome ``true_p0`` comes from a latent index of their
characteristics plus unobserved heterogeneity (so no model can be perfect); support shifts it
on the log-odds scale up to ``true_pmax``; the observed ``support_hours`` and ``job_outcome``
arise under a documented *historic regime*: the Work Programme year-1 tariff with a
profit-maximising provider (the engine's :func:`pbr_fairness.engine.respond_by_provider`).
``true_p_observable`` integrates the unobserved terms out by Gauss-Hermite quadrature: the
best any model of the characteristics can do. Every parameter lives in
``pbr_fairness/data/generator.yaml`` with its source or labelled an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from pbr_fairness.caseload import schema
from pbr_fairness.caseload.parameters import load_generator_parameters, value
from pbr_fairness.contracts import load_contract
from pbr_fairness.engine.curve import response as response_curve
from pbr_fairness.engine.curve import response_from_gain
from pbr_fairness.engine.hours import breakpoints, hours_at
from pbr_fairness.engine.provider import ProviderSettings
from pbr_fairness.engine.response import respond_by_provider
from pbr_fairness.engine.value import outcome_value
from pbr_fairness.errors import InputError, Problem, show_value
from pbr_fairness.limits import MAX_PROVIDERS, check_count, check_people, check_rng
from pbr_fairness.maths import sigmoid

__all__ = [
    "RESPONSE_SCENARIOS",
    "Latent",
    "calibrated",
    "historic_provider",
    "historic_tariff",
    "historic_values",
    "make_caseload",
    "months_in_work",
    "observable_probability",
    "response_scenario",
    "with_response",
]

_LOGIT_REF = float(np.log(0.25 / 0.75))
#: The shift's dependence on distance is flat outside p0 in [0.01, 0.9] (keeps it bounded).
_LOGIT_LOW, _LOGIT_HIGH = float(np.log(0.01 / 0.99)), float(np.log(0.9 / 0.1))
#: Gauss-Hermite nodes (probabilists') for the unobserved baseline term, the response shift
#: and the responsiveness. Against a 40 x 5 x 5 grid the largest error is 2.4e-4.
_NODES = (12, 3, 3)


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


@lru_cache(maxsize=4)
def _tariff_table(name: str) -> NDArray[np.float64]:
    """Rows ``A, J, S, M, trigger_weeks`` per default payment group of a contract preset."""
    tariffs = load_contract(name).tariffs
    return np.array(
        [
            (
                t.attachment_fee,
                t.job_outcome_fee,
                t.sustainment_fee,
                t.max_sustainment_payments,
                t.trigger_weeks,
            )
            for t in (tariffs[g] for g in schema.PAYMENT_GROUPS)
        ],
        dtype=float,
    )


def historic_tariff(
    group_codes: NDArray[np.integer], contract: str = "work_programme_2011"
) -> dict[str, NDArray[np.float64]]:
    """Tariff per person under the historic regime (a preset per payment group).

    Parameters
    ----------
    group_codes : numpy.ndarray
        Index into :data:`~pbr_fairness.caseload.schema.PAYMENT_GROUPS`.
    contract : str, default "work_programme_2011"
        The preset contract (``historic_regime.tariff`` of the parameter file).

    Returns
    -------
    dict
        Arrays ``A`` (attachment), ``J`` (job outcome), ``S`` (sustainment per 4 weeks),
        ``M`` (maximum sustainment payments) and ``trigger_weeks``.
    """
    rows = _tariff_table(contract)[group_codes]
    return {
        "A": rows[:, 0],
        "J": rows[:, 1],
        "S": rows[:, 2],
        "M": rows[:, 3],
        "trigger_weeks": rows[:, 4],
    }


@dataclass(frozen=True)
class Latent:
    """Per-person latent quantities (arrays) that make up the synthetic truth."""

    index: NDArray[np.float64]  # observed part of logit(true_p0), intercept included
    u: NDArray[np.float64]
    z_delta: NDArray[np.float64]
    z_k: NDArray[np.float64]
    disability: NDArray[np.bool_]
    homeless: NDArray[np.bool_]


#: The named shapes of the response to support (``response.scenarios`` of the parameter file).
RESPONSE_SCENARIOS: tuple[str, ...] = ("evidence", "gain_falls", "gain_rises")


def with_response(params: dict[str, Any], name: str | None) -> dict[str, Any]:
    """Return the parameters with another response scenario chosen (``None``: unchanged)."""
    if name is None:
        return params
    response_scenario(params, name)  # check the name
    return {**params, "response": {**params["response"], "scenario": name}}


def calibrated(params: dict[str, Any]) -> dict[str, Any]:
    """Return the fitted values of the chosen response scenario (``calibrated.<scenario>``)."""
    name = response_scenario(params)["name"]
    fitted = params.get("calibrated", {}).get(name)
    if not isinstance(fitted, dict) or "intercepts" not in fitted:
        raise ValueError(
            f"response scenario {name!r} has not been calibrated: run "
            "`python -m pbr_fairness.caseload.calibration`"
        )
    return fitted


def response_scenario(params: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    """Return the parameters of a response scenario (default: the file's ``response.scenario``).

    A value the calibration fitted for the scenario (``calibrated.<name>``, e.g. the
    disability factor of the responsiveness) replaces the file's starting value.

    Raises
    ------
    ValueError
        For an unknown scenario name.
    """
    rp = params["response"]
    name = name or rp["scenario"]
    scenarios = rp["scenarios"]
    if name not in scenarios:
        raise ValueError(
            f"unknown response scenario {name!r}; known: {', '.join(sorted(scenarios))}"
        )
    out = {"name": name, **scenarios[name]}
    fitted = params.get("calibrated", {}).get(name)
    if isinstance(fitted, dict):
        for key in FITTED_RESPONSE_KEYS:
            if key in fitted and key in out:
                entry = out[key]
                new = fitted[key]
                out[key] = {**entry, "value": new} if isinstance(entry, dict) else new
    return out


#: Response parameters the calibration may fit (for the JSA-above-ESA spend target).
FITTED_RESPONSE_KEYS: tuple[str, ...] = ("k_disability_factor",)


def _truth(
    index: NDArray[np.float64],
    u: NDArray[np.float64] | float,
    z_delta: NDArray[np.float64] | float,
    z_k: NDArray[np.float64] | float,
    disability: NDArray[np.bool_],
    homeless: NDArray[np.bool_],
    params: dict[str, Any],
) -> tuple[NDArray[np.float64], ...]:
    """Return ``p0, pmax, k, h`` for given latent draws (broadcasting over nodes).

    The response scenario (``params["response"]["scenario"]``) sets how the achievable gain
    ``pmax - p0`` and the responsiveness ``k`` vary with distance from work:

    - ``form: probability`` (``evidence``, ``gain_rises``): ``pmax - p0 = G exp(s z - s^2/2)
      exp(-a (logit p0 - logit 0.25))``, at most ``0.9 (1 - p0)``, and ``k = k_med exp(s_k z_k
      - s_k^2/2) exp(b (logit p0 - logit 0.25))`` times a factor for a work-limiting condition:
      with ``b > 0`` those furthest from work need more hours per point gained;
    - ``form: log_odds`` (``gain_falls``, the first version): ``pmax = sigmoid(logit p0 +
      delta)`` with a log-normal shift ``delta``, so the gain in points falls with distance.
    """
    li = params["latent_index"]
    rp = response_scenario(params)
    eh = params["exit_hazard"]
    lp0 = index + value(li["unobserved_sd"]) * u
    p0 = sigmoid(lp0)
    dist = np.clip(lp0, _LOGIT_LOW, _LOGIT_HIGH) - _LOGIT_REF
    if rp["form"] == "log_odds":
        factor = np.where(disability, rp["disability_factor"], 1.0)
        delta = (
            np.exp(
                rp["log_delta_mean"]
                + rp["log_delta_sd"] * z_delta
                - rp["distance_slope"] * dist
            )
            * factor
        )
        pmax = sigmoid(lp0 + delta)
        k = rp["k_median"] * np.exp(rp["log_k_sd"] * z_k) * np.ones_like(lp0)
    else:
        sg, sk = value(rp["gain_sd"]), value(rp["log_k_sd"])
        gain = (
            value(rp["gain_mean"])
            * np.exp(sg * z_delta - 0.5 * sg**2)
            * np.exp(-value(rp["gain_distance_slope"]) * dist)
        )
        pmax = p0 + np.minimum(gain, 0.9 * (1.0 - p0))
        k = (
            value(rp["k_median"])
            * np.exp(sk * z_k - 0.5 * sk**2)
            * np.exp(value(rp["k_distance_slope"]) * dist)
            * np.where(disability, value(rp["k_disability_factor"]), 1.0)
        )
    h = sigmoid(
        np.log(value(eh["base"]) / (1 - value(eh["base"])))
        + eh["disability"] * disability
        + eh["homeless"] * homeless
        - eh["employability"] * (lp0 - _LOGIT_REF)
    )
    return p0, pmax, k, h


def _characteristics(
    n: int, rng: np.random.Generator, params: dict[str, Any]
) -> tuple[dict[str, Any], NDArray[np.int64]]:
    ch = params["characteristics"]
    groups = schema.PAYMENT_GROUPS
    shares = np.array([params["referral_mix"]["shares"][g] for g in groups], dtype=float)
    g = rng.choice(len(groups), size=n, p=shares / shares.sum())
    gp = [ch["groups"][name] for name in groups]

    def per_group(key: str, i: int | None = None) -> NDArray[np.float64]:
        vals = np.array([p[key] if i is None else p[key][i] for p in gp], dtype=float)
        return vals[g]

    age = np.clip(
        np.rint(per_group("age", 0) + per_group("age", 1) * rng.standard_normal(n)),
        per_group("age", 2),
        per_group("age", 3),
    ).astype(np.int64)
    r_sex = rng.random(n)
    sex_codes = np.where(
        r_sex < ch["sex_x_share"], 2, np.where(rng.random(n) < per_group("male"), 1, 0)
    )
    disability = rng.random(n) < per_group("disability")
    months = per_group("months", 0) + rng.gamma(per_group("months", 1), per_group("months", 2))
    months = np.round(months, 1)
    qual_p = np.array([p["qual"] for p in gp], dtype=float)[g]
    qual = (rng.random(n)[:, None] > np.cumsum(qual_p, axis=1)[:, :-1]).sum(axis=1)
    regions = schema.REGIONS
    reg_tab = np.array([ch["regions"][r] for r in regions], dtype=float)
    region = rng.choice(len(regions), size=n, p=reg_tab[:, 0] / reg_tab[:, 0].sum())
    local_rate = np.clip(
        reg_tab[region, 1] * np.exp(ch["local_rate_spread"] * rng.standard_normal(n)), 0.01, 0.35
    )
    london = region == regions.index("London")
    eth_p = np.array([ch["ethnicity_shares"][e] for e in schema.ETHNICITIES])
    eth_l = np.array([ch["ethnicity_shares_london"][e] for e in schema.ETHNICITIES])
    r_eth = rng.random(n)
    ethnicity = np.where(
        london,
        (r_eth[:, None] > np.cumsum(eth_l)[:-1]).sum(axis=1),
        (r_eth[:, None] > np.cumsum(eth_p)[:-1]).sum(axis=1),
    )
    female = sex_codes == 0
    lone_parent = rng.random(n) < np.clip(
        per_group("lone_parent") * np.where(female, 1.7, 0.3), 0, 1
    )
    carer = rng.random(n) < per_group("carer")
    homeless = rng.random(n) < per_group("homeless")
    criminal = rng.random(n) < np.clip(
        per_group("criminal_record") * np.where(sex_codes == 1, 1.2, 0.6), 0, 1
    )
    asian_other = np.isin(
        ethnicity, [schema.ETHNICITIES.index("Asian"), schema.ETHNICITIES.index("Other")]
    )
    english = rng.random(n) < np.clip(
        per_group("english") + ch["english_need_extra_if_asian_or_other"] * asian_other, 0, 1
    )
    ben_p = np.array([p["benefit"] for p in gp], dtype=float)[g]
    benefit = (rng.random(n)[:, None] > np.cumsum(ben_p, axis=1)[:, :-1]).sum(axis=1)
    cols = {
        "payment_group": g,
        "age": age,
        "sex": sex_codes,
        "disability": disability,
        "ethnicity": ethnicity,
        "months_unemployed": months,
        "qualification": qual,
        "region": region,
        "local_unemployment_rate": np.round(local_rate, 4),
        "lone_parent": lone_parent,
        "carer": carer,
        "homeless": homeless,
        "criminal_record": criminal,
        "english_language_need": english,
        "benefit": benefit,
    }
    return cols, g


def _latent_index(cols: dict[str, Any], params: dict[str, Any]) -> NDArray[np.float64]:
    li = params["latent_index"]
    fitted = calibrated(params)
    intercepts = np.array([fitted["intercepts"][grp] for grp in schema.PAYMENT_GROUPS], dtype=float)
    qual = np.array([li["qualification"][q] for q in schema.QUALIFICATIONS])
    sex = np.array([li["sex"][s] for s in schema.SEXES])
    eth = np.array([li["ethnicity"][e] for e in schema.ETHNICITIES])
    return (
        intercepts[cols["payment_group"]]
        + li["age_per_year_over_30"] * np.maximum(cols["age"] - 30, 0)
        + li["log_months_unemployed"] * np.log1p(cols["months_unemployed"] / 12.0)
        + li["disability"] * cols["disability"]
        + qual[cols["qualification"]]
        + li["local_unemployment_rate"] * (cols["local_unemployment_rate"] - 0.08)
        + li["lone_parent"] * cols["lone_parent"]
        + li["carer"] * cols["carer"]
        + li["homeless"] * cols["homeless"]
        + li["criminal_record"] * cols["criminal_record"]
        + li["english_language_need"] * cols["english_language_need"]
        + sex[cols["sex"]]
        + eth[cols["ethnicity"]]
    )


def historic_provider(params: dict[str, Any]) -> ProviderSettings:
    """Return the provider of the historic regime (``historic_regime`` of the parameter file).

    Its contact hours come from the response scenario's calibration when it has its own.
    """
    regime = params["historic_regime"]
    keys = (
        "cost_per_hour",
        "capacity_hours",
        "minimum_hours",
        "information_noise",
        "mission_weight",
        "contact_hours",
        "fixed_cost_per_person",
        "discount_rate",
    )
    settings = {key: float(value(regime[key])) for key in keys if key in regime}
    fitted = params.get("calibrated", {}).get(response_scenario(params)["name"], {})
    if isinstance(fitted, dict) and "contact_hours" in fitted:
        settings["contact_hours"] = float(fitted["contact_hours"])
    return ProviderSettings(**settings)


def historic_values(
    tariff: dict[str, NDArray[np.float64]], exit_hazard: ArrayLike, params: dict[str, Any]
) -> NDArray[np.float64]:
    """Return what a job outcome is worth to the historic provider: ``V_i`` at its rate."""
    return outcome_value(
        tariff,
        exit_hazard,
        discount_rate=historic_provider(params).discount_rate,
        window_months=value(params["window_months"]),
    )


def _provider_hours(
    value_: NDArray[np.float64],
    gain: NDArray[np.float64],
    k: NDArray[np.float64],
    provider: NDArray[np.int64],
    n_providers: int,
    params: dict[str, Any],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Hours under the historic regime and each person's provider's marginal cost."""
    settings = historic_provider(params)
    r = respond_by_provider(
        [value_],
        [gain],
        [k],
        [[np.flatnonzero(provider == j)] for j in range(n_providers)],
        cost=settings.cost_per_hour,
        capacity_hours=settings.capacity_hours,
        minimum=settings.minimum_hours,
    )
    mu_j = np.nan_to_num(r.marginal_cost, nan=settings.cost_per_hour)
    return r.hours[0], mu_j[provider]


def observable_probability(
    latent: Latent,
    tariff: dict[str, NDArray[np.float64]],
    marginal_cost: NDArray[np.float64],
    params: dict[str, Any],
    *,
    chunk: int = 8_192,
) -> NDArray[np.float64]:
    """Chance of a job outcome under the historic regime given only the characteristics.

    The unobserved terms (``u``, the response shift and the responsiveness) are integrated
    out by Gauss-Hermite quadrature with the provider's marginal cost held at its optimum.

    Parameters
    ----------
    latent : Latent
        The latent index and flags of each person (the draws themselves are not used).
    tariff : dict
        Per-person tariff arrays (see :func:`historic_tariff`).
    marginal_cost : numpy.ndarray
        Each person's provider's ``cost + lam``.
    params : dict
        Generator parameters.
    chunk : int, default 8192
        People per block (bounds memory).

    Returns
    -------
    numpy.ndarray
    """
    e_min = historic_provider(params).minimum_hours
    grids = [np.polynomial.hermite_e.hermegauss(m) for m in _NODES]
    xu, wu = grids[0]
    xd, wd = grids[1]
    xk, wk = grids[2]
    wk = wk / wk.sum()
    w_ud = np.outer(wu, wd)
    w_ud = w_ud / w_ud.sum()
    n = latent.index.size
    out = np.empty(n)
    keys = ("J", "S", "M", "trigger_weeks")
    for s in range(0, n, chunk):
        sl = slice(s, min(s + chunk, n))
        # Axes: person, u node, shift node, responsiveness node.
        p0, pmax, k, h = _truth(
            latent.index[sl, None, None, None],
            xu[None, :, None, None],
            xd[None, None, :, None],
            xk[None, None, None, :],
            latent.disability[sl, None, None, None],
            latent.homeless[sl, None, None, None],
            params,
        )
        v = historic_values({key: tariff[key][sl, None, None, None] for key in keys}, h, params)
        gain = pmax - p0
        # The engine's hours at the provider's marginal cost, at every node.
        b = breakpoints(v, gain, k, e_min)
        hours = hours_at(b, k, np.log(marginal_cost[sl, None, None, None]), e_min)
        p = response_from_gain(hours, p0, gain, k) @ wk
        out[sl] = np.einsum("nij,ij->n", p, w_ud)
    return out


def months_in_work(
    outcome: NDArray[np.bool_],
    exit_hazard: NDArray[np.float64],
    trigger_weeks: NDArray[np.float64],
    window_months: float,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Draw the months in work after a job outcome, up to the end of the window.

    Each 4-week period in work ends in an exit with probability ``h``; the count of completed
    periods is geometric (one draw per person, everyone drawn so that the stream of random
    numbers does not depend on who reached an outcome). Months = periods x 12/13, at most the
    window less the trigger; 0 without a job outcome.

    Examples
    --------
    >>> import numpy as np
    >>> months_in_work(np.array([True, False]), np.array([0.5, 0.5]), np.array([26.0, 26.0]),
    ...                24.0, np.random.default_rng(0)).round(3).tolist()
    [0.923, 0.0]
    """
    periods = rng.geometric(np.clip(exit_hazard, 1e-6, 1.0)) - 1
    out: NDArray[np.float64] = np.where(
        outcome, np.minimum(periods * 12.0 / 13.0, window_months - trigger_weeks * 12.0 / 52.0), 0.0
    )
    return out


def make_caseload(
    n: int,
    *,
    rng: np.random.Generator | int | None = None,
    providers: int = 1,
    params: dict[str, Any] | None = None,
    observable: bool = True,
    response: str | None = None,
) -> pd.DataFrame:
    """Generate a synthetic caseload in the schema of :mod:`pbr_fairness.caseload.schema`.

    Parameters
    ----------
    n : int
        Number of people.
    rng : numpy.random.Generator or int, optional
        Random generator or seed. Same seed, same caseload, byte for byte.
    providers : int, default 1
        Number of providers; people are assigned at random (as the Work Programme randomised
        claimants between primes in each contract package area).
    params : dict, optional
        Generator parameters (default: ``pbr_fairness/data/generator.yaml``).
    observable : bool, default True
        Compute ``true_p_observable`` (the costliest column).
    response : str, optional
        The response scenario (:data:`RESPONSE_SCENARIOS`); default the parameter file's.

    Returns
    -------
    pandas.DataFrame
        One row per person with every schema column.

    Examples
    --------
    >>> df = make_caseload(1000, rng=1, providers=2)
    >>> df.shape[0], sorted(df.provider_id.unique())
    (1000, ['P1', 'P2'])
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError([Problem(f"n must be a positive integer, got {show_value(n)}")])
    if not isinstance(providers, (int, np.integer)) or providers < 1:
        raise InputError(
            [Problem(f"providers must be a positive integer, got {show_value(providers)}")]
        )
    check_count(int(providers), maximum=MAX_PROVIDERS, option="providers", what="providers",
                way_round="use fewer providers")
    check_people(int(n), option="n")
    check_rng(rng)
    params = with_response(params or load_generator_parameters(), response)
    gen = _rng(rng)
    cols, g = _characteristics(int(n), gen, params)
    index = _latent_index(cols, params)
    u = gen.standard_normal(n)
    z_d = gen.standard_normal(n)
    z_k = gen.standard_normal(n)
    latent = Latent(index, u, z_d, z_k, cols["disability"], cols["homeless"])
    p0, pmax, k, h = _truth(index, u, z_d, z_k, cols["disability"], cols["homeless"], params)
    provider = gen.integers(0, providers, size=n)
    tariff = historic_tariff(g, params["historic_regime"]["tariff"])
    v = historic_values(tariff, h, params)
    hours, mu = _provider_hours(v, pmax - p0, k, provider, int(providers), params)
    p = response_curve(hours, p0, pmax, k)
    outcome = gen.random(n) < p
    window = value(params["window_months"])
    months = months_in_work(outcome, h, tariff["trigger_weeks"], window, gen)
    width = max(7, len(str(n)))
    frame = pd.DataFrame(
        {
            "person_id": np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), width)),
            "payment_group": pd.Categorical.from_codes(g, categories=list(schema.PAYMENT_GROUPS)),
            "age": cols["age"],
            "sex": pd.Categorical.from_codes(cols["sex"], categories=list(schema.SEXES)),
            "disability": cols["disability"],
            "ethnicity": pd.Categorical.from_codes(
                cols["ethnicity"], categories=list(schema.ETHNICITIES)
            ),
            "months_unemployed": cols["months_unemployed"],
            "qualification": pd.Categorical.from_codes(
                cols["qualification"], categories=list(schema.QUALIFICATIONS)
            ),
            "region": pd.Categorical.from_codes(cols["region"], categories=list(schema.REGIONS)),
            "local_unemployment_rate": cols["local_unemployment_rate"],
            "lone_parent": cols["lone_parent"],
            "carer": cols["carer"],
            "homeless": cols["homeless"],
            "criminal_record": cols["criminal_record"],
            "english_language_need": cols["english_language_need"],
            "benefit": pd.Categorical.from_codes(cols["benefit"], categories=list(schema.BENEFITS)),
            "provider_id": pd.Categorical.from_codes(
                provider, categories=[f"P{j + 1}" for j in range(providers)]
            ),
            "support_hours": np.round(hours, 6),
            "job_outcome": outcome.astype(np.int8),
            "months_in_work_after_outcome": np.round(months, 3),
            "true_p0": p0,
            "true_pmax": pmax,
            "true_k": k,
            "true_exit_hazard": h,
        }
    )
    if observable:
        frame["true_p_observable"] = observable_probability(latent, tariff, mu, params)
    frame["person_id"] = frame["person_id"].astype(str)
    return frame
