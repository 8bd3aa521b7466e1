"""Where every figure comes from: a contract's figures and a parameter file, with sources.

The About page and the reports list each figure with its unit, confidence label and
reference (or the reason it is an estimate).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pbr_fairness.contracts import Contract

__all__ = ["contract_sources", "parameter_sources"]

_FIGURE_FIELDS = (
    "attachment_fee",
    "job_outcome_fee",
    "job_outcome_trigger_weeks",
    "sustainment_fee",
    "max_sustainment_payments",
)


def _figure_row(where: str, name: str, fig: Any) -> dict[str, Any]:
    refs = list(fig.reference or ())
    return {
        "tariff": where,
        "figure": name,
        "value": float(fig.value),
        "unit": str(fig.unit),
        "confidence": fig.confidence or ("U" if fig.estimate else ""),
        "source": "; ".join(r.title for r in refs)
        if refs
        else ("estimate: " + (fig.reason or "no reason given") if fig.estimate else ""),
        "links": " ".join(r.href for r in refs if r.href),
    }


def contract_sources(contract: Contract) -> pd.DataFrame:
    """Return every figure of a contract with its unit, confidence label and source.

    Parameters
    ----------
    contract : pbr_fairness.contracts.Contract
        The contract.

    Returns
    -------
    pandas.DataFrame
        ``tariff``, ``figure``, ``value``, ``unit``, ``confidence``, ``source`` (reference
        titles, or ``"estimate: <reason>"``) and ``links``.
    """
    spec = contract.spec
    rows = []
    if spec.minimum_hours is not None:
        rows.append(_figure_row("contract", "minimum_hours", spec.minimum_hours))
    tariffs: list[tuple[str, Any]] = []
    if spec.groups is not None:
        tariffs = list(spec.groups.items())
    elif spec.bands is not None:
        tariffs = [(b.label or f"{b.min_distance:g}-{b.max_distance:g}", b) for b in spec.bands]
    elif spec.smooth is not None:
        tariffs = [("base", spec.smooth.base)]
        for name in ("reference_probability", "elasticity", "probability_floor", "max_factor"):
            rows.append(_figure_row("smooth", name, getattr(spec.smooth, name)))
    for where, t in tariffs:
        for name in _FIGURE_FIELDS:
            rows.append(_figure_row(where, name, getattr(t, name)))
    return pd.DataFrame(
        rows, columns=["tariff", "figure", "value", "unit", "confidence", "source", "links"]
    )


def _leaf_value(node: Mapping[str, Any]) -> str:
    if "value" in node:
        return str(node["value"])
    rest = {k: v for k, v in node.items() if k not in ("source", "estimate", "note")}
    text = ", ".join(f"{k}: {v}" for k, v in rest.items())
    return text if len(text) <= 120 else text[:117] + "..."


def parameter_sources(path: Any = None) -> pd.DataFrame:
    """Return each figure of a parameter file with its source or its reason as an estimate.

    Every mapping in the YAML file that holds a ``source`` or an ``estimate`` key is one row.

    Parameters
    ----------
    path : path-like, optional
        YAML parameter file (default: the synthetic generator's
        ``pbr_fairness/data/generator.yaml``).

    Returns
    -------
    pandas.DataFrame
        ``parameter`` (dotted path), ``value``, ``kind`` (``"source"`` or ``"estimate"``) and
        ``text`` (the source, or why the estimate was chosen).
    """
    if path is None:
        path = Path(__file__).resolve().parent.parent / "data" / "generator.yaml"
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    rows: list[dict[str, str]] = []

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, Mapping):
            return
        for kind in ("source", "estimate"):
            if kind in node:
                rows.append(
                    {
                        "parameter": where or "(file)",
                        "value": _leaf_value(node),
                        "kind": kind,
                        "text": " ".join(str(node[kind]).split()),
                    }
                )
        for key, child in node.items():
            if key not in ("source", "estimate", "note"):
                walk(child, f"{where}.{key}" if where else str(key))

    walk(data, "")
    return pd.DataFrame(rows, columns=["parameter", "value", "kind", "text"])
