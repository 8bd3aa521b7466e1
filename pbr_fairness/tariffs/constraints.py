"""What a proposed tariff must respect (issue 5, point 3)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from pbr_fairness.errors import InputError, Problem, show_value
from pbr_fairness.limits import MAX_BUDGET_GBP, MAX_FEE_GBP, MAX_FEE_RATIO

__all__ = ["CAPPED_BREAKDOWNS", "OBJECTIVES", "TariffConstraints"]

#: Objectives the optimiser can pursue (every run reports every measure either way).
OBJECTIVES: dict[str, str] = {
    "equity_weighted_jobs": "Most equity-weighted additional jobs",
    "planner_gap": "Come as close as possible to the planner's allocation",
}

#: Breakdowns whose groups the parked-share cap applies to by default.
CAPPED_BREAKDOWNS: tuple[str, ...] = ("decile_true_p0", "payment_group")


@dataclass(frozen=True)
class TariffConstraints:
    """Constraints on a proposed tariff.

    Parameters
    ----------
    budget : float, optional
        Most expected government spend (pounds). Default: ``budget_share`` times the
        baseline contract's spend on the same caseload.
    budget_share : float, default 1.0
        Used when ``budget`` is not given.
    min_profit : float, default 0.0
        Least provider profit (payments minus the cost of the hours), pounds.
    max_parked_share : float or None, default 0.05
        Most parked share in any decile of distance (true ``p0``) or payment group; ``None``
        for no cap. When no tariff within the budget meets it, the optimiser reaches the
        smallest worst parked share it can and says so.
    capped : tuple of str
        Breakdowns the cap applies to (default deciles of true ``p0`` and payment groups).
    monotone : bool, default False
        Outcome fees never fall as distance from work rises.
    max_fee_ratio : float or None, default None
        Most ratio of the highest to the lowest outcome-fee factor.
    attachment_fee : float, default 0.0
        Attachment fee per person (pounds). It buys no effort in this model, so the default
        frees the budget for outcome fees; it is raised only to keep ``min_profit``.
    min_equity_jobs_share : float or None, default 1.0
        Equity-weighted additional jobs at least this share of the baseline's (``None``: no
        floor). Parking is reduced only as far as this allows.
    min_additional_jobs_share : float or None, default 0.9
        Additional jobs at least this share of the baseline's (``None``: no floor).
    priority_deciles : tuple of int, default (0, 1, 2, 3, 4)
        Deciles of true ``p0`` (0 = furthest from work) whose worst parked share is minimised
        first; the other capped groups are held within the cap. Empty: every capped group
        counts the same.

    Examples
    --------
    >>> TariffConstraints(max_parked_share=0.1).monotone
    False
    """

    budget: float | None = None
    budget_share: float = 1.0
    min_profit: float = 0.0
    max_parked_share: float | None = 0.05
    capped: tuple[str, ...] = CAPPED_BREAKDOWNS
    monotone: bool = False
    max_fee_ratio: float | None = None
    attachment_fee: float = 0.0
    min_equity_jobs_share: float | None = 1.0
    min_additional_jobs_share: float | None = 0.9
    priority_deciles: tuple[int, ...] = (0, 1, 2, 3, 4)

    def __post_init__(self) -> None:
        problems = []

        def bad(value: Any, low: float, high: float = math.inf) -> bool:
            return not (
                isinstance(value, int | float) and math.isfinite(value) and low <= value <= high
            )

        if self.budget is not None and (bad(self.budget, 0.0, MAX_BUDGET_GBP) or self.budget == 0):
            problems.append(Problem(f"must be a number > 0 and <= {MAX_BUDGET_GBP:g}, got"
                                    f" {show_value(self.budget)}", column="budget"))
        if bad(self.budget_share, 0.0, 100.0) or self.budget_share == 0:
            problems.append(
                Problem(f"must be > 0 and <= 100, got {show_value(self.budget_share)}",
                        column="budget_share")
            )
        if bad(self.min_profit, -MAX_BUDGET_GBP, MAX_BUDGET_GBP):
            problems.append(Problem(f"must be a number from {-MAX_BUDGET_GBP:g} to"
                                    f" {MAX_BUDGET_GBP:g}, got {show_value(self.min_profit)}",
                                    column="min_profit"))
        if self.max_parked_share is not None and bad(self.max_parked_share, 0.0, 1.0):
            problems.append(
                Problem(
                    f"must be in [0, 1] or None, got {show_value(self.max_parked_share)}",
                    column="max_parked_share",
                )
            )
        if self.max_fee_ratio is not None and bad(self.max_fee_ratio, 1.0, MAX_FEE_RATIO):
            problems.append(
                Problem(f"must be from 1 to {MAX_FEE_RATIO:g}, or None, got"
                        f" {show_value(self.max_fee_ratio)}", column="max_fee_ratio")
            )
        if bad(self.attachment_fee, 0.0, MAX_FEE_GBP):
            problems.append(Problem("must be a number >= 0", column="attachment_fee"))
        for key in ("min_equity_jobs_share", "min_additional_jobs_share"):
            v = getattr(self, key)
            if v is not None and bad(v, 0.0, 10.0):
                problems.append(Problem(f"must be in [0, 10] or None, got {show_value(v)}",
                                        column=key))
        if any(not isinstance(d, int) or not 0 <= d <= 9 for d in self.priority_deciles):
            problems.append(
                Problem(
                    "must be whole numbers 0..9 (deciles of true p0)", column="priority_deciles"
                )
            )
        allowed = ("decile_true_p0", "decile_predicted", "payment_group", "provider")
        for c in self.capped:
            if c not in allowed:
                problems.append(
                    Problem(
                        f"unknown breakdown {c!r}; allowed: {', '.join(allowed)}", column="capped"
                    )
                )
        if problems:
            raise InputError(problems, source="tariff constraints")

    def budget_for(self, baseline_spend: float) -> float:
        """Return the budget in pounds given the baseline's expected spend."""
        return float(self.budget) if self.budget is not None else self.budget_share * baseline_spend

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON)."""
        d = asdict(self)
        d["capped"] = list(self.capped)
        d["priority_deciles"] = list(self.priority_deciles)
        return d
