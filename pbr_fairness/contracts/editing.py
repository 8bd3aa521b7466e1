"""A contract's instruments as plain numbers, and back: what the contract designer edits.

:class:`InstrumentEdits` holds every instrument of a contract as plain values (pounds,
shares, hours, cut-points), one sub-model per family, without the figures' metadata. It is
what the designer's widgets set and what a scenario records. :func:`instrument_edits` reads
it from a contract; :func:`apply_instrument_edits` writes it back into a contract, through the
library's own validation (:func:`~pbr_fairness.contracts.contract.contract_from_yaml`), so that
every mistake is an :class:`~pbr_fairness.errors.InputError` naming the dotted key.

A figure whose value is unchanged keeps its metadata (description, reference, confidence); a
changed or new one becomes a labelled estimate with the reason given. A family the contract
does not have starts from the preset that states its precedent (:data:`FAMILY_PRESETS`), with
that preset's figures and sources. A section that uses per-cell settings these edits cannot
hold (explicit accelerator levels, fees or share shifts per cell) is kept exactly as in the
file and listed in :attr:`InstrumentEdits.kept`.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from pbr_fairness.contracts.contract import (
    Contract,
    contract_from_yaml,
    contract_to_yaml,
    load_contract,
)
from pbr_fairness.contracts.spec import NO_FLOOR, CellKind
from pbr_fairness.engine.prediction import needs_prediction

__all__ = [
    "EDITABLE_FAMILIES",
    "EDIT_REASON",
    "FAMILY_PRESETS",
    "AcceleratorEdit",
    "ByCellEdit",
    "InstrumentEdits",
    "ShapeEdit",
    "ValueAddedEdit",
    "YardstickEdit",
    "add_family",
    "apply_instrument_edits",
    "family_start",
    "instrument_edits",
]

#: Why an edited figure changed (it becomes a labelled estimate).
EDIT_REASON = "set in the contract designer"

#: The families the designer edits, in the order it shows them.
EDITABLE_FAMILIES: tuple[str, ...] = (
    "attachment_by_year",
    "delivery_fee",
    "value_added",
    "accelerator",
    "yardstick",
    "cost_sharing",
    "funded_hours",
    "assessment",
)

#: The preset a family starts from when a contract does not have it (its precedent and
#: sources are in the preset's file). The delivery fee has none: it starts at nothing.
FAMILY_PRESETS: dict[str, str] = {
    "attachment_by_year": "work_programme_2011_by_year",
    "value_added": "value_added_comparison_group",
    "accelerator": "accelerator_work_and_health",
    "yardstick": "yardstick_primes",
    "cost_sharing": "cost_sharing_employment_fund",
    "funded_hours": "funded_hours_by_need",
    "assessment": "assessment_priced",
}

#: Descriptions of figures no preset gives.
_DESCRIPTIONS: dict[str, str] = {
    "delivery_fee": "Delivery fee paid for every participant referred, whatever the outcomes.",
    "value_added.benchmark_offset": "Error of the benchmark (probability points added to it).",
    "value_added.floor": "Least payment per cohort.",
    "value_added.rate": "Value-added payment per job outcome above the benchmark (T0).",
    "accelerator.level_above_no_support": "Performance level as a share above the cell's "
    "no-support rate.",
    "accelerator.fee_below": "Extra fee per job outcome up to the performance level.",
    "accelerator.fee_above": "Extra fee per job outcome above the performance level.",
    "yardstick.rate": "Payment per job outcome above the other primes' mean outcome in the cell.",
    "yardstick.share_shift_value": "What winning a cell is worth to a prime, per person of its "
    "cohort.",
    "cost_sharing.share": "Share of each verified hour of support the commissioner reimburses.",
    "funded_hours.hours": "Hours of support per person funded at cost by the commissioner.",
    "assessment_noise": "Standard deviation of the assessment's error on the log-odds scale.",
    "distance_bands": "Cut-point on predicted distance (1 - probability) between two bands.",
    "attachment_by_year": "Attachment fee for a person referred in this contract year.",
}


class _Edit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShapeEdit(_Edit):
    """A value-added rate that rises as the priced chance ``q`` falls.

    ``T_i = rate * min(max_factor, (reference_probability / max(q_i, probability_floor)) **
    elasticity)``.
    """

    reference_probability: float
    elasticity: float
    probability_floor: float
    max_factor: float


class ValueAddedEdit(_Edit):
    """A value-added payment: ``rate`` per job outcome above a benchmark, netted per cohort.

    ``floor`` is the least payment per cohort in pounds; ``None`` settles a cohort's negative
    net against the contract's other payments.
    """

    rate: float
    cells: CellKind = "contract"
    benchmark: Literal["comparison_group", "person_truth"] = "comparison_group"
    benchmark_offset: float = 0.0
    floor: float | None = 0.0
    shape: ShapeEdit | None = None


class AcceleratorEdit(_Edit):
    """An accelerator: ``fee_below`` per outcome up to a level, ``fee_above`` beyond it.

    The level is ``(1 + level_above_no_support)`` times the cell's no-support rate.
    """

    cells: CellKind = "contract"
    level_above_no_support: float
    fee_below: float = 0.0
    fee_above: float


class YardstickEdit(_Edit):
    """Yardstick payments against the other primes, and a market-share shift (pounds)."""

    cells: CellKind = "contract"
    rate: float | None = None
    share_shift_value: float | None = None


class ByCellEdit(_Edit):
    """One value per cell in the scheme (a share of verified hours, or funded hours).

    Cells left out get nothing. When every cell of the contract's own tariffs has the same
    value, the contract gives one value for every cell.
    """

    cells: CellKind = "distance_band"
    values: dict[str, float] = Field(min_length=1)


class InstrumentEdits(_Edit):
    """Every instrument of a contract as plain values (``None``: the family is not used).

    Attributes
    ----------
    priced_on : {"model", "assessment"}
    assessment_noise : float or None
        The assessment's log-odds standard deviation (with ``priced_on="assessment"``).
    distance_bands : tuple of float or None
        Cut-points on distance ``1 - q`` (``band_1`` is the furthest from work).
    referral_year : int or None
        Which contract year's attachment fee a cohort gets.
    attachment_by_year : dict of str to tuple of float, or None
        Attachment fee by contract year (year 1 first), per tariff of the contract.
    delivery_fee : float or None
    value_added, accelerator, yardstick : their edits, or None
    cost_sharing, funded_hours : ByCellEdit or None
    kept : tuple of str
        Sections kept exactly as in the contract (settings these edits cannot hold).
    """

    priced_on: Literal["model", "assessment"] = "model"
    assessment_noise: float | None = None
    distance_bands: tuple[float, ...] | None = None
    referral_year: int | None = None
    attachment_by_year: dict[str, tuple[float, ...]] | None = None
    delivery_fee: float | None = None
    value_added: ValueAddedEdit | None = None
    accelerator: AcceleratorEdit | None = None
    yardstick: YardstickEdit | None = None
    cost_sharing: ByCellEdit | None = None
    funded_hours: ByCellEdit | None = None
    kept: tuple[str, ...] = ()

    @property
    def families(self) -> tuple[str, ...]:
        """The families used, in the order of :data:`EDITABLE_FAMILIES`."""
        return tuple(f for f in EDITABLE_FAMILIES if self.uses(f))

    def uses(self, family: str) -> bool:
        """Whether a family of :data:`EDITABLE_FAMILIES` is used (or kept from the file)."""
        if family == "assessment":
            return self.priced_on == "assessment"
        return family in self.kept or getattr(self, family) is not None


# ----------------------------------------------------------------------------- reading
def _value(fig: Any) -> float:
    return float(fig.value)


def instrument_edits(contract: Contract) -> InstrumentEdits:
    """Return a contract's instruments as plain values.

    Examples
    --------
    >>> from pbr_fairness.contracts import load_contract
    >>> e = instrument_edits(load_contract("yardstick_primes"))
    >>> e.families, e.yardstick.rate, e.yardstick.share_shift_value
    (('yardstick',), 1200.0, 50.0)
    >>> instrument_edits(load_contract("work_programme_2011")).families
    ()
    """
    inst = contract.spec.instruments
    year = contract.spec.referral_year
    if inst is None:
        return InstrumentEdits()
    out: dict[str, Any] = {"priced_on": inst.priced_on, "referral_year": year}
    kept: list[str] = []
    if inst.assessment_noise is not None:
        out["assessment_noise"] = _value(inst.assessment_noise)
    if inst.distance_bands is not None:
        out["distance_bands"] = tuple(_value(f) for f in inst.distance_bands)
    keys = contract.spec.tariff_keys()
    if inst.attachment_by_year is not None:
        fees = tuple(_value(f) for f in inst.attachment_by_year)
        out["attachment_by_year"] = {k: fees for k in keys}
    elif inst.attachment_by_year_by_cell is not None:
        out["attachment_by_year"] = {
            k: tuple(_value(f) for f in v) for k, v in inst.attachment_by_year_by_cell.items()
        }
    if inst.delivery_fee is not None:
        out["delivery_fee"] = _value(inst.delivery_fee)
    va = inst.value_added
    if va is not None:
        shape = None if va.shape is None else ShapeEdit(
            **{k: _value(getattr(va.shape, k)) for k in ShapeEdit.model_fields}
        )
        out["value_added"] = ValueAddedEdit(
            rate=_value(va.rate), cells=va.cells, benchmark=va.benchmark,
            benchmark_offset=0.0 if va.benchmark_offset is None else _value(va.benchmark_offset),
            floor=None if isinstance(va.floor, str) else _value(va.floor), shape=shape,
        )
    acc = inst.accelerator
    if acc is not None:
        if acc.level_above_no_support is None or acc.scheme_cells is not None:
            kept.append("accelerator")
        else:
            out["accelerator"] = AcceleratorEdit(
                cells=acc.cells, level_above_no_support=_value(acc.level_above_no_support),
                fee_below=acc.fee("all", "below"), fee_above=acc.fee("all", "above"),
            )
    ys = inst.yardstick
    if ys is not None:
        if ys.share_shift_value_by_cell is not None:
            kept.append("yardstick")
        else:
            out["yardstick"] = YardstickEdit(
                cells=ys.cells, rate=None if ys.rate is None else _value(ys.rate),
                share_shift_value=None if ys.share_shift_value is None
                else _value(ys.share_shift_value),
            )
    for name, one, per in (("cost_sharing", "share", "share_by_cell"),
                           ("funded_hours", "hours", "hours_by_cell")):
        section = getattr(inst, name)
        if section is None:
            continue
        if getattr(section, per) is not None:
            values = {k: _value(f) for k, f in getattr(section, per).items()}
        else:
            labels = contract.spec.cell_labels(section.cells) or keys
            values = dict.fromkeys(labels, _value(getattr(section, one)))
        out[name] = ByCellEdit(cells=section.cells, values=values)
    return InstrumentEdits(**out, kept=tuple(kept))


def family_start(contract: Contract, family: str) -> InstrumentEdits:
    """Return the contract's edits with one more family, started from its preset.

    A family the contract already has is left as it is. The delivery fee starts at nothing
    (no per-person figure was retrieved for the Work and Health Programme's delivery fee).

    Examples
    --------
    >>> from pbr_fairness.contracts import load_contract
    >>> e = family_start(load_contract("work_programme_2011"), "accelerator")
    >>> e.accelerator.level_above_no_support, e.accelerator.fee_above
    (0.1, 2000.0)
    """
    edits = instrument_edits(contract)
    return add_family(edits, contract, family)


def add_family(edits: InstrumentEdits, contract: Contract, family: str) -> InstrumentEdits:
    """Return ``edits`` with ``family`` added from its preset (unchanged when already used)."""
    if family not in EDITABLE_FAMILIES:
        raise ValueError(f"unknown family {family!r}; allowed: {', '.join(EDITABLE_FAMILIES)}")
    if edits.uses(family):
        return edits
    if family == "delivery_fee":
        return edits.model_copy(update={"delivery_fee": 0.0})
    from_preset = instrument_edits(_preset(FAMILY_PRESETS[family]))
    update: dict[str, Any] = {}
    if family == "assessment":
        update = {"priced_on": "assessment", "assessment_noise": from_preset.assessment_noise}
        if not _prices_on_probability(contract, edits):  # something must price on it
            va = from_preset.value_added
            if edits.value_added is not None and va is not None:
                va = edits.value_added.model_copy(update={"shape": va.shape})
            update["value_added"] = va
    elif family == "attachment_by_year":
        keys = contract.spec.tariff_keys()
        given = from_preset.attachment_by_year or {}
        first = next(iter(given.values()))
        update = {
            "attachment_by_year": {k: given.get(k, first) for k in keys},
            "referral_year": edits.referral_year or from_preset.referral_year or 1,
        }
    else:
        update = {family: getattr(from_preset, family)}
        section = update[family]
        if getattr(section, "cells", None) == "distance_band" and edits.distance_bands is None:
            update["distance_bands"] = from_preset.distance_bands
    return edits.model_copy(update=update)


def _prices_on_probability(contract: Contract, edits: InstrumentEdits) -> bool:
    sections = [edits.value_added, edits.accelerator, edits.yardstick, edits.cost_sharing,
                edits.funded_hours]
    return needs_prediction(contract.basis) or any(
        s is not None and s.cells == "distance_band" for s in sections
    ) or (edits.value_added is not None and edits.value_added.shape is not None)


# ----------------------------------------------------------------------------- writing
def _preset(name: str) -> Contract:
    return load_contract(name)


def _dump(contract: Contract) -> dict[str, Any]:
    return yaml.safe_load(contract_to_yaml(contract))


class _Figures:
    """Figures of the contract and of the family's preset, to keep their metadata."""

    def __init__(self, own: dict[str, Any] | None, reason: str) -> None:
        self.own = own or {}
        self.reason = reason
        self._presets: dict[str, dict[str, Any]] = {}

    def preset(self, family: str) -> dict[str, Any]:
        if family not in self._presets:
            name = FAMILY_PRESETS.get(family)
            self._presets[family] = (
                (_dump(_preset(name)).get("instruments") or {}) if name else {}
            )
        return self._presets[family]

    def figure(self, path: tuple[Any, ...], value: float, unit: str, family: str,
               *, describe: str) -> dict[str, Any]:
        """Return the figure at ``path`` of ``instruments``, kept when its value is unchanged."""
        templates = [t for t in (_at(self.own, path), _at(self.preset(family), path)) if t]
        for t in templates:
            if isinstance(t, dict) and float(t.get("value", float("nan"))) == float(value) and (
                t.get("unit") == unit
            ):
                return copy.deepcopy(t)
        description = next(
            (t["description"] for t in templates if isinstance(t, dict) and "description" in t),
            _DESCRIPTIONS.get(describe, describe.replace("_", " ").capitalize() + "."),
        )
        return {"value": float(value), "unit": unit, "description": description,
                "confidence": "U", "estimate": True, "reason": self.reason}


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def _cell_template(own: dict[str, Any], preset: dict[str, Any], section: str,
                   key: str) -> dict[str, Any]:
    """Any figure of a per-cell mapping, to describe a new cell as its neighbours."""
    for src in (own, preset):
        mapping = _at(src, (section, key))
        if isinstance(mapping, dict) and mapping:
            return next(iter(mapping.values()))
    return {}


def apply_instrument_edits(
    contract: Contract, edits: InstrumentEdits, *, reason: str = EDIT_REASON
) -> Contract:
    """Return the contract with its instruments set from plain values.

    Parameters
    ----------
    contract : Contract
        The contract whose fees are kept (its own instruments give the figures' metadata).
    edits : InstrumentEdits
    reason : str, optional
        Why a changed figure changed (it becomes a labelled estimate).

    Returns
    -------
    Contract
        Validated by the library (``contract_from_yaml``); the name gains "(instruments
        edited)" when anything changed.

    Raises
    ------
    InputError
        Naming every bad key, e.g. ``instruments.cost_sharing.share_by_cell.band_1: must be
        below 1, got 1.5``.

    Examples
    --------
    >>> from pbr_fairness.contracts import load_contract
    >>> c = load_contract("accelerator_work_and_health")
    >>> e = instrument_edits(c)
    >>> higher = e.model_copy(update={"accelerator": e.accelerator.model_copy(
    ...     update={"fee_above": 3000.0})})
    >>> d = apply_instrument_edits(c, higher)
    >>> d.spec.instruments.accelerator.fee_above.value, d.spec.instruments.accelerator.fee_above.reason
    (3000.0, 'set in the contract designer')
    >>> d.spec.instruments.accelerator.level_above_no_support.confidence  # unchanged: its source
    'S'
    >>> apply_instrument_edits(c, e) == c
    True
    """  # noqa: E501
    if edits == instrument_edits(contract):
        return contract
    data = _dump(contract)
    own = data.get("instruments") or {}
    figs = _Figures(own, reason)
    inst: dict[str, Any] = {"priced_on": edits.priced_on}
    if edits.assessment_noise is not None:
        inst["assessment_noise"] = figs.figure(
            ("assessment_noise",), edits.assessment_noise, "ratio", "assessment",
            describe="assessment_noise")
    if edits.distance_bands is not None:
        fam = "cost_sharing" if edits.cost_sharing is not None else "funded_hours"
        inst["distance_bands"] = [
            figs.figure(("distance_bands", i), v, "probability", fam, describe="distance_bands")
            for i, v in enumerate(edits.distance_bands)
        ]
    if edits.attachment_by_year is not None:
        inst.update(_attachment(edits.attachment_by_year, contract, figs))
    if edits.delivery_fee is not None:
        inst["delivery_fee"] = figs.figure(("delivery_fee",), edits.delivery_fee, "GBP",
                                           "delivery_fee", describe="delivery_fee")
    if edits.value_added is not None:
        inst["value_added"] = _value_added(edits.value_added, figs)
    for name in edits.kept:
        inst[name] = own[name]
    if edits.accelerator is not None and "accelerator" not in edits.kept:
        a = edits.accelerator
        inst["accelerator"] = {
            "cells": a.cells,
            **{
                key: figs.figure(("accelerator", key), getattr(a, key), unit, "accelerator",
                                 describe=f"accelerator.{key}")
                for key, unit in (("level_above_no_support", "ratio"), ("fee_below", "GBP"),
                                  ("fee_above", "GBP"))
            },
        }
    if edits.yardstick is not None and "yardstick" not in edits.kept:
        y = edits.yardstick
        section: dict[str, Any] = {"cells": y.cells}
        for key in ("rate", "share_shift_value"):
            if getattr(y, key) is not None:
                section[key] = figs.figure(("yardstick", key), getattr(y, key), "GBP",
                                           "yardstick", describe=f"yardstick.{key}")
        inst["yardstick"] = section
    for name, one, per, unit in (("cost_sharing", "share", "share_by_cell", "ratio"),
                                 ("funded_hours", "hours", "hours_by_cell", "hours")):
        edit = getattr(edits, name)
        if edit is not None:
            inst[name] = _by_cell(name, one, per, unit, edit, contract, figs)
    data["instruments"] = inst if len(inst) > 1 or edits.priced_on != "model" else None
    if data["instruments"] is None:
        data.pop("instruments")
    data.pop("referral_year", None)
    if edits.attachment_by_year is not None and edits.referral_year is not None:
        data["referral_year"] = int(edits.referral_year)
    if not str(data["name"]).endswith("(instruments edited)"):
        data["name"] = f"{data['name']} (instruments edited)"
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return contract_from_yaml(text, source="the instruments")


def _attachment(by_cell: dict[str, tuple[float, ...]], contract: Contract,
                figs: _Figures) -> dict[str, Any]:
    keys = contract.spec.tariff_keys()
    rows = [tuple(by_cell.get(k, ())) for k in keys]
    if rows and all(r == rows[0] for r in rows) and set(by_cell) <= set(keys):
        fees = rows[0]
        return {"attachment_by_year": [
            _year_figure(figs, ("attachment_by_year", i), (keys[0], i), v)
            for i, v in enumerate(fees)
        ]}
    return {"attachment_by_year_by_cell": {
        k: [_year_figure(figs, ("attachment_by_year_by_cell", k, i), (k, i), v)
            for i, v in enumerate(fees)]
        for k, fees in by_cell.items()
    }}


def _year_figure(figs: _Figures, path: tuple[Any, ...], cell_year: tuple[str, int],
                 value: float) -> dict[str, Any]:
    fig = figs.figure(path, value, "GBP", "attachment_by_year", describe="attachment_by_year")
    if fig.get("estimate") and fig.get("reason") == figs.reason:
        # the preset's own schedule (by cell) describes each year
        cell, year = cell_year
        for src in (figs.own, figs.preset("attachment_by_year")):
            for t in (_at(src, ("attachment_by_year", year)),
                      _at(src, ("attachment_by_year_by_cell", cell, year))):
                if isinstance(t, dict) and "description" in t:
                    if float(t["value"]) == float(value):
                        return copy.deepcopy(t)
                    fig["description"] = t["description"]
        if fig["description"] == _DESCRIPTIONS["attachment_by_year"]:
            fig["description"] = (
                f"Attachment fee for a person referred in contract year {year + 1}."
            )
    return fig


def _value_added(v: ValueAddedEdit, figs: _Figures) -> dict[str, Any]:
    fam = "assessment" if v.shape is not None else "value_added"

    def fig(path: tuple[str, ...], value: float, unit: str) -> dict[str, Any]:
        return figs.figure(("value_added", *path), value, unit, fam,
                           describe="value_added." + ".".join(path))

    section: dict[str, Any] = {
        "rate": fig(("rate",), v.rate, "GBP"),
        "cells": v.cells,
        "benchmark": v.benchmark,
    }
    if v.shape is not None:
        section["shape"] = {
            key: fig(("shape", key), getattr(v.shape, key), unit)
            for key, unit in (("reference_probability", "probability"), ("elasticity", "ratio"),
                              ("probability_floor", "probability"), ("max_factor", "ratio"))
        }
    if v.benchmark_offset != 0:
        section["benchmark_offset"] = fig(("benchmark_offset",), v.benchmark_offset,
                                          "probability")
    section["floor"] = NO_FLOOR if v.floor is None else fig(("floor",), v.floor, "GBP")
    return section


def _by_cell(name: str, one: str, per: str, unit: str, edit: ByCellEdit, contract: Contract,
             figs: _Figures) -> dict[str, Any]:
    own_keys = contract.spec.tariff_keys() if edit.cells == "contract" else None
    values = list(edit.values.values())
    if own_keys is not None and set(edit.values) == set(own_keys) and len(set(values)) == 1:
        return {"cells": edit.cells,
                one: figs.figure((name, one), values[0], unit, name, describe=f"{name}.{one}")}
    template = _cell_template(figs.own, figs.preset(name), name, per)
    mapping = {}
    for cell, value in edit.values.items():
        fig = figs.figure((name, per, cell), value, unit, name, describe=f"{name}.{one}")
        if fig.get("reason") == figs.reason and "description" in template:
            fig["description"] = template["description"]
        mapping[cell] = fig
    return {"cells": edit.cells, per: mapping}
