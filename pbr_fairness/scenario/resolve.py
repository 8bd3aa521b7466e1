"""From a scenario to the library's objects: contracts, provider settings, variants.

The app and the command line resolve a scenario the same way, so a scenario file, a shared
address and a script give the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

from pbr_fairness.contracts import PRESETS, Contract, Tariff, load_contract
from pbr_fairness.contracts.editing import apply_instrument_edits
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.reporting.contract_tables import with_tariffs
from pbr_fairness.scenario.model import ContractChoice, Scenario, TariffEdit, Variant
from pbr_fairness.simulation import ProviderSettings

__all__ = [
    "apply_edits",
    "baseline_variant",
    "edits_between",
    "find_variant",
    "provider_overrides",
    "provider_settings",
    "resolve_contract",
    "variant_names",
]

_FIELDS = (
    "attachment_fee",
    "job_outcome_fee",
    "trigger_weeks",
    "sustainment_fee",
    "max_sustainment_payments",
)


def apply_edits(
    contract: Contract, edits: Mapping[str, TariffEdit], *, where: str = "edits"
) -> Contract:
    """Return a contract with some tariff rows' numbers changed (labelled estimates).

    Raises
    ------
    InputError
        Naming every edit whose tariff key the contract does not have.
    """
    if not edits:
        return contract
    current = contract.tariffs
    unknown = [k for k in edits if k not in current]
    if unknown:
        raise InputError(
            [
                Problem(f"the contract has no tariff {k!r}; it has {', '.join(current)}",
                        column=f"{where}.{k}")
                for k in unknown
            ],
            source="scenario",
        )
    changed: dict[str, Tariff] = {}
    for key, edit in edits.items():
        old = current[key]
        values = {f: getattr(edit, f) for f in _FIELDS if getattr(edit, f) is not None}
        new = Tariff(**{f: values.get(f, getattr(old, f)) for f in _FIELDS})
        if new != old:
            changed[key] = new
    if not changed:
        return contract
    return with_tariffs(contract, changed, name=f"{contract.name} (edited)")


def edits_between(base: Contract, edited: Contract) -> dict[str, TariffEdit]:
    """Return the edits that turn ``base`` into ``edited`` (same tariff keys).

    Examples
    --------
    >>> wp = load_contract("work_programme_2011")
    >>> t = wp.tariffs["PG7"]
    >>> e = with_tariffs(wp, {"PG7": Tariff(t.attachment_fee, 5000.0, t.trigger_weeks,
    ...                  t.sustainment_fee, t.max_sustainment_payments)}, name="x")
    >>> edits_between(wp, e)
    {'PG7': TariffEdit(attachment_fee=None, job_outcome_fee=5000.0, trigger_weeks=None, sustainment_fee=None, max_sustainment_payments=None)}
    """  # noqa: E501
    out: dict[str, TariffEdit] = {}
    for key, new in edited.tariffs.items():
        old = base.tariffs.get(key)
        if old is None or new == old:
            continue
        changed = {f: getattr(new, f) for f in _FIELDS if getattr(new, f) != getattr(old, f)}
        out[key] = TariffEdit(**changed)
    return out


def resolve_contract(choice: ContractChoice, *, where: str = "contract") -> Contract:
    """Return the contract a scenario's choice names, with its edits applied.

    The tariff edits are applied first, then the instruments as set in the designer.

    Raises
    ------
    InputError
        For an unknown preset, an edit of a tariff the contract does not have, or
        instruments the contract language refuses (naming the key).
    """
    if choice.spec is not None and choice.origin != "preset":
        source = choice.file_name or choice.origin
        base = Contract(choice.spec, source=f"scenario ({source})")
    else:
        assert choice.preset is not None
        if choice.preset not in PRESETS:
            raise InputError(
                [
                    Problem(
                        f"no preset called {choice.preset!r}; presets: {', '.join(PRESETS)}",
                        column=f"{where}.preset",
                    )
                ],
                source="scenario",
            )
        base = load_contract(choice.preset)
    contract = apply_edits(base, choice.edits, where=f"{where}.edits")
    if choice.instruments is not None:
        contract = apply_instrument_edits(contract, choice.instruments)
    return contract


def provider_overrides(settings: ProviderSettings) -> dict[str, float]:
    """Return the settings that differ from the defaults (what a scenario records)."""
    default = ProviderSettings().to_dict()
    return {k: v for k, v in settings.to_dict().items() if default.get(k) != v}


def provider_settings(variant: Variant, *, where: str = "provider") -> ProviderSettings:
    """Return a variant's provider settings (the defaults with its overrides).

    Raises
    ------
    InputError
        Naming an unknown setting or a value out of range.
    """
    allowed = ProviderSettings().to_dict()
    unknown = [k for k in variant.provider if k not in allowed]
    if unknown:
        raise InputError(
            [
                Problem(f"unknown provider setting; allowed: {', '.join(allowed)}",
                        column=f"{where}.{k}")
                for k in unknown
            ],
            source="scenario",
        )
    return ProviderSettings(**{**allowed, **variant.provider})


def variant_names(scenario: Scenario) -> list[str]:
    """Names a baseline or a comparison may refer to: saved variants, then presets."""
    return [v.name for v in scenario.designer.saved] + [
        p for p in PRESETS if p not in {v.name for v in scenario.designer.saved}
    ]


def find_variant(scenario: Scenario, name: str) -> Variant | None:
    """Return the saved variant or preset of that name as a variant (``None``: unknown).

    A preset is taken with the current variant's provider and knowledge, so that it is
    compared under the same provider.
    """
    for v in scenario.designer.saved:
        if v.name == name:
            return v
    if name in PRESETS:
        cur = scenario.designer.current
        return Variant(
            name=name,
            contract=ContractChoice(preset=name),
            provider=dict(cur.provider),
            provider_knows=cur.provider_knows,
        )
    return None


def baseline_variant(scenario: Scenario) -> Variant:
    """Return the designer's baseline as a variant, under the current provider.

    Raises
    ------
    InputError
        When the baseline names neither a saved variant nor a preset.
    """
    name = scenario.designer.baseline
    found = find_variant(scenario, name)
    if found is None:
        raise InputError(
            [Problem(f"no saved variant or preset called {name!r}", column="designer.baseline")],
            source="scenario",
        )
    cur = scenario.designer.current
    return found.model_copy(
        update={"provider": dict(cur.provider), "provider_knows": cur.provider_knows}
    )
