"""A contract's tariffs as an editable table, and the edited table back as a contract.

One row per payment group, band or (smooth tariffs) the base tariff; the five numbers of a
:class:`~pbr_fairness.contracts.Tariff` as columns. The app's tariff editor shows this
table; a script can edit it with pandas and turn it back into a contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pbr_fairness.contracts import Contract, ContractSpec, Tariff
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.labels import band_label, group_label

__all__ = ["TARIFF_COLUMNS", "contract_from_table", "tariff_labels", "tariff_table"]

#: Columns of an editable tariff table (one row per payment group or band).
TARIFF_COLUMNS: tuple[str, ...] = (
    "tariff",
    "attachment_fee",
    "job_outcome_fee",
    "trigger_weeks",
    "sustainment_fee",
    "max_sustainment_payments",
)


def tariff_labels(contract: Contract, *, short: bool = False) -> dict[str, str]:
    """Return each tariff key of a contract with its label for people.

    Payment groups carry their names (``"PG7 ESA ex-IB"``); bands are numbered from the
    furthest from work (band 1) with their range of predicted chance, and keep the name
    the contract file gives them.

    Parameters
    ----------
    contract : Contract
    short : bool, default False
        Short band labels for narrow columns (the tariff editor).

    Returns
    -------
    dict of str to str
        Tariff key (as in ``contract.tariffs``) -> label.

    Examples
    --------
    >>> from pbr_fairness.contracts import load_contract
    >>> tariff_labels(load_contract("work_programme_2011"))["PG7"]
    'PG7 ESA ex-IB'
    >>> list(tariff_labels(load_contract("distance_bands_example")).values())[0]
    'Band 5 (closest): chance 40% or more'
    """
    keys = list(contract.tariffs)
    bands = contract.spec.bands
    if bands is None:
        return {k: group_label(k) if contract.basis == "payment_group" else k for k in keys}
    edges = [b.min_distance for b in bands[1:]]
    n = len(bands)
    out = {}
    for i, (key, band) in enumerate(zip(keys, bands, strict=True)):
        number = n - i  # the file lists bands closest first; band 1 is the furthest
        own = band.label or ""
        if own and not own.lower().startswith("band "):
            name: str | None = own
        elif short and n > 1:
            name = "furthest" if number == 1 else "closest" if number == n else None
        else:
            name = None
        out[key] = band_label(number, edges, name=name)
    return out


def tariff_table(contract: Contract, *, furthest_first: bool = False) -> pd.DataFrame:
    """Return a contract's tariffs as a table with one row per payment group or band.

    Parameters
    ----------
    contract : pbr_fairness.contracts.Contract
        The contract.
    furthest_first : bool, default False
        List bands from the furthest from work (band 1) down, as people read them, rather
        than in the file's order (closest first).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TARIFF_COLUMNS`; ``tariff`` is the payment group, the band label or
        ``"base"`` for a smooth tariff.
    """
    rows = [
        {
            "tariff": key,
            "attachment_fee": float(t.attachment_fee),
            "job_outcome_fee": float(t.job_outcome_fee),
            "trigger_weeks": float(t.trigger_weeks),
            "sustainment_fee": float(t.sustainment_fee),
            "max_sustainment_payments": int(t.max_sustainment_payments),
        }
        for key, t in contract.tariffs.items()
    ]
    if furthest_first and contract.spec.bands is not None:
        rows = rows[::-1]
    return pd.DataFrame(rows, columns=list(TARIFF_COLUMNS))


def _table_problems(table: pd.DataFrame, keys: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    missing = [c for c in TARIFF_COLUMNS if c not in table.columns]
    if missing:
        return [
            Problem(f"missing column; needed: {', '.join(TARIFF_COLUMNS)}", column=c)
            for c in missing
        ]
    have = [str(t) for t in table["tariff"]]
    for k in keys:
        if k not in have:
            problems.append(Problem(f"no row for tariff {k!r}", column="tariff"))
    for k in have:
        if k not in keys:
            problems.append(
                Problem(f"unknown tariff {k!r}; allowed: {', '.join(keys)}", column="tariff")
            )
    for col in TARIFF_COLUMNS[1:]:
        values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero(~np.isfinite(values)):
            problems.append(
                Problem(f"{table[col].iloc[i]!r} is not a number", row=int(i) + 1, column=col)
            )
        bad = np.isfinite(values) & (values < 0 if col != "trigger_weeks" else values <= 0)
        for i in np.flatnonzero(bad):
            allowed = "> 0" if col == "trigger_weeks" else ">= 0"
            problems.append(
                Problem(
                    f"{values[i]:g} is not allowed (must be {allowed})", row=int(i) + 1, column=col
                )
            )
    return problems


def contract_from_table(
    contract: Contract, table: pd.DataFrame, *, name: str | None = None
) -> Contract:
    """Return a copy of ``contract`` with the tariffs of an edited :func:`tariff_table`.

    Unchanged rows keep their references; changed rows are labelled estimates set by the user.
    Rows are matched by their ``tariff`` key, so their order does not matter.

    Parameters
    ----------
    contract : pbr_fairness.contracts.Contract
        The contract the table was made from.
    table : pandas.DataFrame
        The edited table (same rows, edited numbers).
    name : str, optional
        Name of the new contract (default: the old name, suffixed "(edited)" when changed).

    Returns
    -------
    pbr_fairness.contracts.Contract

    Raises
    ------
    InputError
        Naming the row and column of every number that is missing, not a number or negative.
    """
    current = contract.tariffs
    problems = _table_problems(table, list(current))
    if problems:
        raise InputError(problems, source="tariff table")
    changed: dict[str, Tariff] = {}
    for row in table.itertuples(index=False):
        key = str(row.tariff)
        new = Tariff(
            float(row.attachment_fee),
            float(row.job_outcome_fee),
            float(row.trigger_weeks),
            float(row.sustainment_fee),
            round(float(row.max_sustainment_payments)),
        )
        if new != current[key]:
            changed[key] = new
    if not changed:
        return contract if name is None else renamed(contract, name)
    return with_tariffs(contract, changed, name=name or f"{contract.name} (edited)")


def with_tariffs(
    contract: Contract,
    changed: dict[str, Tariff],
    *,
    name: str,
    reason: str = "edited in the contract designer",
) -> Contract:
    """Return a copy of a contract of any basis with some tariffs replaced.

    Parameters
    ----------
    contract : Contract
    changed : dict of str to Tariff
        New tariffs by key of ``contract.tariffs``.
    name : str
        Name of the new contract.
    reason : str, optional
        Why the figures changed (they become labelled estimates).

    Returns
    -------
    Contract
    """
    if contract.basis == "payment_group":
        return contract.with_groups(changed, name=name, reason=reason)
    data = contract.spec.model_dump()
    data["name"] = name
    if contract.basis == "distance_band":
        for i, key in enumerate(contract.tariffs):
            if key in changed:
                spec = changed[key].to_spec(reason=reason, label=data["bands"][i].get("label"))
                data["bands"][i].update(spec.model_dump(exclude={"label"}))
    elif "base" in changed:
        data["smooth"]["base"] = changed["base"].to_spec(reason=reason).model_dump()
    return Contract(ContractSpec.model_validate(data))


def renamed(contract: Contract, name: str) -> Contract:
    """Return a copy of a contract under another name."""
    data: dict[str, Any] = contract.spec.model_dump()
    data["name"] = name
    return Contract(ContractSpec.model_validate(data))
