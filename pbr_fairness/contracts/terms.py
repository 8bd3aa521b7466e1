"""A contract's terms on a caseload: the fees and the instruments as the engine's arrays.

:meth:`pbr_fairness.contracts.Contract.terms` prices a caseload: the per-person fee arrays
(``A, J, S, M, trigger_weeks``) with the attachment fee of the referral year and the delivery
fee in ``A``, and the ``instruments`` section laid out as the engine's
:class:`~pbr_fairness.engine.instruments.Instruments` (per-person cell codes and per-cell
arrays). This module holds the pieces that read a caseload's cells, benchmarks and
performance levels; the engine holds every formula of what the instruments pay.

Cells. A section's ``cells`` are ``contract`` (the contract's own payment groups, bands, or
one cell for a smooth tariff), ``payment_group`` (the caseload's payment groups) or
``distance_band`` (bands of distance ``1 - q`` cut at ``instruments.distance_bands``,
``band_1`` furthest from work). A per-cell mapping names the cells in a scheme: people in the
other cells get no payment, share or funded hours (cell code ``-1`` in the engine).

No-support rates. A benchmark from a ``comparison_group`` and a performance level
``level_above_no_support`` use the no-support rate of each cell as a randomised comparison
group would measure it: in the simulation, the mean of the true ``p0`` over the cell's people
(every prime's), which the synthetic caseload knows (``true_p0``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pbr_fairness.contracts.spec import (
    AcceleratorSpec,
    CellKind,
    Figure,
    InstrumentsSpec,
    ValueAddedSpec,
    YardstickSpec,
)
from pbr_fairness.engine.instruments import Instruments
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.maths import logit, sigmoid

__all__ = [
    "Cells",
    "ContractTerms",
    "attachment_by_year",
    "cell_means",
    "distance_band_codes",
    "draw_assessment",
    "instrument_arrays",
]


@dataclass(frozen=True, eq=False)
class ContractTerms:
    """What a contract pays on one caseload, as arrays.

    Attributes
    ----------
    tariff : dict of str to numpy.ndarray
        ``A, J, S, M, trigger_weeks`` per person; ``A`` holds the referral year's attachment
        fee (``attachment_by_year``) plus the delivery fee.
    instruments : Instruments or None
        The engine's instruments (``None``: none that depend on outcomes or hours).
    families : tuple of str
        The instrument families used (:data:`~pbr_fairness.contracts.spec.INSTRUMENT_FAMILIES`).
    priced_on : {"model", "assessment"}
        Which probability the contract prices on.
    probability : numpy.ndarray or None
        The probability ``q`` priced on (the prediction or the assessment), if any.
    attachment : numpy.ndarray or None
        The attachment fee per person from ``attachment_by_year`` (``None``: the tariff's).
    delivery_fee : float
        Delivery fee per participant (pounds, 0 when none).
    referral_year : int
        The contract year the cohort is referred in (1 unless the contract says).
    """

    tariff: dict[str, NDArray[np.float64]]
    instruments: Instruments | None = None
    families: tuple[str, ...] = ()
    priced_on: str = "model"
    probability: NDArray[np.float64] | None = None
    attachment: NDArray[np.float64] | None = None
    delivery_fee: float = 0.0
    referral_year: int = 1


@dataclass(frozen=True, eq=False)
class Cells:
    """Each person's cell (``0..len(labels)-1``; ``-1``: none) and the cells' labels."""

    codes: NDArray[np.int64]
    labels: tuple[str, ...]

    def within(self, scheme: frozenset[str] | None) -> Cells:
        """Return the cells with people outside ``scheme`` (``None``: every cell) coded -1."""
        if scheme is None:
            return self
        inside = np.array([label in scheme for label in self.labels] + [False])
        codes = np.where(inside[self.codes], self.codes, -1).astype(np.int64)
        return Cells(codes, self.labels)

    def per_cell(
        self, one: Figure | None, per: dict[str, Figure] | None
    ) -> NDArray[np.float64]:
        """One value per cell: ``one`` for every cell, or ``per[label]`` (0 where absent)."""
        if one is not None:
            return np.full(len(self.labels), float(one.value))
        per = per or {}
        return np.array([per[c].value if c in per else 0.0 for c in self.labels], dtype=float)

    def per_person(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each person's cell value (0 outside every cell)."""
        out: NDArray[np.float64] = np.where(
            self.codes >= 0, np.append(values, 0.0)[self.codes], 0.0
        )
        return out


def cell_means(cells: Cells, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mean of ``x`` over each cell's people (0 for an empty cell).

    Examples
    --------
    >>> import numpy as np
    >>> c = Cells(np.array([0, 0, 1, -1]), ("a", "b"))
    >>> cell_means(c, np.array([0.1, 0.3, 0.5, 0.9])).round(3).tolist()
    [0.2, 0.5]
    """
    keep = cells.codes >= 0
    k = len(cells.labels)
    total = np.bincount(cells.codes[keep], weights=x[keep], minlength=k)
    count = np.bincount(cells.codes[keep], minlength=k)
    out: NDArray[np.float64] = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    return out


def distance_band_codes(probability: ArrayLike, cuts: ArrayLike) -> NDArray[np.int64]:
    """Code of each person's distance band, 0 for ``band_1`` (the furthest from work).

    ``cuts`` are the interior cut-points on distance ``d = 1 - q``, increasing; a distance is
    in ``band_b`` when ``cut[n - b - 1] < d <= cut[n - b]`` (the numbering of the distance
    model's bands, band 1 furthest from work).

    Examples
    --------
    >>> distance_band_codes([0.9, 0.5, 0.1], [0.3, 0.7]).tolist()
    [2, 1, 0]
    """
    c = np.asarray(cuts, dtype=float)
    d = 1.0 - np.asarray(probability, dtype=float)
    below = np.searchsorted(c, d, side="left").astype(np.int64)
    out: NDArray[np.int64] = c.size - below
    return out


def draw_assessment(
    p0: NDArray[np.float64], noise: float, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Draw an independent assessment ``sigmoid(logit(p0) + N(0, noise))`` of the chances.

    Examples
    --------
    >>> import numpy as np
    >>> draw_assessment(np.array([0.2, 0.5]), 0.0, np.random.default_rng(0)).tolist()
    [0.2, 0.5]
    """
    return sigmoid(logit(p0) + rng.normal(0.0, noise, p0.size))


def attachment_by_year(
    spec: InstrumentsSpec, year: int, contract_cells: Cells
) -> NDArray[np.float64] | None:
    """Each person's attachment fee for a cohort referred in contract ``year`` (or ``None``).

    The last listed year's fee holds for later years.
    """
    if spec.attachment_by_year is not None:
        schedules = {c: spec.attachment_by_year for c in contract_cells.labels}
    elif spec.attachment_by_year_by_cell is not None:
        schedules = dict(spec.attachment_by_year_by_cell)
    else:
        return None
    fees = np.array(
        [schedules[c][min(year, len(schedules[c])) - 1].value for c in contract_cells.labels],
        dtype=float,
    )
    return contract_cells.per_person(fees)


def _no_support(
    p0: NDArray[np.float64] | None, what: str, source: str
) -> NDArray[np.float64]:
    if p0 is None:
        raise InputError(
            [
                Problem(
                    f"{what} needs each cell's no-support rate: the caseload needs true_p0 "
                    "(a synthetic caseload has it)",
                    column=what,
                )
            ],
            source=source,
        )
    return p0


def _value_added(
    va: ValueAddedSpec,
    cells: Cells,
    p0: NDArray[np.float64] | None,
    factor: NDArray[np.float64] | None,
    source: str,
) -> dict[str, Any]:
    truth = _no_support(p0, "instruments.value_added.benchmark", source)
    n = cells.codes.size
    base = truth if va.benchmark == "person_truth" else cells.per_person(cell_means(cells, truth))
    offset = 0.0 if va.benchmark_offset is None else va.benchmark_offset.value
    rate = np.full(n, va.rate.value) if factor is None else va.rate.value * factor
    floor = None if isinstance(va.floor, str) else float(va.floor.value)
    return {
        "value_added_rate": np.where(cells.codes >= 0, rate, 0.0),
        "benchmark": np.clip(base + offset, 0.0, 1.0),
        "value_added_cell": cells.codes,
        "value_added_floor": floor,
    }


def _accelerator(
    acc: AcceleratorSpec, cells: Cells, p0: NDArray[np.float64] | None, source: str
) -> dict[str, Any]:
    cells = cells.within(acc.scheme_cells)
    inside = acc.scheme_cells
    if acc.level_above_no_support is not None:
        truth = _no_support(p0, "instruments.accelerator.level_above_no_support", source)
        ratio = acc.level_above_no_support.value
        level = np.minimum(1.0, (1.0 + ratio) * cell_means(cells, truth))
    else:
        level = cells.per_cell(None, acc.levels)
    live = [inside is None or c in inside for c in cells.labels]
    low = np.array([acc.fee(c, "below") if ok else 0.0 for c, ok in zip(cells.labels, live,
                                                                         strict=True)])
    high = np.array([acc.fee(c, "above") if ok else 0.0 for c, ok in zip(cells.labels, live,
                                                                          strict=True)])
    return {
        "accelerator_cell": cells.codes,
        "accelerator_level": level.astype(float),
        "accelerator_low": low.astype(float),
        "accelerator_high": high.astype(float),
    }


def _yardstick(
    ys: YardstickSpec, cells: Cells, factor: NDArray[np.float64] | None
) -> dict[str, Any]:
    cells = cells.within(ys.scheme_cells)
    out: dict[str, Any] = {"yardstick_cell": cells.codes}
    if ys.rate is not None:
        rate = ys.rate.value if factor is None else ys.rate.value * factor
        out["yardstick_rate"] = np.where(cells.codes >= 0, rate, 0.0)
    if ys.share_shift_value is not None or ys.share_shift_value_by_cell is not None:
        out["share_shift_value"] = cells.per_cell(
            ys.share_shift_value, ys.share_shift_value_by_cell
        )
    return out


def instrument_arrays(
    spec: InstrumentsSpec,
    cells: Callable[[str, CellKind], Cells],
    *,
    n: int,
    p0: NDArray[np.float64] | None,
    value_added_factor: NDArray[np.float64] | None = None,
    yardstick_factor: NDArray[np.float64] | None = None,
    source: str = "contract",
) -> Instruments | None:
    """Lay the instruments out on a caseload as the engine's arrays (``None``: none needed).

    Parameters
    ----------
    spec : InstrumentsSpec
        The contract's ``instruments`` section.
    cells : callable
        ``cells(section, kind)``: the caseload's cells of that kind (the section's name is for
        error messages).
    n : int
        Number of people.
    p0 : numpy.ndarray or None
        True no-support probability per person (the comparison group's rate per cell, the
        research-only benchmark and the performance levels need it).
    value_added_factor, yardstick_factor : numpy.ndarray, optional
        The value-added and yardstick ``shape`` factors per person (``None``: no shape).
    source : str
        Named in error messages.

    Returns
    -------
    Instruments or None

    Examples
    --------
    >>> import numpy as np
    >>> from pbr_fairness.contracts.spec import CostSharingSpec, InstrumentsSpec
    >>> spec = InstrumentsSpec(cost_sharing=CostSharingSpec(share={
    ...     "value": 0.5, "unit": "ratio", "description": "d", "estimate": True, "reason": "r"}))
    >>> one = Cells(np.zeros(3, dtype=np.int64), ("base",))
    >>> instrument_arrays(spec, lambda s, k: one, n=3, p0=None).cost_share.tolist()
    [0.5, 0.5, 0.5]
    """
    kw: dict[str, Any] = {}
    if spec.value_added is not None:
        va = spec.value_added
        kw |= _value_added(va, cells("value_added", va.cells), p0, value_added_factor, source)
    if spec.accelerator is not None:
        acc = spec.accelerator
        kw |= _accelerator(acc, cells("accelerator", acc.cells), p0, source)
    if spec.yardstick is not None:
        ys = spec.yardstick
        kw |= _yardstick(ys, cells("yardstick", ys.cells), yardstick_factor)
    if spec.cost_sharing is not None:
        cs = spec.cost_sharing
        c = cells("cost_sharing", cs.cells).within(cs.scheme_cells)
        kw["cost_share"] = c.per_person(c.per_cell(cs.share, cs.share_by_cell))
    if spec.funded_hours is not None:
        fh = spec.funded_hours
        c = cells("funded_hours", fh.cells).within(fh.scheme_cells)
        kw["funded_hours"] = c.per_person(c.per_cell(fh.hours, fh.hours_by_cell))
    if not kw:
        return None
    inst = Instruments(**kw)
    inst.check(n)
    return inst
