"""The shipped default model: how it is recreated from its seed, and how it is loaded.

:func:`train_default_model` draws a synthetic training caseload and a separate test caseload
(:func:`pbr_fairness.caseload.generator.make_caseload`) from one seed, fits
:class:`~pbr_fairness.distance.model.DistanceModel`, evaluates it against the synthetic truth,
builds the fairness table and global SHAP importance, and writes the model files and the model
card. ``make prepare`` and ``pbr-fairness train`` (without ``--data``) call it.

:func:`load_default_model` reads ``models/default/`` once per process (the audit and the
tariff optimiser call it); ``PBR_FAIRNESS_MODEL_DIR`` points it elsewhere.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.distance.card import build_model_card, write_model_card
from pbr_fairness.distance.evaluation import DistanceEvaluation, evaluate_distance_model
from pbr_fairness.distance.explanations import explain
from pbr_fairness.distance.fairness import FairnessReport, fairness_report
from pbr_fairness.distance.model import DistanceModel
from pbr_fairness.errors import InputError, Problem

__all__ = [
    "DEFAULT_MODEL_DIR",
    "DEFAULT_N_TEST",
    "DEFAULT_N_TRAIN",
    "DEFAULT_PROVIDERS",
    "DEFAULT_SEED",
    "DefaultModelResult",
    "default_model_dir",
    "load_default_model",
    "train_default_model",
    "train_model_from_seed",
]

logger = logging.getLogger(__name__)

#: Where the shipped model lives (``models/default`` at the repository root).
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "default"
DEFAULT_SEED = 20261128
DEFAULT_N_TRAIN = 200_000
DEFAULT_N_TEST = 100_000
DEFAULT_PROVIDERS = 4
_ENV = "PBR_FAIRNESS_MODEL_DIR"

_NOTES: tuple[str, ...] = (
    "Synthetic data only: the default model is trained on the project's synthetic"
    " Work Programme-like caseload. Retrain on real referrals (pbr-fairness train"
    " --data) before using it on a real caseload.",
    "Uses only characteristics known at referral (and the payment group); never the"
    " provider, the hours of support, outcomes or any synthetic truth.",
    "Predictive ratios of small groups (about 1,000-3,000 people with few outcomes)"
    " carry sampling noise of several per cent both in the training data the model"
    " learned from and in the test outcomes; the 'model / truth' column compares the"
    " model with the synthetic truth instead of the noisy outcomes.",
)
_PROTECTED_NOTE = (
    "Protected characteristics (sex, age, disability, ethnicity) are model inputs"
    " because the synthetic truth depends on them; a commissioner may retrain without"
    " them (--features) and compare the fairness tables."
)


def default_model_dir() -> Path:
    """Return the default model directory (``$PBR_FAIRNESS_MODEL_DIR`` if set)."""
    env = os.environ.get(_ENV)
    return Path(env) if env else DEFAULT_MODEL_DIR


@lru_cache(maxsize=4)
def _load_cached(path: str) -> DistanceModel:
    return DistanceModel.load(path)


def load_default_model(directory: str | Path | None = None) -> DistanceModel:
    """Load the shipped distance model, once per process and directory.

    Parameters
    ----------
    directory : str or pathlib.Path, optional
        Model directory (default: :func:`default_model_dir`).

    Returns
    -------
    DistanceModel
        The same object on every call for the same directory: do not modify it.

    Raises
    ------
    InputError
        If the directory holds no model (run ``make prepare`` or ``pbr-fairness train``).
    """
    d = Path(directory) if directory is not None else default_model_dir()
    if not (d / "model.txt").is_file():
        raise InputError(
            [Problem("no distance model here; run `make prepare` or `pbr-fairness train` to"
                     " create the default model")],
            source=str(d),
        )
    return _load_cached(str(d.resolve()))


@dataclass(frozen=True)
class DefaultModelResult:
    """What :func:`train_default_model` made.

    Attributes
    ----------
    model : DistanceModel
        The fitted model.
    directory : pathlib.Path
        Where it was written.
    card : dict
        The model card.
    evaluation : DistanceEvaluation or None
        Accuracy on the test caseload.
    fairness : FairnessReport or None
        Fairness table on the test caseload.
    """

    model: DistanceModel
    directory: Path
    card: dict[str, Any]
    evaluation: DistanceEvaluation | None = None
    fairness: FairnessReport | None = None

    def summary(self) -> str:
        """Accuracy tables as Markdown (or a one-line note without evaluation)."""
        if self.evaluation is None:
            return f"Model written to {self.directory}\n"
        return self.evaluation.summary()


def train_default_model(
    out_dir: str | Path | None = None,
    *,
    n: int = DEFAULT_N_TRAIN,
    n_test: int = DEFAULT_N_TEST,
    seed: int = DEFAULT_SEED,
    providers: int = DEFAULT_PROVIDERS,
    evaluate: bool = True,
    n_boot: int = 200,
    shap_sample: int = 5_000,
    model_params: dict[str, Any] | None = None,
) -> DefaultModelResult:
    """Recreate the default model from its seed and write it with its model card.

    Parameters
    ----------
    out_dir : str or pathlib.Path, optional
        Destination (default: ``models/default``).
    n : int, default 200,000
        Training caseload size.
    n_test : int, default 100,000
        Test caseload size (a separate draw).
    seed : int, default 20261128
        Seed; ``SeedSequence(seed).spawn(4)`` gives the training caseload, the test
        caseload, the model and the bootstrap their own streams.
    providers : int, default 4
        Providers in the synthetic caseloads.
    evaluate : bool, default True
        Evaluate on the test caseload, build the fairness table and SHAP importance.
    n_boot : int, default 200
        Bootstrap replicates of the fairness table.
    shap_sample : int, default 5,000
        Test people whose SHAP values give the global importance.
    model_params : dict, optional
        Settings passed to :class:`DistanceModel`.

    Returns
    -------
    DefaultModelResult
    """
    out = Path(out_dir) if out_dir is not None else default_model_dir()
    result = train_model_from_seed(
        out,
        n=n,
        n_test=n_test,
        seed=seed,
        providers=providers,
        evaluate=evaluate,
        n_boot=n_boot,
        shap_sample=shap_sample,
        model_params=model_params,
        notes=[*_NOTES, _PROTECTED_NOTE],
    )
    logger.info("default distance model written to %s", out)
    return result


def train_model_from_seed(
    out_dir: str | Path,
    *,
    features: Sequence[str] | None = None,
    n: int = DEFAULT_N_TRAIN,
    n_test: int = DEFAULT_N_TEST,
    seed: int = DEFAULT_SEED,
    providers: int = DEFAULT_PROVIDERS,
    evaluate: bool = True,
    n_boot: int = 200,
    shap_sample: int = 5_000,
    model_params: dict[str, Any] | None = None,
    notes: Sequence[str] = (),
    name: str | None = None,
    excluded: dict[str, str] | None = None,
) -> DefaultModelResult:
    """Train a model on synthetic caseloads drawn from one seed; write it with its card.

    The recipe of :func:`train_default_model` and
    :func:`~pbr_fairness.distance.pricing.train_pricing_model`: the same seed gives the
    same training and test caseloads, so two models made with one seed differ only in
    ``features``.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Destination.
    features : sequence of str, optional
        Input columns (default: every default feature,
        :data:`~pbr_fairness.distance.features.DEFAULT_FEATURES`).
    n, n_test, seed, providers, evaluate, n_boot, shap_sample, model_params
        As :func:`train_default_model`.
    notes : sequence of str
        The model card's notes.
    name : str, optional
        The model card's title.
    excluded : dict of str to str, optional
        Inputs deliberately left out, each with the reason (shown in the card).

    Returns
    -------
    DefaultModelResult
    """
    out = Path(out_dir)
    s_train, s_test, s_model, s_boot = np.random.SeedSequence(int(seed)).spawn(4)
    train = make_caseload(int(n), rng=np.random.default_rng(s_train), providers=providers)
    params = dict(model_params or {})
    if features is not None:
        params["features"] = list(features)
    model = DistanceModel(rng=np.random.default_rng(s_model), **params)
    model.fit(train, "job_outcome", source="synthetic training caseload")
    training: dict[str, Any] = {
        "source": f"make_caseload(n={int(n)}, providers={providers}) from SeedSequence({seed})"
        " child 0",
        "generator": "pbr_fairness.caseload.generator (parameters in"
        " pbr_fairness/data/generator.yaml)",
        "providers": providers,
    }
    evaluation = fairness = importance = None
    if evaluate:
        test = make_caseload(int(n_test), rng=np.random.default_rng(s_test), providers=providers)
        training.update(
            {
                "test_source": f"make_caseload(n={int(n_test)}, providers={providers}) from"
                f" SeedSequence({seed}) child 1",
                "n_test": int(n_test),
            }
        )
        evaluation = evaluate_distance_model(model, test, train=train)
        training["test_hash"] = evaluation.provenance["test_hash"]
        boot_rng = np.random.default_rng(s_boot)
        fairness = fairness_report(model, test, n_boot=n_boot, rng=boot_rng)
        sample = test.iloc[: int(shap_sample)]
        importance = explain(model, sample).global_importance()
    model.save(out)
    card = build_model_card(
        model,
        training=training,
        evaluation=evaluation,
        fairness=fairness,
        importance=importance,
        seed=int(seed),
        notes=list(notes),
        name=name,
        excluded=excluded,
    )
    write_model_card(card, out)
    _load_cached.cache_clear()
    return DefaultModelResult(model, out, card, evaluation, fairness)
