"""Where an audit's expected outcomes come from: a column, a distance model or the caseload.

:func:`expected_chances` resolves the source in this order: a named column
(``expected_column``), a column ``expected_p``, a distance model given by the user, and
otherwise a case-mix model fitted on the audited caseload itself, out of sample
(:func:`~pbr_fairness.audit.casemix.fit_case_mix`). The shipped distance model was trained on
synthetic people: using it on a caseload without the synthetic truth columns (``true_*``)
gives a warning that travels to the command line, the app and the report.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pbr_fairness.audit.casemix import CaseMixFit, fit_case_mix
from pbr_fairness.caseload.schema import TRUTH_COLUMNS
from pbr_fairness.distance import DistanceModel, default_model_dir, load_default_model
from pbr_fairness.errors import InputError, Problem, show_value

__all__ = ["EXPECTED_SOURCES", "SYNTHETIC_MODEL_WARNING", "Expected", "expected_chances"]

#: Values of ``expected``: ``auto`` picks a column, then a given model, then cross-fitting.
EXPECTED_SOURCES: tuple[str, ...] = ("auto", "cross-fit", "model", "column")

#: The warning given when the shipped (synthetic) model scores a caseload that is not synthetic.
SYNTHETIC_MODEL_WARNING = (
    "Expected outcomes come from the shipped distance model, which was trained on synthetic"
    " people, and this caseload has no synthetic truth columns (true_*): on a real caseload its"
    " expectations may mean little, and observed/expected ratios, deciles and the parking test"
    " inherit that. Fit the case mix on this caseload instead (--expected cross-fit, the"
    " default), or give expected chances of your own (--expected-column)."
)


@dataclass(frozen=True)
class Expected:
    """Each person's expected chance of a job outcome, and where it came from.

    Attributes
    ----------
    values : numpy.ndarray
        Expected chances (0-1).
    kind : {"column", "model", "cross-fit"}
        The source.
    description : str
        The source in words (for the findings).
    card_id : str or None
        Model card id of a distance model.
    case_mix : CaseMixFit or None
        The cross-fitted case-mix model and its quality.
    warnings : tuple of str
        Warnings for the user (the shipped synthetic model on a real caseload).
    """

    values: NDArray[np.float64]
    kind: str
    description: str
    card_id: str | None = None
    case_mix: CaseMixFit | None = None
    warnings: tuple[str, ...] = ()


def expected_chances(
    frame: pd.DataFrame,
    y: NDArray[np.float64],
    *,
    expected: Literal["auto", "cross-fit", "model", "column"] = "auto",
    model: Any = None,
    expected_column: str | None = None,
    case_mix_features: Sequence[str] | None = None,
    case_mix_split: Literal["kfold", "provider"] = "kfold",
    case_mix_folds: int = 5,
    case_mix_learner: Literal["logistic", "lightgbm"] = "logistic",
    providers: NDArray[Any] | None = None,
    rng: np.random.Generator | int | None = None,
) -> Expected:
    """Return the expected chances of an audit (see the module docstring for the order).

    Parameters
    ----------
    frame : pandas.DataFrame
        The caseload.
    y : numpy.ndarray
        0/1 job outcomes (the case-mix model's target).
    expected : {"auto", "cross-fit", "model", "column"}, default "auto"
        The source; ``auto``: ``expected_column``, else a column ``expected_p``, else
        ``model`` when one is given, else cross-fitting.
    model : DistanceModel, str or Path, optional
        A distance model or its directory (``expected="model"`` without one: the shipped
        model).
    expected_column : str, optional
        Column of expected chances.
    case_mix_features, case_mix_split, case_mix_folds, case_mix_learner
        Settings of the case-mix model (see :func:`~pbr_fairness.audit.casemix.fit_case_mix`).
    providers : numpy.ndarray, optional
        Provider of each person (for leave-one-provider-out).
    rng : numpy.random.Generator or int, optional
        Seed of the cross-fitting folds.

    Returns
    -------
    Expected

    Raises
    ------
    InputError
        An unknown source, conflicting options, a missing column, chances outside [0, 1].

    Examples
    --------
    >>> frame = pd.DataFrame({"expected_p": [0.2, 0.7]})
    >>> e = expected_chances(frame, np.array([0.0, 1.0]))
    >>> e.kind, e.values.tolist()
    ('column', [0.2, 0.7])
    """
    if expected not in EXPECTED_SOURCES:
        raise InputError([Problem(f"must be one of {', '.join(EXPECTED_SOURCES)}, got"
                                  f" {show_value(expected)}", column="expected")])
    if expected_column is not None and expected not in ("auto", "column"):
        raise InputError([Problem(f"a column of expected chances ({expected_column}) and"
                                  f" expected={expected} exclude each other; give one",
                                  column="expected")])
    if model is not None and expected == "cross-fit":
        raise InputError([Problem("a distance model and expected=cross-fit exclude each"
                                  " other; give one", column="expected")])
    kind = expected
    if kind == "auto":
        if expected_column is not None or (model is None and "expected_p" in frame.columns):
            kind = "column"
        elif model is not None:
            kind = "model"
        else:
            kind = "cross-fit"
    if kind == "column":
        name = expected_column or "expected_p"
        if name not in frame.columns:
            raise InputError([Problem(
                f"expected-probability column {name!r} is not in the caseload (columns:"
                f" {', '.join(map(str, frame.columns[:30]))})", column=name)])
        return Expected(_check_probabilities(frame[name], name), "column", f"column {name}")
    if kind == "cross-fit":
        fit = fit_case_mix(frame, y, features=case_mix_features, split=case_mix_split,
                           folds=case_mix_folds, learner=case_mix_learner, providers=providers,
                           rng=rng)
        how = (f"{fit.folds}-fold cross-fitting" if fit.split == "kfold"
               else "leave-one-provider-out")
        return Expected(fit.expected, "cross-fit",
                        f"case-mix model fitted on this caseload ({fit.learner} regression,"
                        f" {how}; AUC {fit.auc:.2f})" if fit.learner == "logistic" else
                        f"case-mix model fitted on this caseload (LightGBM, {how};"
                        f" AUC {fit.auc:.2f})", case_mix=fit)
    directory: Path | None = None
    shipped = False
    if model is None:
        directory = default_model_dir()
        model = load_default_model(directory)
        shipped = True
    elif isinstance(model, str | Path):
        directory = Path(model)
        model = DistanceModel.load(directory)
        shipped = directory.resolve() == default_model_dir().resolve() or _is_shipped(model)
    else:
        shipped = _is_shipped(model)
    proba = np.asarray(model.predict_proba(frame))[:, 1].astype(float)
    synthetic = any(c in frame.columns for c in TRUTH_COLUMNS)
    notes = (SYNTHETIC_MODEL_WARNING,) if shipped and not synthetic else ()
    return Expected(proba, "model", "shipped distance model (trained on synthetic people)"
                    if shipped else "distance model", _model_card_id(model, directory), None,
                    notes)


def _is_shipped(model: Any) -> bool:
    """Whether a model object is the shipped default model (loaded once per process)."""
    try:
        default = load_default_model()
    except InputError:
        return False
    mine = getattr(model, "training_hash_", None)
    return model is default or (mine is not None and mine == getattr(default, "training_hash_",
                                                                       None))


def _model_card_id(model: Any, directory: Path | None) -> str | None:
    for attr in ("card_id_", "model_id_", "card_id"):
        v = getattr(model, attr, None)
        if v:
            return str(v)
    if directory is not None:
        for name in ("model_card.json", "card.json"):
            f = directory / name
            if f.is_file():
                try:
                    card = json.loads(f.read_text(encoding="utf-8"))
                    for key in ("id", "model_id", "card_id"):
                        if card.get(key):
                            return str(card[key])
                except (OSError, ValueError):
                    pass
        pre = directory / "preprocessing.json"
        if pre.is_file():
            try:
                digest = json.loads(pre.read_text(encoding="utf-8")).get("model_sha256")
                if digest:
                    return f"sha256:{digest}"
            except (OSError, ValueError):
                pass
    h = getattr(model, "training_hash_", None)
    return f"training:{h}" if h else None


def _check_probabilities(col: pd.Series, name: str) -> np.ndarray:
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0) | (values > 1)
    if bad.any():
        rows = np.flatnonzero(bad)
        problems = [
            Problem(f"{show_value(col.iloc[r])} is not a probability between 0 and 1",
                    row=int(r) + 1,
                    column=name)
            for r in rows[:20]
        ]
        if rows.size > 20:
            problems.append(Problem(f"... and {rows.size - 20:,} more", column=name,
                                    count=rows.size - 20))
        raise InputError(problems)
    return values


