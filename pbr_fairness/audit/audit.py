"""The caseload audit: observed against expected outcomes, parking, creaming and group gaps.

:func:`audit_caseload` takes a person-level caseload (one row per person, our schema or mapped
to it), gets each person's expected chance of a job outcome (a column, or the distance
model), and returns an :class:`AuditResult` holding every table, the per-provider findings and
their provenance. Nothing person-level leaves this function: every table is aggregated, cells
under ``min_cell`` people are suppressed (with secondary suppression against totals).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from pbr_fairness.audit.allocation import WithinArea, compare_within_areas
from pbr_fairness.audit.casemix import CASE_MIX_LEARNERS, CASE_MIX_SPLITS
from pbr_fairness.audit.creaming import concentration_curve, concentration_index_sorted
from pbr_fairness.audit.disclosure import GridSuppression, suppress_counts, suppress_grid
from pbr_fairness.audit.expected import EXPECTED_SOURCES, expected_chances
from pbr_fairness.audit.fairness import outcome_gaps
from pbr_fairness.audit.multiple import CORRECTIONS, adjust_pvalues
from pbr_fairness.audit.parking import (
    decile_of,
    minimal_support_threshold,
    parked_share_by_decile,
    parked_share_test,
    slope_tests,
)
from pbr_fairness.audit.power import parking_power, parking_sample_size
from pbr_fairness.audit.report import render_html, write_tables
from pbr_fairness.audit.statistics import (
    clopper_pearson,
    funnel_limits,
    funnel_position,
    oe_interval,
)
from pbr_fairness.errors import InputError, Problem, show_value
from pbr_fairness.limits import MAX_HOURS, check_rng
from pbr_fairness.outputs import write_text
from pbr_fairness.version import package_version

__all__ = ["SUPPORT_UNITS", "AuditResult", "audit_caseload", "support_column"]

logger = logging.getLogger(__name__)

#: Columns an audit cannot do without.
REQUIRED_COLUMNS: tuple[str, ...] = ("provider_id", "job_outcome")
#: Units in which support may be recorded, with the largest value accepted per person (hours:
#: every hour of two years; contacts: as many; spend: ten million pounds, an input bound only).
SUPPORT_UNITS: dict[str, float] = {"hours": MAX_HOURS, "contacts": MAX_HOURS, "spend": 1e7}
_UNIT_WORDS = {"hours": "hours", "contacts": "contacts", "spend": "pounds"}


def support_column(frame: pd.DataFrame, unit: str = "hours") -> str:
    """Return the column holding support in ``unit``.

    That is ``support_<unit>`` if present, else ``support_hours`` (the schema's name, whatever
    the unit; map yours to it with ``--map``).

    Examples
    --------
    >>> support_column(pd.DataFrame({"support_contacts": [1]}), "contacts")
    'support_contacts'
    >>> support_column(pd.DataFrame({"support_hours": [1]}), "spend")
    'support_hours'
    """
    own = f"support_{unit}"
    return own if own in frame.columns else "support_hours"


def frame_sha256(frame: pd.DataFrame) -> str:
    """Content hash of a table (column names, then values row by row)."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, frame.columns)).encode("utf-8"))
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _jsonable(value: Any) -> Any:
    """Turn numpy/pandas scalars (and NaN) into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class AuditResult:
    """Everything an audit found, ready to publish.

    Attributes
    ----------
    providers : list of dict
        One finding per provider, with exactly the keys of issue 6: ``provider_id, n,
        observed_rate, expected_rate, oe_ratio, oe_ci, funnel, parking, creaming, flagged,
        reasons`` (suppressed values are ``None``).
    fairness : dict
        Outcome gaps by characteristic within providers (``table``: list of records) and the
        groups whose outcomes were below expected after multiple-comparison control.
    findings : list of str
        Plain-language findings, most important first.
    tables : dict of str to pandas.DataFrame
        Every table of the report (aggregated and disclosure-controlled).
    provenance : dict
        Input hash, model card id, package version, parameters, seed and date.
    plots : dict
        Aggregated data behind the figures (never one point per person).
    expected : dict
        Where the expected outcomes came from (``source``, ``kind``), the warnings about them,
        and for a cross-fitted case-mix model its discrimination and calibration
        (``case_mix``).
    within_area : dict or None
        With an ``allocation_area`` column: the providers compared directly within areas of
        random allocation (``tests``: one record per provider; ``permutations``).
    """

    providers: list[dict[str, Any]]
    fairness: dict[str, Any]
    findings: list[str]
    tables: dict[str, pd.DataFrame]
    provenance: dict[str, Any]
    plots: dict[str, Any] = field(default_factory=dict, repr=False)
    expected: dict[str, Any] = field(default_factory=dict)
    within_area: dict[str, Any] | None = None

    @property
    def warnings(self) -> list[str]:
        """Warnings about the audit's inputs (for example the synthetic model on real data)."""
        return list(self.expected.get("warnings", []))

    @property
    def flagged(self) -> list[str]:
        """Providers flagged for parking or creaming."""
        return [p["provider_id"] for p in self.providers if p["flagged"]]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON findings as a plain dictionary."""
        return _jsonable(
            {"providers": self.providers, "fairness": self.fairness, "expected": self.expected,
             "within_area": self.within_area, "provenance": self.provenance}
        )

    def to_json(self, path: str | Path | None = None, *, indent: int = 2) -> str:
        """JSON findings; written to ``path`` when given. Returns the text."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False) + "\n"
        if path is not None:
            write_text(path, text)
        return text

    def to_frame(self) -> pd.DataFrame:
        """Tidy (long) table of every provider measure: ``provider_id, measure, value``."""
        t = self.tables["providers"]
        return t.melt(id_vars="provider_id", var_name="measure", value_name="value")

    def to_html(self, path: str | Path | None = None) -> str:
        """Self-contained HTML report; written to ``path`` when given. Returns the text."""
        html = render_html(self)
        if path is not None:
            write_text(path, html)
        return html

    def write_csv(self, directory: str | Path) -> list[Path]:
        """Write every table as CSV (spreadsheet formulas neutralised). Returns the paths."""
        return write_tables(self, directory)

    def summary(self) -> str:
        """Plain-text summary: the findings, then one line per provider."""
        lines = ["Caseload audit", "=" * 14, ""]
        lines += [f"- {f}" for f in self.findings]
        lines.append("")
        for p in self.providers:
            status = "FLAGGED: " + "; ".join(p["reasons"]) if p["flagged"] else (
                "; ".join(p["reasons"]) or "no concern at the stated level"
            )
            lines.append(f"{p['provider_id']}: n={p['n']}, {status}")
        return "\n".join(lines)


def _validate(frame: pd.DataFrame, min_cell: int, alpha: float, correction: str,
              minimal_hours: float | None = None, support_unit: str = "hours",
              options: dict[str, Any] | None = None) -> None:
    problems: list[Problem] = []
    if not isinstance(frame, pd.DataFrame):
        raise InputError([Problem(f"must be a table (pandas.DataFrame), not"
                                  f" {type(frame).__name__}", column="caseload")])
    if support_unit not in SUPPORT_UNITS:
        raise InputError([Problem(f"must be one of {', '.join(SUPPORT_UNITS)}, got"
                                  f" {show_value(support_unit)}", column="support_unit")])
    top = SUPPORT_UNITS[support_unit]
    word = _UNIT_WORDS[support_unit]
    if minimal_hours is not None and not (
        isinstance(minimal_hours, int | float) and 0 <= minimal_hours <= top
    ):
        problems.append(Problem(f"minimal support must be a number of {word} from 0 to"
                                f" {top:g}, got {show_value(minimal_hours)}",
                                column="minimal_hours"))
    for name, (value, allowed) in (options or {}).items():
        if value not in allowed:
            problems.append(Problem(f"must be one of {', '.join(map(str, allowed))}, got"
                                    f" {show_value(value)}", column=name))
    for name in REQUIRED_COLUMNS:
        if name not in frame.columns:
            problems.append(Problem("required column is missing", column=name))
    if not isinstance(min_cell, (int, np.integer)) or min_cell < 1:
        problems.append(Problem(f"min_cell must be a positive integer, got {show_value(min_cell)}",
                                column="min_cell"))
    if not 0 < alpha < 1:
        problems.append(Problem(f"alpha must be between 0 and 1, got {show_value(alpha)}",
                                column="alpha"))
    if correction not in CORRECTIONS:
        problems.append(Problem(f"correction must be one of {', '.join(CORRECTIONS)}, got"
                                f" {correction!r}", column="correction"))
    if len(frame) == 0:
        problems.append(Problem("the caseload has no rows"))
    if problems:
        raise InputError(problems)
    y = pd.to_numeric(frame["job_outcome"], errors="coerce")
    bad = ~y.isin([0, 1]).to_numpy()
    pid = frame["provider_id"]
    missing = pid.isna().to_numpy()
    for mask, column, text in (
        (bad, "job_outcome", "must be 0 or 1"),
        (missing, "provider_id", "is missing"),
    ):
        rows = np.flatnonzero(mask)
        for r in rows[:20]:
            shown = frame[column].iloc[r]
            problems.append(Problem(f"{show_value(shown)} {text}" if column == "job_outcome"
                                    else text,
                                    row=int(r) + 1, column=column))
        if rows.size > 20:
            problems.append(Problem(f"... and {rows.size - 20:,} more", column=column,
                                    count=rows.size - 20))
    col = support_column(frame, support_unit)
    if col in frame.columns:
        h = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
        rows = np.flatnonzero(~np.isfinite(h) | (h < 0) | (h > top))
        for r in rows[:20]:
            problems.append(Problem(f"{show_value(frame[col].iloc[r])} is not a"
                                    f" number of {word} from 0 to {top:g}", row=int(r) + 1,
                                    column=col))
        if rows.size > 20:
            problems.append(Problem(f"... and {rows.size - 20:,} more", column=col,
                                    count=rows.size - 20))
    if "allocation_area" in frame.columns:
        rows = np.flatnonzero(frame["allocation_area"].isna().to_numpy())
        for r in rows[:20]:
            problems.append(Problem("is missing (every person needs the area within which they"
                                    " were allocated)", row=int(r) + 1, column="allocation_area"))
        if rows.size > 20:
            problems.append(Problem(f"... and {rows.size - 20:,} more", column="allocation_area",
                                    count=rows.size - 20))
    if problems:
        raise InputError(problems)


def _cell_table(
    keys: pd.DataFrame, y: np.ndarray, p: np.ndarray, alpha: float
) -> pd.DataFrame:
    """n, O, E, rates, O/E with exact intervals for each combination of ``keys``."""
    g = pd.DataFrame({**{c: keys[c].to_numpy() for c in keys.columns}, "y": y, "p": p})
    agg = g.groupby(list(keys.columns), observed=True, sort=True).agg(
        n=("y", "size"), observed=("y", "sum"), expected=("p", "sum")
    ).reset_index()
    n = agg["n"].to_numpy(dtype=float)
    o = agg["observed"].to_numpy(dtype=float)
    e = agg["expected"].to_numpy(dtype=float)
    lo, hi = clopper_pearson(o, n, alpha)
    olo, ohi = oe_interval(o, e, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        agg["observed_rate"] = o / n
        agg["observed_ci_low"], agg["observed_ci_high"] = lo, hi
        agg["expected_rate"] = e / n
        agg["oe_ratio"] = o / e
    agg["oe_ci_low"], agg["oe_ci_high"] = olo, ohi
    f = funnel_limits(o, e, method="ratio")
    agg["funnel_lower95"], agg["funnel_upper95"] = f.lower95, f.upper95
    agg["funnel_lower998"], agg["funnel_upper998"] = f.lower998, f.upper998
    agg["funnel_z"] = f.z_adjusted
    agg["funnel_position"] = funnel_position(agg["oe_ratio"].to_numpy(dtype=float), f)
    agg.attrs["dispersion"] = f.dispersion
    return agg


def _full_grid(
    table: pd.DataFrame, row: str, column: str, rows: list[Any], columns: list[Any]
) -> pd.DataFrame:
    """Reindex a table of non-empty cells to every (row, column) pair; empty cells hold 0."""
    full = pd.MultiIndex.from_product([rows, columns], names=[row, column])
    out = table.set_index([row, column]).reindex(full).reset_index()
    out["n"] = out["n"].fillna(0).astype(np.int64)
    for c in ("observed", "expected"):
        if c in out.columns:
            out[c] = out[c].fillna(0.0).astype(float)
    if "funnel_position" in out.columns:
        out["funnel_position"] = out["funnel_position"].astype(object).where(out["n"] > 0, "")
    out.attrs = dict(table.attrs)
    return out


def _categories(values: pd.Series) -> list[Any]:
    """Categories of a key column: its declared categories, else its sorted values."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [str(c) for c in values.cat.categories]
    return sorted({str(v) for v in values.dropna()})


def _suppress(table: pd.DataFrame, mask: np.ndarray, keep: tuple[str, ...]) -> pd.DataFrame:
    out = table.copy()
    out["suppressed"] = mask
    for c in out.columns:
        if c in keep or c == "suppressed":
            continue
        if pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].astype("boolean")
        elif pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].astype("Float64")
        else:
            out[c] = out[c].astype(object)
        out.loc[mask, c] = None
    return out


def audit_caseload(
    caseload: pd.DataFrame,
    *,
    model: Any = None,
    expected_column: str | None = None,
    expected_from: Literal["auto", "cross-fit", "model", "column"] = "auto",
    case_mix_features: Sequence[str] | None = None,
    case_mix_split: Literal["kfold", "provider"] = "kfold",
    case_mix_folds: int = 5,
    case_mix_learner: Literal["logistic", "lightgbm"] = "logistic",
    support_unit: Literal["hours", "contacts", "spend"] = "hours",
    permutations: int = 9_999,
    min_cell: int = 10,
    alpha: float = 0.05,
    correction: Literal["holm", "bh", "none"] = "holm",
    far_deciles: int = 3,
    minimal_hours: float | None = None,
    parking_effect: float = 0.10,
    power: float = 0.8,
    rng: np.random.Generator | int | None = None,
    source_sha256: str | None = None,
    source_name: str | None = None,
) -> AuditResult:
    """Audit a provider caseload for parking, creaming and outcome gaps.

    Parameters
    ----------
    caseload : pandas.DataFrame
        One row per person: ``provider_id``, ``job_outcome`` (0/1), and ideally
        ``payment_group``, ``support_hours`` and the protected characteristics.
    model : DistanceModel, str or Path, optional
        Distance model (or its directory) giving expected probabilities. The shipped model
        (trained on synthetic people) is used only when asked for (``expected_from="model"``),
        with a warning when the caseload has no synthetic truth columns.
    expected_column : str, optional
        Column holding expected probabilities (overrides the model).
    expected_from : {"auto", "cross-fit", "model", "column"}, default "auto"
        Source of the expected outcomes. ``auto``: ``expected_column``, else a column
        ``expected_p``, else ``model`` when given, else a case-mix model fitted on this
        caseload, out of sample (``cross-fit``; see
        :func:`~pbr_fairness.audit.casemix.fit_case_mix`).
    case_mix_features : sequence of str, optional
        Columns of the caseload's own that the case-mix model uses beside the schema's
        characteristics present (support, outcomes and the provider never enter it).
    case_mix_split : {"kfold", "provider"}, default "kfold"
        K-fold cross-fitting, or leave-one-provider-out.
    case_mix_folds : int, default 5
        Folds of K-fold cross-fitting.
    case_mix_learner : {"logistic", "lightgbm"}, default "logistic"
        The case-mix model.
    support_unit : {"hours", "contacts", "spend"}, default "hours"
        Unit of the support column (``support_<unit>`` if present, else ``support_hours``);
        the minimal-support threshold is in the same unit.
    permutations : int, default 9999
        Permutations of the within-area tests (with an ``allocation_area`` column).
    min_cell : int, default 10
        Cells with fewer people are suppressed (primary and secondary suppression).
    alpha : float, default 0.05
        Level of every test after multiple-comparison control, and of the intervals.
    correction : {"holm", "bh", "none"}, default "holm"
        Control of the family of parking and creaming tests across providers (family-wise
        error by Holm, false discovery rate by Benjamini-Hochberg).
    far_deciles : int, default 3
        Deciles of expected probability counted as "furthest from work" in the parking test.
    minimal_hours : float, optional
        Support (in ``support_unit``) at or below which a person counts as on minimal
        support (default: the
        contractual minimum seen in the data, see
        :func:`~pbr_fairness.audit.parking.minimal_support_threshold`).
    parking_effect : float, default 0.10
        Parking effect (excess share on minimal support among the far from work) used for
        the sample-size statement of providers with insufficient evidence.
    power : float, default 0.8
        Power wanted in that statement.
    rng : numpy.random.Generator or int, optional
        Seed of the case-mix model's folds and of the within-area permutations (default 0, so
        results repeat); recorded in the provenance.
    source_sha256, source_name : str, optional
        Hash and name of the input file (the command line fills them in).

    Returns
    -------
    AuditResult

    Raises
    ------
    InputError
        Missing columns, outcomes that are not 0/1, probabilities outside [0, 1], bad options.
    """
    check_rng(rng)
    _validate(caseload, min_cell, alpha, correction, minimal_hours, support_unit, {
        "expected": (expected_from, EXPECTED_SOURCES),
        "case-mix split": (case_mix_split, CASE_MIX_SPLITS),
        "case-mix learner": (case_mix_learner, CASE_MIX_LEARNERS),
    })
    if not isinstance(permutations, int | np.integer) or not 99 <= permutations <= 1_000_000:
        raise InputError([Problem(f"must be a whole number from 99 to 1000000, got"
                                  f" {show_value(permutations)}", column="permutations")])
    frame = caseload
    n_total = len(frame)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(
        0 if rng is None else int(rng))
    y = pd.to_numeric(frame["job_outcome"], errors="coerce").to_numpy(dtype=float)
    provider = frame["provider_id"].astype(str).to_numpy()
    source = expected_chances(
        frame, y, expected=expected_from, model=model, expected_column=expected_column,
        case_mix_features=case_mix_features, case_mix_split=case_mix_split,
        case_mix_folds=case_mix_folds, case_mix_learner=case_mix_learner, providers=provider,
        rng=gen)
    for w in source.warnings:
        logger.warning(w)
    expected, expected_source, card_id = source.values, source.description, source.card_id
    unit = _UNIT_WORDS[support_unit]
    support_col = support_column(frame, support_unit)
    has_hours = support_col in frame.columns
    hours: np.ndarray = (
        pd.to_numeric(frame[support_col], errors="coerce").to_numpy(dtype=float)
        if has_hours else np.full(len(frame), np.nan)
    )
    z_alpha = float(stats.norm.ppf(1 - alpha / 2))

    # --- observed against expected, by provider and provider x payment group ------------
    prov = _cell_table(pd.DataFrame({"provider_id": provider}), y, expected, alpha)
    labels = prov["provider_id"].astype(str).tolist()
    k = len(labels)
    sup_prov = suppress_counts(prov["n"].to_numpy()[:, None], min_cell=min_cell,
                               attributes=[prov["observed"].to_numpy()[:, None]],
                               row_totals=False, column_totals=True)
    prov_hidden = sup_prov.cells[:, 0]
    total_hidden = bool(sup_prov.column_totals[0])
    hidden_names = [labels[i] for i in np.flatnonzero(prov_hidden)]
    tables: dict[str, pd.DataFrame] = {}
    if "payment_group" in frame.columns:
        pg = _cell_table(
            pd.DataFrame({"provider_id": provider,
                          "payment_group": frame["payment_group"].astype(str).to_numpy()}),
            y, expected, alpha,
        )
        # A full grid: every provider with every payment group of the contract, so that the
        # rows of a suppressed provider say nothing about who is in it.
        pg = _full_grid(pg, "provider_id", "payment_group", labels,
                        _categories(frame["payment_group"]))
        mask = suppress_grid(pg, row="provider_id", column="payment_group",
                             attributes=("observed",), attribute_margins=("r",),
                             min_cell=min_cell, hidden_rows=hidden_names).mask
        tables["provider_payment_group"] = _suppress(pg, mask, ("provider_id", "payment_group"))

    # --- parking and creaming -------------------------------------------------------------
    threshold = float("nan")
    park_rows: list[dict[str, Any]] = []
    cream_rows: list[dict[str, Any]] = []
    curves: dict[str, Any] = {}
    decile_table = None
    if has_hours:
        threshold = minimal_support_threshold(hours, minimal_hours, min_cell=min_cell)
        parked = hours <= threshold
        decile = decile_of(expected)
        decile_table = parked_share_by_decile(parked, decile, provider)
        # Sort once by expected probability; each provider and its pooled others are then
        # subsequences in the same order (no sort per provider).
        order = np.argsort(expected, kind="stable")
        hours_s, expected_s = hours[order], expected[order]
        codes = pd.Index(labels).get_indexer(provider)
        codes_s = codes[order]
        for j, name in enumerate(labels):
            sel = codes == j
            share = parked_share_test(parked, decile, sel, far_deciles=far_deciles)
            mean_j = hours[sel].mean() if sel.any() else float("nan")
            slope_abs, slope = slope_tests(hours, expected, sel)
            far_fraction = share.n / max(int(sel.sum()), 1)
            # Sample size to detect the stated parking effect at a Bonferroni-safe level.
            alpha_each = alpha / (2 * k) if correction != "none" else alpha
            far_all = parked[decile <= far_deciles]
            base = share.share_others if np.isfinite(share.share_others) else (
                float(np.mean(far_all)) if far_all.size else 0.0)
            base = min(max(base, 0.0), 1.0 - parking_effect - 1e-9)
            try:
                needed = parking_sample_size(base, parking_effect, alpha=alpha_each, power=power,
                                             ratio=max(share.n_others / max(share.n, 1), 1e-9),
                                             fraction=max(far_fraction, 1e-9))
                pw = parking_power(share.n, base, parking_effect, alpha=alpha_each,
                                   ratio=max(share.n_others / max(share.n, 1), 1e-9))
            except ValueError:
                needed, pw = None, float("nan")
            park_rows.append({
                "provider_id": name,
                "minimal_hours": threshold,
                "far_n": share.n,
                "far_parked_share": share.share,
                "far_parked_share_others": share.share_others,
                "share_difference": share.difference,
                "share_ci_low": share.interval(alpha)[0],
                "share_ci_high": share.interval(alpha)[1],
                "share_p_value": share.p_value,
                "hours_mean": mean_j,
                "hours_slope": slope_abs.slope,
                "hours_slope_others": slope_abs.slope_others,
                "relative_slope": slope.slope,
                "relative_slope_others": slope.slope_others,
                "slope_difference": slope.difference,
                "slope_ci_low": slope.interval(alpha)[0],
                "slope_ci_high": slope.interval(alpha)[1],
                "slope_p_value": slope.p_value,
                "p_value": share.p_value,
                "power": pw,
                "n_needed": needed,
            })
            sel_s = codes_s == j
            ci_j = concentration_index_sorted(hours_s[sel_s], expected_s[sel_s])
            ci_o = concentration_index_sorted(hours_s[~sel_s], expected_s[~sel_s])
            diff = ci_j.index - ci_o.index
            se = math.sqrt(ci_j.se**2 + ci_o.se**2) if np.isfinite([ci_j.se, ci_o.se]).all() \
                else float("nan")
            p_c = float(stats.norm.sf(diff / se)) if se and np.isfinite(se) and se > 0 \
                else float("nan")
            cream_rows.append({
                "provider_id": name,
                "index": ci_j.index,
                "ci_low": ci_j.interval(alpha)[0],
                "ci_high": ci_j.interval(alpha)[1],
                "index_others": ci_o.index,
                "difference": diff,
                "difference_ci_low": diff - z_alpha * se,
                "difference_ci_high": diff + z_alpha * se,
                "p_value": p_c,
            })
            if not prov_hidden[j] and sel.sum() >= 2 * min_cell:
                pts = int(min(20, sel.sum() // min_cell))
                curves[name] = [v.tolist() for v in concentration_curve(
                    hours[sel], expected[sel], points=pts)]
    parking_t = pd.DataFrame(park_rows)
    creaming_t = pd.DataFrame(cream_rows)

    # --- provider x decile of expected probability: one protected grid for both tables ----
    # Observed against expected by provider x decile (methods.md section 3.2: O/E near 1 in
    # the bottom deciles and above 1 higher up points to effort concentrated away from the
    # hard to help), and the share on minimal support by the same cells. The far-from-work
    # deciles of each provider are a published subtotal (the parking table's far_n), so they
    # are protected as one.
    dec_all = decile_of(expected)
    deciles = list(range(1, 11))
    pdo = _full_grid(
        _cell_table(pd.DataFrame({"provider_id": provider, "decile": dec_all}), y, expected,
                    alpha),
        "provider_id", "decile", labels, deciles,
    )
    grid = pdo[["provider_id", "decile", "n", "observed"]].copy()
    far_cols = list(range(1, far_deciles + 1))
    if decile_table is not None:
        grid = grid.merge(
            decile_table.assign(parked=np.round(
                decile_table["parked_share"].fillna(0.0) * decile_table["n"]))[
                ["provider_id", "decile", "parked"]],
            on=["provider_id", "decile"], how="left", validate="one_to_one",
        )
        grid["parked"] = grid["parked"].fillna(0.0)
    dec_sup: GridSuppression = suppress_grid(
        grid, row="provider_id", column="decile",
        attributes=("observed",),
        one_sided_attributes=("parked",) if decile_table is not None else (),
        # Published margins: outcomes by provider (the provider table); minimal support by
        # far-from-work subtotal and by decile over all providers (the "others" columns).
        attribute_margins=("r", "cg") if decile_table is not None else ("r",),
        min_cell=min_cell, hidden_rows=hidden_names,
        column_groups=[far_cols] if decile_table is not None else (),
    )
    cell_mask = pd.Series(dec_sup.mask, index=pd.MultiIndex.from_frame(grid[["provider_id",
                                                                              "decile"]]))

    def _mask_for(t: pd.DataFrame) -> np.ndarray:
        keys = pd.MultiIndex.from_frame(t[["provider_id", "decile"]])
        return cell_mask.reindex(keys).fillna(True).to_numpy(dtype=bool)

    # Statistics of the far-from-work group of a provider: counts and shares only where that
    # subtotal is protected; its test only where the group has at least min_cell people.
    far_shown = np.zeros(k, dtype=bool)
    test_shown = np.zeros(k, dtype=bool)
    if has_hours:
        far_totals_hidden = any(dec_sup.column_total_hidden(d) for d in far_cols) or bool(
            dec_sup.suppression.group_column_totals.any())
        far_n = parking_t["far_n"].to_numpy(dtype=float)
        for j, name in enumerate(labels):
            far_shown[j] = not (prov_hidden[j] or far_totals_hidden
                                or dec_sup.group_total_hidden(name))
        test_shown = ~prov_hidden & (far_n >= min_cell)
        parking_t.loc[~test_shown, "p_value"] = np.nan
        parking_t.loc[~test_shown, "share_p_value"] = np.nan
        far_only = ["far_n", "far_parked_share", "far_parked_share_others", "share_difference",
                    "share_ci_low", "share_ci_high", "power", "n_needed"]
        parking_t[far_only] = parking_t[far_only].astype(float)
        parking_t.loc[~far_shown, far_only] = np.nan

    # --- multiple-comparison control over the family of parking and creaming tests -------
    if has_hours and k > 1:
        pv = np.concatenate([parking_t["p_value"].to_numpy(dtype=float),
                             creaming_t["p_value"].to_numpy(dtype=float)])
        pv = np.where(np.concatenate([prov_hidden, prov_hidden]), np.nan, pv)
        adj = adjust_pvalues(pv, correction)
        parking_t["p_adjusted"] = adj[:k]
        creaming_t["p_adjusted"] = adj[k:]
        parking_t["flag"] = np.nan_to_num(adj[:k], nan=1.0) <= alpha
        creaming_t["flag"] = np.nan_to_num(adj[k:], nan=1.0) <= alpha
    elif has_hours:
        for t in (parking_t, creaming_t):
            t["p_adjusted"] = np.nan
            t["flag"] = False

    # --- provider findings ------------------------------------------------------------------
    disp = prov.attrs["dispersion"]
    providers: list[dict[str, Any]] = []
    findings: list[str] = []
    for j, name in enumerate(labels):
        row = prov.iloc[j]
        hidden = bool(prov_hidden[j])
        reasons: list[str] = []
        flagged = False
        park: dict[str, Any] = {"slope": None, "ci": None, "p_value": None, "flag": False}
        cream: dict[str, Any] = {"index": None, "ci": None, "p_value": None, "flag": False}
        funnel = {
            "position": None, "z": None, "lower95": None, "upper95": None, "lower998": None,
            "upper998": None, "expected": None, "overdispersion_phi": disp.phi,
            "tau2": disp.tau2, "overdispersion_applied": disp.applied,
        }
        if hidden:
            reasons.append(f"suppressed to protect small numbers: fewer than {min_cell} people,"
                           " or hidden so that a smaller provider cannot be recovered from the"
                           " total")
        else:
            funnel.update({
                "position": str(row["funnel_position"]), "z": float(row["funnel_z"]),
                "lower95": float(row["funnel_lower95"]), "upper95": float(row["funnel_upper95"]),
                "lower998": float(row["funnel_lower998"]),
                "upper998": float(row["funnel_upper998"]), "expected": float(row["expected"]),
            })
            if has_hours:
                pr, cr = parking_t.iloc[j], creaming_t.iloc[j]
                park = {
                    "slope": float(pr["slope_difference"]),
                    "ci": [float(pr["slope_ci_low"]), float(pr["slope_ci_high"])],
                    "p_value": float(pr["p_value"]) if test_shown[j] else None,
                    "flag": bool(pr["flag"]),
                }
                cream = {
                    "index": float(cr["index"]),
                    "ci": [float(cr["ci_low"]), float(cr["ci_high"])],
                    "p_value": float(cr["p_value"]),
                    "flag": bool(cr["flag"]),
                }
                if park["flag"] and far_shown[j]:
                    flagged = True
                    reasons.append(
                        f"parking: {pr['far_parked_share']:.0%} of its people furthest from work"
                        f" (bottom {far_deciles * 10}% of expected probability) had only minimal"
                        f" support (<= {threshold:.3g} {unit}) against"
                        f" {pr['far_parked_share_others']:.0%} of the same people at the other"
                        f" providers (adjusted p = {pr['p_adjusted']:.2g})"
                    )
                elif park["flag"]:
                    flagged = True
                    reasons.append(
                        f"parking: its people furthest from work (bottom {far_deciles * 10}% of"
                        f" expected probability) more often had only minimal support than the"
                        f" same people at the other providers (adjusted p ="
                        f" {pr['p_adjusted']:.2g}; the shares are suppressed to protect small"
                        f" numbers)"
                    )
                if cream["flag"]:
                    flagged = True
                    reasons.append(
                        f"creaming: support concentrated on those closest to work (concentration"
                        f" index {cr['index']:.3f} against {cr['index_others']:.3f} at the other"
                        f" providers, adjusted p = {cr['p_adjusted']:.2g})"
                    )
                if k == 1:
                    reasons.append("only one provider: parking and creaming are judged against"
                                   " other providers, so they could not be tested")
                elif not park["flag"] and not far_shown[j]:
                    reasons.append(
                        f"insufficient evidence on parking: fewer than {min_cell} people in the"
                        " far-from-work deciles, too few to test"
                        if not test_shown[j] else
                        "parking: not flagged at the stated level (the far-from-work counts are"
                        " suppressed to protect small numbers, so the power is not reported)"
                    )
                elif not park["flag"] and np.isfinite(pr["power"]) and pr["power"] < power:
                    reasons.append(
                        f"insufficient evidence on parking: with {int(pr['far_n'])} people in the"
                        f" far-from-work deciles the test has {pr['power']:.0%} power to detect"
                        f" {parking_effect:.0%} more of them on minimal support; about"
                        f" {int(pr['n_needed']):,} people in this provider would be needed"
                    )
            else:
                reasons.append(f"no {support_col} column: parking and creaming not tested")
            pos = str(row["funnel_position"])
            if pos == "below 99.8%":
                reasons.append("outcomes below the 99.8% funnel limit for its case mix")
            elif pos == "below 95%":
                reasons.append("outcomes below the 95% funnel limit for its case mix")
        providers.append({
            "provider_id": name,
            "n": None if hidden else int(row["n"]),
            "observed_rate": None if hidden else float(row["observed_rate"]),
            "expected_rate": None if hidden else float(row["expected_rate"]),
            "oe_ratio": None if hidden else float(row["oe_ratio"]),
            "oe_ci": None if hidden else [float(row["oe_ci_low"]), float(row["oe_ci_high"])],
            "funnel": funnel,
            "parking": park,
            "creaming": cream,
            "flagged": flagged,
            "reasons": reasons,
        })

    # --- tables -----------------------------------------------------------------------------
    tables = {"providers": _suppress(prov, prov_hidden, ("provider_id",)), **tables}
    if has_hours and decile_table is not None:
        tables["parking"] = _suppress(parking_t, prov_hidden, ("provider_id",))
        tables["creaming"] = _suppress(creaming_t, prov_hidden, ("provider_id",))
        by_decile = _suppress(decile_table, _mask_for(decile_table), ("provider_id", "decile"))
        # "Others" in a decile is the decile's total less the cell: hidden with that total.
        others = ["n_others", "parked_share_others", "difference", "difference_ci_low",
                  "difference_ci_high"]
        gone = by_decile["decile"].map(dec_sup.column_total_hidden).to_numpy(dtype=bool)
        for c in others:
            by_decile[c] = by_decile[c].astype("Float64")
            by_decile.loc[gone, c] = None
        tables["parking_by_decile"] = by_decile
    tables["provider_decile_outcomes"] = _suppress(pdo, _mask_for(pdo), ("provider_id", "decile"))
    gaps = outcome_gaps(frame, y, expected, alpha=alpha, correction=correction,
                        min_cell=min_cell, hidden_providers=hidden_names, providers=labels)
    tables["fairness"] = gaps
    below = gaps[gaps["below_expected"].fillna(False).astype(bool)]

    # --- random allocation within areas: providers compared directly, no model needed ------
    within: dict[str, Any] | None = None
    within_lines: list[str] = []
    if "allocation_area" in frame.columns:
        codes_all = pd.Index(labels).get_indexer(provider)
        comparison = compare_within_areas(
            frame["allocation_area"].astype(str).to_numpy(), codes_all, labels, y,
            parked=(hours <= threshold) if has_hours else None,
            support=hours if has_hours else None,
            decile=dec_all, permutations=int(permutations), rng=gen)
        within, within_lines = _within_area_tables(
            comparison, tables, alpha=alpha, correction=correction, min_cell=min_cell,
            hidden_names=hidden_names, prov_hidden=prov_hidden, mask_for=_mask_for,
            decile_total_hidden=dec_sup.column_total_hidden, unit=unit)
        extra = within.pop("_reasons")
        for p_row in providers:
            p_row["reasons"].extend(extra.get(p_row["provider_id"], []))

    # --- plain-language findings ---------------------------------------------------------------
    findings.extend(f"Warning: {w_text}" for w_text in source.warnings)
    parkers = [p["provider_id"] for p in providers if p["parking"]["flag"]]
    creamers = [p["provider_id"] for p in providers if p["creaming"]["flag"]]
    level = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no"}[correction]
    people = f"Fewer than {min_cell}" if total_hidden else f"{n_total:,}"
    findings.append(
        f"{people} people at {k} provider{'s' if k != 1 else ''} were audited; expected"
        f" outcomes come from the {expected_source}. Tests are at the {alpha:.0%} level after"
        f" {level} multiple-comparison control."
    )
    if not has_hours:
        findings.append(f"The caseload has no {support_col} column, so parking and creaming"
                        " could not be tested.")
    else:
        findings.append(
            "Evidence of parking (the people furthest from work more often left on minimal"
            " support than at other providers): " + (", ".join(parkers) if parkers else "none")
            + "."
        )
        findings.append(
            "Evidence of creaming (support concentrated on those closest to work, more than at"
            " other providers): " + (", ".join(creamers) if creamers else "none") + "."
        )
        weak = [p["provider_id"] for p in providers
                if any(r.startswith("insufficient evidence") for r in p["reasons"])]
        if weak:
            findings.append("Too few people to rule parking out: " + ", ".join(weak)
                            + " (see the sample-size statements).")
    low = [p["provider_id"] for p in providers if (p["funnel"]["position"] or "") == "below 99.8%"]
    if low:
        findings.append("Job-outcome rates below the 99.8% funnel limit for their case mix: "
                        + ", ".join(low) + ".")
    fit = source.case_mix
    if fit is not None:
        # Calibration by decile of the case-mix model's chance: cells of the whole caseload,
        # under the same threshold and group-disclosure rules as every other table.
        cal = fit.calibration.copy()
        count = np.round(cal["observed_rate"].to_numpy() * cal["n"].to_numpy())
        n_cal = cal["n"].to_numpy()
        cal_hidden = (n_cal < min_cell) | (count <= 1) | (count >= n_cal - 1) | total_hidden
        tables["case_mix_calibration"] = _suppress(cal, cal_hidden, ("decile",))
        lo_auc, hi_auc = fit.auc_interval(alpha)
        findings.append(
            f"The case-mix model ({', '.join(fit.features)}) was fitted on this caseload and"
            f" predicts each person out of sample: AUC {fit.auc:.3f} ({lo_auc:.3f} to"
            f" {hi_auc:.3f}), calibration intercept {fit.calibration_intercept:+.3f} (0 is"
            f" calibrated) and slope {fit.calibration_slope:.2f} (1 is calibrated). Support,"
            " outcomes of the person predicted and the provider are not among its inputs.")
    findings.extend(within_lines)
    if gaps.empty:
        findings.append("The caseload has none of the protected characteristics (sex, age,"
                        " disability, ethnicity), so group outcomes were not examined.")
    elif len(below):
        cells = [f"{r.characteristic} = {r.group} at {r.provider_id}" for r in below.itertuples()]
        findings.append("Groups with outcomes below expected after multiple-comparison control: "
                        + "; ".join(cells[:12]) + (" and more" if len(cells) > 12 else "") + ".")
    else:
        findings.append("No group (by sex, age band, disability or ethnicity) had outcomes"
                        " significantly below expected at any provider.")
    if hidden_names:
        findings.append(f"Suppressed to protect small numbers (under {min_cell} people or"
                        f" recoverable from totals): {', '.join(hidden_names)}.")

    seed = rng if isinstance(rng, (int, np.integer)) else None
    provenance = {
        "input_sha256": source_sha256 or frame_sha256(frame),
        "input_name": source_name,
        "model_card_id": card_id,
        "expected_source": expected_source,
        "package_version": package_version(),
        "parameters": {
            "min_cell": int(min_cell), "alpha": float(alpha), "correction": correction,
            "far_deciles": int(far_deciles), "minimal_hours": threshold,
            "minimal_hours_given": minimal_hours, "parking_effect": float(parking_effect),
            "power": float(power), "expected_column": expected_column,
            "expected_from": expected_from, "support_unit": support_unit,
            "support_column": support_col if has_hours else None,
            "case_mix_features": list(case_mix_features or []) or None,
            "case_mix_split": case_mix_split, "case_mix_folds": int(case_mix_folds),
            "case_mix_learner": case_mix_learner,
        },
        "seed": None if seed is None else int(seed),
        "date": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "n_people": None if total_hidden else int(n_total),
        "n_providers": int(k),
    }
    fairness = {
        "characteristics": sorted(gaps["characteristic"].unique().tolist()) if len(gaps) else [],
        "below_expected": [
            {"characteristic": r.characteristic, "provider_id": r.provider_id, "group": r.group}
            for r in below.itertuples()
        ],
        "table": _jsonable(gaps.to_dict(orient="records")),
    }
    plots = {
        "funnel": {
            "units": [
                {"provider_id": labels[j], "expected": float(prov["expected"].iloc[j]),
                 "oe": float(prov["oe_ratio"].iloc[j]), "flagged": providers[j]["flagged"]}
                for j in range(k) if not prov_hidden[j]
            ],
            "tau2": disp.tau2,
        },
        "concentration_curves": curves,
    }
    expected_info = {
        "source": expected_source, "kind": source.kind, "warnings": list(source.warnings),
        "case_mix": None if fit is None else fit.to_dict(min_cell=min_cell),
    }
    return AuditResult(providers, fairness, findings, tables, _jsonable(provenance), plots,
                       _jsonable(expected_info), None if within is None else _jsonable(within))


def _within_area_tables(
    w: WithinArea,
    tables: dict[str, pd.DataFrame],
    *,
    alpha: float,
    correction: str,
    min_cell: int,
    hidden_names: list[str],
    prov_hidden: np.ndarray,
    mask_for: Any,
    decile_total_hidden: Any,
    unit: str,
) -> tuple[dict[str, Any], list[str]]:
    """Disclosure-controlled within-area tables (into ``tables``), JSON and findings."""
    has_support = "parked" in w.grid.columns
    grid_sup = suppress_grid(
        w.grid, row="provider_id", column="allocation_area", attributes=("observed",),
        one_sided_attributes=("parked",) if has_support else (), min_cell=min_cell,
        hidden_rows=hidden_names)
    grid = _suppress(w.grid, grid_sup.mask, ("provider_id", "allocation_area"))
    tables["within_area"] = grid
    tests = w.tests.copy()
    # "Same areas" figures come from the areas' totals: hidden with any total they use.
    areas_hidden = {a for a in grid_sup.columns if grid_sup.column_total_hidden(a)}
    uses_hidden = np.array([
        bool(areas_hidden & set(w.grid.loc[(w.grid["provider_id"] == name)
                                           & (w.grid["n"] > 0), "allocation_area"]))
        for name in tests["provider_id"]])
    families = [("outcome", "outcome_p_lower")]
    if has_support:
        families += [("parked", "parked_p_higher"), ("support", "support_p_two_sided")]
    hide = prov_hidden | uses_hidden
    for prefix, col in families:
        pv = np.where(hide, np.nan, tests[col].to_numpy(dtype=float))
        tests[f"{prefix}_p_adjusted"] = adjust_pvalues(pv, correction)  # type: ignore[arg-type]
    tests["outcome_below"] = np.nan_to_num(tests["outcome_p_adjusted"], nan=1.0) <= alpha
    if has_support:
        tests["parked_above"] = np.nan_to_num(tests["parked_p_adjusted"], nan=1.0) <= alpha
    tables["within_area_tests"] = _suppress(tests, hide, ("provider_id",))
    if w.deciles is not None:
        dec = _suppress(w.deciles, mask_for(w.deciles), ("provider_id", "decile"))
        gone = w.deciles["decile"].map(decile_total_hidden).to_numpy(dtype=bool)
        dec["support_mean_same_areas"] = dec["support_mean_same_areas"].astype("Float64")
        dec.loc[gone, "support_mean_same_areas"] = None
        tables["within_area_deciles"] = dec
    shown = tests[~hide]
    worse = shown.loc[shown["outcome_below"], "provider_id"].tolist()
    lines = [
        f"Allocation to providers was random within {len(grid_sup.columns)} area"
        f"{'s' if len(grid_sup.columns) != 1 else ''} (allocation_area): providers are compared"
        " directly with the other providers in the same areas. This comparison needs no model"
        " of expected outcomes (NIESR 2016 compared Work Programme primes within their contract"
        " areas this way); permutation tests of the allocation, with the same multiple-"
        "comparison control.",
        "Within areas, job-outcome rates below the other providers': "
        + (", ".join(worse) if worse else "none") + ".",
    ]
    reasons: dict[str, list[str]] = {}
    for r in shown.itertuples():
        if r.outcome_below:
            reasons.setdefault(str(r.provider_id), []).append(
                f"within its allocation areas, job-outcome rate {r.outcome_rate:.0%} against"
                f" {r.outcome_rate_same_areas:.0%} at the other providers of the same areas"
                f" (permutation test, adjusted p = {r.outcome_p_adjusted:.2g}; no model needed)")
    if has_support:
        more = shown.loc[shown["parked_above"], "provider_id"].tolist()
        lines.append("Within areas, more people on minimal support than at the other providers:"
                     " " + (", ".join(more) if more else "none") + ".")
        for r in shown.itertuples():
            if r.parked_above:
                reasons.setdefault(str(r.provider_id), []).append(
                    f"within its allocation areas, {r.parked_share:.0%} on minimal support"
                    f" against {r.parked_share_same_areas:.0%} at the other providers of the"
                    f" same areas (permutation test, adjusted p = {r.parked_p_adjusted:.2g};"
                    " no model needed)")
    info: dict[str, Any] = {
        "areas": len(grid_sup.columns), "permutations": w.permutations, "support_unit": unit,
        "tests": tables["within_area_tests"].to_dict(orient="records"), "_reasons": reasons,
    }
    return info, lines
