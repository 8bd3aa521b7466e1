"""Turn the optimiser's fee factors into a contract file that ``simulate`` loads unchanged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pbr_fairness.contracts import BandSpec, Contract, ContractSpec, Figure, SmoothSpec, Tariff
from pbr_fairness.contracts.spec import Unit
from pbr_fairness.distance import band_label
from pbr_fairness.engine.value import outcome_value

__all__ = ["BaseTariff", "band_contract", "band_edges", "group_contract", "smooth_contract"]


@dataclass(frozen=True)
class BaseTariff:
    """The fee structure a factor multiplies: ``J``, ``S``, ``M`` and the trigger."""

    job_outcome_fee: float
    sustainment_fee: float
    max_sustainment_payments: int
    trigger_weeks: float

    def unit_value(
        self, exit_hazard: ArrayLike, *, discount_rate: float = 0.0, window_months: float = 24.0
    ) -> NDArray[np.float64]:
        """``J + S * sum_{m<=M} (1 - h)^m``: expected outcome payment at factor 1.

        Discounted at ``discount_rate`` a year (the provider's view) when it is not 0.
        """
        return outcome_value(
            {
                "J": self.job_outcome_fee,
                "S": self.sustainment_fee,
                "M": self.max_sustainment_payments,
                "trigger_weeks": self.trigger_weeks,
            },
            exit_hazard,
            discount_rate=discount_rate,
            window_months=window_months,
        )

    def scaled(self, factor: float, attachment_fee: float) -> Tariff:
        """Return the tariff with outcome fees times ``factor`` (rounded down to the penny)."""
        return Tariff(
            float(attachment_fee),
            _pence(self.job_outcome_fee * factor),
            float(self.trigger_weeks),
            _pence(self.sustainment_fee * factor),
            int(self.max_sustainment_payments),
        )


def _pence(x: float) -> float:
    return float(np.floor(max(x, 0.0) * 100.0 + 1e-6) / 100.0)


def band_edges(predicted: ArrayLike, n_bands: int) -> NDArray[np.float64]:
    """Distance edges (``0 ... 1``) of ``n_bands`` equal-sized bands of the prediction.

    Edges are rounded to 4 decimals; bands that would be empty are merged.
    """
    q = np.asarray(predicted, dtype=float)
    inner = np.quantile(1.0 - q, np.arange(1, n_bands) / n_bands)
    inner = np.unique(np.round(inner, 4))
    inner = inner[(inner > 0.0) & (inner < 1.0)]
    while True:
        edges = np.r_[0.0, inner, 1.0]
        codes = np.searchsorted(inner, 1.0 - q, side="right")
        counts = np.bincount(codes, minlength=edges.size - 1)
        empty = np.flatnonzero(counts == 0)
        if empty.size == 0 or inner.size == 0:
            return edges
        drop = min(int(empty[0]), inner.size - 1)
        inner = np.delete(inner, drop)


def _figure(value: float, unit: Unit, description: str, reason: str) -> Figure:
    return Figure(
        value=float(value), unit=unit, description=description, estimate=True, reason=reason
    )


def band_contract(
    name: str,
    description: str,
    edges: ArrayLike,
    tariffs: Sequence[Tariff],
    *,
    minimum_hours: float | None,
    window_months: int,
    reason: str,
) -> Contract:
    """Build a ``distance_band`` contract: one tariff per band of predicted distance."""
    edges = np.asarray(edges, dtype=float)
    bands = []
    n = len(tariffs)
    for i, t in enumerate(tariffs):
        # The file lists bands closest first; people number them from the furthest (band 1).
        label = band_label(n - i, edges[1:-1])
        spec = t.to_spec(reason=reason, label=label).model_dump()
        bands.append(
            BandSpec(**spec, min_distance=float(edges[i]), max_distance=float(edges[i + 1]))
        )
    return Contract(
        ContractSpec(
            name=name,
            description=description,
            basis="distance_band",
            window_months=window_months,
            minimum_hours=_min_hours(minimum_hours, reason),
            bands=tuple(bands),
        )
    )


def _min_hours(minimum_hours: float | None, reason: str) -> Figure | None:
    if minimum_hours is None:
        return None
    return _figure(minimum_hours, "hours", "Contractual minimum hours of service.", reason)


def group_contract(
    name: str,
    description: str,
    tariffs: Mapping[str, Tariff],
    *,
    minimum_hours: float | None,
    window_months: int,
    reason: str,
) -> Contract:
    """Build a ``payment_group`` contract."""
    return Contract.from_tariffs(
        name,
        tariffs,
        description=description,
        minimum_hours=minimum_hours,
        window_months=window_months,
        reason=reason,
    )


def smooth_contract(
    name: str,
    description: str,
    base: Tariff,
    *,
    reference_probability: float,
    elasticity: float,
    probability_floor: float,
    max_factor: float,
    minimum_hours: float | None,
    window_months: int,
    reason: str,
) -> Contract:
    """Build a ``smooth`` contract: fees times ``min(max_factor, (ref / max(q, floor))^e)``."""
    return Contract(
        ContractSpec(
            name=name,
            description=description,
            basis="smooth",
            window_months=window_months,
            minimum_hours=_min_hours(minimum_hours, reason),
            smooth=SmoothSpec(
                base=base.to_spec(reason=reason, label="base"),
                reference_probability=_figure(
                    reference_probability,
                    "probability",
                    "Predicted probability at which the base fees are paid.",
                    reason,
                ),
                elasticity=_figure(
                    elasticity,
                    "ratio",
                    "Exponent of (reference probability / predicted probability).",
                    reason,
                ),
                probability_floor=_figure(
                    probability_floor,
                    "probability",
                    "Predicted probabilities below this count as this.",
                    reason,
                ),
                max_factor=_figure(
                    max_factor, "ratio", "Largest multiple of the base outcome fees.", reason
                ),
            ),
        )
    )
