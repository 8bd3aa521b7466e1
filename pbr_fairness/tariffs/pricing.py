"""What leaving sex and ethnicity out of the pricing model costs: one optimisation, priced twice.

:func:`pricing_choice_cost` runs :func:`~pbr_fairness.tariffs.optimise_tariff` on one caseload
with the same settings and seed, once priced on the pricing model (``pricing_features=
"lawful"``: no sex, no ethnicity) and once on the full model (``"all"``, the opt-in, which
warns), and reports the difference in the worst parked share of the lower half, equity-weighted
additional jobs, additional jobs and spend, with the parked shares by sex and ethnicity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from pbr_fairness.contracts import Contract
from pbr_fairness.engine.prediction import ProviderKnows
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.simulation import ProviderSettings
from pbr_fairness.tariffs.measures import TARGET_MEASURE
from pbr_fairness.tariffs.optimise import optimise_tariff
from pbr_fairness.tariffs.prediction import PricingFeatures
from pbr_fairness.tariffs.result import TariffResult

__all__ = ["COST_MEASURES", "GROUP_BREAKDOWNS", "PricingChoiceCost", "pricing_choice_cost"]

#: The measures compared, in order.
COST_MEASURES: tuple[str, ...] = (
    TARGET_MEASURE,
    "equity_weighted_additional_jobs",
    "additional_jobs",
    "government_spend",
    "parked_share",
    "provider_margin",
)
#: Breakdowns whose parked shares are compared (the two characteristics left out).
GROUP_BREAKDOWNS: tuple[str, ...] = ("sex", "ethnicity")

_LABELS = {
    TARGET_MEASURE: "worst parked share, lower half",
    "equity_weighted_additional_jobs": "equity-weighted additional jobs",
    "additional_jobs": "additional jobs",
    "government_spend": "government spend (GBP)",
    "parked_share": "parked share, everyone",
    "provider_margin": "provider margin",
}


@dataclass(frozen=True)
class PricingChoiceCost:
    """The same tariff optimisation priced on the pricing model and on the full model.

    Attributes
    ----------
    lawful : TariffResult
        Priced on the pricing model (no sex, no ethnicity).
    full : TariffResult
        Priced on the full model (every characteristic; the opt-in).
    provider_knows : str
        What the provider knew.
    basis : str
        What fees depend on.
    """

    lawful: TariffResult
    full: TariffResult
    provider_knows: str
    basis: str

    def table(self) -> pd.DataFrame:
        """Return one row per measure of :data:`COST_MEASURES`.

        Columns: ``baseline_lawful``, ``baseline_all`` (the baseline contract with each
        prediction: they differ only when the provider knows the model's prediction),
        ``lawful``, ``all`` (the proposals) and ``difference`` (``lawful - all``: what
        leaving sex and ethnicity out costs; for parking, a positive difference is more
        parking), ``lawful_vs_baseline`` and ``all_vs_baseline`` (ratios).
        """
        lb, fb = self.lawful.baseline_measures, self.full.baseline_measures
        lp, fp = self.lawful.proposed_measures, self.full.proposed_measures
        rows = []
        for m in COST_MEASURES:
            rows.append(
                {
                    "measure": m,
                    "baseline_lawful": lb[m],
                    "baseline_all": fb[m],
                    "lawful": lp[m],
                    "all": fp[m],
                    "difference": lp[m] - fp[m],
                    "lawful_vs_baseline": lp[m] / lb[m] if lb[m] else float("nan"),
                    "all_vs_baseline": fp[m] / fb[m] if fb[m] else float("nan"),
                }
            )
        return pd.DataFrame(rows).set_index("measure")

    def by_group(self) -> pd.DataFrame:
        """Return the parked share by sex and by ethnicity under each pricing.

        Columns: ``breakdown, group, baseline_lawful, baseline_all, lawful, all,
        difference`` (``lawful - all``).
        """
        frames = []
        for bd in GROUP_BREAKDOWNS:
            cols = {
                "baseline_lawful": self.lawful.before.by(bd)["parked_share"],
                "baseline_all": self.full.before.by(bd)["parked_share"],
                "lawful": self.lawful.after.by(bd)["parked_share"],
                "all": self.full.after.by(bd)["parked_share"],
            }
            t = pd.DataFrame(cols)
            t["difference"] = t["lawful"] - t["all"]
            t.insert(0, "breakdown", bd)
            frames.append(t.rename_axis("group").reset_index())
        return pd.concat(frames, ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        """Return a tidy table: ``pricing, contract, breakdown, group, measure, value``."""
        rows = []
        for pricing, res in (("lawful", self.lawful), ("all", self.full)):
            for contract, m in (
                ("baseline", res.baseline_measures),
                ("proposed", res.proposed_measures),
            ):
                rows += [(pricing, contract, "overall", "all", k, m[k]) for k in COST_MEASURES]
            for contract, sim in (("baseline", res.before), ("proposed", res.after)):
                for bd in GROUP_BREAKDOWNS:
                    for g, v in sim.by(bd)["parked_share"].items():
                        rows.append((pricing, contract, bd, str(g), "parked_share", float(v)))
        return pd.DataFrame(
            rows, columns=["pricing", "contract", "breakdown", "group", "measure", "value"]
        )

    def summary(self) -> str:
        """Return the comparison as Markdown (measures, then parked shares by group)."""
        t = self.table()
        lines = [
            f"Pricing model choice: provider knows {self.provider_knows}, basis {self.basis}",
            "",
            "| measure | baseline (lawful prediction) | baseline (full prediction) |"
            " proposed, lawful pricing | proposed, full pricing | difference (lawful - full) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for m, r in t.iterrows():
            f = _fmt_share if m in (TARGET_MEASURE, "parked_share", "provider_margin") else _fmt
            lines.append(
                f"| {_LABELS[str(m)]} | {f(r['baseline_lawful'])} | {f(r['baseline_all'])} |"
                f" {f(r['lawful'])} | {f(r['all'])} | {f(r['difference'], sign=True)} |"
            )
        lines += [
            "",
            "| parked share | group | baseline (lawful) | baseline (full) | lawful | full |"
            " difference |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for _, r in self.by_group().iterrows():
            lines.append(
                f"| {r['breakdown']} | {r['group']} | {_fmt_share(r['baseline_lawful'])} |"
                f" {_fmt_share(r['baseline_all'])} | {_fmt_share(r['lawful'])} |"
                f" {_fmt_share(r['all'])} | {_fmt_share(r['difference'], sign=True)} |"
            )
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as JSON-ready data."""
        return {
            "provider_knows": self.provider_knows,
            "basis": self.basis,
            "measures": {
                str(m): {k: float(v) for k, v in r.items()} for m, r in self.table().iterrows()
            },
            "parked_share_by_group": self.by_group().to_dict(orient="records"),
        }


def _fmt(v: float, sign: bool = False) -> str:
    return f"{v:+,.1f}" if sign else f"{v:,.1f}"


def _fmt_share(v: float, sign: bool = False) -> str:
    if pd.isna(v):
        return ""
    return f"{100 * v:+.1f} pt" if sign else f"{100 * v:.1f}%"


def pricing_choice_cost(
    caseload: pd.DataFrame,
    baseline: Contract | str = "work_programme_2011",
    provider: ProviderSettings | None = None,
    *,
    provider_knows: ProviderKnows = "truth",
    basis: Literal["payment_group", "distance_band", "smooth"] = "distance_band",
    lawful_model: Any = None,
    full_model: Any = None,
    frontier_shares: Any = None,
    **options: Any,
) -> PricingChoiceCost:
    """Optimise a tariff priced without and with sex and ethnicity, and compare the two.

    Both runs are :func:`~pbr_fairness.tariffs.optimise_tariff` with the same caseload,
    baseline, provider, settings and seed; only the predictions differ. With
    ``provider_knows="model"`` the provider also sees that prediction (the simulator's
    convention), so the two runs differ in what the provider knows as well. The full-model
    run is the opt-in and warns (:class:`~pbr_fairness.tariffs.prediction.PricingFeaturesWarning`).

    Parameters
    ----------
    caseload : pandas.DataFrame
        A caseload with the truth columns.
    baseline : Contract or str, default "work_programme_2011"
        The contract to improve on.
    provider : ProviderSettings, optional
        The provider (default settings).
    provider_knows : {"truth", "model"}, default "truth"
        What the provider's estimate of each person's ``p0`` is based on.
    basis : {"distance_band", "smooth", "payment_group"}, default "distance_band"
        What fees depend on.
    lawful_model, full_model : DistanceModel or path, optional
        The two models (default the shipped ``models/pricing`` and ``models/default``).
    frontier_shares : sequence of float, optional
        The frontier's budgets (default none: the proposals do not depend on it).
    **options
        Any other keyword of :func:`~pbr_fairness.tariffs.optimise_tariff` (not
        ``predicted``, ``model`` or ``pricing_features``).

    Returns
    -------
    PricingChoiceCost

    Raises
    ------
    InputError
        For options that would make the two runs the same, or any mistake
        :func:`~pbr_fairness.tariffs.optimise_tariff` reports.

    Examples
    --------
    >>> import warnings
    >>> from pbr_fairness.caseload.generator import make_caseload
    >>> cl = make_caseload(2000, rng=3, providers=2)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     cost = pricing_choice_cost(cl, with_reference=False, structure="baseline")
    >>> list(cost.table().columns[:4])
    ['baseline_lawful', 'baseline_all', 'lawful', 'all']
    >>> sorted(set(cost.by_group()["breakdown"]))
    ['ethnicity', 'sex']
    """
    clash = sorted({"predicted", "model", "pricing_features"} & set(options))
    if clash:
        raise InputError(
            [
                Problem(
                    "not an option here: the two runs differ only in their predictions",
                    column=c,
                )
                for c in clash
            ],
            source="pricing_choice_cost",
        )
    runs: dict[str, TariffResult] = {}
    choices: tuple[tuple[PricingFeatures, Any], ...] = (
        ("lawful", lawful_model),
        ("all", full_model),
    )
    for choice, model in choices:
        runs[choice] = optimise_tariff(
            caseload,
            baseline,
            provider,
            basis=basis,
            provider_knows=provider_knows,
            model=model,
            pricing_features=choice,
            frontier_shares=frontier_shares,
            **options,
        )
    return PricingChoiceCost(
        lawful=runs["lawful"], full=runs["all"], provider_knows=provider_knows, basis=basis
    )
