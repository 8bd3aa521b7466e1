"""Fit the generator to the Work Programme's published figures: the *fitted* targets only.

What the fit may tune to (``targets`` of ``pbr_fairness/data/generator.yaml``), and what it
tunes:

- the two-year job-outcome rate of each payment group (Learning and Work Institute 2018, S) —
  the group intercepts of the latent index, one per group, solved together by a secant search
  on the log-odds scale (groups interact only through a binding capacity);
- planned provider spend per ESA participant of GBP 630 under ``work_programme_2011`` with the
  realised outcome rates (NAO 2014, P) — the hours of regular contact in the minimum service,
  solved in closed form (contact costs adviser time but changes no decision);
- planned spend per JSA participant above that per ESA participant (NAO 2014: support for the
  hardest to help was "lower than for those with better employment prospects") — kept as it
  is when the scenario's starting values meet it; otherwise the disability factor of the
  responsiveness (how much less each hour buys for a person with a work-limiting condition,
  the lever closest to ESA claimants) is lowered until JSA spend is at least GBP 5 above ESA's.

It never reads the *held-out* figures (``pbr_fairness/data/heldout.yaml``, computed by
:mod:`pbr_fairness.simulation.heldout`): a test fails if it does.

Run ``python -m pbr_fairness.caseload.calibration [--response NAME | --all]`` to refit and
rewrite the ``calibrated`` section of the parameter file; it prints the fitted table. With
``--targets my_targets.yaml --params-out my_generator.yaml`` it fits a copy of the parameter
file to your own figures instead (``make_caseload(..., params=load_generator_parameters(
"my_generator.yaml"))`` then generates from it).
"""

from __future__ import annotations

import argparse
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from numpy.typing import NDArray

from pbr_fairness.caseload import schema
from pbr_fairness.caseload.generator import (
    RESPONSE_SCENARIOS,
    _characteristics,
    _latent_index,
    _truth,
    historic_provider,
    historic_tariff,
    historic_values,
    response_scenario,
    with_response,
)
from pbr_fairness.caseload.parameters import (
    DEFAULT_PARAMETER_FILE,
    load_generator_parameters,
    value,
)
from pbr_fairness.engine.curve import response
from pbr_fairness.engine.planner import planner_weights
from pbr_fairness.engine.population import Breakdown, Population, decile_codes, fractional_rank
from pbr_fairness.engine.response import respond_by_provider
from pbr_fairness.maths import logit

__all__ = [
    "ESA_GROUPS",
    "FIT_SEED",
    "JSA_GROUPS",
    "Fit",
    "FitDraws",
    "RegimeOutcome",
    "calibrate",
    "calibration_table",
    "draw_fit_caseload",
    "fit_population",
    "regime_outcome",
    "with_targets",
    "write_calibration",
]

logger = logging.getLogger(__name__)

#: Seed of the caseload the generator is fitted on (not the one it is checked on).
FIT_SEED = 20110601
#: Payment groups of ESA claimants and of JSA claimants (NAO 2014's two spend figures).
ESA_GROUPS: tuple[str, ...] = ("PG5", "PG6", "PG7")
JSA_GROUPS: tuple[str, ...] = ("PG1", "PG2", "PG3", "PG4", "PG9")
#: Providers the fitting caseload is split between (as the default caseload).
FIT_PROVIDERS = 4


@dataclass(frozen=True, eq=False)
class FitDraws:
    """Characteristics and latent draws of the fitting caseload (fixed during the fit)."""

    base: NDArray[np.float64]  # latent index without the group intercepts
    group: NDArray[np.int64]
    u: NDArray[np.float64]
    z_delta: NDArray[np.float64]
    z_k: NDArray[np.float64]
    disability: NDArray[np.bool_]
    homeless: NDArray[np.bool_]
    provider: NDArray[np.int64]
    n_providers: int
    tariffs: dict[str, dict[str, NDArray[np.float64]]] = field(default_factory=dict, repr=False)

    def tariff(self, preset: str) -> dict[str, NDArray[np.float64]]:
        """Return the historic tariff per person (built once per preset)."""
        if preset not in self.tariffs:
            self.tariffs[preset] = historic_tariff(self.group, preset)
        return self.tariffs[preset]


def draw_fit_caseload(
    params: dict[str, Any], *, n: int, seed: int, providers: int = FIT_PROVIDERS
) -> FitDraws:
    """Draw the fitting caseload's characteristics and latent terms once."""
    rng = np.random.default_rng(seed)
    fitted = dict(params.get("calibrated", {}))
    zero = {"intercepts": dict.fromkeys(schema.PAYMENT_GROUPS, 0.0)}
    name = response_scenario(params)["name"]
    cols, g = _characteristics(n, rng, params)
    base = _latent_index(cols, {**params, "calibrated": {**fitted, name: zero}})
    u, z_d, z_k = rng.standard_normal((3, n))
    provider = rng.integers(0, providers, size=n)
    return FitDraws(base, g, u, z_d, z_k, cols["disability"], cols["homeless"], provider,
                    int(providers))


@dataclass(frozen=True)
class RegimeOutcome:
    """What the historic regime does on the fitting caseload at given intercepts."""

    rate: NDArray[np.float64]  # job-outcome rate per payment group
    hours: NDArray[np.float64]  # support hours per person
    capacity_binds: NDArray[np.bool_]  # per provider
    p0: NDArray[np.float64]
    p: NDArray[np.float64]
    gain: NDArray[np.float64]
    k: NDArray[np.float64]


def regime_outcome(
    draws: FitDraws, intercepts: NDArray[np.float64], params: dict[str, Any]
) -> RegimeOutcome:
    """Simulate the historic regime (the engine's provider) on the fitting caseload."""
    p0, pmax, k, h = _truth(
        draws.base + intercepts[draws.group],
        draws.u,
        draws.z_delta,
        draws.z_k,
        draws.disability,
        draws.homeless,
        params,
    )
    tariff = draws.tariff(params["historic_regime"]["tariff"])
    v = historic_values(tariff, h, params)
    settings = historic_provider(params)
    r = respond_by_provider(
        [v],
        [pmax - p0],
        [k],
        [[np.flatnonzero(draws.provider == j)] for j in range(draws.n_providers)],
        cost=settings.cost_per_hour,
        capacity_hours=settings.capacity_hours,
        minimum=settings.minimum_hours,
    )
    hours = r.hours[0]
    p = response(hours, p0, pmax, k)
    n_groups = len(schema.PAYMENT_GROUPS)
    counts = np.bincount(draws.group, minlength=n_groups)
    rate = np.bincount(draws.group, weights=p, minlength=n_groups) / np.maximum(counts, 1)
    return RegimeOutcome(rate, hours, r.capacity_binds, p0, p, pmax - p0, k)


def fit_population(
    draws: FitDraws, params: dict[str, Any], intercepts: NDArray[np.float64]
) -> Population:
    """Return the fitting caseload as the engine's arrays at given intercepts (no table).

    The provider knows each person's chances; breakdowns: payment group, decile of ``p0`` and
    provider. The uncertainty analysis evaluates contracts on it directly.
    """
    p0, pmax, k, h = _truth(
        draws.base + intercepts[draws.group],
        draws.u,
        draws.z_delta,
        draws.z_k,
        draws.disability,
        draws.homeless,
        params,
    )
    pmax = np.maximum(pmax, p0)
    labels = tuple(schema.PAYMENT_GROUPS)
    deciles = tuple(f"D{i}" for i in range(1, 11))
    providers = tuple(f"P{j + 1}" for j in range(draws.n_providers))
    n = p0.size
    return Population(
        person_id=np.arange(n),
        payment_group=np.asarray(labels, dtype=object)[draws.group],
        p0=p0,
        pmax=pmax,
        k=k,
        h=h,
        perceived_p0=p0,
        perceived_gain=pmax - p0,
        weights=planner_weights(p0),
        predicted=None,
        rank_p0=fractional_rank(p0),
        provider_index=tuple(np.flatnonzero(draws.provider == j) for j in range(len(providers))),
        breakdowns={
            "payment_group": Breakdown("payment_group", draws.group.astype(np.int64), labels),
            "decile_true_p0": Breakdown("decile_true_p0", decile_codes(p0), deciles),
            "provider": Breakdown("provider", draws.provider.astype(np.int64), providers),
        },
    )


#: The group intercepts the fit may try (logit of p0's base): beyond them a target is out of
#: reach of the scenario (a no-support chance below 1 in 100,000, or above 99.9%).
INTERCEPT_BOUNDS: tuple[float, float] = (-12.0, 7.0)


def _fit_intercepts(
    draws: FitDraws, params: dict[str, Any], start: NDArray[np.float64], tol: float
) -> tuple[NDArray[np.float64], RegimeOutcome]:
    """Secant search per group on the log-odds of the outcome rate, all groups at once."""
    targets = np.array([value(params["targets"][g]) for g in schema.PAYMENT_GROUPS])
    present = np.bincount(draws.group, minlength=targets.size) > 0
    c = np.clip(start.astype(float), *INTERCEPT_BOUNDS)
    out = regime_outcome(draws, c, params)
    err = logit(out.rate) - logit(targets)
    slope = np.full(c.size, 0.9)  # d logit(rate) / d intercept: a little below 1 (support)
    lo, hi = INTERCEPT_BOUNDS
    for _ in range(60):
        # a group whose target is out of reach (its intercept at a bound and the error still
        # pushing it out) stops moving: the fit then reports the target as missed
        stuck = ((c <= lo) & (err > 0)) | ((c >= hi) & (err < 0))
        active = present & ~stuck
        if np.all(np.abs(out.rate - targets)[active] < tol):
            break
        step = np.where(active, -err / slope, 0.0)
        c_new = np.clip(c + np.clip(step, -3.0, 3.0), lo, hi)
        new = regime_outcome(draws, c_new, params)
        err_new = logit(new.rate) - logit(targets)
        moved = np.abs(c_new - c) > 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            est = (err_new - err) / (c_new - c)
        slope = np.where(moved & np.isfinite(est) & (est > 0.05), est, slope)
        c, out, err = c_new, new, err_new
    return c, out


@dataclass(frozen=True)
class Fit:
    """The fitted values of one response scenario and the table of fitted targets."""

    response: str
    intercepts: dict[str, float]
    contact_hours: float
    table: pd.DataFrame = field(repr=False)
    spend_esa: float
    spend_jsa: float
    capacity_binds: tuple[bool, ...]
    k_disability_factor: float | None = None

    @property
    def fits_targets(self) -> bool:
        """Whether every fitted target is met (rates within 1.5 points, spend within 10%)."""
        rates = self.table[self.table["target"].str.startswith("job-outcome rate")]
        spend = self.table.set_index("target").loc["planned spend per ESA participant (GBP)"]
        return bool(
            (rates["model"] - rates["published"]).abs().max() <= 0.015
            and abs(spend["model"] - spend["published"]) <= 0.1 * spend["published"]
            and self.spend_jsa > self.spend_esa
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the values written to the parameter file."""
        out: dict[str, Any] = {
            "intercepts": dict(self.intercepts),
            "contact_hours": float(self.contact_hours),
        }
        if self.k_disability_factor is not None:
            out["k_disability_factor"] = float(self.k_disability_factor)
        return out


def calibrate(
    params: dict[str, Any] | None = None,
    *,
    response: str | None = None,
    n: int = 400_000,
    seed: int = FIT_SEED,
    tol: float = 2e-4,
    draws: FitDraws | None = None,
    warm_start: bool = True,
) -> Fit:
    """Fit a response scenario's intercepts and contact hours to the fitted targets.

    Parameters
    ----------
    params : dict, optional
        Generator parameters (default: the shipped file).
    response : str, optional
        The response scenario (default: the file's).
    n : int, default 400000
        Size of the fitting caseload.
    seed : int
        Seed of the fitting caseload.
    tol : float, default 2e-4
        Largest error in a group's outcome rate.
    draws : FitDraws, optional
        A fitting caseload already drawn (the uncertainty analysis re-uses one).
    warm_start : bool, default True
        Start from the parameter file's fitted intercepts (else from zero).

    Returns
    -------
    Fit
    """
    params = with_response(params or load_generator_parameters(), response)
    name = response_scenario(params)["name"]
    if draws is None:
        draws = draw_fit_caseload(params, n=n, seed=seed)
    previous = params.get("calibrated", {}).get(name, {}).get("intercepts", {})
    start = np.array(
        [float(previous.get(g, 0.0)) if warm_start else 0.0 for g in schema.PAYMENT_GROUPS]
    )
    names = np.asarray(schema.PAYMENT_GROUPS)[draws.group]
    esa, jsa = np.isin(names, ESA_GROUPS), np.isin(names, JSA_GROUPS)
    # Start from the scenario's own value, not an earlier fit's.
    params = _with_disability_factor(params, None)
    c, out = _fit_intercepts(draws, params, start, tol)
    factor = None
    targets = np.array([value(params["targets"][g]) for g in schema.PAYMENT_GROUPS])
    present = np.bincount(draws.group, minlength=targets.size) > 0
    reached = bool(np.all(np.abs(out.rate - targets)[present] <= 0.015))
    if (
        reached
        and "k_disability_factor" in response_scenario(params)
        and not _jsa_above_esa(out, esa, jsa)
    ):
        factor, c, out, params = _fit_disability_factor(draws, params, c, tol, esa, jsa)
    provider = historic_provider(params)
    target_spend = value(params["targets"]["spend_per_esa_participant"])
    # F + c (contact + mean support hours of ESA participants) = target: contact in closed form
    contact = (
        (target_spend - provider.fixed_cost_per_person) / provider.cost_per_hour
        - float(out.hours[esa].mean())
    )
    contact = max(contact, 0.0)
    fitted = provider.replace(contact_hours=contact)
    spend = fitted.cost_per_person(out.hours)
    table = _fit_table(params, out, float(spend[esa].mean()), float(spend[jsa].mean()))
    return Fit(
        name,
        {g: round(float(x), 4) for g, x in zip(schema.PAYMENT_GROUPS, c, strict=True)},
        round(contact, 3),
        table,
        float(spend[esa].mean()),
        float(spend[jsa].mean()),
        tuple(bool(b) for b in out.capacity_binds),
        None if factor is None else round(factor, 4),
    )


#: Least amount (GBP) by which planned spend per JSA participant must exceed ESA's.
JSA_ABOVE_ESA_GBP = 5.0


def _jsa_above_esa(out: RegimeOutcome, esa: NDArray[np.bool_], jsa: NDArray[np.bool_]) -> bool:
    # contact hours and the fixed cost are the same for everyone: only support hours differ
    return bool(out.hours[jsa].mean() - out.hours[esa].mean() > 0)


def _with_disability_factor(params: dict[str, Any], factor: float | None) -> dict[str, Any]:
    """Parameters with the scenario's fitted disability factor set (``None``: none fitted)."""
    name = response_scenario(params)["name"]
    fitted = {k: v for k, v in params.get("calibrated", {}).get(name, {}).items()
              if k != "k_disability_factor"}
    if factor is not None:
        fitted["k_disability_factor"] = float(factor)
    return {**params, "calibrated": {**params.get("calibrated", {}), name: fitted}}


def _fit_disability_factor(
    draws: FitDraws,
    params: dict[str, Any],
    c: NDArray[np.float64],
    tol: float,
    esa: NDArray[np.bool_],
    jsa: NDArray[np.bool_],
) -> tuple[float, NDArray[np.float64], RegimeOutcome, dict[str, Any]]:
    """Lower the disability factor until JSA spend is GBP 5 above ESA's (bisection)."""
    cost = historic_provider(params).cost_per_hour
    hi = float(value(response_scenario(params)["k_disability_factor"]))
    lo = 0.02

    def gap(factor: float) -> tuple[float, NDArray[np.float64], RegimeOutcome, dict[str, Any]]:
        p = _with_disability_factor(params, factor)
        cc, out = _fit_intercepts(draws, p, c, tol)
        diff = cost * (out.hours[jsa].mean() - out.hours[esa].mean()) - JSA_ABOVE_ESA_GBP
        return float(diff), cc, out, p

    best = gap(lo)
    if best[0] < 0:
        logger.warning("no disability factor puts JSA spend above ESA spend")
        return lo, best[1], best[2], best[3]
    for _ in range(8):  # the factor to within 0.4% of its range
        mid = 0.5 * (lo + hi)
        trial = gap(mid)
        if trial[0] >= 0:
            lo, best = mid, trial
        else:
            hi = mid
    return lo, best[1], best[2], best[3]


def _fit_table(
    params: dict[str, Any], out: RegimeOutcome, spend_esa: float, spend_jsa: float
) -> pd.DataFrame:
    rows = [
        {
            "target": f"job-outcome rate {g}",
            "published": value(params["targets"][g]),
            "model": float(out.rate[i]),
            "source": _source(params["targets"][g]),
        }
        for i, g in enumerate(schema.PAYMENT_GROUPS)
    ]
    t = params["targets"]["spend_per_esa_participant"]
    rows.append(
        {
            "target": "planned spend per ESA participant (GBP)",
            "published": value(t),
            "model": spend_esa,
            "source": _source(t),
        }
    )
    rows.append(
        {
            "target": "planned spend per JSA participant above ESA (GBP)",
            "published": np.nan,
            "model": spend_jsa - spend_esa,
            "source": _source(params["targets"]["spend_jsa_above_esa"]),
        }
    )
    return pd.DataFrame(rows)


def _source(entry: Any) -> str:
    if isinstance(entry, dict):
        return str(entry.get("source") or entry.get("estimate") or "")
    return ""


def calibration_table(frame: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Targets against what a caseload achieves, by payment group.

    Parameters
    ----------
    frame : pandas.DataFrame
        A synthetic caseload (with ``true_*`` columns).
    params : dict, optional
        Generator parameters holding the targets.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, n, share, target_outcome_rate, outcome_rate, expected_outcome_rate,
        no_support_rate``.
    """
    params = params or load_generator_parameters()
    targets = params["targets"]
    p = response(frame["support_hours"], frame["true_p0"], frame["true_pmax"], frame["true_k"])
    data = frame.assign(_p=p)
    rows = []
    for name in [*schema.PAYMENT_GROUPS, "ALL"]:
        part = data if name == "ALL" else data[data["payment_group"] == name]
        rows.append(
            {
                "group": name,
                "n": len(part),
                "share": len(part) / len(data),
                "target_outcome_rate": value(targets[name]),
                "outcome_rate": float(part["job_outcome"].mean()),
                "expected_outcome_rate": float(part["_p"].mean()),
                "no_support_rate": float(part["true_p0"].mean()),
            }
        )
    return pd.DataFrame(rows)


def write_calibration(fits: list[Fit], path: str | Path = DEFAULT_PARAMETER_FILE) -> None:
    """Rewrite the fitted lines of a generator parameter file in place.

    Each scenario's ``calibrated.<name>`` line; for the default scenario also the value of
    ``historic_regime.contact_hours`` (the provider's default).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    default = load_generator_parameters(path)["response"]["scenario"]
    for fit in fits:
        body = ", ".join(f"{k}: {v:.4f}" for k, v in fit.intercepts.items())
        contact = f"contact_hours: {fit.contact_hours:.3f}"
        if fit.k_disability_factor is not None:
            contact += f", k_disability_factor: {fit.k_disability_factor:.4f}"
        line = f"  {fit.response}: {{intercepts: {{{body}}}, {contact}}}"
        pattern = rf"(?m)^  {re.escape(fit.response)}: \{{intercepts: .*\}}$"
        text, count = re.subn(pattern, line, text)
        if count != 1:
            raise ValueError(f"{path}: expected one calibrated line for {fit.response!r}")
        if fit.response == default:
            text, count = re.subn(
                r"(?m)^(  contact_hours: \{value: )[0-9.]+",
                rf"\g<1>{fit.contact_hours:.3f}",
                text,
            )
            if count != 1:
                raise ValueError(f"{path}: expected one historic_regime contact_hours line")
    path.write_text(text, encoding="utf-8")


def with_targets(params: dict[str, Any], targets: dict[str, Any]) -> dict[str, Any]:
    """Return the parameters with some fitted targets replaced (a user's own figures).

    ``targets`` maps target keys of the parameter file (``PG1`` .. ``PG9``,
    ``spend_per_esa_participant``) to a number or to ``{value: ..., source: ...}``.

    Raises
    ------
    ValueError
        For an unknown key or a value out of range.
    """
    known = set(params["targets"])
    bad = [k for k in targets if k not in known]
    if bad:
        raise ValueError(f"unknown targets {bad}; known: {', '.join(sorted(known))}")
    out = {**params, "targets": dict(params["targets"])}
    for key, entry in targets.items():
        v = value(entry)
        ok = isinstance(v, int | float) and (
            0 < v < 1 if key.startswith("PG") or key == "ALL" else v > 0
        )
        if not ok:
            raise ValueError(f"target {key}: {v!r} is out of range")
        source = entry.get("source", "user's figure") if isinstance(entry, dict) else (
            "user's figure"
        )
        out["targets"][key] = {"value": float(v), "source": source}
    return out


def main(argv: list[str] | None = None) -> None:
    """Refit, write the fitted values and print the fitted tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400_000, help="size of the fitting caseload")
    parser.add_argument("--response", choices=RESPONSE_SCENARIOS, help="one response scenario")
    parser.add_argument("--all", action="store_true", help="every response scenario")
    parser.add_argument("--dry-run", action="store_true", help="do not write a parameter file")
    parser.add_argument("--targets", type=Path, help="YAML of your own fitted targets")
    parser.add_argument(
        "--params-out",
        type=Path,
        help="write a new parameter file here (default: rewrite the shipped one; required "
        "with --targets, so that the shipped calibration is never overwritten by accident)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    params = load_generator_parameters()
    if args.targets is not None:
        if args.params_out is None and not args.dry_run:
            parser.error("--targets needs --params-out FILE (or --dry-run)")
        params = with_targets(params, yaml.safe_load(args.targets.read_text(encoding="utf-8")))
    names = list(RESPONSE_SCENARIOS) if args.all else [args.response or None]
    fits = [calibrate(params, response=name, n=args.n) for name in names]
    if not args.dry_run:
        path = DEFAULT_PARAMETER_FILE
        if args.params_out is not None:
            text = DEFAULT_PARAMETER_FILE.read_text(encoding="utf-8")
            if args.targets is not None:
                text += "\n# Fitted to the targets of " + str(args.targets) + "\n"
            args.params_out.write_text(text, encoding="utf-8")
            path = args.params_out
            _write_targets(path, params["targets"])
        write_calibration(fits, path)
    pd.set_option("display.width", 160)
    for fit in fits:
        print(f"\n== response scenario {fit.response}: contact hours {fit.contact_hours:.2f}, "
              f"capacity binds {fit.capacity_binds}")
        print(fit.table.round(4).to_string(index=False))


def _write_targets(path: Path, targets: dict[str, Any]) -> None:
    """Replace the job-outcome and spend targets in a copied parameter file."""
    text = path.read_text(encoding="utf-8")
    for key, entry in targets.items():
        if not isinstance(entry, dict) or "value" not in entry or isinstance(entry["value"], bool):
            continue
        line = f'  {key}: {{value: {entry["value"]}, source: "{entry.get("source", "")}"}}'
        pattern = rf"(?m)^  {re.escape(key)}: \{{value: .*$"
        text = re.sub(pattern, line.replace("\\", "\\\\"), text, count=1)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()
