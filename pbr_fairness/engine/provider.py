"""Provider and planner settings, with a documented source for every default.

The defaults of :class:`ProviderSettings` are read from the synthetic generator's historic
regime (``pbr_fairness/data/generator.yaml``, section ``historic_regime``), the values the
caseload was calibrated with; a test checks that the two agree.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from pbr_fairness.errors import InputError, Problem, show_value
from pbr_fairness.limits import (
    MAX_CAPACITY_HOURS,
    MAX_COST_PER_HOUR,
    MAX_HOURS,
    MAX_INFORMATION_NOISE,
    read_limited,
)

__all__ = [
    "PROVIDER_SOURCES",
    "ProviderSettings",
    "check_setting",
    "effective_minimum",
    "load_provider_settings",
]

_FALLBACK = {
    "cost_per_hour": 20.0,
    "capacity_hours": 30.0,
    "minimum_hours": 1.0,
    "information_noise": 0.0,
    "signal_noise": 1.0,
    "mission_weight": 0.0,
    "contact_hours": 0.0,
    "fixed_cost_per_person": 0.0,
    "discount_rate": 0.0,
}


@functools.lru_cache(maxsize=1)
def _historic_regime() -> dict[str, Any]:
    # the package's own file, read once (libyaml's safe loader when it is there: the app's
    # first page waits for this)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        text = (resources.files("pbr_fairness") / "data" / "generator.yaml").read_text("utf-8")
        regime = (yaml.load(text, Loader=loader) or {}).get("historic_regime", {})
    except (OSError, yaml.YAMLError, AttributeError):  # pragma: no cover - a broken install
        return {}
    return regime if isinstance(regime, dict) else {}


def _historic_defaults() -> dict[str, float]:
    """Read the defaults from the generator's ``historic_regime`` (one source of truth)."""
    out = dict(_FALLBACK)
    for key, entry in _historic_regime().items():
        value = entry.get("value") if isinstance(entry, dict) else entry
        if key in out and value is not None:
            try:
                out[key] = float(value)
            except (TypeError, ValueError):  # pragma: no cover - a broken file
                pass
    return out


def _historic_sources() -> dict[str, str]:
    """Where each default comes from: the ``source``/``estimate``/``fitted`` text beside it."""
    out = {}
    for key in _FALLBACK:
        entry = _historic_regime().get(key)
        if isinstance(entry, dict):
            for label in ("fitted", "source", "estimate"):
                if entry.get(label):
                    out[key] = f"{label}: {entry[label]}"
                    break
        out.setdefault(key, "estimate: see pbr_fairness/data/generator.yaml (historic_regime)")
    return out


#: Where each default of :class:`ProviderSettings` comes from (read from the parameter file).
PROVIDER_SOURCES: dict[str, str] = _historic_sources()


_DEFAULTS = _historic_defaults()


def check_setting(
    name: str, value: float, low: float, high: float = math.inf, *, open_low: bool = False
) -> Problem | None:
    """Return a problem naming ``name`` unless ``value`` is a finite number in range, else None.

    Examples
    --------
    >>> check_setting("cost_per_hour", -1.0, 0.0, open_low=True).message
    'must be a number > 0, got -1'
    """
    ok = (
        isinstance(value, int | float)
        and math.isfinite(value)
        and (value > low if open_low else value >= low)
        and value <= high
    )
    if ok:
        return None
    bound = f"> {low:g}" if open_low else f">= {low:g}"
    if math.isfinite(high):
        bound += f" and <= {high:g}"
    return Problem(f"must be a number {bound}, got {show_value(value)}", column=name)


@dataclass(frozen=True)
class ProviderSettings:
    """How a provider behaves.

    The defaults are those of the generator's historic regime (see module docstring); the
    documented values below were current when this was written.

    Parameters
    ----------
    cost_per_hour : float, default 20.0
        Cost ``c`` of an hour of support (pounds). Estimate (see :data:`PROVIDER_SOURCES`).
    capacity_hours : float, default 30.0
        Hours available per person on average: the capacity is ``capacity_hours * n``.
    minimum_hours : float, default 1.0
        Contractual minimum of service ``e_min`` every person receives (a contract's own
        ``minimum_hours`` takes precedence).
    information_noise : float, default 0.0
        Standard deviation of the logit noise in the provider's estimate of ``p0``, taken at
        face value (``provider_knows="truth"``).
    signal_noise : float, default 1.0
        ``tau``: standard deviation on the log-odds scale of what a first meeting tells the
        provider about a person's chance, for ``provider_knows="posterior"`` (the provider
        then acts on the posterior expectation). Estimate (see :data:`PROVIDER_SOURCES`).
    mission_weight : float, default 0.0
        ``m`` in ``[0, 1]``: the provider values a job at ``(1 - m) V_i + m w_i``.
    contact_hours : float
        Hours of regular contact in the minimum service everyone receives (work-search
        reviews): costed at ``cost_per_hour`` but, like the Jobcentre regime of the
        no-support counterfactual, not moving the job chance beyond ``p0``. Fitted to the
        NAO's planned spend per ESA participant (see ``docs/calibration.md``).
    fixed_cost_per_person : float
        Premises, management and IT per participant (pounds). Estimate.
    discount_rate : float
        The provider's annual discount rate for payments that arrive later (0: none).

    Examples
    --------
    >>> ProviderSettings().cost_per_hour
    20.0
    """

    cost_per_hour: float = _DEFAULTS["cost_per_hour"]
    capacity_hours: float = _DEFAULTS["capacity_hours"]
    minimum_hours: float = _DEFAULTS["minimum_hours"]
    information_noise: float = _DEFAULTS["information_noise"]
    signal_noise: float = _DEFAULTS["signal_noise"]
    mission_weight: float = _DEFAULTS["mission_weight"]
    contact_hours: float = _DEFAULTS["contact_hours"]
    fixed_cost_per_person: float = _DEFAULTS["fixed_cost_per_person"]
    discount_rate: float = _DEFAULTS["discount_rate"]

    def __post_init__(self) -> None:
        problems = [
            check_setting("cost_per_hour", self.cost_per_hour, 0.0, MAX_COST_PER_HOUR,
                          open_low=True),
            check_setting("capacity_hours", self.capacity_hours, 0.0, MAX_CAPACITY_HOURS),
            check_setting("minimum_hours", self.minimum_hours, 0.0, MAX_HOURS),
            check_setting("information_noise", self.information_noise, 0.0,
                          MAX_INFORMATION_NOISE),
            check_setting("signal_noise", self.signal_noise, 0.0, 10.0, open_low=True),
            check_setting("mission_weight", self.mission_weight, 0.0, 1.0),
            check_setting("contact_hours", self.contact_hours, 0.0, 10_000.0),
            check_setting("fixed_cost_per_person", self.fixed_cost_per_person, 0.0, 1e6),
            check_setting("discount_rate", self.discount_rate, 0.0, 1.0),
        ]
        found = [p for p in problems if p is not None]
        if not found and self.capacity_hours < self.minimum_hours:
            found.append(
                Problem(
                    f"capacity_hours ({self.capacity_hours:g}) must be at least minimum_hours "
                    f"({self.minimum_hours:g})",
                    column="capacity_hours",
                )
            )
        if found:
            raise InputError(found, source="provider settings")

    def to_dict(self) -> dict[str, float]:
        """Plain dict of the settings."""
        return {k: float(v) for k, v in asdict(self).items()}

    def cost_per_person(self, hours: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return what serving each person costs the provider: fixed cost, contact, support.

        ``F + c * (contact_hours + e_i)``: the provider's spend per participant.

        Examples
        --------
        >>> import numpy as np
        >>> ProviderSettings(cost_per_hour=20, contact_hours=10, fixed_cost_per_person=100,
        ...                  minimum_hours=1).cost_per_person(np.array([1.0, 3.0])).tolist()
        [320.0, 360.0]
        """
        out: NDArray[np.float64] = self.fixed_cost_per_person + self.cost_per_hour * (
            self.contact_hours + hours
        )
        return out

    def replace(self, **changes: Any) -> ProviderSettings:
        """Copy with some settings changed (``None`` values are ignored)."""
        data = self.to_dict()
        data.update({k: v for k, v in changes.items() if v is not None})
        return ProviderSettings(**data)

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, source: str = "provider settings"
    ) -> ProviderSettings:
        """Build from a mapping; every unknown key and bad value is reported at once."""
        allowed = {f.name for f in fields(cls)}
        problems = [
            Problem(f"unknown key; allowed: {', '.join(sorted(allowed))}", column=str(k))
            for k in data if k not in allowed
        ]
        values: dict[str, float] = {}
        for k, v in data.items():
            if k not in allowed:
                continue
            try:
                if isinstance(v, bool):
                    raise TypeError
                values[k] = float(v)
            except (TypeError, ValueError):
                problems.append(Problem(f"must be a number, got {show_value(v)}", column=k))
        if not problems:
            try:
                return cls(**values)
            except InputError as exc:
                problems += exc.problems
        else:  # the values that are numbers are checked too
            try:
                cls(**values)
            except InputError as exc:
                problems += [p for p in exc.problems if p.column in values]
        raise InputError(problems, source=source)


def load_provider_settings(path: str | Path) -> ProviderSettings:
    """Read provider settings from a YAML file (keys as :class:`ProviderSettings`).

    A file may hold the settings at top level or under a ``provider`` key.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(read_limited(path, what="provider settings file")) or {}
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"not valid YAML: {exc}")], source=str(path)) from None
    if isinstance(data, dict) and "provider" in data and isinstance(data["provider"], dict):
        data = data["provider"]
    if not isinstance(data, dict):
        raise InputError(
            [Problem("must hold a mapping of setting names to numbers")], source=str(path)
        )
    return ProviderSettings.from_dict(data, source=str(path))


def effective_minimum(provider: ProviderSettings, contract_minimum: float | None) -> float:
    """Return the minimum of service in force: the contract's if it sets one, else the provider's.

    Parameters
    ----------
    provider : ProviderSettings
        Its ``minimum_hours`` and ``capacity_hours``.
    contract_minimum : float or None
        A contract's ``minimum_hours``.

    Returns
    -------
    float

    Raises
    ------
    InputError
        When the minimum exceeds the provider's capacity per person (nobody could be served).

    Examples
    --------
    >>> effective_minimum(ProviderSettings(minimum_hours=1.0), 2.5)
    2.5
    """
    minimum = provider.minimum_hours if contract_minimum is None else float(contract_minimum)
    if minimum > provider.capacity_hours:
        raise InputError(
            [
                Problem(
                    f"the minimum of {minimum:g} hours exceeds the provider's capacity of "
                    f"{provider.capacity_hours:g} hours per person",
                    column="minimum_hours",
                )
            ]
        )
    return minimum
