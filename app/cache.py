"""Every cache of the app, in one place.

``st.cache_data`` holds data and results, keyed on small hashable configurations (a caseload
key, a contract's YAML text, a tuple of provider settings); ``st.cache_resource`` holds the
fitted distance model. Pages never cache anything themselves. Library imports are lazy so
that a page whose library part is missing can still say so instead of failing.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:  # pandas is imported by the functions that need it (fast Home page)
    import pandas as pd

log = logging.getLogger("pbr_fairness.app")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CASELOAD_PATH = ROOT / "data" / "synthetic" / "default_caseload.parquet"
SAMPLE_CASELOAD_PATH = ROOT / "data" / "synthetic" / "sample_caseload.csv"
DEFAULT_MODEL_DIR = ROOT / "models" / "default"
#: Environment variable naming another model directory (tests, or a user's own model).
MODEL_VARIABLE = "PBR_FAIRNESS_APP_MODEL_DIR"
#: In-memory fallback when ``make prepare`` has not written the default caseload.
FALLBACK_CASELOAD = {"n": 50_000, "rng": 20110601, "providers": 4}

#: Environment variable that forces an in-memory default caseload of this many people
#: (tests and demos on small machines); unset, the prepared file is used when present.
SIZE_VARIABLE = "PBR_FAIRNESS_APP_CASELOAD_N"

#: Caseload keys the designer and the optimiser know.
CASELOAD_KEYS = ("default", "sample")


def _forced_size() -> int | None:
    value = os.environ.get(SIZE_VARIABLE, "").strip()
    return int(value) if value else None


def default_caseload_source() -> str:
    """Describe where the default caseload comes from (for the Home and About pages)."""
    forced = _forced_size()
    if forced is None and DEFAULT_CASELOAD_PATH.exists():
        return f"`{DEFAULT_CASELOAD_PATH.relative_to(ROOT)}` (made by `make prepare`)"
    f = FALLBACK_CASELOAD
    n = forced or f["n"]
    return (
        f"generated in memory: `make_caseload({n:,}, rng={f['rng']}, "
        f"providers={f['providers']})` (run `make prepare` for the full 200,000-person file)"
    )


def default_caseload() -> pd.DataFrame:
    """Return the default synthetic caseload (file if prepared, else generated in memory)."""
    forced = _forced_size()
    if forced is None and DEFAULT_CASELOAD_PATH.exists():
        return _caseload_file(str(DEFAULT_CASELOAD_PATH))
    return _generated_caseload(forced or FALLBACK_CASELOAD["n"])


@st.cache_data(show_spinner="Loading the default caseload...", max_entries=1)
def _caseload_file(path: str) -> pd.DataFrame:
    from pbr_fairness.caseload.io import read_caseload

    return read_caseload(path)


@st.cache_data(show_spinner="Generating the default caseload...", max_entries=2)
def _generated_caseload(n: int) -> pd.DataFrame:
    from pbr_fairness.caseload.generator import make_caseload

    f = FALLBACK_CASELOAD
    return make_caseload(n, rng=f["rng"], providers=f["providers"])


@st.cache_data(show_spinner="Loading the sample caseload...", max_entries=1)
def sample_caseload_bytes() -> bytes:
    """Return the shipped sample caseload file's bytes (the audit's "try the sample")."""
    return SAMPLE_CASELOAD_PATH.read_bytes()


#: The audit page's demonstration: synthetic providers of which P3 parks and P5 creams.
DEMO_SCENARIO = {"n_per_provider": 2000, "providers": 6, "rng": 2011}


@st.cache_data(show_spinner="Making a demonstration caseload...", max_entries=1)
def parking_demo_bytes() -> bytes:
    """Return a synthetic caseload (CSV bytes) in which one provider parks and one creams."""
    from pbr_fairness.audit import make_audit_scenario
    from pbr_fairness.caseload.schema import TRUTH_COLUMNS

    frame = make_audit_scenario(**DEMO_SCENARIO)
    keep = [c for c in frame.columns if c not in TRUTH_COLUMNS or c == "true_p_observable"]
    return frame[keep].to_csv(index=False).encode("utf-8")


@st.cache_data(show_spinner="Loading the sample caseload...", max_entries=1)
def sample_caseload() -> pd.DataFrame:
    """Return the shipped sample caseload as a frame."""
    from pbr_fairness.caseload.io import read_caseload

    return read_caseload(SAMPLE_CASELOAD_PATH)


def caseload(key: str) -> pd.DataFrame:
    """Return a known caseload by key (``"default"`` or ``"sample"``, optionally ``:<size>``)."""
    name = key.split(":", 1)[0]
    if name == "default":
        return default_caseload()
    if name == "sample":
        return sample_caseload()
    raise KeyError(f"unknown caseload {key!r}; known: {', '.join(CASELOAD_KEYS)}")


def caseload_id(key: str) -> str:
    """Return a cache key that changes when the caseload behind ``key`` changes."""
    if key == "default":
        forced = _forced_size()
        if forced is None and DEFAULT_CASELOAD_PATH.exists():
            return f"default:file:{DEFAULT_CASELOAD_PATH.stat().st_mtime_ns}"
        return f"default:{forced or FALLBACK_CASELOAD['n']}"
    return key


def digest(data: bytes) -> str:
    """Return the sha256 of some bytes (the key of an uploaded file)."""
    return hashlib.sha256(data).hexdigest()


@st.cache_data(show_spinner=False, max_entries=8)
def read_upload(
    data: bytes,
    name: str,
    mapping: tuple[tuple[str, str], ...] = (),
    dropped: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Read and validate an uploaded caseload from its bytes (never written to disk).

    Parameters
    ----------
    data : bytes
        The uploaded file's content.
    name : str
        The uploaded file's name (tells CSV from Parquet; named in messages).
    mapping : tuple of (str, str)
        Source column to schema column.
    dropped : tuple of str
        Columns the user chose to leave out.
    """
    from pbr_fairness.caseload.io import read_caseload, read_table

    if not dropped:
        return read_caseload(data, name=name, mapping=dict(mapping) or None)
    frame = read_table(data, name=name).drop(columns=list(dropped), errors="ignore")
    return read_caseload(frame, name=name, mapping=dict(mapping) or None)


@st.cache_data(show_spinner=False, max_entries=8)
def upload_columns(data: bytes, name: str) -> list[str]:
    """Return the column names of an uploaded table without validating it."""
    from pbr_fairness.caseload.io import read_table

    return [str(c) for c in read_table(data, name=name).columns]


def model_dir() -> Path:
    """Return the directory of the distance model the app uses (``models/default``)."""
    return Path(os.environ.get(MODEL_VARIABLE) or DEFAULT_MODEL_DIR)


def default_model() -> Any:
    """Return the shipped distance model, loaded once per server."""
    return _load_model(str(model_dir()))


@st.cache_resource(show_spinner="Loading the distance model...", max_entries=2)
def _load_model(directory: str) -> Any:
    from pbr_fairness.distance import DistanceModel

    return DistanceModel.load(directory)


def model_available() -> bool:
    """Whether the distance model is on disk."""
    d = model_dir()
    return d.is_dir() and any(d.glob("*.json"))


def preset_names() -> list[str]:
    """Return the names of the shipped contract presets."""
    try:
        from pbr_fairness.contracts import PRESETS

        names = list(PRESETS)
    except ImportError:
        names = []
    if not names:
        from pbr_fairness.contracts import contract as contract_module

        names = sorted(p.stem for p in contract_module._PRESET_DIR.glob("*.yaml"))
    return [str(n) for n in names]


@st.cache_data(show_spinner=False, max_entries=1)
def generator_sources() -> pd.DataFrame:
    """Return every parameter of the synthetic generator with its source."""
    from pbr_fairness.reporting import parameter_sources

    return parameter_sources()


def model_card_markdown() -> str | None:
    """Return the shipped model card (Markdown), or ``None`` when the model is not prepared."""
    d = model_dir()
    if not d.is_dir():
        return None
    cards = sorted(d.glob("*card*.md")) or sorted(d.glob("*.md"))
    return cards[0].read_text(encoding="utf-8") if cards else None


# ----------------------------------------------------------------------------- contracts
@st.cache_data(show_spinner=False, max_entries=32)
def preset_yaml(name: str) -> str:
    """Return a preset contract as YAML text (the designer's cache key for it)."""
    from pbr_fairness.contracts import contract_to_yaml, load_contract

    return contract_to_yaml(load_contract(name))


@st.cache_data(show_spinner=False, max_entries=32)
def preset_contract(name: str) -> Any:
    """Return a preset contract (validated once, then cached)."""
    return contract(preset_yaml(name), source=f"preset:{name}")


def contract(yaml_text: str | bytes, source: str = "contract") -> Any:
    """Return the contract of some YAML text (validated; a few milliseconds, not cached)."""
    from pbr_fairness.reporting import read_contract

    return read_contract(yaml_text, source=source)


def contract_yaml(contract_obj: Any) -> str:
    """Return a contract's YAML text."""
    from pbr_fairness.contracts import contract_to_yaml

    return contract_to_yaml(contract_obj)


# ----------------------------------------------------------------------------- simulation
def predicted(caseload_key: str) -> Any:
    """Return the shipped model's predicted job-outcome probability for a known caseload."""
    return _predicted(caseload_id(caseload_key), str(model_dir()))


@st.cache_data(show_spinner="Predicting each person's chances...", max_entries=4)
def _predicted(caseload_key: str, directory: str) -> Any:
    return default_model().predict_proba(caseload(caseload_key))[:, 1]


def simulate(
    caseload_key: str,
    contract_yaml_text: str,
    provider: tuple[tuple[str, float], ...],
    provider_knows: str = "truth",
    mode: str = "expected",
    seed: int = 20110601,
    contract_obj: Any = None,
) -> Any:
    """Simulate a contract on a known caseload (the designer's one library call).

    Parameters
    ----------
    caseload_key : str
        ``"default"`` or ``"sample"``.
    contract_yaml_text : str
        The contract as YAML text.
    provider : tuple of (str, float)
        Provider settings as sorted items.
    provider_knows : {"truth", "model"}
        What the provider knows of each person's chances.
    mode : {"expected", "monte_carlo"}
        Simulation mode.
    seed : int
        Seed of the random parts.
    contract_obj : Contract, optional
        The contract of ``contract_yaml_text`` when the caller has it already parsed (not
        part of the cache key).

    Returns
    -------
    SimulationResult
        Every measure, with only the person-level columns the pages need
        (:func:`pbr_fairness.reporting.slim_result`).
    """
    return _simulate(
        caseload_id(caseload_key),
        contract_yaml_text,
        provider,
        provider_knows,
        mode,
        seed,
        str(model_dir()),
        contract_obj,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _simulate(
    caseload_key: str,
    contract_yaml_text: str,
    provider: tuple[tuple[str, float], ...],
    provider_knows: str,
    mode: str,
    seed: int,
    model_key: str,
    _contract: Any,
) -> Any:
    from pbr_fairness.reporting import slim_result
    from pbr_fairness.simulation import ProviderSettings, simulate_contract

    contract_obj = _contract if _contract is not None else contract(contract_yaml_text)
    needs_model = contract_obj.basis != "payment_group" or provider_knows == "model"
    settings = ProviderSettings(**dict(provider))
    result = simulate_contract(
        caseload(caseload_key),
        contract_obj,
        settings,
        mode=mode,
        predicted=predicted(caseload_key) if needs_model else None,
        provider_knows=provider_knows,
        rng=seed,
        population=_population(
            caseload_key, settings.information_noise, provider_knows, needs_model, seed, model_key
        ),
    )
    return slim_result(result)


@st.cache_resource(show_spinner=False, max_entries=8)
def _population(
    caseload_key: str,
    information_noise: float,
    provider_knows: str,
    with_prediction: bool,
    seed: int,
    model_key: str,
) -> Any:
    """The caseload as arrays: independent of the contract, so a fee change re-uses it."""
    from pbr_fairness.simulation import ProviderSettings, prepare_population

    return prepare_population(
        caseload(caseload_key),
        ProviderSettings(information_noise=information_noise),
        predicted=predicted(caseload_key) if with_prediction else None,
        provider_knows=provider_knows,
        rng=seed,
    )


# ----------------------------------------------------------------------------- audit
@st.cache_data(show_spinner=False, max_entries=4)
def audit(
    data: bytes,
    name: str,
    mapping: tuple[tuple[str, str], ...],
    dropped: tuple[str, ...],
    expected_column: str | None,
    min_cell: int,
    alpha: float,
    correction: str,
) -> Any:
    """Audit an uploaded caseload (the audit page's one library call).

    Expected probabilities come from ``expected_column`` when given, else from the shipped
    distance model.
    """
    from pbr_fairness.audit import audit_caseload

    frame = read_upload(data, name, mapping, dropped)
    return audit_caseload(
        frame,
        model=None if expected_column else default_model(),
        expected_column=expected_column,
        min_cell=min_cell,
        alpha=alpha,
        correction=correction,
        rng=20110601,
        source_sha256=digest(data),
        source_name=name,
    )


@st.cache_data(show_spinner="Writing the report...", max_entries=4)
def audit_html(*config: Any) -> str:
    """Return the audit's self-contained HTML report."""
    return audit(*config).to_html()


@st.cache_data(show_spinner=False, max_entries=4)
def audit_json(*config: Any) -> str:
    """Return the audit's findings as JSON text."""
    out = audit(*config).to_json()
    return out if isinstance(out, str) else __import__("json").dumps(out, indent=2)


@st.cache_data(show_spinner=False, max_entries=4)
def audit_figures(*config: Any) -> dict[str, Any]:
    """Return the audit's figures by tab name (funnel, parking, creaming)."""
    from pbr_fairness import plots

    return plots.audit_figures(audit(*config))


# ----------------------------------------------------------------------------- distance model
#: Held-out synthetic people the distance page evaluates the model on (a seed the shipped
#: model was not trained on).
EVALUATION_CASELOAD = {"n": 20_000, "rng": 7, "providers": 4}


def evaluation_caseload() -> pd.DataFrame:
    """Return the held-out synthetic caseload of the distance-model page."""
    n = int(os.environ.get("PBR_FAIRNESS_APP_EVALUATION_N") or EVALUATION_CASELOAD["n"])
    return _evaluation_caseload(n)


@st.cache_data(show_spinner="Generating held-out people to test the model on...", max_entries=2)
def _evaluation_caseload(n: int) -> pd.DataFrame:
    from pbr_fairness.caseload.generator import make_caseload

    f = EVALUATION_CASELOAD
    return make_caseload(n, rng=f["rng"], providers=f["providers"])


def model_evaluation() -> Any:
    """Return the shipped model's accuracy on the held-out caseload."""
    return _model_evaluation(str(model_dir()))


@st.cache_data(show_spinner="Scoring the model on held-out people...", max_entries=2)
def _model_evaluation(directory: str) -> Any:
    from pbr_fairness.distance.evaluation import evaluate_distance_model

    return evaluate_distance_model(default_model(), evaluation_caseload())


def calibration_by(characteristic: str) -> pd.DataFrame:
    """Return the calibration table of the shipped model by a characteristic."""
    return _calibration_by(str(model_dir()), characteristic)


@st.cache_data(show_spinner=False, max_entries=16)
def _calibration_by(directory: str, characteristic: str) -> pd.DataFrame:
    from pbr_fairness.distance.groups import group_labels
    from pbr_fairness.distance.metrics import calibration_table

    test = evaluation_caseload()
    p = default_model().predict_proba(test)[:, 1]
    groups = None if characteristic == "all" else group_labels(test, characteristic)
    return calibration_table(test["job_outcome"], p, groups=groups, n_bins=10)


def model_card() -> dict[str, Any] | None:
    """Return the shipped model card (JSON), or ``None``."""
    import json

    d = model_dir()
    cards = sorted(d.glob("*card*.json")) if d.is_dir() else []
    return json.loads(cards[0].read_text(encoding="utf-8")) if cards else None


def shap_importance() -> pd.DataFrame | None:
    """Return global SHAP importance (``feature``, ``importance``), or ``None`` if unavailable."""
    explanation = _explanation(str(model_dir()))
    return None if explanation is None else explanation.global_importance()


#: People of the held-out caseload explained with SHAP (the per-person picker's range).
EXPLAINED_PEOPLE = 2_000


@st.cache_resource(show_spinner="Computing SHAP explanations...", max_entries=2)
def _explanation(directory: str) -> Any:
    try:
        from pbr_fairness.distance.explanations import explain
    except ImportError:
        return None
    return explain(default_model(), evaluation_caseload().head(EXPLAINED_PEOPLE))


def person_explanation(row: int) -> list[str] | None:
    """Return one held-out person's predicted chance and top-5 reasons as sentences."""
    explanation = _explanation(str(model_dir()))
    return None if explanation is None else list(explanation.sentences(row, 5))


def fairness_table() -> pd.DataFrame | None:
    """Return the model's fairness table with intervals, or ``None`` if unavailable."""
    return _fairness_table(str(model_dir()))


@st.cache_data(show_spinner="Computing the fairness report (bootstrap)...", max_entries=2)
def _fairness_table(directory: str) -> pd.DataFrame | None:
    try:
        from pbr_fairness.distance.fairness import fairness_report
    except ImportError:
        return None
    report = fairness_report(default_model(), evaluation_caseload(), rng=20110601)
    return report.display_table()


# ----------------------------------------------------------------------------- fairer tariff
def optimise(
    caseload_key: str,
    config: tuple[tuple[str, Any], ...],
    provider: tuple[tuple[str, float], ...],
    progress: Any = None,
) -> Any:
    """Search a fairer tariff (the fairer-tariff page's one library call).

    Parameters
    ----------
    caseload_key : str
        ``"default"``.
    config : tuple of (str, value)
        ``baseline``, ``basis``, ``objective``, ``provider_knows``, ``budget_share``,
        ``min_profit``, ``max_parked_share``, ``monotone``, ``max_fee_ratio``.
    provider : tuple of (str, float)
        Provider settings.
    progress : callable, optional
        ``progress(fraction, message)`` (not part of the cache key).
    """
    key = (caseload_id(caseload_key), config, provider, str(model_dir()))
    store = _tariff_store()
    if key not in store:
        # Not st.cache_data: the optimiser reports progress to the page while it runs, and
        # Streamlit cannot replay page elements from a cached function. The store keeps the
        # last few results per server, keyed on the configuration, like st.cache_data would.
        store[key] = _optimise(*key, progress)
        while len(store) > 8:
            store.popitem(last=False)
    else:
        store.move_to_end(key)
    return store[key]


@st.cache_resource(show_spinner=False)
def _tariff_store() -> Any:
    from collections import OrderedDict

    return OrderedDict()


def _optimise(
    caseload_key: str,
    config: tuple[tuple[str, Any], ...],
    provider: tuple[tuple[str, float], ...],
    model_key: str,
    _progress: Any,
) -> Any:
    from pbr_fairness.simulation import ProviderSettings
    from pbr_fairness.tariffs import TariffConstraints, optimise_tariff

    c = dict(config)
    constraints = TariffConstraints(
        budget_share=c["budget_share"],
        min_profit=c["min_profit"],
        max_parked_share=c["max_parked_share"],
        monotone=c["monotone"],
        max_fee_ratio=c["max_fee_ratio"],
    )
    has_model = model_available()
    return optimise_tariff(
        caseload(caseload_key),
        preset_contract(c["baseline"]),
        ProviderSettings(**dict(provider)),
        basis=c["basis"],
        objective=c["objective"],
        constraints=constraints,
        provider_knows=c["provider_knows"],
        predicted=predicted(caseload_key) if has_model else None,
        with_reference=has_model,
        rng=20110601,
        progress=_progress,
    )
