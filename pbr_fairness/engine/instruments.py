"""Contract instruments beyond fees per outcome, as the engine's arrays and their expected values.

Notation of ``docs/simulation.md``: person *i* reaches a job outcome with probability ``p_i``
(``Y_i = 1``); a *cohort* is the people of one cell (payment group or band) referred
together, and, with several primes, of one prime.

- **Value-added payment** ``T_i (Y_i - b_i)`` against a no-support benchmark ``b_i`` fixed
  before service, netted over the cohort: the cohort is paid ``S_c = sum_{i in c} T_i (Y_i -
  b_i)``, at least ``floor`` (0: never a negative payment over a cohort). The marginal
  incentive is ``T_i P(S_c > floor)``; with many people ``S_c`` is close to normal, so
  ``E[max(S_c, 0)] = mu Phi(mu / sigma) + sigma phi(mu / sigma)`` with ``mu = sum T (p - b)``
  and ``sigma^2 = sum T^2 p (1 - p)``.
- **Accelerator**: per cohort, ``T_lo min(O, O*) + T_hi (O - O*)+`` for ``O`` outcomes above a
  performance level ``O*`` (Work and Health Programme; the Work Programme's minimum
  performance levels). The marginal incentive is ``T_lo + (T_hi - T_lo) P(O >= O*)``; the
  expected payment uses the normal approximation of ``O`` with a continuity correction.
- **Yardstick**: prime ``j`` is paid ``T sum_{i in j, cell} (Y_i - Ybar_{-j, cell})`` against
  the mean outcome of the *other* primes in the same cell (random allocation makes them
  comparable): transfers net to zero across primes, common shocks cancel, and the marginal
  incentive is ``T``, whatever the others do.
- **Cost-sharing**: the commissioner reimburses a share ``alpha_i`` of verified hours
  (a mixed payment, Ellis & McGuire 1986): the provider's cost of an hour is ``(1 - alpha_i) c``.
- **Funded hours**: a floor of ``h_i`` hours the commissioner pays for at cost, verified by
  audit: the person's minimum becomes ``max(e_min, h_i)``.

Cohort-level quantities (the chance a cohort crosses its level, or is in the money) are what
the provider's incentive carries; the engine solves them with the hours by a fixed point
(:func:`pbr_fairness.engine.evaluation.evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from pbr_fairness.errors import InputError, Problem

__all__ = [
    "CohortMoments",
    "InstrumentPlan",
    "Instruments",
    "cohort_moments",
    "expected_excess",
    "probability_at_least",
]

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


def _pdf(z: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = np.exp(-0.5 * z * z) / _SQRT_2PI
    return out


def probability_at_least(
    mean: NDArray[np.float64],
    var: NDArray[np.float64],
    level: NDArray[np.float64],
    third: NDArray[np.float64] | float = 0.0,
) -> NDArray[np.float64]:
    """``P(X >= level)``: the derivative of :func:`expected_excess` in ``mean``.

    With the skewness ``gamma = third / var^1.5`` of the count, the one-term Edgeworth
    expansion gives ``1 - Phi(a) + gamma (a^2 - 1) phi(a) / 6`` at ``a = (level - mean) /
    sd``. The accelerator's marginal incentive is this chance, so that it is exactly the
    derivative of the expected payment.

    Examples
    --------
    >>> import numpy as np
    >>> float(probability_at_least(np.array(50.0), np.array(25.0), np.array(50.0)))
    0.5
    """
    mean = np.asarray(mean, dtype=np.float64)
    var = np.maximum(np.asarray(var, dtype=np.float64), 0.0)
    sd = np.sqrt(var)
    ok = sd > 0
    a = np.where(ok, (level - mean) / np.where(ok, sd, 1.0), 0.0)
    gamma = np.where(ok, third / np.where(ok, var * sd, 1.0), 0.0)
    out: NDArray[np.float64] = np.where(
        ok,
        np.clip(ndtr(-a) + gamma * (a * a - 1.0) * _pdf(a) / 6.0, 0.0, 1.0),
        (mean >= level).astype(float),
    )
    return out


def expected_excess(
    mean: NDArray[np.float64],
    var: NDArray[np.float64],
    level: NDArray[np.float64],
    third: NDArray[np.float64] | float = 0.0,
) -> NDArray[np.float64]:
    """``E[(X - level)+]`` for a sum ``X`` of many independent terms with these cumulants.

    ``sd (phi(a) - a (1 - Phi(a))) + sd gamma a phi(a) / 6`` with ``a = (level - mean) / sd``
    and skewness ``gamma = third / var^1.5``: the normal value and its one-term Edgeworth
    correction (outcome counts of people far from work are skewed). For an integer count
    and an integer level, ``sum_{j > level} P(O >= j)`` with each term ``P(X >= j - 1/2)``
    (the continuity correction) is, by the midpoint rule, this same integral.

    Examples
    --------
    >>> import numpy as np
    >>> bool(expected_excess(np.array(100.0), np.array(1.0), np.array(90.0)) > 9.9)
    True
    >>> round(float(expected_excess(np.array(0.0), np.array(1.0), np.array(0.0))), 4)
    0.3989
    """
    mean = np.asarray(mean, dtype=np.float64)
    var = np.maximum(np.asarray(var, dtype=np.float64), 0.0)
    sd = np.sqrt(var)
    ok = sd > 0
    a = np.where(ok, (level - mean) / np.where(ok, sd, 1.0), 0.0)
    gamma = np.where(ok, third / np.where(ok, var * sd, 1.0), 0.0)
    dens = _pdf(a)
    out: NDArray[np.float64] = np.where(
        ok,
        np.maximum(sd * (dens - a * ndtr(-a)) + sd * gamma * a * dens / 6.0, 0.0),
        np.maximum(mean - level, 0.0),
    )
    return out


@dataclass(frozen=True)
class CohortMoments:
    """Mean and variance per cohort of ``sum_{i in c} a_i Y_i``, ``Y_i ~ Bernoulli(p_i)``."""

    mean: NDArray[np.float64]
    var: NDArray[np.float64]


def cohort_moments(
    codes: NDArray[np.int64], weights: NDArray[np.float64], p: NDArray[np.float64], n: int
) -> CohortMoments:
    """Mean ``sum a_i p_i`` and variance ``sum a_i^2 p_i (1 - p_i)`` per cohort (code ``-1``: none).

    Examples
    --------
    >>> import numpy as np
    >>> m = cohort_moments(np.array([0, 0, 1]), np.ones(3), np.array([0.5, 0.5, 0.2]), 2)
    >>> m.mean.tolist(), m.var.tolist()
    ([1.0, 0.2], [0.5, 0.16000000000000003])
    """
    keep = codes >= 0
    c = codes[keep]
    a, q = weights[keep], p[keep]
    mean = np.bincount(c, weights=a * q, minlength=n).astype(float)
    var = np.bincount(c, weights=a * a * q * (1.0 - q), minlength=n).astype(float)
    return CohortMoments(mean, var)


@dataclass(frozen=True, eq=False)
class Instruments:
    """Per-person (and per-cell) arrays of the instruments a contract uses; all optional.

    A *cell* groups the people a contract prices together (a payment group or a band); a
    *cohort* is one prime's people in one cell. Cell codes are per person, ``-1`` meaning "not
    in this scheme"; per-cell arrays are indexed by the code.

    Attributes
    ----------
    value_added_rate, benchmark : numpy.ndarray
        ``T_i`` (pounds per unit of ``Y_i - b_i``) and the benchmark ``b_i``.
    value_added_cell : numpy.ndarray of int
        The netting cell of each person (``-1``: not in the scheme).
    value_added_floor : float or None
        Least payment per cohort in pounds (``0``: never a negative payment over a cohort;
        ``None``: no floor, the cohort's net is settled against the other payments).
    accelerator_cell : numpy.ndarray of int
        The accelerator cell of each person (``-1``: none).
    accelerator_level : numpy.ndarray
        The performance level per cell as an outcome rate: a cohort of ``n`` people has the
        level ``O* = round(level * n)`` outcomes.
    accelerator_low, accelerator_high : numpy.ndarray
        Per cell: the fee per outcome up to ``O*`` and above it (pounds).
    yardstick_rate : numpy.ndarray
        ``T_i`` per person (pounds per unit of ``Y_i - Ybar_{-j, cell}``).
    yardstick_cell : numpy.ndarray of int
        The comparison cell of each person (``-1``: none): primes are compared within it.
    share_shift_value : numpy.ndarray
        Per yardstick cell: what winning the cell is worth to a prime, in pounds per person of
        its cohort (the profit on the referrals that move to the better prime), or None.
    cost_share : numpy.ndarray
        ``alpha_i`` in ``[0, 1)``: the share of each verified hour the commissioner pays.
    funded_hours : numpy.ndarray
        ``h_i``: hours funded at cost by the commissioner (a floor the provider must deliver).
    """

    value_added_rate: NDArray[np.float64] | None = None
    benchmark: NDArray[np.float64] | None = None
    value_added_cell: NDArray[np.int64] | None = None
    value_added_floor: float | None = 0.0
    accelerator_cell: NDArray[np.int64] | None = None
    accelerator_level: NDArray[np.float64] | None = None
    accelerator_low: NDArray[np.float64] | None = None
    accelerator_high: NDArray[np.float64] | None = None
    yardstick_rate: NDArray[np.float64] | None = None
    yardstick_cell: NDArray[np.int64] | None = None
    share_shift_value: NDArray[np.float64] | None = None
    cost_share: NDArray[np.float64] | None = None
    funded_hours: NDArray[np.float64] | None = None

    @property
    def any(self) -> bool:
        """Whether any instrument is in use."""
        return any(
            getattr(self, f.name) is not None
            for f in fields(self)
            if f.name != "value_added_floor"
        )

    @property
    def has_value_added(self) -> bool:
        """Whether value-added payments are in use."""
        return self.value_added_rate is not None

    @property
    def has_accelerator(self) -> bool:
        """Whether an accelerator is in use."""
        return self.accelerator_cell is not None

    @property
    def has_yardstick(self) -> bool:
        """Whether yardstick payments (or a market-share shift) are in use."""
        return self.yardstick_cell is not None

    @property
    def interacts(self) -> bool:
        """Whether a prime's best response depends on the other primes (a market-share shift)."""
        return self.share_shift_value is not None and self.yardstick_cell is not None

    def check(self, n: int) -> None:
        """Raise :class:`~pbr_fairness.errors.InputError` naming every inconsistent field.

        Examples
        --------
        >>> import numpy as np
        >>> Instruments(cost_share=np.array([0.5, 1.5])).check(2)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        pbr_fairness.errors.InputError: instruments: column cost_share: must be in [0, 1), ...
        """
        problems: list[Problem] = []
        groups = {
            "value_added": ("value_added_rate", "benchmark", "value_added_cell"),
            "accelerator": (
                "accelerator_cell", "accelerator_level", "accelerator_low", "accelerator_high",
            ),
        }
        for family, names in groups.items():
            given = [getattr(self, k) is not None for k in names]
            if any(given) and not all(given):
                missing = [k for k, g in zip(names, given, strict=True) if not g]
                problems.append(
                    Problem(f"{family} needs {', '.join(missing)} as well", column=names[0])
                )
        if self.yardstick_cell is not None and (
            self.yardstick_rate is None and self.share_shift_value is None
        ):
            problems.append(
                Problem("needs yardstick_rate or share_shift_value", column="yardstick_cell")
            )
        if self.yardstick_cell is None and (
            self.yardstick_rate is not None or self.share_shift_value is not None
        ):
            problems.append(Problem("needs yardstick_cell", column="yardstick_rate"))
        bounds = {
            "value_added_rate": (0.0, np.inf, False),
            "benchmark": (0.0, 1.0, False),
            "yardstick_rate": (0.0, np.inf, False),
            "cost_share": (0.0, 1.0, True),
            "funded_hours": (0.0, np.inf, False),
        }
        for name in _PER_PERSON:
            v = getattr(self, name)
            if v is None:
                continue
            a = np.asarray(v)
            if a.shape != (n,):
                problems.append(Problem(f"has shape {a.shape}, expected ({n},)", column=name))
                continue
            if not np.all(np.isfinite(a)):
                problems.append(Problem("must be finite", column=name))
                continue
            if name in bounds:
                low, high, open_high = bounds[name]
                bad_high = np.any(a >= high) if open_high else np.any(a > high)
                if np.any(a < low) or bad_high:
                    shown = "1)" if open_high else f"{high:g}]"
                    worst = float(a.max()) if bad_high else float(a.min())
                    word = "up to" if bad_high else "down to"
                    problems.append(
                        Problem(
                            f"must be in [{low:g}, {shown}, got values {word} {worst:g}",
                            column=name,
                        )
                    )
        cells = {
            "value_added_cell": (),
            "accelerator_cell": (
                "accelerator_level", "accelerator_low", "accelerator_high",
            ),
            "yardstick_cell": ("share_shift_value",),
        }
        for cell_name, per_cell in cells.items():
            codes = getattr(self, cell_name)
            if codes is None or np.shape(codes) != (n,):
                continue
            need = int(np.max(codes, initial=-1)) + 1
            for name in per_cell:
                v = getattr(self, name)
                if v is None:
                    continue
                a = np.asarray(v, dtype=float)
                if a.ndim != 1 or a.size < need:
                    problems.append(
                        Problem(f"needs a value for each of the {need} cells", column=name)
                    )
                elif not np.all(np.isfinite(a)) or np.any(a < 0):
                    problems.append(Problem("must be finite and >= 0", column=name))
        if self.accelerator_level is not None and np.any(
            np.asarray(self.accelerator_level, dtype=float) > 1
        ):
            problems.append(Problem("is an outcome rate: must be <= 1", column="accelerator_level"))
        if problems:
            raise InputError(problems, source="instruments")

    def take(self, index: NDArray[np.intp]) -> Instruments:
        """Return the instruments of the people at ``index`` (per-cell arrays kept whole)."""
        kw: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            kw[f.name] = v[index] if (f.name in _PER_PERSON and v is not None) else v
        return Instruments(**kw)


_PER_PERSON = frozenset(
    {
        "value_added_rate", "benchmark", "value_added_cell", "accelerator_cell",
        "yardstick_rate", "yardstick_cell", "cost_share", "funded_hours",
    }
)


def _attribute(
    code: NDArray[np.int64], linear: NDArray[np.float64], total: NDArray[np.float64],
    size: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Share cohort totals out: each person's linear part plus an equal share of the rest."""
    keep = code >= 0
    c = code[keep]
    rest = total - np.bincount(c, weights=linear[keep], minlength=total.size)
    out = np.zeros(code.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(size > 0, rest / np.where(size > 0, size, 1.0), 0.0)
    out[keep] = linear[keep] + share[c]
    return out


@dataclass(frozen=True, eq=False)
class _Cohorts:
    """One prime's people in one cell: per-person codes and per-cohort cell, prime and size."""

    code: NDArray[np.int64]
    cell: NDArray[np.int64]
    prime: NDArray[np.int64]
    size: NDArray[np.float64]

    @classmethod
    def build(cls, cell: NDArray[np.int64], prime: NDArray[np.int64], n_primes: int) -> _Cohorts:
        cell = np.asarray(cell, dtype=np.int64)
        n_cells = int(cell.max(initial=-1)) + 1
        code = np.where(cell >= 0, cell * n_primes + prime, -1)
        n = n_cells * n_primes
        size = np.bincount(code[code >= 0], minlength=n).astype(float)
        ids = np.arange(n)
        return cls(code, ids // n_primes, ids % n_primes, size)

    @property
    def n(self) -> int:
        return int(self.size.size)

    def sums(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Sum ``x`` over each cohort's people."""
        if self.everyone:
            return np.bincount(self.code, weights=x, minlength=self.n).astype(float, copy=False)
        keep = self.code >= 0
        return np.bincount(self.code[keep], weights=x[keep], minlength=self.n).astype(float)

    @property
    def everyone(self) -> bool:
        """Whether every person is in some cohort (no masking needed)."""
        flag = self.__dict__.get("_everyone")
        if flag is None:
            flag = bool(np.all(self.code >= 0))
            object.__setattr__(self, "_everyone", flag)
        return bool(flag)

    def others_mean(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Per cohort: the mean of ``x`` over the other primes' people in the same cell."""
        own = self.sums(x)
        n_cells = int(self.cell.max(initial=-1)) + 1
        cell_sum = np.bincount(self.cell, weights=own, minlength=n_cells)
        cell_n = np.bincount(self.cell, weights=self.size, minlength=n_cells)
        other_n = cell_n[self.cell] - self.size
        ok = other_n > 0
        mean = np.where(ok, (cell_sum[self.cell] - own) / np.where(ok, other_n, 1.0), 0.0)
        return mean, ok


@dataclass(frozen=True, eq=False)
class InstrumentPlan:
    """A contract's instruments laid out on a caseload's primes: the one home of their formulas.

    Built once per evaluation (:meth:`build`); every method is vectorised over people.

    - :meth:`marginal`: what one more unit of a person's outcome probability is worth to
      their prime through the instruments (pounds, before discounting) given everyone's
      outcome probabilities: ``T_i Phi(z_c) + phi(z_c) T_i^2 (1 - 2 p_i) / (2 sigma_c)``
      for a floored value-added cohort (the exact derivative of the expected payment under the
      normal approximation); ``T_lo + (T_hi - T_lo) [Phi(z_c) + phi(z_c) (1 - 2 p_i) /
      (2 sigma_c)]`` for an accelerator; ``T_i`` for a yardstick; ``V_c phi(z_c) / s_c [1 -
      z_c (1 - 2 p_i) / (2 s_c n_c)]`` for a market-share shift.
    - :meth:`expected` and :meth:`realised`: the payments, attributed to people (each
      person's linear part plus an equal share of the cohort's remainder, so that people sum
      to cohorts exactly).
    - :meth:`costs`, :meth:`minimums`, :meth:`reimbursement`: cost-sharing and funded hours.
    """

    instruments: Instruments
    prime: NDArray[np.int64]
    n_primes: int
    va: _Cohorts | None
    acc: _Cohorts | None
    yard: _Cohorts | None
    acc_level: NDArray[np.float64] | None

    @classmethod
    def build(
        cls, instruments: Instruments, prime: NDArray[np.int64], n_primes: int
    ) -> InstrumentPlan:
        """Lay the instruments out on the primes (``prime``: each person's prime, 0-based)."""
        inst = instruments
        prime = np.asarray(prime, dtype=np.int64)
        va = (
            _Cohorts.build(inst.value_added_cell, prime, n_primes)
            if inst.value_added_rate is not None and inst.value_added_cell is not None
            else None
        )
        acc = (
            _Cohorts.build(inst.accelerator_cell, prime, n_primes)
            if inst.accelerator_cell is not None
            else None
        )
        yard = (
            _Cohorts.build(inst.yardstick_cell, prime, n_primes)
            if inst.yardstick_cell is not None
            else None
        )
        level = None
        if acc is not None:
            rate = np.asarray(inst.accelerator_level, dtype=float)[acc.cell]
            level = np.round(rate * acc.size)
        return cls(inst, prime, int(n_primes), va, acc, yard, level)

    def units(self) -> tuple[NDArray[np.int64], int]:
        """Each person's decision unit (``-1``: none) and the number of units.

        A unit is the people who share every cohort (value-added, accelerator, yardstick):
        one prime's people in one cell when the families use the same cells. A prime decides
        unit by unit whether a cohort's level is worth going for.
        """
        parts = [c for c in (self.va, self.acc, self.yard) if c is not None]
        out = np.zeros(self.prime.size, dtype=np.int64)
        inside = np.zeros(self.prime.size, dtype=bool)
        n = 1
        for c in parts:  # mixed radix: one code per combination of cohorts (+1: "none")
            out = out * (c.n + 1) + (c.code + 1)
            inside |= c.code >= 0
            n *= c.n + 1
        if not parts:
            return np.full(self.prime.size, -1, dtype=np.int64), 0
        return np.where(inside, out, -1), n

    # -- hours: cost-sharing and funded hours ---------------------------------------------
    def costs(self, cost: float) -> NDArray[np.float64] | None:
        """Each person's own cost of an hour to the provider, ``(1 - alpha_i) c`` (None: ``c``)."""
        a = self.instruments.cost_share
        return None if a is None else (1.0 - np.asarray(a, dtype=float)) * cost

    def minimums(self, minimum: float) -> NDArray[np.float64] | None:
        """Each person's floor of hours, ``max(e_min, h_i)`` (None: ``e_min`` for everyone)."""
        f = self.instruments.funded_hours
        return None if f is None else np.maximum(minimum, np.asarray(f, dtype=float))

    def reimbursement(self, hours: NDArray[np.float64], cost: float) -> NDArray[np.float64]:
        """Return the pay for verified hours, ``c h_i + alpha_i c (e_i - h_i)``."""
        inst = self.instruments
        if inst.funded_hours is None and inst.cost_share is None:
            return np.zeros(hours.shape)
        funded = (
            np.zeros_like(hours)
            if inst.funded_hours is None
            else np.minimum(np.asarray(inst.funded_hours, dtype=float), hours)
        )
        share = 0.0 if inst.cost_share is None else np.asarray(inst.cost_share, dtype=float)
        out: NDArray[np.float64] = cost * funded + share * cost * (hours - funded)
        return out

    # -- payments that depend on outcomes --------------------------------------------------
    def _va_terms(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        inst = self.instruments
        return (
            np.asarray(inst.value_added_rate, dtype=float),
            np.asarray(inst.benchmark, dtype=float),
        )

    @staticmethod
    def _cumulants(
        c: _Cohorts, a: NDArray[np.float64], p: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Per cohort: the variance and third cumulant of ``sum a_i Y_i`` (and ``sum a_i p_i``)."""
        q = p * (1.0 - p)
        return c.sums(a * p), c.sums(a * a * q), c.sums(a**3 * q * (1.0 - 2.0 * p))

    def _acc_fees(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        c, inst = self.acc, self.instruments
        assert c is not None
        low = np.asarray(inst.accelerator_low, dtype=float)[c.cell]
        high = np.asarray(inst.accelerator_high, dtype=float)[c.cell]
        return low, high

    def _shift_z(
        self, p: NDArray[np.float64], others: NDArray[np.float64] | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
        """Per cohort: ``z`` (own rate less the others', in sd), the sd, whether defined.

        ``others``: the chances to take for the other primes' people (default ``p``), to
        value one prime's deviation with the others held where they are.
        """
        c = self.yard
        assert c is not None
        q = p if others is None else others
        n = np.where(c.size > 0, c.size, 1.0)
        rate = c.sums(p) / n
        own_pq = c.sums(p * (1.0 - p))
        other_rate, ok = c.others_mean(q)
        q_pq = c.sums(q * (1.0 - q))
        n_cells = int(c.cell.max(initial=-1)) + 1
        # the variance of the others' mean: their sum of p(1 - p) over their count squared
        cell_pq = np.bincount(c.cell, weights=q_pq, minlength=n_cells)
        cell_n = np.bincount(c.cell, weights=c.size, minlength=n_cells)
        other_n = np.maximum(cell_n[c.cell] - c.size, 1.0)
        s = np.sqrt(own_pq / (n * n) + (cell_pq[c.cell] - q_pq) / (other_n * other_n))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(s > 0, (rate - other_rate) / np.where(s > 0, s, 1.0), 0.0)
        return z, s, ok & (c.size > 0)

    @staticmethod
    def _threshold_slope(
        mean: NDArray[np.float64],
        var: NDArray[np.float64],
        third: NDArray[np.float64],
        level: NDArray[np.float64],
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per cohort: ``dE/dmean`` and ``dE/dvar`` of ``E[(X - level)+]`` (normal part)."""
        sd = np.sqrt(np.maximum(var, 0.0))
        ok = sd > 0
        a = np.where(ok, (level - mean) / np.where(ok, sd, 1.0), 0.0)
        d_var = np.where(ok, _pdf(a) / np.where(ok, 2.0 * sd, 1.0), 0.0)
        return probability_at_least(mean, var, level, third), d_var

    def marginal(self, p: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return pounds per unit of each person's outcome probability, via the instruments."""
        inst = self.instruments
        out = np.zeros(p.size)
        if self.va is not None:
            t, b = self._va_terms()
            code, keep = self.va.code, self.va.code >= 0
            if inst.value_added_floor is None:
                out[keep] += t[keep]
            else:
                floor = inst.value_added_floor
                mean, var, third = self._cumulants(self.va, t, p)
                mean = mean - self.va.sums(t * b)
                d_mean, d_var = self._threshold_slope(mean, var, third, np.full_like(mean, floor))
                cc, tk = code[keep], t[keep]
                out[keep] += tk * d_mean[cc] + d_var[cc] * tk * tk * (1.0 - 2.0 * p[keep])
        if self.acc is not None:
            mean, var, third = self._cumulants(self.acc, np.ones(p.size), p)
            low, high = self._acc_fees()
            assert self.acc_level is not None
            d_mean, d_var = self._threshold_slope(mean, var, third, self.acc_level)
            code = self.acc.code
            keep = code >= 0
            cc = code[keep]
            out[keep] += low[cc] + (high[cc] - low[cc]) * (
                d_mean[cc] + d_var[cc] * (1.0 - 2.0 * p[keep])
            )
        if self.yard is not None:
            code = self.yard.code
            keep = code >= 0
            if inst.yardstick_rate is not None:
                out[keep] += np.asarray(inst.yardstick_rate, dtype=float)[keep]
            if inst.share_shift_value is not None:
                # d/dp_i of V n_j Phi(z), z = (r_j - r_-j) / s: the mean and the variance terms
                z, s, ok = self._shift_z(p)
                value = np.asarray(inst.share_shift_value, dtype=float)[self.yard.cell]
                live = ok & (s > 0)
                s1 = np.where(live, s, 1.0)
                per = np.where(live, value * _pdf(z) / s1, 0.0)
                bend = np.where(live, z / (2.0 * s1 * np.maximum(self.yard.size, 1.0)), 0.0)
                cc = code[keep]
                out[keep] += per[cc] * (1.0 - bend[cc] * (1.0 - 2.0 * p[keep]))
        return out

    def threshold_z(self, p: NDArray[np.float64]) -> NDArray[np.float64]:
        """Every threshold cohort's distance from its threshold in standard deviations.

        Floored value-added cohorts (net against the floor) and accelerator cohorts (count
        against the level), concatenated; empty when there are none.
        """
        out = []
        if self.va is not None and self.instruments.value_added_floor is not None:
            t, b = self._va_terms()
            mean, var, _third = self._cumulants(self.va, t, p)
            gap = mean - self.va.sums(t * b) - self.instruments.value_added_floor
            sd = np.sqrt(var)
            out.append(np.where(sd > 0, gap / np.where(sd > 0, sd, 1.0), np.sign(gap) * np.inf))
        if self.acc is not None:
            assert self.acc_level is not None
            mean, var, _third = self._cumulants(self.acc, np.ones(p.size), p)
            gap = mean - self.acc_level
            sd = np.sqrt(var)
            out.append(np.where(sd > 0, gap / np.where(sd > 0, sd, 1.0), np.sign(gap) * np.inf))
        keep = [x[(c.size > 0)] for x, c in zip(out, self._threshold_cohorts(), strict=True)]
        return np.concatenate(keep) if keep else np.zeros(0)

    def _threshold_cohorts(self) -> list[_Cohorts]:
        out = []
        if self.va is not None and self.instruments.value_added_floor is not None:
            out.append(self.va)
        if self.acc is not None:
            out.append(self.acc)
        return out

    def linear_marginal(self) -> NDArray[np.float64]:
        """Return the part of :meth:`marginal` that does not depend on anyone's chances.

        Yardstick rates, unfloored value-added rates and an accelerator's fee below its level.
        """
        inst = self.instruments
        out = np.zeros(self.prime.size)
        if self.va is not None and inst.value_added_floor is None:
            keep = self.va.code >= 0
            out[keep] += np.asarray(inst.value_added_rate, dtype=float)[keep]
        if self.acc is not None:
            low, _high = self._acc_fees()
            keep = self.acc.code >= 0
            out[keep] += low[self.acc.code[keep]]
        if self.yard is not None and inst.yardstick_rate is not None:
            keep = self.yard.code >= 0
            out[keep] += np.asarray(inst.yardstick_rate, dtype=float)[keep]
        return out

    def _payments(
        self,
        y: NDArray[np.float64],
        *,
        expected: bool,
        others: NDArray[np.float64] | None = None,
    ) -> NDArray[np.float64]:
        """Outcome-linked payments per person: expected (``y = p``) or realised (``y = Y``)."""
        inst = self.instruments
        out = np.zeros(y.size)
        if self.va is not None:
            t, b = self._va_terms()
            floor = inst.value_added_floor
            linear = np.where(self.va.code >= 0, t * (y - b), 0.0)
            net = self.va.sums(linear)
            if floor is None:
                total = net
            elif expected:
                _m, var, third = self._cumulants(self.va, t, y)
                total = floor + expected_excess(net, var, np.full_like(net, floor), third)
            else:
                total = np.maximum(net, floor)
            total = np.where(self.va.size > 0, total, 0.0)
            out += _attribute(self.va.code, linear, total, self.va.size)
        if self.acc is not None:
            low, high = self._acc_fees()
            level = self.acc_level
            assert level is not None
            if expected:
                mean, var, third = self._cumulants(self.acc, np.ones(y.size), y)
                total = low * mean + (high - low) * expected_excess(mean, var, level, third)
            else:
                count = self.acc.sums(y)
                total = low * np.minimum(count, level) + high * np.maximum(count - level, 0.0)
            code = self.acc.code
            lin = np.where(code >= 0, low[np.maximum(code, 0)] * y, 0.0)
            out += _attribute(code, lin, total, self.acc.size)
        if self.yard is not None and inst.yardstick_rate is not None:
            code = self.yard.code
            keep = code >= 0
            other, ok = self.yard.others_mean(y if others is None else others)
            t = np.asarray(inst.yardstick_rate, dtype=float)
            cc = code[keep]
            out[keep] += np.where(ok[cc], t[keep] * (y[keep] - other[cc]), 0.0)
        return out

    def expected(
        self, p: NDArray[np.float64], others: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """Return the expected outcome-linked payment per person (pounds, undiscounted).

        ``others``: the other primes' chances, when they differ from ``p`` (a deviation).
        """
        return self._payments(p, expected=True, others=others)

    def realised(self, outcome: NDArray[np.float64]) -> NDArray[np.float64]:
        """Realised outcome-linked payment per person for one draw of outcomes (0 or 1)."""
        return self._payments(outcome, expected=False)

    def future_value(
        self, p: NDArray[np.float64], others: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """Return the expected value of the share shift to each person's prime, per person."""
        inst = self.instruments
        out = np.zeros(p.size)
        if self.yard is None or inst.share_shift_value is None:
            return out
        z, _s, ok = self._shift_z(p, others)
        value = np.asarray(inst.share_shift_value, dtype=float)[self.yard.cell]
        per = np.where(ok, value * ndtr(z), 0.0)
        keep = self.yard.code >= 0
        out[keep] = per[self.yard.code[keep]]
        return out
