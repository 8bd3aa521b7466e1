"""The contract designer's instruments: one panel per family, each with its plain-language help.

Widgets are seeded from the scenario's :class:`~pbr_fairness.contracts.editing.InstrumentEdits`
(a family the contract does not have starts from its preset,
:func:`~pbr_fairness.contracts.editing.add_family`); the edited values go back through the
library (:func:`~pbr_fairness.contracts.editing.apply_instrument_edits`), which validates them
as a contract file. Only widgets here: no rule of the contract language.
"""

from __future__ import annotations

import math
from typing import Any

import cache
import pandas as pd
import state
import streamlit as st
import ui

from pbr_fairness.contracts import Contract
from pbr_fairness.contracts.editing import (
    EDITABLE_FAMILIES,
    AcceleratorEdit,
    ByCellEdit,
    InstrumentEdits,
    ShapeEdit,
    ValueAddedEdit,
    YardstickEdit,
    add_family,
    apply_instrument_edits,
)
from pbr_fairness.distance import band_label
from pbr_fairness.errors import InputError
from pbr_fairness.recipes import contract_needs_prediction
from pbr_fairness.reporting import tariff_labels
from pbr_fairness.reporting.instruments import FAMILY_HELP, FAMILY_TITLES

__all__ = ["instruments_section"]

CELLS = {
    "contract": "Each of the contract's own tariffs (payment group or band)",
    "payment_group": "Each payment group",
    "distance_band": "Each band of predicted distance from work",
}
BENCHMARKS = {
    "comparison_group": "The no-support rate a comparison group measures",
    "person_truth": "Each person's true chance without support (research only: no "
    "commissioner knows it)",
}


def _number(label: str, key: str, value: float, **kw: Any) -> float:
    state.seed(key, float(value))
    return float(st.number_input(label, key=key, **kw))


def _toggle(label: str, key: str, value: bool, **kw: Any) -> bool:
    state.seed(key, bool(value))
    return bool(st.toggle(label, key=key, **kw))


def _cell_labels(contract: Contract, kind: str, cuts: tuple[float, ...] | None) -> dict[str, str]:
    if kind == "distance_band":
        edges = list(cuts or ())
        return {f"band_{b}": band_label(b, edges) for b in range(1, len(edges) + 2)}
    return tariff_labels(contract, short=True)


def _per_cell(label: str, key: str, cells: dict[str, str], values: dict[str, float],
              column: str, *, scale: float, **config: Any) -> dict[str, float]:
    """A table of one value per cell (blank: the cell is not in the scheme)."""
    data_key = key + "__data"
    if data_key not in st.session_state or key not in st.session_state:
        st.session_state[data_key] = pd.DataFrame({
            "cell": list(cells),
            "label": list(cells.values()),
            "value": [values[c] * scale if c in values else None for c in cells],
        })
    edited = st.data_editor(
        st.session_state[data_key], key=key, hide_index=True, num_rows="fixed", width="stretch",
        column_config={
            "cell": None,
            "label": st.column_config.TextColumn("Cell", disabled=True),
            "value": st.column_config.NumberColumn(column, **config),
        },
    )
    st.caption(label)
    return {
        c: float(v) / scale
        for c, v in zip(edited["cell"], edited["value"], strict=True)
        if v is not None and not (isinstance(v, float) and math.isnan(v))
    }


def _attachment(p: str, contract: Contract, seeded: InstrumentEdits) -> dict[str, Any]:
    by_cell = seeded.attachment_by_year or {}
    longest = max((len(v) for v in by_cell.values()), default=1)
    years = int(_number("Contract years in the schedule", p + "years", longest, min_value=1,
                        max_value=10, step=1, format="%d",
                        help="The last year's fee holds for every later year."))
    labels = tariff_labels(contract, short=True)
    key = f"{p}table_{years}"
    if key + "__data" not in st.session_state or key not in st.session_state:
        rows = {}
        for k in labels:
            fees = list(by_cell.get(k, (0.0,)))
            fees = (fees + [fees[-1]] * years)[:years]
            rows[k] = fees
        table = pd.DataFrame(rows, index=[f"year_{y + 1}" for y in range(years)]).T
        table.insert(0, "label", [labels[k] for k in table.index])
        table.insert(0, "tariff", list(table.index))
        st.session_state[key + "__data"] = table.reset_index(drop=True)
    edited = st.data_editor(
        st.session_state[key + "__data"], key=key, hide_index=True, num_rows="fixed",
        width="stretch",
        column_config={
            "tariff": None,
            "label": st.column_config.TextColumn("Group or band", disabled=True),
            **{f"year_{y + 1}": st.column_config.NumberColumn(
                f"Year {y + 1} £", min_value=0.0, step=50.0, format="£%,.0f",
                help=f"Attachment fee for a person referred in contract year {y + 1}")
               for y in range(years)},
        },
    )
    schedule = {
        str(r["tariff"]): tuple(
            float(r[f"year_{y + 1}"]) if pd.notna(r[f"year_{y + 1}"]) else float("nan")
            for y in range(years)
        )
        for _, r in edited.iterrows()
    }
    year = int(_number("Contract year of the cohort's referral", p + "referral_year",
                       seeded.referral_year or 1, min_value=1, max_value=50, step=1,
                       format="%d", help="Which year's fee this cohort is paid."))
    return {"attachment_by_year": schedule, "referral_year": year}


def _value_added(p: str, seeded: ValueAddedEdit, shape0: ShapeEdit | None) -> ValueAddedEdit:
    rate = _number("Rate per job outcome above the benchmark (£)", p + "rate", seeded.rate,
                   min_value=0.0, step=100.0, format="%.0f")
    state.seed(p + "benchmark", seeded.benchmark)
    benchmark = st.radio("Benchmark", list(BENCHMARKS), format_func=BENCHMARKS.get,
                         key=p + "benchmark")
    offset = _number("Error of the benchmark (percentage points; to see what a wrong one "
                     "costs)", p + "offset", seeded.benchmark_offset * 100, min_value=-20.0,
                     max_value=20.0, step=0.5, format="%.1f")
    floored = _toggle("Never a negative payment over a cohort (a floor)", p + "floored",
                      seeded.floor is not None,
                      help="Off: a cohort's negative net is settled against the contract's "
                      "other payments.")
    floor = _number("Least payment per cohort (£)", p + "floor", seeded.floor or 0.0,
                    min_value=0.0, step=100.0, format="%.0f", disabled=not floored)
    shaped = _toggle("The rate rises as the priced chance of a job falls", p + "shaped",
                     seeded.shape is not None,
                     help="rate x min(most, (reference chance / chance) ^ steepness), the "
                     "assessment_priced preset's shape.")
    shape = seeded.shape or shape0
    if shaped and shape is not None:
        c1, c2 = st.columns(2)
        with c1:
            steep = _number("Steepness", p + "elasticity", shape.elasticity, min_value=0.0,
                            step=0.1, format="%.2f")
        with c2:
            most = _number("Most times the rate", p + "max_factor", shape.max_factor,
                           min_value=0.1, step=0.5, format="%.1f")
        shape = shape.model_copy(update={"elasticity": steep, "max_factor": most})
    st.caption(f"Netted per cohort of {CELLS[seeded.cells].lower()}.")
    return ValueAddedEdit(rate=rate, cells=seeded.cells, benchmark=benchmark,
                          benchmark_offset=offset / 100.0, floor=floor if floored else None,
                          shape=shape if shaped else None)


def _accelerator(p: str, seeded: AcceleratorEdit) -> AcceleratorEdit:
    level = _number("Performance level: per cent above the no-support rate", p + "level",
                    seeded.level_above_no_support * 100, min_value=0.0, step=5.0,
                    format="%.0f", help="The Work Programme's minimum performance level was "
                    "10% above the non-intervention rate.")
    c1, c2 = st.columns(2)
    with c1:
        below = _number("Extra fee per outcome up to the level (£)", p + "below",
                        seeded.fee_below, min_value=0.0, step=100.0, format="%.0f")
    with c2:
        above = _number("Extra fee per outcome above the level (£)", p + "above",
                        seeded.fee_above, min_value=0.0, step=100.0, format="%.0f")
    st.caption(f"Counted per cohort of {CELLS[seeded.cells].lower()}.")
    return AcceleratorEdit(cells=seeded.cells, level_above_no_support=level / 100.0,
                           fee_below=below, fee_above=above)


def _yardstick(p: str, seeded: YardstickEdit) -> YardstickEdit:
    c1, c2 = st.columns(2)
    with c1:
        rate = _number("Rate per outcome above the other primes' mean (£)", p + "rate",
                       seeded.rate or 0.0, min_value=0.0, step=100.0, format="%.0f")
    with c2:
        shift = _number("Market-share shift: what winning a cell is worth (£ per person)",
                        p + "shift", seeded.share_shift_value or 0.0, min_value=0.0,
                        step=10.0, format="%.0f",
                        help="Its value to the primes, not a government payment.")
    primes = cache.caseload()["provider_id"].nunique()
    st.caption(f"Compared per {CELLS[seeded.cells].lower()}; the caseload has {primes:,} "
               "primes (a yardstick needs at least two).")
    return YardstickEdit(cells=seeded.cells, rate=rate or None, share_shift_value=shift or None)


def _by_cell(p: str, family: str, contract: Contract, seeded: ByCellEdit,
             cuts: tuple[float, ...] | None, model_ok: bool, *, shared: bool
             ) -> tuple[ByCellEdit, tuple[float, ...] | None]:
    """The cells and a value per cell; ``shared``: the cut-point is set in another panel."""
    kinds = [k for k in ("distance_band", "contract") if model_ok or k != "distance_band"]
    if seeded.cells not in kinds:
        kinds.append(seeded.cells)
    state.seed(p + "cells", seeded.cells)
    kind = st.radio("Cells", kinds, format_func=CELLS.get, key=p + "cells", horizontal=True,
                    help="Bands of predicted distance need the distance model.")
    if kind == "distance_band" and shared:
        st.caption("Bands as cut in the cost-sharing panel.")
    elif kind == "distance_band":
        cut = _number("Cut-point on predicted distance (1 - chance): band 1, the furthest from "
                      "work, above it", p + "cut", (cuts or (0.714,))[-1], min_value=0.01,
                      max_value=0.99, step=0.01, format="%.3f",
                      help="The presets use 0.714, the median predicted distance of the "
                      "distance model's training population: band 1 is the half furthest "
                      "from work.")
        cuts = (*(cuts or ())[:-1], cut)
    cells = _cell_labels(contract, kind, cuts)
    values = seeded.values if kind == seeded.cells else {}
    if family == "cost_sharing":
        got = _per_cell("Share of each verified hour reimbursed, per cell (blank: not in the "
                        "scheme).", f"{p}table_{kind}_{len(cells)}", cells, values,
                        "Share reimbursed %", scale=100.0, min_value=0.0, max_value=99.9,
                        step=5.0, format="%.1f%%")
    else:
        got = _per_cell("Hours funded per person, per cell (blank: not in the scheme).",
                        f"{p}table_{kind}_{len(cells)}", cells, values, "Funded hours",
                        scale=1.0, min_value=0.0, step=1.0, format="%.1f")
    # validated with the contract (the library names the key of an empty scheme)
    edit = ByCellEdit.model_construct(cells=kind, values=got)
    return edit, cuts if kind == "distance_band" else None


def instruments_section(
    base: Contract, designed: Contract, start: InstrumentEdits, *, model_ok: bool
) -> InstrumentEdits | None:
    """Show the instrument panels; return the edited instruments (``None``: not valid).

    ``base`` is the contract as chosen (its instruments and sources), ``designed`` the same
    with the tariff table's fees, ``start`` the scenario's instruments.
    """
    p0 = f"designer_inst_{base.sha256[:12]}_"
    used = [FAMILY_TITLES[f].lower() for f in start.families]
    st.markdown("**Instruments beyond fees per outcome**")
    st.caption(
        ("In use: " + ", ".join(used) + "." if used else "None in use.")
        + " Open a panel to add, change or remove one; each starts from the preset that "
        "states its precedent and source."
    )
    out: dict[str, Any] = {"kept": start.kept}
    cuts = start.distance_bands
    band_cuts: tuple[float, ...] | None = None
    for family in EDITABLE_FAMILIES:
        p = f"{p0}{family}_"
        seeded = add_family(start, base, family)
        with st.expander(FAMILY_TITLES[family]):
            st.caption(FAMILY_HELP[family])
            if family in start.kept:
                st.caption("This contract sets it per cell in a way the designer cannot edit: "
                           "it is kept as in the file.")
                continue
            on = _toggle(f"Use: {FAMILY_TITLES[family].lower()}", p + "on", start.uses(family),
                         help=FAMILY_HELP[family])
            if family == "attachment_by_year":
                if on:
                    out.update(_attachment(p, base, seeded))
            elif family == "delivery_fee":
                fee = _number("Delivery fee per participant (£)", p + "fee",
                              seeded.delivery_fee or 0.0, min_value=0.0, step=10.0,
                              format="%.0f", disabled=not on)
                if on:
                    out["delivery_fee"] = fee
            elif family == "value_added" and on and seeded.value_added is not None:
                shape0 = add_family(InstrumentEdits(), base, "assessment").value_added
                out["value_added"] = _value_added(p, seeded.value_added,
                                                  shape0.shape if shape0 else None)
            elif family == "accelerator" and on and seeded.accelerator is not None:
                out["accelerator"] = _accelerator(p, seeded.accelerator)
            elif family == "yardstick" and on and seeded.yardstick is not None:
                out["yardstick"] = _yardstick(p, seeded.yardstick)
            elif family in ("cost_sharing", "funded_hours") and on:
                section = getattr(seeded, family)
                edit, got_cuts = _by_cell(p, family, base, section, band_cuts or cuts
                                          or seeded.distance_bands, model_ok,
                                          shared=band_cuts is not None)
                out[family] = edit
                band_cuts = band_cuts or got_cuts
            elif family == "assessment":
                noise = _number("Noise of the assessment (standard deviation on the log-odds)",
                                p + "noise", seeded.assessment_noise or 0.75, min_value=0.05,
                                max_value=5.0, step=0.05, format="%.2f", disabled=not on,
                                help="0.75 in the assessment_priced preset, a design choice "
                                "of the first prototype: noisier than the provider's own view.")
                if on:
                    out.update(priced_on="assessment", assessment_noise=noise)
                    st.caption("The assessment prices what uses a chance: the value-added "
                               "payment's rising rate, or cells by band.")
    if band_cuts is not None:
        out["distance_bands"] = band_cuts
    elif any(getattr(start, f) is not None and getattr(start, f).cells == "distance_band"
             for f in ("value_added", "accelerator", "yardstick")):
        out["distance_bands"] = cuts
    try:
        edits = InstrumentEdits(**out)
        contract = apply_instrument_edits(designed, edits)
    except InputError as exc:
        ui.show_input_error(exc, what="These instruments")
        st.caption("The results below use the last valid instruments.")
        return None
    except ValueError as exc:  # pydantic: a value out of the edits' own ranges
        st.error(f"These instruments cannot be used: {exc}")
        return None
    if not model_ok and contract_needs_prediction(contract):
        st.error("These instruments use bands of predicted distance, which need the distance "
                 "model; run `make prepare` to train it.")
        return None
    return edits
