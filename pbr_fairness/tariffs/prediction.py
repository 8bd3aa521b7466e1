"""Where the optimiser's predicted probabilities come from: the distance model, or a stand-in."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pbr_fairness.distance import predict_probability
from pbr_fairness.errors import InputError, Problem

__all__ = ["DEFAULT_MODEL_DIR", "predicted_probability"]

log = logging.getLogger(__name__)

#: The shipped distance model (written by ``make prepare``).
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "default"

_STAND_IN = "true_p_observable"


def predicted_probability(
    caseload: pd.DataFrame, model: Any = None, *, allow_stand_in: bool = True
) -> NDArray[np.float64]:
    """Each person's predicted probability of a job outcome, as the commissioner sees it.

    Parameters
    ----------
    caseload : pandas.DataFrame
        People with the model's feature columns.
    model : DistanceModel or path, optional
        A fitted :class:`~pbr_fairness.distance.DistanceModel` or a model directory. Default:
        the shipped model in ``models/default`` when it is there.
    allow_stand_in : bool, default True
        Without a model, use the synthetic caseload's ``true_p_observable`` (the best
        prediction possible from the observed characteristics: the model's ceiling), with a
        logged warning.

    Returns
    -------
    numpy.ndarray
        Probabilities in ``[0, 1]``.

    Raises
    ------
    InputError
        If there is no model and no stand-in column.
    """
    if model is None and DEFAULT_MODEL_DIR.is_dir() and any(DEFAULT_MODEL_DIR.iterdir()):
        try:
            return np.asarray(predict_probability(DEFAULT_MODEL_DIR, caseload), dtype=float)
        except (InputError, OSError, ValueError) as exc:  # a model being written, or broken
            log.warning("the shipped model could not be used (%s)", exc)
    if model is not None:
        if hasattr(model, "predict_proba"):
            return np.asarray(model.predict_proba(caseload)[:, 1], dtype=float)
        return np.asarray(predict_probability(model, caseload), dtype=float)
    if allow_stand_in and _STAND_IN in caseload.columns:
        log.warning(
            "no distance model found (%s): using the caseload's %s as the prediction",
            DEFAULT_MODEL_DIR,
            _STAND_IN,
        )
        return np.clip(caseload[_STAND_IN].to_numpy(dtype=float), 0.0, 1.0)
    raise InputError(
        [
            Problem(
                "predicted probabilities are needed: give a distance model (--model DIR) or run "
                "`make prepare` to write models/default",
                column="model",
            )
        ]
    )
