"""The pricing model: the distance model tariffs are priced on, without sex and ethnicity.

A tariff priced on a model's prediction pays a provider more for some people than for others
because of the model's inputs. Paying more for a person because of their sex or ethnicity would
be direct discrimination: "A person (A) discriminates against another (B) if, because of a
protected characteristic, A treats B less favourably than A treats or would treat others"
(Equality Act 2010, s.13(1); race includes ethnic origins, s.9). The pricing model is therefore
the shipped model's recipe (:func:`~pbr_fairness.distance.default.train_model_from_seed`, with
the same seed, so the same training and test caseloads) without those two inputs
(:data:`PRICING_EXCLUDED`). The other inputs stay:

- **disability**: treating disabled people more favourably than others is not direct
  discrimination against those who are not disabled (s.13(3)), and a model that knows a
  person is disabled predicts a lower chance, so the tariff pays *more* for them;
- **benefit type and payment group**: the Work Programme priced on them (its payment groups
  were based on the benefit claimed at referral; ``shared/reference/work_programme.md``);
- **age**: direct age discrimination is lawful when shown to be a proportionate means of
  achieving a legitimate aim (s.13(2)); the Work Programme's groups split jobseekers at 25.

Characteristics that correlate with sex or ethnicity (lone parent, criminal record, English
language need, region) are needs in their own right and are kept: whether pricing on them
is justified is a question of indirect discrimination (s.19, a proportionate means of
achieving a legitimate aim) for the commissioner's equality impact assessment. The model
card's fairness table shows the predictions by sex and ethnicity all the same.

The *audit* and the distance-model pages keep the full model (``models/default``): they
measure, they do not pay.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pbr_fairness.caseload import schema
from pbr_fairness.distance.default import (
    DEFAULT_N_TEST,
    DEFAULT_N_TRAIN,
    DEFAULT_PROVIDERS,
    DEFAULT_SEED,
    DefaultModelResult,
    load_default_model,
    train_model_from_seed,
)
from pbr_fairness.distance.features import DEFAULT_FEATURES
from pbr_fairness.distance.model import DistanceModel
from pbr_fairness.errors import InputError, Problem

__all__ = [
    "EXCLUSION_REASONS",
    "PRICING_EXCLUDED",
    "PRICING_MODEL_DIR",
    "PRICING_MODEL_FEATURES",
    "PRICING_SEED",
    "excluded_inputs",
    "load_pricing_model",
    "train_pricing_model",
]

logger = logging.getLogger(__name__)

#: Protected characteristics a tariff is never priced on unless the user opts in.
#: Each is one of :data:`pbr_fairness.caseload.schema.PROTECTED_CHARACTERISTICS`.
PRICING_EXCLUDED: tuple[str, ...] = tuple(
    c for c in schema.PROTECTED_CHARACTERISTICS if c in ("sex", "ethnicity")
)

#: The pricing model's inputs: the default features without :data:`PRICING_EXCLUDED`.
PRICING_MODEL_FEATURES: tuple[str, ...] = tuple(
    f for f in DEFAULT_FEATURES if f not in PRICING_EXCLUDED
)

#: Where the shipped pricing model lives (``models/pricing`` at the repository root).
PRICING_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "pricing"

#: The default model's seed: the two models differ only in their inputs.
PRICING_SEED = DEFAULT_SEED

_S13 = (
    "Equality Act 2010, s.13(1): 'A person (A) discriminates against another (B) if, because"
    " of a protected characteristic, A treats B less favourably than A treats or would treat"
    " others.'"
)
#: Why each input is left out, and why the protected characteristics kept are kept.
EXCLUSION_REASONS: dict[str, str] = {
    "sex": "Left out. Fees priced on it would pay a provider more or less for a person because"
    f" of their sex: direct discrimination ({_S13}).",
    "ethnicity": "Left out. Fees priced on it would pay a provider more or less for a person"
    f" because of their ethnic origins (race, s.9): direct discrimination ({_S13}).",
    "disability (kept)": "s.13(3): if B is not disabled, A does not discriminate against B"
    " only because A treats disabled persons more favourably; a model that knows a person is"
    " disabled predicts a lower chance, so fees for them are higher.",
    "payment_group, benefit (kept)": "The Work Programme priced on benefit type: its payment"
    " groups were based on the benefit claimed at referral (Work and Pensions Committee 2011,"
    " HC 718, para 3; shared/reference/work_programme.md).",
    "age (kept)": "s.13(2): treatment because of age is not direct discrimination if shown to"
    " be a proportionate means of achieving a legitimate aim; the Work Programme's payment"
    " groups split jobseekers at 25.",
    "proxies (kept)": "Lone parent, criminal record, English-language need and region"
    " correlate with sex or ethnicity in the synthetic caseload but are needs in their own"
    " right; whether pricing on them is justified is a question of indirect discrimination"
    " (s.19) for the commissioner's equality impact assessment. The fairness table shows the"
    " predictions by sex and ethnicity.",
}

_NOTES: tuple[str, ...] = (
    "The pricing model: tariffs (pbr_fairness.tariffs.optimise_tariff and"
    " tariff_robustness) are priced on it unless the user opts in to the full model"
    " (pricing_features='all', with a warning). The audit and the distance-model pages use"
    " the full model in models/default: they measure, they do not pay.",
    "Trained with the default model's recipe and seed (the same training and test"
    " caseloads); it differs from models/default only in leaving out sex and ethnicity.",
    "Synthetic data only: retrain on real referrals before using it on a real caseload.",
    "Uses only characteristics known at referral (and the payment group); never the"
    " provider, the hours of support, outcomes or any synthetic truth. The oracle"
    " (true_p_observable) knows every observed characteristic, sex and ethnicity included:"
    " the gap to it is the information left out.",
)


def excluded_inputs(model: Any) -> tuple[str, ...]:
    """Return the inputs of :data:`PRICING_EXCLUDED` that a model reads.

    Parameters
    ----------
    model : DistanceModel or estimator
        A fitted model: its ``features_.names`` (a :class:`DistanceModel`) or its
        ``feature_names_in_`` (any scikit-learn estimator fitted on a table).

    Returns
    -------
    tuple of str
        The excluded inputs it reads (empty when it reads none, or when its inputs are not
        named).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"age": rng.integers(16, 70, 400), "sex": rng.choice(["F", "M"], 400)})
    >>> y = (rng.random(400) < 0.6 - X["age"] / 140).astype(int)
    >>> excluded_inputs(DistanceModel(n_estimators=20, rng=0).fit(X, y))
    ('sex',)
    >>> excluded_inputs(DistanceModel(["age"], n_estimators=20, rng=0).fit(X, y))
    ()
    """
    spec = getattr(model, "features_", None)
    names: Any = getattr(spec, "names", None)
    if names is None:
        names = getattr(model, "feature_names_in_", None)
    read = {str(n) for n in (names if names is not None else ())}
    return tuple(f for f in PRICING_EXCLUDED if f in read)


def load_pricing_model(directory: str | Path | None = None) -> DistanceModel:
    """Load the shipped pricing model, once per process and directory.

    Parameters
    ----------
    directory : str or pathlib.Path, optional
        Model directory (default: :data:`PRICING_MODEL_DIR`).

    Returns
    -------
    DistanceModel
        The same object on every call for the same directory: do not modify it.

    Raises
    ------
    InputError
        If the directory holds no model (run ``make prepare``), or if the model reads sex or
        ethnicity.
    """
    d = Path(directory) if directory is not None else PRICING_MODEL_DIR
    if not (d / "model.txt").is_file():
        raise InputError(
            [Problem("no pricing model here; run `make prepare` to create models/pricing")],
            source=str(d),
        )
    model = load_default_model(d)
    reads = excluded_inputs(model)
    if reads:
        raise InputError(
            [Problem(f"a pricing model must not read {', '.join(reads)}", column="features")],
            source=str(d),
        )
    return model


def train_pricing_model(
    out_dir: str | Path | None = None,
    *,
    n: int = DEFAULT_N_TRAIN,
    n_test: int = DEFAULT_N_TEST,
    seed: int = PRICING_SEED,
    providers: int = DEFAULT_PROVIDERS,
    evaluate: bool = True,
    n_boot: int = 200,
    shap_sample: int = 5_000,
    model_params: dict[str, Any] | None = None,
) -> DefaultModelResult:
    """Recreate the pricing model from its seed and write it with its model card.

    The default model's recipe (:func:`~pbr_fairness.distance.train_default_model`) with the
    inputs :data:`PRICING_MODEL_FEATURES`: every default feature but sex and ethnicity. The
    card states what was left out and why (:data:`EXCLUSION_REASONS`).

    Parameters
    ----------
    out_dir : str or pathlib.Path, optional
        Destination (default: :data:`PRICING_MODEL_DIR`).
    n : int, default 200,000
        Training caseload size.
    n_test : int, default 100,000
        Test caseload size (a separate draw).
    seed : int, default 20261128
        Seed (the default model's, :data:`PRICING_SEED`).
    providers : int, default 4
        Providers in the synthetic caseloads.
    evaluate : bool, default True
        Evaluate on the test caseload, build the fairness table and SHAP importance.
    n_boot : int, default 200
        Bootstrap replicates of the fairness table.
    shap_sample : int, default 5,000
        Test people whose SHAP values give the global importance.
    model_params : dict, optional
        Settings passed to :class:`DistanceModel` (not ``features``).

    Returns
    -------
    DefaultModelResult

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     made = train_pricing_model(d, n=2000, evaluate=False)
    ...     sorted(made.card["excluded_features"])[:2]
    ['age (kept)', 'disability (kept)']
    >>> excluded_inputs(made.model)
    ()
    """
    out = Path(out_dir) if out_dir is not None else PRICING_MODEL_DIR
    params = {k: v for k, v in (model_params or {}).items() if k != "features"}
    result = train_model_from_seed(
        out,
        features=PRICING_MODEL_FEATURES,
        n=n,
        n_test=n_test,
        seed=seed,
        providers=providers,
        evaluate=evaluate,
        n_boot=n_boot,
        shap_sample=shap_sample,
        model_params=params,
        notes=_NOTES,
        name="pbr-fairness pricing model (distance from employment without sex and ethnicity)",
        excluded=EXCLUSION_REASONS,
    )
    logger.info("pricing model written to %s", out)
    return result
