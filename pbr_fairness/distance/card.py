"""Model cards: what a saved distance model is, how it was made and how well it does.

A card is a JSON-ready dict written beside the model as ``model_card.json`` and rendered to
``model_card.md``: training-data hash, features, calibration, named bands with their
cut-points, accuracy tables (against the synthetic truth when known), the fairness table,
global SHAP importance, package versions, seed and date, and the checksum of every model
file. It never holds personal data: only aggregates over groups of people.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pbr_fairness.distance.evaluation import DistanceEvaluation
from pbr_fairness.distance.fairness import FairnessReport
from pbr_fairness.distance.model import DistanceModel
from pbr_fairness.distance.provenance import package_version
from pbr_fairness.distance.storage import MODEL_FILES
from pbr_fairness.safety import escape_html

__all__ = [
    "CARD_JSON",
    "CARD_MARKDOWN",
    "DIRECTION",
    "bands_card",
    "build_model_card",
    "render_model_card",
    "write_model_card",
]

#: The one direction of bands, stated in every card.
DIRECTION = "band 1 = furthest from work (lowest predicted chance of a job outcome)"
CARD_JSON = "model_card.json"
CARD_MARKDOWN = "model_card.md"
_PACKAGES = ("numpy", "pandas", "scikit-learn", "lightgbm", "shap", "fairlearn", "scipy")


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "pbr-fairness": package_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover
            out[name] = "not installed"
    return out


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None or len(frame) == 0:
        return []
    clean = frame.replace({np.nan: None})
    out = []
    for rec in clean.to_dict(orient="records"):
        out.append({str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in rec.items()})
    return out


def build_model_card(
    model: DistanceModel,
    *,
    target: str = "job_outcome",
    training: dict[str, Any] | None = None,
    evaluation: DistanceEvaluation | None = None,
    fairness: FairnessReport | None = None,
    importance: pd.DataFrame | None = None,
    seed: int | None = None,
    notes: list[str] | None = None,
    name: str | None = None,
    excluded: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Collect a model card for a fitted model.

    Parameters
    ----------
    model : DistanceModel
        Fitted model.
    target : str, default "job_outcome"
        What the model predicts.
    training : dict, optional
        How the training (and test) data were made or where they came from.
    evaluation : DistanceEvaluation, optional
        Accuracy on test data.
    fairness : FairnessReport, optional
        Group metrics on test data.
    importance : pandas.DataFrame, optional
        Global SHAP importance (``Explanation.global_importance()``).
    seed : int, optional
        Seed that recreates the model.
    notes : list of str, optional
        Extra remarks (limitations, intended use).
    name : str, optional
        Title (default: "pbr-fairness distance-from-employment model").
    excluded : dict of str to str, optional
        Inputs deliberately left out of the model, each with the reason; the card states
        them in a section of their own.

    Returns
    -------
    dict
        JSON-ready card.
    """
    card: dict[str, Any] = {
        "name": name or "pbr-fairness distance-from-employment model",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": seed,
        "predicts": f"probability that {target} = 1; distance = 1 - probability",
        "model": {
            "type": "LightGBM gradient-boosted trees (binary log-loss) with probability"
            " calibration",
            "trees": int(model.best_iteration_),
            "params": {k: v for k, v in model.get_params().items() if k != "rng"},
            "calibration": model.calibrator_.method,
            "calibration_scheme": getattr(model, "calibration_scheme_", ""),
            "offset_feature": model.offset_feature_,
        },
        "features": model.features_.to_dict(),
        "training": {
            **(training or {}),
            "n_train": int(model.n_train_),
            "training_hash": model.training_hash_,
            "outcome_rate": float(model.base_rate_),
        },
        "bands": bands_card(model),
        "package_versions": _versions(),
        "notes": list(notes or []),
    }
    if excluded:
        card["excluded_features"] = dict(excluded)
    if evaluation is not None:
        card["metrics"] = evaluation.metrics()
        card["accuracy"] = {
            "overall": _records(evaluation.overall.reset_index(names="predictor")),
            "targets": _records(evaluation.targets),
            "groups": _records(evaluation.groups),
            "test": {k: v for k, v in evaluation.provenance.items() if k != "targets"},
            "criteria": evaluation.provenance.get("targets", {}),
        }
    if fairness is not None:
        card["fairness"] = {
            "settings": fairness.settings,
            "overall": fairness.overall,
            "table": _records(fairness.to_frame()),
        }
    if importance is not None:
        card["importance"] = _records(importance)
    return card


def bands_card(model: DistanceModel) -> dict[str, Any]:
    """Return the card's description of a model's bands: band 1 is the furthest from work.

    Parameters
    ----------
    model : DistanceModel
        Fitted model.

    Returns
    -------
    dict
        JSON-ready: ``direction``; ``named`` (the five named bands) and ``deciles``, one
        record per band with its label and range of chance and distance; the deciles'
        interior cut-points on distance; notes.
    """
    return {
        "direction": DIRECTION,
        "named": _records(model.named_band_table()),
        "named_note": "Each named band holds a fifth of the training population, band 1"
        " (furthest from work) first; a person is in a band when probability from <="
        " chance < probability to (distance = 1 - probability).",
        "deciles": _records(model.band_table(10)),
        "decile_distance_edges": [float(v) for v in model.band_edges(10)],
        "decile_note": "predict_band(X, n_bands=10): band 1 = furthest from work (the tenth"
        " of the training population with the lowest predicted chance), band 10 = closest;"
        " the edges are the interior cut-points on distance, increasing.",
    }


def _file_hashes(directory: Path) -> dict[str, str]:
    out = {}
    for name in MODEL_FILES:
        path = directory / name
        if path.is_file():
            out[name] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "**NO**"
    if isinstance(v, float):
        return "" if np.isnan(v) else f"{v:.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _esc(v: Any) -> str:
    return escape_html(_fmt(v)).replace("|", "\\|")


def _head_lines(card: dict[str, Any]) -> list[str]:
    m = card["model"]
    t = card["training"]
    lines = [
        f"# {card['name']}",
        "",
        f"Predicts the {card['predicts']}, from characteristics known at referral only.",
        "",
        f"- Created: {card['created']}; seed: {card.get('seed')}",
        f"- Model: {m['type']}; {m['trees']} trees; calibration: {m['calibration']}"
        f" ({m['calibration_scheme']}); per-group log-odds offset on: {m['offset_feature']}",
        f"- Training rows: {t['n_train']:,}; outcome rate {t['outcome_rate']:.4f};"
        f" data hash `{t['training_hash']}`",
    ]
    for key in ("source", "generator", "test_source", "n_test", "test_hash", "providers"):
        if key in t:
            lines.append(f"- {key.replace('_', ' ').capitalize()}: {_esc(t[key])}")
    feats = card["features"]
    lines += ["", "## Features", "", "| feature | kind | categories |", "|---|---|---|"]
    for name, kind in zip(feats["names"], feats["kinds"], strict=True):
        cats = ", ".join(feats["categories"].get(name, []))
        lines.append(f"| {_esc(name)} | {kind} | {_esc(cats)} |")
    excluded = card.get("excluded_features")
    if excluded:
        lines += ["", "## Inputs left out", "", "| input | why |", "|---|---|"]
        lines += [f"| {_esc(k)} | {_esc(v)} |" for k, v in excluded.items()]
    return lines


def _band_lines(bands: dict[str, Any]) -> list[str]:
    lines = ["", "## Bands", "", f"One direction: {bands.get('direction', DIRECTION)}.", "",
             bands["named_note"], "",
             "| band | name | chance of a job outcome | probability from | probability to |"
             " distance from | distance to |",
             "|---:|---|---|---:|---:|---:|---:|"]
    for r in bands["named"]:
        label = r.get("label", r["band"]).split(": ", 1)[-1]
        lines.append(
            f"| {r.get('number', '')} | {r['band']} | {label} | {r['probability_from']:.4f} |"
            f" {r['probability_to']:.4f} | {r['distance_from']:.4f} | {r['distance_to']:.4f} |"
        )
    lines += ["", f"Decile bands: {bands['decile_note']}"]
    if bands.get("deciles"):
        lines += ["", "| decile band | label | probability from | probability to |",
                  "|---:|---|---:|---:|"]
        for r in bands["deciles"]:
            lines.append(f"| {r['band']} | {r['label']} | {r['probability_from']:.4f} |"
                         f" {r['probability_to']:.4f} |")
    edges = ", ".join(f"{v:.4f}" for v in bands["decile_distance_edges"])
    return [*lines, "", f"Decile distance edges: {edges}."]


_GROUP_NOTE = (
    "ratio: mean predicted / mean observed in the test data; oracle ratio: the same"
    " for `true_p_observable`; model / truth: mean predicted / mean"
    " `true_p_observable` (free of the test outcomes' noise); training sample /"
    " truth: the group's outcome rate in the training data over its mean"
    " `true_p_observable` there (the sampling luck the model learned); sampling"
    " s.e.: relative standard error of the test group's observed rate. A group with at"
    " least the minimum number of people is flagged only when the 95% interval of its ratio"
    " (from the observed count's exact interval) excludes 1, and, on synthetic data, when"
    " its ratio to the truth lies outside the range outcome noise alone would give; a fixed"
    " range such as 0.95-1.05 is broken by sampling noise alone in groups of 100-300"
    " outcomes.\n"
)


def _group_lines(groups: list[dict[str, Any]]) -> list[str]:
    lines = ["", "### Predictive ratio by group (mean predicted / mean observed)", "",
             _GROUP_NOTE,
             "| characteristic | group | n | observed | predicted | ratio (95% CI) |"
             " oracle ratio | model / truth | training sample / truth | sampling s.e. |"
             " flagged |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|"]
    for r in groups:
        if not r["checked"]:
            checked = "n < min"
        else:
            flags = [w for w, k in (("interval excludes 1", "flagged"),
                                    ("vs truth", "truth_flagged")) if r.get(k)]
            checked = "; ".join(flags) if flags else "no"
        truth = r.get("truth_ratio")
        ratio = _fmt(r["predictive_ratio"], 3)
        if r.get("ratio_ci_low") is not None:
            ratio += (f" ({_fmt(r.get('ratio_ci_low'), 3)} to"
                      f" {_fmt(r.get('ratio_ci_high'), 3)})")
        lines.append(
            f"| {_esc(r['characteristic'])} | {_esc(r['group'])} | {int(r['n']):,} | "
            f"{_fmt(r['observed_rate'])} | {_fmt(r['mean_predicted'])} | "
            f"{ratio} | {_fmt(r.get('oracle_ratio'), 3)} | "
            f"{_fmt(truth, 3)} | {_fmt(r.get('training_sample_ratio'), 3)} | "
            f"{_fmt(r.get('noise_se'), 3)} | {checked} |"
        )
    return lines


def _accuracy_lines(acc: dict[str, Any]) -> list[str]:
    lines = ["", "## Accuracy on the test data", "",
             "| predictor | AUC | Brier | ECE | mean predicted | observed | n |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in acc["overall"]:
        lines.append(
            f"| {r['predictor']} | {_fmt(r['auc'])} | {_fmt(r['brier'], 5)} | "
            f"{_fmt(r['ece'])} | {_fmt(r['mean_predicted'])} | {_fmt(r['observed_rate'])} |"
            f" {int(r['n']):,} |"
        )
    lines += ["", "model: this model; oracle: `true_p_observable` (the best any model of the"
              " characteristics can do); full_truth: the chance given the unobserved terms"
              " and hours received; logistic_baseline: main-effects logistic regression on"
              " the same features and training data.", ""]
    if acc["targets"]:
        lines += ["### Targets", "", "| criterion | value | target | met |",
                  "|---|---:|---|:---:|"]
        for r in acc["targets"]:
            lines.append(f"| {_esc(r['criterion'])} | {_fmt(r['value'])} | {_esc(r['target'])}"
                         f" | {_fmt(bool(r['passed']))} |")
    if acc["groups"]:
        lines += _group_lines(acc["groups"])
    return lines


def _interval_cell(r: pd.Series, metric: str) -> str:
    if r["status"] != "ok":
        return "insufficient data"
    d = 4 if metric == "brier" else 3
    return f"{r['value']:.{d}f} [{r['lower']:.{d}f}, {r['upper']:.{d}f}]"


def _fairness_lines(fair: dict[str, Any]) -> list[str]:
    s = fair["settings"]
    lines = ["", "## Fairness (test data)", "",
             f"Bootstrap 95% intervals ({s['n_boot']} replicates, people resampled within"
             f" each group); groups under {s['min_group_size']} people show 'insufficient"
             f" data'. Furthest band: probability below"
             f" {s['furthest_band_probability_below']:.4f}.",
             "", "| characteristic | group | n | AUC | Brier | predictive ratio |"
             " share furthest band |", "|---|---|---:|---:|---:|---:|---:|"]
    table = pd.DataFrame(fair["table"])
    if not len(table):
        return lines
    for (ch, grp, n), part in table.groupby(["characteristic", "group", "n"], sort=False):
        cells = [
            _interval_cell(part[part["metric"] == metric].iloc[0], metric)
            for metric in ("auc", "brier", "predictive_ratio", "furthest_band_share")
        ]
        lines.append(f"| {_esc(ch)} | {_esc(grp)} | {int(n):,} | " + " | ".join(cells) + " |")
    return lines


def _tail_lines(card: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    imp = card.get("importance")
    if imp:
        lines += ["", "## What drives the predictions (mean |SHAP|)", "",
                  "| feature | mean abs. contribution (percentage points) |", "|---|---:|"]
        lines += [f"| {_esc(r['feature'])} | {r['importance']:.2f} |" for r in imp]
    if card.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {_esc(n)}" for n in card["notes"]]
    lines += ["", "## Package versions", ""]
    lines += [f"- {k}: {v}" for k, v in card["package_versions"].items()]
    if card.get("files"):
        lines += ["", "## Files", ""] + [f"- `{k}`: `{v}`" for k, v in card["files"].items()]
    return lines


def render_model_card(card: dict[str, Any]) -> str:
    """Render a card as Markdown.

    Parameters
    ----------
    card : dict
        Output of :func:`build_model_card`.

    Returns
    -------
    str
    """
    lines = _head_lines(card) + _band_lines(card["bands"])
    if card.get("accuracy"):
        lines += _accuracy_lines(card["accuracy"])
    if card.get("fairness"):
        lines += _fairness_lines(card["fairness"])
    return "\n".join(lines + _tail_lines(card)) + "\n"


def write_model_card(card: dict[str, Any], directory: str | Path) -> tuple[Path, Path]:
    """Write ``model_card.json`` and ``model_card.md`` into a model directory.

    The checksums of the model files already in the directory are added to the card.

    Returns
    -------
    tuple of pathlib.Path
        The JSON and Markdown paths.
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    card = {**card, "files": _file_hashes(d)}
    js = d / CARD_JSON
    md = d / CARD_MARKDOWN
    js.write_text(json.dumps(card, indent=1, default=str) + "\n", encoding="utf-8")
    md.write_text(render_model_card(card), encoding="utf-8")
    return js, md
