"""Every cache of the app, in one place, and nothing else.

Each function here caches one call of :mod:`pbr_fairness.recipes` (or of the library) on
small hashable keys: ``st.cache_data`` for data and results, ``st.cache_resource`` for the
fitted model and prepared populations. The rules (which caseload, which model, whether a
prediction is needed, how the optimiser is set up) live in the library.

The audit's, the distance model's and the optimiser's parts of the library are imported by
the functions that use them, so that the Home page and the designer (the first pages a
commissioner opens) do not wait for LightGBM, SHAP and the statistics stack to load.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from pbr_fairness.contracts import Contract, contract_to_yaml, load_contract
from pbr_fairness.recipes import (
    AppData,
    DesignerRun,
    find_prepared,
    population_key,
    prepare_run_population,
    simulate_run,
)
from pbr_fairness.recipes.prepared import caseload_identity
from pbr_fairness.recipes.response import DEFAULT_RESPONSE, response_caseload_size
from pbr_fairness.reporting import parameter_sources, read_contract
from pbr_fairness.scenario import TariffState
from pbr_fairness.simulation import ProviderSettings, SimulationResult

if TYPE_CHECKING:
    from pbr_fairness.audit import AuditResult
    from pbr_fairness.distance import DistanceModel
    from pbr_fairness.recipes.uncertainty import HeadlineRanges
    from pbr_fairness.tariffs import TariffResult
    from pbr_fairness.tariffs.instrument_optimise import InstrumentResult


def data() -> AppData:
    """Where the app's data and model live (read from the environment on every call)."""
    return AppData.from_environment()


def digest(blob: bytes) -> str:
    """Return the sha256 of some bytes (the key of an uploaded file)."""
    return hashlib.sha256(blob).hexdigest()


# ----------------------------------------------------------------------------- caseloads
@st.cache_data(show_spinner="Loading the caseload...", max_entries=3)
def _caseload(caseload_id: str, key: str, _data: AppData) -> pd.DataFrame:
    return _data.load_caseload(key)


@st.cache_data(show_spinner=False, max_entries=3)
def _response_caseload(caseload_id: str, response: str, _data: AppData) -> pd.DataFrame:
    return _data.load_caseload("default", response)


def caseload(key: str = "default", response: str = DEFAULT_RESPONSE) -> pd.DataFrame:
    """Return a known caseload (``"default"`` or ``"sample"``), in a response scenario."""
    d = data()
    ident = d.caseload_id(key, response)
    if key != "default" or response == DEFAULT_RESPONSE:
        return _caseload(ident, key, d)
    n = response_caseload_size(response, d.caseload_n) or 0
    with st.spinner(f"Generating {n:,} synthetic people for the {response} response "
                    "(once per server, a few seconds)...", show_time=True):
        return _response_caseload(ident, response, d)


@st.cache_data(show_spinner=False, max_entries=2)
def _identity(caseload_id: str, _data: AppData) -> str:
    return caseload_identity(_data)


@st.cache_data(show_spinner="Loading the sample caseload...", max_entries=1)
def sample_caseload_bytes() -> bytes:
    """Return the shipped sample caseload file's bytes (the audit's "try the sample")."""
    return data().sample_file.read_bytes()


@st.cache_data(show_spinner="Making a demonstration caseload...", max_entries=1)
def parking_demo_bytes() -> bytes:
    """Return the synthetic caseload in which P3 parks and P5 creams (CSV bytes)."""
    from pbr_fairness.recipes.audit import parking_demo_csv

    return parking_demo_csv()


@st.cache_data(show_spinner="Generating held-out people to test the model on...", max_entries=2)
def _evaluation_caseload(n: int, _data: AppData) -> pd.DataFrame:
    return _data.evaluation_caseload()


def evaluation_caseload() -> pd.DataFrame:
    """Return the held-out synthetic caseload of the distance-model page."""
    d = data()
    return _evaluation_caseload(d.evaluation_n, d)


@st.cache_data(show_spinner=False, max_entries=1)
def generator_sources() -> pd.DataFrame:
    """Return every parameter of the synthetic generator with its source."""
    return parameter_sources()


# ----------------------------------------------------------------------------- model
@st.cache_resource(show_spinner="Loading the distance model...", max_entries=2)
def _model(directory: str) -> DistanceModel:
    from pbr_fairness.distance import DistanceModel

    return DistanceModel.load(directory)


def model() -> DistanceModel:
    """Return the distance model, loaded once per server."""
    return _model(str(data().model_folder))


@st.cache_data(show_spinner="Predicting each person's chances...", max_entries=4)
def _predicted(caseload_id: str, key: str, directory: str, response: str) -> Any:
    from pbr_fairness.recipes.distance import predicted_chances

    return predicted_chances(_model(directory), caseload(key, response))


def predicted(key: str = "default", response: str = DEFAULT_RESPONSE) -> Any:
    """Return the model's predicted chance of a job for each person of a caseload."""
    d = data()
    return _predicted(d.caseload_id(key, response), key, str(d.model_folder), response)


# ----------------------------------------------------------------------------- contracts
@st.cache_data(show_spinner=False, max_entries=32)
def preset_yaml(name: str) -> str:
    """Return a preset contract as YAML text."""
    return contract_to_yaml(load_contract(name))


@st.cache_resource(show_spinner=False, max_entries=32)
def preset(name: str) -> Contract:
    """Return a preset contract (validated once)."""
    return load_contract(name)


@st.cache_data(show_spinner=False, max_entries=16)
def uploaded_contract(blob: bytes, name: str) -> Contract:
    """Return the contract of an uploaded YAML file (validated once per content)."""
    return read_contract(blob, source=name)


# ----------------------------------------------------------------------------- designer
@st.cache_resource(show_spinner=False, max_entries=8)
def _population(
    caseload_id: str, key: tuple[float, str, bool], seed: int, model_key: str, response: str,
    _run: DesignerRun,
) -> Any:
    pred = predicted(response=response) if _run.needs_prediction else None
    return prepare_run_population(caseload(response=response), _run, predicted=pred, seed=seed)


@st.cache_data(show_spinner=False, max_entries=64)
def _simulate(
    caseload_id: str,
    contract_sha: str,
    provider: tuple[tuple[str, float], ...],
    knows: str,
    mode: str,
    seed: int,
    model_key: str,
    response: str,
    _run: DesignerRun,
) -> SimulationResult:
    d = data()
    prepared = None
    if mode == "expected" and response == DEFAULT_RESPONSE:  # prepared for the default only
        prepared = find_prepared(d, _run, mode=mode, seed=seed, identity=_identity(caseload_id, d))
    if prepared is not None:
        return prepared
    pop = _population(caseload_id, population_key(_run), seed, model_key, response, _run)
    pred = predicted(response=response) if _run.needs_prediction else None
    return simulate_run(caseload(response=response), _run, predicted=pred, population=pop,
                        mode=mode, seed=seed)


def simulate(
    run: DesignerRun, *, mode: str = "expected", seed: int = 20110601,
    response: str = DEFAULT_RESPONSE,
) -> SimulationResult:
    """Simulate a designer run on the default caseload of a response scenario.

    Results of the default scenario prepared by ``make prepare`` are read from disk.
    """
    d = data()
    model_key = str(d.model_folder) if run.needs_prediction else ""
    return _simulate(
        d.caseload_id("default", response),
        run.contract.sha256,
        tuple(sorted(run.provider.to_dict().items())),
        run.provider_knows,
        mode,
        seed,
        model_key,
        response,
        run,
    )


@st.cache_resource(show_spinner=False)
def _uncertainty_store() -> OrderedDict[Any, Any]:
    return OrderedDict()


def _uncertainty_key(run: DesignerRun, response: str) -> tuple[Any, ...]:
    d = data()
    return (run.contract.sha256, tuple(sorted(run.provider.to_dict().items())),
            run.provider_knows, response, d.uncertainty_draws, d.uncertainty_people,
            str(d.model_folder) if run.needs_prediction else "")


def uncertainty_known(run: DesignerRun, response: str) -> HeadlineRanges | None:
    """Return the headline ranges of a run if they were computed on this server."""
    return _uncertainty_store().get(_uncertainty_key(run, response))


def uncertainty(run: DesignerRun, response: str, progress: Any = None) -> HeadlineRanges:
    """Compute the headline ranges of a run (kept per server for the last few runs).

    Not ``st.cache_data``, for the reason :func:`optimise` gives: the draws report progress.
    """
    from pbr_fairness.recipes.distance import predicted_chances
    from pbr_fairness.recipes.uncertainty import designer_uncertainty

    d = data()
    key = _uncertainty_key(run, response)
    store = _uncertainty_store()
    if key not in store:
        predict = ((lambda frame: predicted_chances(model(), frame))
                   if run.needs_prediction else None)
        store[key] = designer_uncertainty(
            run, response=response, draws=d.uncertainty_draws, people=d.uncertainty_people,
            predict=predict, progress=progress,
        )
        while len(store) > 16:
            store.popitem(last=False)
    else:
        store.move_to_end(key)
    return store[key]


# ----------------------------------------------------------------------------- audit
@st.cache_data(show_spinner=False, max_entries=8)
def upload_columns(blob: bytes, name: str) -> list[str]:
    """Return the column names of an uploaded table without validating it."""
    from pbr_fairness.recipes import audit as audit_recipe

    return audit_recipe.upload_columns(blob, name)


@st.cache_data(show_spinner=False, max_entries=8)
def unmatched_values(
    blob: bytes, name: str, mapping: tuple[tuple[str, str], ...], dropped: tuple[str, ...]
) -> pd.DataFrame:
    """Return the values of categorical columns the schema does not know."""
    from pbr_fairness.recipes import audit as audit_recipe

    return audit_recipe.unmatched_values(blob, name, dict(mapping), dropped)


@st.cache_data(show_spinner=False, max_entries=8)
def read_upload(
    blob: bytes,
    name: str,
    mapping: tuple[tuple[str, str], ...],
    dropped: tuple[str, ...],
    recodes: tuple[tuple[str, tuple[tuple[str, str], ...]], ...],
) -> pd.DataFrame:
    """Read and validate an uploaded caseload from its bytes (never written to disk)."""
    from pbr_fairness.recipes import audit as audit_recipe

    return audit_recipe.read_upload(
        blob, name, dict(mapping), dropped, {c: dict(t) for c, t in recodes}
    )


@st.cache_data(show_spinner=False, max_entries=4)
def audit(
    blob: bytes,
    name: str,
    mapping: tuple[tuple[str, str], ...],
    dropped: tuple[str, ...],
    recodes: tuple[tuple[str, tuple[tuple[str, str], ...]], ...],
    expected_column: str | None,
    min_cell: int,
    alpha: float,
    correction: str,
    expected_from: str = "model",
) -> AuditResult:
    """Audit an uploaded caseload (the audit page's one library call)."""
    from pbr_fairness.recipes import audit as audit_recipe

    frame = read_upload(blob, name, mapping, dropped, recodes)
    return audit_recipe.audit_upload(
        frame,
        model=model() if expected_from == "model" and not expected_column else None,
        expected_column=expected_column,
        expected_from=expected_from,
        min_cell=min_cell,
        alpha=alpha,
        correction=correction,
        source_sha256=digest(blob),
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
    return out if isinstance(out, str) else json.dumps(out, indent=2)


@st.cache_data(show_spinner=False, max_entries=4)
def audit_figures(*config: Any) -> dict[str, Any]:
    """Return the audit's figures by tab name (funnel, parking, creaming)."""
    from pbr_fairness.plots.audit import audit_figures

    return audit_figures(audit(*config))


# ----------------------------------------------------------------------------- distance model
@st.cache_data(show_spinner="Scoring the model on held-out people...", max_entries=2)
def _evaluation(directory: str, n: int) -> Any:
    from pbr_fairness.recipes import distance as distance_recipe

    return distance_recipe.model_evaluation(_model(directory), evaluation_caseload())


def model_evaluation() -> Any:
    """Return the model's accuracy on the held-out caseload."""
    d = data()
    return _evaluation(str(d.model_folder), d.evaluation_n)


@st.cache_data(show_spinner=False, max_entries=16)
def _calibration(directory: str, n: int, characteristic: str) -> pd.DataFrame:
    from pbr_fairness.recipes import distance as distance_recipe

    return distance_recipe.calibration_by(_model(directory), evaluation_caseload(), characteristic)


def calibration_by(characteristic: str) -> pd.DataFrame:
    """Return the calibration table of the model by a characteristic."""
    d = data()
    return _calibration(str(d.model_folder), d.evaluation_n, characteristic)


#: People of the held-out caseload explained with SHAP (the per-person picker's range).
EXPLAINED_PEOPLE = 2_000


@st.cache_resource(show_spinner="Computing SHAP explanations...", max_entries=2)
def _explanation(directory: str, n: int) -> Any:
    from pbr_fairness.distance import explain

    return explain(_model(directory), evaluation_caseload().head(EXPLAINED_PEOPLE))


def explanation() -> Any:
    """Return the SHAP explanation of the first held-out people."""
    d = data()
    return _explanation(str(d.model_folder), d.evaluation_n)


@st.cache_data(show_spinner="Computing the fairness report (bootstrap)...", max_entries=2)
def _fairness(directory: str, n: int) -> pd.DataFrame:
    from pbr_fairness.recipes import distance as distance_recipe

    return distance_recipe.fairness_table(_model(directory), evaluation_caseload())


def fairness_table() -> pd.DataFrame:
    """Return the model's fairness table with intervals."""
    d = data()
    return _fairness(str(d.model_folder), d.evaluation_n)


# ----------------------------------------------------------------------------- fairer tariff
@st.cache_resource(show_spinner=False)
def _tariff_store() -> OrderedDict[Any, Any]:
    return OrderedDict()


def optimise(state: TariffState, provider: ProviderSettings, progress: Any = None) -> TariffResult:
    """Search a fairer tariff (kept per server for the last few settings).

    Not ``st.cache_data``: the search reports progress to the page while it runs, and
    Streamlit cannot replay page elements from a cached function; the store keeps the last
    few results, keyed on the settings, as ``st.cache_data`` would.
    """
    from pbr_fairness.recipes.tariff import optimise_for_state

    d = data()
    settings = state.model_copy(update={"run": True})
    key = (d.caseload_id(), settings, tuple(sorted(provider.to_dict().items())),
           str(d.model_folder) if d.model_available() else "")
    store = _tariff_store()
    if key not in store:
        pred = predicted() if d.model_available() else None
        store[key] = optimise_for_state(
            caseload(), settings, provider, predicted=pred, progress=progress
        )
        while len(store) > 8:
            store.popitem(last=False)
    else:
        store.move_to_end(key)
    return store[key]


def optimise_instruments(
    state: TariffState, provider: ProviderSettings, progress: Any = None
) -> InstrumentResult:
    """Search the instrument families (kept per server for the last few settings).

    Kept in the same store as :func:`optimise` and for the same reason: the search reports
    progress to the page while it runs.
    """
    from pbr_fairness.recipes.tariff import optimise_instruments_for_state

    d = data()
    settings = state.model_copy(update={
        "run": False, "instruments": state.instruments.model_copy(update={"run": True}),
    })
    key = ("instruments", d.caseload_id(), settings.baseline, settings.instruments,
           tuple(sorted(provider.to_dict().items())))
    store = _tariff_store()
    if key not in store:
        store[key] = optimise_instruments_for_state(
            caseload(), settings, provider, progress=progress
        )
        while len(store) > 8:
            store.popitem(last=False)
    else:
        store.move_to_end(key)
    return store[key]
