"""Scenarios: everything a user sets in the app, as one file, one address, one run.

A :class:`Scenario` holds the state of every page (contract and edited fees, provider,
baseline, saved variants and comparison, view; the fairer-tariff search's settings; the
distance-model and audit pages' options). It travels three ways, all the same content:

- as a scenario file (YAML; :func:`load_scenario`, :func:`save_scenario`), which the
  command line reads too: ``pbr-fairness simulate --scenario FILE``;
- as a short code in the app's address (:func:`scenario_code`), so that a copied address
  reproduces the same numbers;
- in the app's session, so that it survives moving between pages.

>>> from pbr_fairness.scenario import Scenario, resolve_contract
>>> resolve_contract(Scenario().designer.current.contract).name
'work_programme_2011'
"""

from __future__ import annotations

from pbr_fairness.scenario.files import (
    MAX_SCENARIO_BYTES,
    load_scenario,
    read_scenario,
    save_scenario,
    scenario_code,
    scenario_from_code,
    scenario_to_dict,
    scenario_to_yaml,
)
from pbr_fairness.scenario.model import (
    DEFAULT_PRESET,
    DEFAULT_RESPONSE,
    MAX_COMPARED,
    MAX_SAVED,
    RESPONSES,
    SCENARIO_KIND,
    SEARCH_FAMILIES,
    SEARCH_PEOPLE,
    VIEWS,
    AuditState,
    ContractChoice,
    DesignerState,
    DistanceState,
    InstrumentSearchState,
    Scenario,
    TariffEdit,
    TariffState,
    Variant,
)
from pbr_fairness.scenario.resolve import (
    apply_edits,
    baseline_variant,
    edits_between,
    find_variant,
    provider_overrides,
    provider_settings,
    resolve_contract,
    variant_names,
)

__all__ = [
    "DEFAULT_PRESET",
    "DEFAULT_RESPONSE",
    "MAX_COMPARED",
    "MAX_SAVED",
    "MAX_SCENARIO_BYTES",
    "RESPONSES",
    "SCENARIO_KIND",
    "SEARCH_FAMILIES",
    "SEARCH_PEOPLE",
    "VIEWS",
    "AuditState",
    "ContractChoice",
    "DesignerState",
    "DistanceState",
    "InstrumentSearchState",
    "Scenario",
    "TariffEdit",
    "TariffState",
    "Variant",
    "apply_edits",
    "baseline_variant",
    "edits_between",
    "find_variant",
    "load_scenario",
    "provider_overrides",
    "provider_settings",
    "read_scenario",
    "resolve_contract",
    "save_scenario",
    "scenario_code",
    "scenario_from_code",
    "scenario_to_dict",
    "scenario_to_yaml",
    "variant_names",
]
