"""Read a contract from YAML text held in memory (an upload), forgiving plain numbers.

The contract file format (:mod:`pbr_fairness.contracts.spec`) wants every figure as a
leaf with its value, unit, description and source. A person writing a contract by hand
often writes ``job_outcome_fee: 1200``; :func:`read_contract` accepts that and records the
figure as an estimate given as a plain number in the named file, so that nothing is
passed off as sourced. Every other mistake is reported in words, with the key it is in.
"""

from __future__ import annotations

import hashlib
from typing import Any

import yaml

from pbr_fairness.contracts import Contract
from pbr_fairness.contracts import contract as contract_module
from pbr_fairness.errors import InputError, Problem

__all__ = ["FIGURE_UNITS", "fill_plain_figures", "read_contract"]

#: Unit of each figure of a contract file, by key (what a plain number is taken to be in).
FIGURE_UNITS: dict[str, str] = {
    "attachment_fee": "GBP",
    "job_outcome_fee": "GBP",
    "job_outcome_trigger_weeks": "weeks",
    "sustainment_fee": "GBP",
    "max_sustainment_payments": "count",
    "minimum_hours": "hours",
    "reference_probability": "probability",
    "elasticity": "ratio",
    "probability_floor": "probability",
    "max_factor": "ratio",
}

_DESCRIPTIONS: dict[str, str] = {
    "attachment_fee": "Fee paid to the provider when the person is referred (attached).",
    "job_outcome_fee": "Fee paid when the person reaches a job outcome.",
    "job_outcome_trigger_weeks": "Weeks in work after which a job outcome is paid.",
    "sustainment_fee": "Fee paid for each further 4 weeks in work after the job outcome.",
    "max_sustainment_payments": "Most 4-weekly sustainment payments after one job outcome.",
    "minimum_hours": "Contractual minimum hours of service.",
    "reference_probability": "Predicted chance at which the smooth factor is 1.",
    "elasticity": "How fast outcome fees rise as the predicted chance falls.",
    "probability_floor": "Lowest predicted chance the smooth factor uses.",
    "max_factor": "Most the smooth factor multiplies the base outcome fees by.",
}

_FIGURE_HELP = (
    "must be a number (for example 1200), or a mapping with value, unit, description and a "
    "reference (or estimate: true with a reason)"
)
#: Pydantic's wording -> the app's words.
_FRIENDLY: tuple[tuple[str, str], ...] = (
    ("valid dictionary", _FIGURE_HELP),
    ("Field required", "missing: this key is needed here"),
    ("valid number", "must be a number"),
    ("valid integer", "must be a whole number"),
)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _figure(key: str, node: Any, source: str) -> Any:
    reason = f"given as a plain number in {source}"
    if _is_number(node):
        return {
            "value": float(node),
            "unit": FIGURE_UNITS[key],
            "description": _DESCRIPTIONS[key],
            "estimate": True,
            "reason": reason,
        }
    if isinstance(node, dict) and "value" in node:
        filled = dict(node)
        filled.setdefault("unit", FIGURE_UNITS[key])
        filled.setdefault("description", _DESCRIPTIONS[key])
        if not filled.get("reference") and not filled.get("estimate"):
            filled["estimate"] = True
            filled.setdefault("reason", reason)
        elif filled.get("estimate") and not filled.get("reason"):
            filled["reason"] = reason
        return filled
    return node


def _fill_section(section: Any, source: str) -> Any:
    if not isinstance(section, dict):
        return section
    return {k: _figure(k, v, source) if k in FIGURE_UNITS else v for k, v in section.items()}


def fill_plain_figures(data: Any, *, source: str) -> Any:
    """Expand plain numbers in a contract mapping into labelled-estimate figures.

    Parameters
    ----------
    data : object
        The parsed YAML of a contract file.
    source : str
        The file's name (written into each estimate's reason).

    Returns
    -------
    object
        A copy with every plain-number figure expanded (anything else unchanged).

    Examples
    --------
    >>> out = fill_plain_figures({"minimum_hours": 2}, source="mine.yaml")
    >>> out["minimum_hours"]["unit"], out["minimum_hours"]["reason"]
    ('hours', 'given as a plain number in mine.yaml')
    """
    if not isinstance(data, dict):
        return data
    out = dict(data)
    if "minimum_hours" in out:
        out["minimum_hours"] = _figure("minimum_hours", out["minimum_hours"], source)
    if isinstance(out.get("groups"), dict):
        out["groups"] = {g: _fill_section(t, source) for g, t in out["groups"].items()}
    if isinstance(out.get("bands"), list):
        out["bands"] = [_fill_section(b, source) for b in out["bands"]]
    if isinstance(out.get("smooth"), dict):
        smooth = _fill_section(out["smooth"], source)
        smooth["base"] = _fill_section(smooth.get("base"), source)
        out["smooth"] = smooth
    return out


def _friendly(error: InputError, source: str) -> InputError:
    problems = []
    for p in error.problems:
        message = p.message
        for needle, text in _FRIENDLY:
            if needle in message:
                message = text
        problems.append(Problem(message, row=p.row, column=p.column))
    return InputError(problems, source=error.source or source)


def read_contract(data: bytes | str, *, source: str = "uploaded contract") -> Contract:
    """Read and validate a contract from YAML text held in memory (e.g. an upload).

    Plain numbers are accepted for any figure (recorded as estimates, see the module
    docstring).

    Parameters
    ----------
    data : bytes or str
        The YAML text.
    source : str, default "uploaded contract"
        Name used in error messages (e.g. the uploaded file's name).

    Returns
    -------
    pbr_fairness.contracts.Contract

    Raises
    ------
    InputError
        If the text is not UTF-8, not YAML, or not a valid contract (naming every bad key).

    Examples
    --------
    >>> text = '''
    ... name: mine
    ... description: A hand-written contract.
    ... groups:
    ...   PG1: {attachment_fee: 400, job_outcome_fee: 1200, job_outcome_trigger_weeks: 26,
    ...         sustainment_fee: 170, max_sustainment_payments: 13}
    ... '''
    >>> read_contract(text).tariffs["PG1"].job_outcome_fee
    1200.0
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(f"not UTF-8 text (byte {exc.start})")], source=source) from None
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"not valid YAML: {exc}")], source=source) from None
    try:
        spec = contract_module._validate(fill_plain_figures(parsed, source=source), source=source)
    except InputError as exc:
        raise _friendly(exc, source) from None
    return Contract(spec, source=source, sha256=hashlib.sha256(raw).hexdigest())
