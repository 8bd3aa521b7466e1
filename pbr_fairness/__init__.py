"""pbr-fairness: what a payment-by-results employment contract does to the people it serves.

The main entry points are importable from the package itself (loaded on first use, so that
``import pbr_fairness`` stays light for the command line)::

    from pbr_fairness import make_caseload, load_contract, ProviderSettings, simulate_contract
    caseload = make_caseload(10_000, rng=1, providers=4)
    result = simulate_contract(caseload, load_contract("work_programme_2011"), ProviderSettings())
    print(result.summary())

Subpackages: :mod:`~pbr_fairness.caseload` (schema, generator, I/O, validation),
:mod:`~pbr_fairness.distance` (distance-from-employment model),
:mod:`~pbr_fairness.contracts` (tariffs as parameter files),
:mod:`~pbr_fairness.engine` (the provider's and planner's maths, measures: one home per
formula), :mod:`~pbr_fairness.simulation` (simulating contracts on caseloads, national runs),
:mod:`~pbr_fairness.tariffs` (fairer-tariff optimiser), :mod:`~pbr_fairness.audit`
(caseload audit) and :mod:`~pbr_fairness.sweep` (scenario sweeps, Dask).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from pbr_fairness.version import package_version

__version__: str = package_version()

_LAZY: dict[str, str] = {
    "make_caseload": "pbr_fairness.caseload",
    "read_caseload": "pbr_fairness.caseload",
    "validate_caseload": "pbr_fairness.caseload",
    "load_contract": "pbr_fairness.contracts",
    "ProviderSettings": "pbr_fairness.engine",
    "simulate_contract": "pbr_fairness.simulation",
    "DistanceModel": "pbr_fairness.distance",
    "load_default_model": "pbr_fairness.distance",
    "optimise_tariff": "pbr_fairness.tariffs",
    "audit_caseload": "pbr_fairness.audit",
    "run_sweep": "pbr_fairness.sweep",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pbr_fairness' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
