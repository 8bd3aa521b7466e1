"""What each instrument family of a contract pays, on an evaluated caseload.

The engine's :class:`~pbr_fairness.engine.evaluation.Evaluation` carries the instruments'
expected payments per person as one sum (``instrument_payment``) and the pay for verified
hours as another (``reimbursement``); both are in the government spend and the provider's
revenue. :func:`payments_by_family` splits them by family for reporting, by laying each
family out on the primes on its own with the engine's
:class:`~pbr_fairness.engine.instruments.InstrumentPlan` (the families add up: the plan sums
them), so that no formula is written twice.
"""

from __future__ import annotations

import numpy as np

from pbr_fairness.contracts.terms import ContractTerms
from pbr_fairness.engine.equilibrium import prime_codes
from pbr_fairness.engine.evaluation import Evaluation
from pbr_fairness.engine.instruments import InstrumentPlan, Instruments
from pbr_fairness.engine.population import Population

__all__ = ["payments_by_family"]


def payments_by_family(
    population: Population, evaluation: Evaluation, terms: ContractTerms, cost_per_hour: float
) -> dict[str, float]:
    """Return the expected payment of each instrument family used (pounds, undiscounted).

    Parameters
    ----------
    population : Population
        The caseload's arrays.
    evaluation : Evaluation
        The provider's response to the contract (:func:`~pbr_fairness.engine.evaluate` with
        ``terms.instruments``).
    terms : ContractTerms
        The contract priced on the caseload (:meth:`~pbr_fairness.contracts.Contract.terms`).
    cost_per_hour : float
        The provider's cost of an hour (what a reimbursed hour is paid).

    Returns
    -------
    dict of str to float
        Family (:data:`~pbr_fairness.contracts.spec.INSTRUMENT_FAMILIES`) to its expected
        total: attachment fees of the referral year, delivery fees, value-added, accelerator
        and yardstick payments (the commissioner's), the market-share shift (its value to the
        primes, *not* a government payment), cost-sharing and funded-hours reimbursements.
        Empty without instruments.
    """
    out: dict[str, float] = {}
    fams = terms.families
    if "attachment_by_year" in fams and terms.attachment is not None:
        out["attachment_by_year"] = float(terms.attachment.sum())
    if "delivery_fee" in fams:
        out["delivery_fee"] = float(terms.delivery_fee * population.n)
    inst, ev = terms.instruments, evaluation
    if inst is None:
        return out
    prime, n_primes = prime_codes(population), len(population.provider_index)

    def plan(**arrays: object) -> InstrumentPlan:
        return InstrumentPlan.build(Instruments(**arrays), prime, n_primes)  # type: ignore[arg-type]

    if inst.has_value_added:
        out["value_added"] = _total(
            plan(
                value_added_rate=inst.value_added_rate,
                benchmark=inst.benchmark,
                value_added_cell=inst.value_added_cell,
                value_added_floor=inst.value_added_floor,
            ).expected(ev.p)
        )
    if inst.has_accelerator:
        out["accelerator"] = _total(
            plan(
                accelerator_cell=inst.accelerator_cell,
                accelerator_level=inst.accelerator_level,
                accelerator_low=inst.accelerator_low,
                accelerator_high=inst.accelerator_high,
            ).expected(ev.p)
        )
    if inst.yardstick_rate is not None:
        out["yardstick"] = _total(
            plan(yardstick_rate=inst.yardstick_rate, yardstick_cell=inst.yardstick_cell).expected(
                ev.p
            )
        )
    if inst.share_shift_value is not None:
        out["market_share_shift"] = _total(
            plan(
                yardstick_cell=inst.yardstick_cell, share_shift_value=inst.share_shift_value
            ).future_value(ev.p)
        )
    funded = 0.0
    if inst.funded_hours is not None:
        funded = _total(plan(funded_hours=inst.funded_hours).reimbursement(ev.hours, cost_per_hour))
    if inst.cost_share is not None and ev.reimbursement is not None:
        out["cost_sharing"] = _total(ev.reimbursement) - funded
    if inst.funded_hours is not None:
        out["funded_hours"] = funded
    return out


def _total(x: np.ndarray) -> float:
    return float(np.sum(x))
