"""Contracts: tariffs as validated parameter files with a source for every figure.

>>> from pbr_fairness.contracts import load_contract
>>> load_contract("work_programme_2011").tariffs["PG7"].job_outcome_fee
3500.0
"""

from __future__ import annotations

from pbr_fairness.contracts.contract import (
    PRESETS,
    TARIFF_KEYS,
    Contract,
    Tariff,
    contract_to_yaml,
    load_contract,
    save_contract,
    smooth_factor,
    smooth_multiplier,
)
from pbr_fairness.contracts.spec import (
    INSTRUMENT_FAMILIES,
    AcceleratorSpec,
    BandSpec,
    ContractSpec,
    CostSharingSpec,
    Figure,
    FundedHoursSpec,
    InstrumentsSpec,
    Reference,
    ShapeSpec,
    SignedFigure,
    SmoothSpec,
    TariffSpec,
    ValueAddedSpec,
    YardstickSpec,
)
from pbr_fairness.contracts.terms import ContractTerms

__all__ = [
    "INSTRUMENT_FAMILIES",
    "PRESETS",
    "TARIFF_KEYS",
    "AcceleratorSpec",
    "BandSpec",
    "Contract",
    "ContractSpec",
    "ContractTerms",
    "CostSharingSpec",
    "Figure",
    "FundedHoursSpec",
    "InstrumentsSpec",
    "Reference",
    "ShapeSpec",
    "SignedFigure",
    "SmoothSpec",
    "Tariff",
    "TariffSpec",
    "ValueAddedSpec",
    "YardstickSpec",
    "contract_to_yaml",
    "load_contract",
    "save_contract",
    "smooth_factor",
    "smooth_multiplier",
]
