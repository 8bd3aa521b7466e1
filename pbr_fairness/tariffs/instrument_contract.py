"""A proposal of the instrument search written out as a contract file.

:func:`design_contract` turns a :class:`~pbr_fairness.tariffs.instrument_designs.Design`
into a :class:`~pbr_fairness.contracts.Contract` in the contract language of
``docs/contracts.md``: the baseline's payment-group fees times the design's fee factor, the
attachment top-up added to every attachment fee, and an ``instruments`` section with the
design's families on ``distance_band`` cells cut where the search's bands are cut. Simulating
the written contract on the same caseload gives the search's result (tested in
``tests/test_instrument_contract.py``): the contract's terms (:mod:`pbr_fairness.contracts.
terms`) and the engine are the one home of what each instrument pays.

Every figure of the written file is labelled an estimate whose reason names the search that
chose it: these are proposals, not figures from a real contract.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import yaml

from pbr_fairness.contracts import Contract
from pbr_fairness.contracts.contract import contract_from_yaml, contract_to_yaml
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.tariffs.instrument_designs import (
    MAX_FACTOR,
    MAX_FEE_PER_OUTCOME,
    PROBABILITY_FLOOR,
    Design,
    DesignSpace,
)

__all__ = ["WRITABLE_FAMILIES", "band_cuts", "design_contract"]

#: Families a contract file can hold as the search lays them out. Fees on an independent
#: assessment shape the baseline's payment-group fees person by person, which the contract
#: language writes only as band or smooth fees: such a proposal is reported, not written.
WRITABLE_FAMILIES: tuple[str, ...] = (
    "value_added", "accelerator", "yardstick", "cost_sharing", "funded_hours",
)

_REASON = "chosen by pbr-fairness optimise --instruments (a proposal at equal expected spend)"


def _fig(value: float, unit: str, description: str) -> dict[str, Any]:
    return {
        "value": float(value),
        "unit": unit,
        "description": description,
        "confidence": "U",
        "estimate": True,
        "reason": _REASON,
    }


def band_cuts(space: DesignSpace) -> list[float]:
    """Interior cut-points on distance ``1 - q`` that cut the search's bands, increasing.

    Each cut lies halfway between the highest probability of one band and the lowest of the
    next, so :func:`~pbr_fairness.contracts.terms.distance_band_codes` gives every person the
    search's band (``band_1``, the furthest from work, is the search's band 0).

    Examples
    --------
    >>> import numpy as np
    >>> s = DesignSpace({}, np.array([0.1, 0.2, 0.6, 0.7]), np.zeros(4),
    ...                 np.array([0, 0, 1, 1]), 2)
    >>> band_cuts(s)
    [0.6]
    """
    q = space.predicted
    cuts = []
    for b in range(space.n_bands - 1):
        hi = float(np.max(q[space.band == b]))
        lo = float(np.min(q[space.band == b + 1]))
        cuts.append(1.0 - 0.5 * (hi + lo))
    return sorted(round(c, 12) for c in cuts)


def _shape(space: DesignSpace, elasticity: float, amount: float) -> dict[str, Any]:
    # the search caps every rate at MAX_FEE_PER_OUTCOME; as a factor cap that is
    # min(MAX_FACTOR, MAX_FEE_PER_OUTCOME / amount)
    cap = MAX_FACTOR if amount <= 0 else min(MAX_FACTOR, MAX_FEE_PER_OUTCOME / amount)
    return {
        "reference_probability": _fig(space.reference_probability(), "probability",
                                      "Probability at which the shape factor is 1 (q_ref)."),
        "elasticity": _fig(elasticity, "ratio", "Steepness of the rate in 1/q."),
        "probability_floor": _fig(PROBABILITY_FLOOR, "probability",
                                  "Least probability the shape divides by."),
        "max_factor": _fig(cap, "ratio", "Most the shape may multiply the rate by."),
    }


def _by_band(labels: list[str], k: int, value: float, unit: str, what: str) -> dict[str, Any]:
    return {labels[b]: _fig(value, unit, f"{what} ({labels[b]})") for b in range(k)}


def design_contract(
    design: Design,
    space: DesignSpace,
    baseline: Contract,
    *,
    topup: float = 0.0,
    name: str = "instrument_proposal",
    description: str | None = None,
) -> Contract:
    """Write a design of the instrument search as a validated contract.

    Parameters
    ----------
    design : Design
        The proposal (:attr:`~pbr_fairness.tariffs.instrument_search.Candidate.design`).
    space : DesignSpace
        The search's bands and pricing probability.
    baseline : Contract
        The baseline the fees are scaled from (a payment-group contract).
    topup : float, default 0
        Attachment fee per person added to spend the budget (pounds).
    name : str
    description : str, optional

    Returns
    -------
    Contract

    Raises
    ------
    InputError
        If the design uses fees on an independent assessment, or the baseline is not priced
        by payment group.
    """
    fams = dict(design.families)
    by_group = baseline.spec.groups is not None
    if "assessment" in fams or not by_group:
        what = (
            "fees on an independent assessment shape the payment-group fees person by person"
            if "assessment" in fams
            else f"the baseline is priced by {baseline.basis}, not by payment group"
        )
        raise InputError(
            [Problem(f"this proposal cannot be written as a contract file: {what}",
                     column="instruments")],
            source="instrument proposal",
        )
    spec = baseline.spec.model_dump(mode="json", exclude_none=True)
    spec.pop("based_on", None)
    spec.pop("instruments", None)
    spec["name"] = name
    spec["description"] = description or (
        f"Proposed by the instrument search on the baseline {baseline.name}: {design.label()}; "
        f"attachment top-up {topup:,.0f} GBP per person."
    )
    f = float(design.fee_factor)
    for group in spec["groups"].values():
        j = group["job_outcome_fee"]
        s = group["sustainment_fee"]
        a = group["attachment_fee"]
        j.update(_fig(min(j["value"] * f, MAX_FEE_PER_OUTCOME), j["unit"], j["description"]))
        s.update(_fig(s["value"] * f, s["unit"], s["description"]))
        a.update(_fig(a["value"] + topup, a["unit"], a["description"]))
        j.pop("reference", None), s.pop("reference", None), a.pop("reference", None)
    n = space.n_bands
    labels = [f"band_{b}" for b in range(1, n + 1)]
    inst: dict[str, Any] = {
        "distance_bands": [
            _fig(c, "probability", f"Cut-point {i + 1} on distance 1 - q between bands")
            for i, c in enumerate(band_cuts(space))
        ]
    }
    if "value_added" in fams:
        p = fams["value_added"]
        inst["value_added"] = {
            "cells": "distance_band",
            "benchmark": "comparison_group",
            "rate": _fig(p["amount"], "GBP", "Value-added payment per outcome (T0)."),
            "shape": _shape(space, p.get("shape", 0.0), p["amount"]),
            "floor": _fig(0.0, "GBP", "Least payment per cohort."),
        }
    if "accelerator" in fams:
        p = fams["accelerator"]
        high = np.minimum(
            p["amount"] * space.shape(p.get("shape", 0.0), space.band_means(space.predicted)),
            MAX_FEE_PER_OUTCOME,
        )
        inst["accelerator"] = {
            "cells": "distance_band",
            "level_above_no_support": _fig(p.get("level", 0.1), "ratio",
                                           "Performance level above the no-support rate."),
            "fee_below": _fig(0.0, "GBP", "Payment per outcome up to the level."),
            "fee_above_by_cell": {
                labels[b]: _fig(high[b], "GBP", f"Payment per outcome above the level "
                                                f"({labels[b]})")
                for b in range(n)
            },
        }
    if "yardstick" in fams:
        p = fams["yardstick"]
        inst["yardstick"] = {
            "cells": "distance_band",
            "rate": _fig(p["amount"], "GBP", "Payment per outcome above the other primes'."),
            "shape": _shape(space, p.get("shape", 0.0), p["amount"]),
        }
    if "cost_sharing" in fams:
        p = fams["cost_sharing"]
        inst["cost_sharing"] = {
            "cells": "distance_band",
            "share_by_cell": _by_band(labels, int(p.get("bands", 5)), min(p["amount"], 0.99),
                                      "ratio", "Share of verified hours reimbursed"),
        }
    if "funded_hours" in fams:
        p = fams["funded_hours"]
        inst["funded_hours"] = {
            "cells": "distance_band",
            "hours_by_cell": _by_band(labels, int(p.get("bands", 5)), p["amount"], "hours",
                                      "Hours funded by the commissioner"),
        }
    spec["instruments"] = inst
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)
    contract = contract_from_yaml(text, source=f"proposal:{name}")
    # written once more through the contract writer so that the file reads back unchanged
    return contract_from_yaml(contract_to_yaml(contract), source=f"proposal:{name}")
