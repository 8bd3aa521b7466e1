"""Column mapping: use a caseload file without renaming its columns.

An auditor's file says ``client_id`` and ``Gender`` where the schema says ``person_id`` and
``sex``. A mapping ``{source: target}`` renames the columns on the way in. It comes from
``--map source=target`` options (:func:`parse_map_options`), a YAML file of
``source: target`` lines (:func:`load_map_file`), or the app, which proposes one with
:func:`suggest_mapping`. :func:`apply_mapping` checks the whole mapping at once and names
every unknown target and missing source.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from pbr_fairness.caseload.schema import COLUMNS
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.limits import read_limited

__all__ = [
    "SYNONYMS",
    "apply_mapping",
    "load_map_file",
    "parse_map_options",
    "suggest_mapping",
]

_TARGETS: tuple[str, ...] = tuple(c.name for c in COLUMNS)

#: Other names under which a schema column is often found (compared after normalising:
#: lower case, runs of anything but letters and digits turned into ``_``).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "person_id": (
        "id", "client_id", "participant_id", "customer_id", "claimant_id", "case_id",
        "person", "personid", "clientid", "participant", "client", "customer_ref",
        "reference", "ref", "individual_id", "pid",
    ),
    "payment_group": (
        "pg", "group", "payment_grp", "paymentgroup", "customer_group", "claimant_group",
        "wp_group", "pay_group",
    ),
    "age": (
        "age_years", "dob_age", "age_at_referral", "age_yrs", "ageyears", "age_in_years",
        "years_old", "age_at_start",
    ),
    "sex": ("gender", "sex_gender", "gender_identity", "male_female"),
    "disability": (
        "disabled", "has_disability", "health_condition", "work_limiting_condition",
        "lltc", "disability_flag", "health",
    ),
    "ethnicity": ("ethnic_group", "ethnic", "ethnic_origin", "race"),
    "months_unemployed": (
        "unemployment_duration", "months_out_of_work", "duration_unemployed",
        "unemployed_months", "time_unemployed", "months_on_benefit", "claim_duration",
    ),
    "qualification": (
        "highest_qualification", "qualifications", "education_level", "qual",
        "highest_qual",
    ),
    "region": ("area", "itl1", "itl1_region", "gor", "government_office_region", "nuts1"),
    "local_unemployment_rate": (
        "unemployment_rate", "local_ur", "ur", "area_unemployment_rate", "local_unemployment",
    ),
    "lone_parent": ("single_parent", "loneparent"),
    "carer": ("caring_responsibility", "caring", "unpaid_carer", "carer_flag"),
    "homeless": ("housing_need", "no_fixed_abode", "homelessness", "insecure_housing"),
    "criminal_record": ("offender", "ex_offender", "convictions", "conviction", "prison_leaver"),
    "english_language_need": (
        "esol", "esol_need", "english_need", "language_need", "english_as_second_language",
    ),
    "benefit": ("benefit_type", "main_benefit", "benefit_claimed"),
    "provider_id": ("provider", "provider_name", "prime", "prime_provider", "contractor"),
    "support_hours": (
        "hours", "hours_of_support", "support", "contact_hours", "hours_support",
        "support_time", "effort",
    ),
    "job_outcome": (
        "outcome", "job", "job_entry", "employed", "got_job", "outcome_achieved",
        "job_outcome_flag", "in_work", "job_start",
    ),
    "months_in_work_after_outcome": (
        "months_in_work", "months_sustained", "sustained_months", "sustainment_months",
        "tenure_months", "months_employed",
    ),
}


def _normalise(name: object) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


_SYNONYM_INDEX: dict[str, str] = {}
for _target, _names in SYNONYMS.items():
    _SYNONYM_INDEX[_normalise(_target)] = _target
    for _name in _names:
        _SYNONYM_INDEX.setdefault(_normalise(_name), _target)


def parse_map_options(options: Iterable[str] | None) -> dict[str, str]:
    """Parse ``source=target`` options into a mapping.

    Parameters
    ----------
    options : iterable of str
        Each ``"source=target"``; the source may itself contain ``=`` (the last one
        separates), spaces around the names are removed.

    Returns
    -------
    dict of str to str
        Source column name to schema column name.

    Raises
    ------
    InputError
        Naming every malformed option, empty name, or source given two targets.

    Examples
    --------
    >>> parse_map_options(["client_id=person_id", "Gender = sex"])
    {'client_id': 'person_id', 'Gender': 'sex'}
    """
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    for option in options or ():
        if "=" not in option:
            problems.append(
                Problem(f"{option!r} is not of the form source=target", column="--map")
            )
            continue
        source, _, target = option.rpartition("=")
        source, target = source.strip(), target.strip()
        if not source or not target:
            problems.append(
                Problem(f"{option!r} needs a column name on both sides of '='", column="--map")
            )
            continue
        if source in mapping and mapping[source] != target:
            problems.append(
                Problem(
                    f"column {source!r} is mapped twice ({mapping[source]!r} and {target!r})",
                    column="--map",
                )
            )
            continue
        mapping[source] = target
    if problems:
        raise InputError(problems, source="--map")
    return mapping


def load_map_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a column mapping from a YAML file of ``source: target`` lines.

    Parameters
    ----------
    path : str or path-like
        The YAML file, e.g.::

            client_id: person_id
            Gender: sex
            hours: support_hours

    Returns
    -------
    dict of str to str
        Source column name to schema column name.

    Raises
    ------
    InputError
        When the file is missing, is not YAML, or is not a mapping of names to names.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise InputError([f"mapping file not found: {path}"], source=str(path))
    try:
        data = yaml.safe_load(read_limited(path, what="column-mapping file").decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(
            [f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"], source=str(path)
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([f"not valid YAML: {exc}"], source=str(path)) from None
    if data is None:
        raise InputError(["the mapping file is empty"], source=str(path))
    if not isinstance(data, Mapping):
        raise InputError(
            ["expected lines of the form 'source: target' (a YAML mapping)"], source=str(path)
        )
    problems: list[Problem] = []
    mapping: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(value, str | int | float) or isinstance(value, bool) or value is None:
            problems.append(Problem(f"target of {key!r} must be a column name", column=str(key)))
            continue
        mapping[str(key)] = str(value)
    if problems:
        raise InputError(problems, source=str(path))
    return mapping


def apply_mapping(
    frame: pd.DataFrame,
    mapping: Mapping[str, str] | None,
    *,
    targets: Sequence[str] = _TARGETS,
) -> pd.DataFrame:
    """Rename a table's columns by a ``{source: target}`` mapping, checking it first.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read.
    mapping : mapping of str to str, optional
        Source column name to schema column name; ``None`` or empty changes nothing.
    targets : sequence of str, optional
        Allowed targets (default: every schema column).

    Returns
    -------
    pandas.DataFrame
        The table with its columns renamed (a new frame; ``frame`` is not modified).

    Raises
    ------
    InputError
        Naming every unknown target, source missing from the table, target given to two
        sources, and target that would clash with a column the table already has.
    """
    if not mapping:
        return frame
    columns = [str(c) for c in frame.columns]
    problems: list[Problem] = []
    by_target: dict[str, str] = {}
    for source, target in mapping.items():
        if target not in targets:
            close = difflib.get_close_matches(target, targets, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                Problem(
                    f"{target!r} (target of {source!r}) is not a caseload column{hint} "
                    f"Allowed: {', '.join(targets)}",
                    column=source,
                )
            )
        if source not in columns:
            close = difflib.get_close_matches(source, columns, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                Problem(
                    f"column {source!r} is not in the file{hint} "
                    f"(its columns: {', '.join(columns)})",
                    column=source,
                )
            )
        if target in by_target and by_target[target] != source:
            problems.append(
                Problem(
                    f"{by_target[target]!r} and {source!r} are both mapped to {target!r}",
                    column=target,
                )
            )
        by_target.setdefault(target, source)
    sources = set(mapping)
    for target, source in by_target.items():
        if target in columns and target not in sources and target != source:
            problems.append(
                Problem(
                    f"the file already has a column {target!r}; mapping {source!r} to it would "
                    f"make two. Map {target!r} to another name or drop one of them",
                    column=target,
                )
            )
    if problems:
        raise InputError(problems, source="column mapping")
    return frame.rename(columns=dict(mapping))


def suggest_mapping(
    columns: Iterable[object], *, targets: Sequence[str] = _TARGETS, cutoff: float = 0.8
) -> dict[str, str]:
    """Propose schema names for a table's columns (for the app's mapping step).

    Each column is matched, after normalising its name (lower case, ``_`` for anything but
    letters and digits), first against the schema names, then against
    :data:`SYNONYMS` (``Gender`` -> ``sex``, ``client_id`` -> ``person_id``, ``hours`` ->
    ``support_hours``), then by close spelling (:func:`difflib.get_close_matches`).
    A target already present in ``columns`` under its own name is never proposed again,
    and each target is proposed at most once (the first column wins).

    Parameters
    ----------
    columns : iterable
        The table's column names.
    targets : sequence of str, optional
        Names to map to (default: every schema column).
    cutoff : float, default 0.8
        Similarity needed for a match by spelling (0-1).

    Returns
    -------
    dict of str to str
        Source column to proposed target, only for columns that need renaming.

    Examples
    --------
    >>> suggest_mapping(["client_id", "Gender", "DOB age", "hours", "age_band"])
    {'client_id': 'person_id', 'Gender': 'sex', 'DOB age': 'age', 'hours': 'support_hours'}
    """
    names = [str(c) for c in columns]
    allowed = set(targets)
    taken = {n for n in names if n in allowed}
    by_norm = {_normalise(t): t for t in targets}
    spellings = {**{k: v for k, v in _SYNONYM_INDEX.items() if v in allowed}, **by_norm}
    out: dict[str, str] = {}
    for name in names:
        if name in allowed:
            continue
        norm = _normalise(name)
        target = by_norm.get(norm) or spellings.get(norm)
        if target is None:
            close = difflib.get_close_matches(norm, list(spellings), n=1, cutoff=cutoff)
            target = spellings[close[0]] if close else None
        if target is None or target in taken:
            continue
        out[name] = target
        taken.add(target)
    return out
