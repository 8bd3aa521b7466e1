"""Where the optimiser's predicted probabilities come from: the pricing model, or a stand-in.

Tariffs are priced on the **pricing model** (``models/pricing``,
:func:`~pbr_fairness.distance.train_pricing_model`), which leaves out sex and ethnicity:
fees priced on them would pay a provider more for a person because of their sex or ethnicity,
direct discrimination under the Equality Act 2010, s.13. ``pricing_features="all"`` opts in to
the full model (``models/default``) with a :class:`PricingFeaturesWarning`; it is there to
measure what the choice costs (:func:`~pbr_fairness.tariffs.pricing.pricing_choice_cost`), not
to pay a provider. The audit and the distance-model pages use the full model: they measure.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pbr_fairness.distance import (
    PRICING_EXCLUDED,
    PRICING_MODEL_DIR,
    DistanceModel,
    excluded_inputs,
    load_default_model,
    load_pricing_model,
)
from pbr_fairness.errors import InputError, Problem

__all__ = [
    "DEFAULT_MODEL_DIR",
    "OPT_IN_WARNING",
    "PRICING_CHOICES",
    "PRICING_MODEL_DIR",
    "PricingFeatures",
    "PricingFeaturesWarning",
    "PricingPredictor",
    "check_pricing_features",
    "predicted_probability",
]

log = logging.getLogger(__name__)

#: The shipped full distance model (written by ``make prepare``).
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "default"

PricingFeatures = Literal["lawful", "all"]
#: ``"lawful"``: the pricing model, without sex and ethnicity (the default); ``"all"``: the
#: full model, every characteristic (opt-in, with a warning).
PRICING_CHOICES: tuple[str, ...] = ("lawful", "all")

#: What the opt-in warns (:class:`PricingFeaturesWarning`; the command line prints it).
OPT_IN_WARNING = (
    "tariffs priced on the full model (pricing_features='all'): its predictions use sex and"
    " ethnicity, so the fees pay a provider more for some people because of their sex or"
    " ethnicity, which would be direct discrimination under the Equality Act 2010, s.13."
    " Use it to measure what leaving them out costs, not to pay a provider."
)

_STAND_IN = "true_p_observable"


class PricingFeaturesWarning(UserWarning):
    """Tariffs are being priced on a model that uses sex and ethnicity (the opt-in)."""


def check_pricing_features(value: Any) -> PricingFeatures:
    """Return a valid pricing choice, or raise the user's mistake.

    Parameters
    ----------
    value : str
        ``"lawful"`` or ``"all"``.

    Returns
    -------
    {"lawful", "all"}

    Raises
    ------
    InputError
        For any other value.

    Examples
    --------
    >>> check_pricing_features("lawful")
    'lawful'
    >>> check_pricing_features("everything")
    Traceback (most recent call last):
    ...
    pbr_fairness.errors.InputError: column pricing_features: must be lawful or all, got 'everything'
    """
    if value == "lawful":
        return "lawful"
    if value == "all":
        return "all"
    raise InputError([Problem(f"must be lawful or all, got {value!r}", column="pricing_features")])


@dataclass(frozen=True)
class PricingPredictor:
    """A model to price tariffs on, with the pricing choice made (what the optimiser uses).

    Anything that takes a model and calls ``predict_proba`` on a caseload can take it; the
    predictions come from :func:`predicted_probability` with ``pricing_features``, and are
    computed (and the opt-in warned) only when they are needed.

    Parameters
    ----------
    model : DistanceModel or path, optional
        A model, a model directory, or ``None``: the shipped model for the choice.
    pricing_features : {"lawful", "all"}, default "lawful"
        Price on the pricing model (no sex or ethnicity) or, opting in, on the full model.
    """

    model: Any = None
    pricing_features: PricingFeatures = "lawful"

    def __post_init__(self) -> None:
        """Check the choice at once (a user's mistake is reported before any work)."""
        check_pricing_features(self.pricing_features)
        if isinstance(self.model, PricingPredictor):
            raise TypeError("a PricingPredictor cannot wrap another PricingPredictor")

    def predict_proba(self, caseload: pd.DataFrame) -> NDArray[np.float64]:
        """Return ``[1 - p, p]`` per person, ``p`` from :func:`predicted_probability`."""
        p = _predict(caseload, self.model, self.pricing_features, allow_stand_in=True)
        return np.column_stack([1.0 - p, p])


def predicted_probability(
    caseload: pd.DataFrame,
    model: Any = None,
    *,
    pricing_features: PricingFeatures = "lawful",
    allow_stand_in: bool = True,
) -> NDArray[np.float64]:
    """Each person's predicted probability of a job outcome, as the commissioner prices it.

    Parameters
    ----------
    caseload : pandas.DataFrame
        People with the model's feature columns.
    model : DistanceModel, path or PricingPredictor, optional
        A fitted :class:`~pbr_fairness.distance.DistanceModel`, a model directory, or any
        object with ``predict_proba``. Default: the shipped model for ``pricing_features``
        (``models/pricing``, or ``models/default`` for ``"all"``).
    pricing_features : {"lawful", "all"}, default "lawful"
        ``"lawful"``: price without sex and ethnicity; a given model that reads them is
        refused. ``"all"``: opt in to a model that uses them, with a
        :class:`PricingFeaturesWarning` naming the Equality Act.
    allow_stand_in : bool, default True
        With ``"all"`` and no model, use the synthetic caseload's ``true_p_observable`` (the
        best prediction possible from every observed characteristic: the model's ceiling),
        with a logged warning. It reads sex and ethnicity, so there is no stand-in for
        ``"lawful"``.

    Returns
    -------
    numpy.ndarray
        Probabilities in ``[0, 1]``.

    Raises
    ------
    InputError
        For a bad ``pricing_features``; a model that reads sex or ethnicity under
        ``"lawful"``; no model and no stand-in.

    Examples
    --------
    >>> from pbr_fairness.caseload.generator import make_caseload
    >>> cl = make_caseload(500, rng=1, providers=2)
    >>> p = predicted_probability(cl)          # the pricing model: no sex, no ethnicity
    >>> bool(((p > 0) & (p < 1)).all())
    True
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     full = predicted_probability(cl, pricing_features="all")
    >>> "Equality Act 2010, s.13" in str(caught[0].message)
    True
    """
    choice = check_pricing_features(pricing_features)
    if isinstance(model, PricingPredictor):
        return np.asarray(model.predict_proba(caseload)[:, 1], dtype=float)
    return _predict(caseload, model, choice, allow_stand_in=allow_stand_in)


def _predict(
    caseload: pd.DataFrame, model: Any, choice: PricingFeatures, *, allow_stand_in: bool
) -> NDArray[np.float64]:
    """Predict for one checked pricing choice (see :func:`predicted_probability`)."""
    if choice == "all":
        warnings.warn(OPT_IN_WARNING, PricingFeaturesWarning, stacklevel=3)
    if model is None:
        shipped = _shipped_model(choice)
        if shipped is not None:
            return np.asarray(shipped.predict_proba(caseload)[:, 1], dtype=float)
        return _stand_in(caseload, choice, allow_stand_in)
    if not hasattr(model, "predict_proba"):
        model = DistanceModel.load(model)
    reads = excluded_inputs(model)
    if choice == "lawful" and reads:
        raise InputError(
            [
                Problem(
                    f"this model reads {', '.join(reads)}: tariffs are priced without"
                    f" {' and '.join(PRICING_EXCLUDED)} (Equality Act 2010, s.13). Give a"
                    " model trained without them (the default models/pricing), or opt in"
                    " with pricing_features='all' (--pricing-features all)",
                    column="model",
                )
            ]
        )
    return np.asarray(model.predict_proba(caseload)[:, 1], dtype=float)


def _shipped_model(choice: PricingFeatures) -> DistanceModel | None:
    """Return the shipped model for a pricing choice, or ``None`` (logged) if unusable."""
    directory = PRICING_MODEL_DIR if choice == "lawful" else DEFAULT_MODEL_DIR
    if not (directory / "model.txt").is_file():
        return None
    try:
        if choice == "lawful":
            return load_pricing_model(directory)
        return load_default_model(directory)
    except (InputError, OSError, ValueError) as exc:  # a model being written, or broken
        log.warning("the shipped model in %s could not be used (%s)", directory, exc)
        return None


def _stand_in(
    caseload: pd.DataFrame, choice: PricingFeatures, allow_stand_in: bool
) -> NDArray[np.float64]:
    """Return the ``true_p_observable`` stand-in (full pricing only), or raise."""
    if choice == "all" and allow_stand_in and _STAND_IN in caseload.columns:
        log.warning(
            "no distance model found (%s): using the caseload's %s as the prediction",
            DEFAULT_MODEL_DIR,
            _STAND_IN,
        )
        return np.clip(caseload[_STAND_IN].to_numpy(dtype=float), 0.0, 1.0)
    if choice == "lawful":
        message = (
            f"no pricing model in {PRICING_MODEL_DIR}: run `make prepare` to write it (the"
            f" caseload's {_STAND_IN} is no stand-in: it uses sex and ethnicity), give a model"
            " trained without sex and ethnicity, or give the predictions"
        )
    else:
        message = (
            "predicted probabilities are needed: give a distance model (--model DIR) or run "
            "`make prepare` to write models/default"
        )
    raise InputError([Problem(message, column="model")])
