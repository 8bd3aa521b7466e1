"""Prepared results on disk: the designer's first results without simulating on a cold server.

``make prepare`` simulates the designer's default scenario on the default caseload and
writes the result under ``data/prepared/<key>/`` (tables as Parquet, the rest as JSON; never
pickle). The key is a hash of every input that shapes the result: the caseload file's
bytes, the contract's content, the provider settings, what the provider knows, the mode,
the seed, the model's files when a prediction is used, the library's code and parameter
files, the package version and the result format. A changed input gives another key, so a
stale result is never shown.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from pbr_fairness import __version__
from pbr_fairness.contracts import Contract
from pbr_fairness.prepare import DEFAULT_PROVIDERS, DEFAULT_SEED
from pbr_fairness.recipes.data import FALLBACK_N, AppData
from pbr_fairness.recipes.designer import DesignerRun, designer_runs, simulate_run
from pbr_fairness.scenario import Scenario
from pbr_fairness.simulation import ProviderSettings, SimulationResult

__all__ = [
    "FORMAT_VERSION",
    "caseload_identity",
    "code_digest",
    "file_digest",
    "find_prepared",
    "load_result",
    "prepare_results",
    "prepared_dir",
    "result_key",
    "save_result",
]

log = logging.getLogger(__name__)

#: Version of the on-disk format (part of every key).
FORMAT_VERSION = 1
_FRAMES = ("table", "persons", "monthly")


def prepared_dir(root: Path) -> Path:
    """Return the folder prepared results live in (``data/prepared``, git-ignored)."""
    return Path(root) / "data" / "prepared"


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_LIBRARY = Path(__file__).resolve().parent.parent
_CODE: dict[str, str] = {}


def code_digest() -> str:
    """sha256 of the library's own code and parameter files (computed once per process).

    Part of every key: a change to the engine, the contracts or the measures gives other keys,
    even when the package version stays the same.
    """
    if "digest" not in _CODE:
        h = hashlib.sha256()
        for p in sorted(_LIBRARY.rglob("*")):
            if p.suffix in (".py", ".yaml", ".json") and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(_LIBRARY)).encode())
                h.update(p.read_bytes())
        _CODE["digest"] = h.hexdigest()
    return _CODE["digest"]


def _model_digest(model_dir: Path | None) -> str | None:
    if model_dir is None:
        return None
    h = hashlib.sha256()
    for p in sorted(Path(model_dir).glob("*")):
        if p.is_file() and p.suffix in (".txt", ".json"):
            h.update(p.name.encode())
            h.update(file_digest(p).encode())
    return h.hexdigest()


def result_key(
    *,
    caseload: str,
    contract: Contract,
    provider: ProviderSettings,
    provider_knows: str,
    mode: str,
    seed: int,
    model_dir: Path | None = None,
) -> str:
    """Return the key of a result: a hash of every input that shapes it.

    Parameters
    ----------
    caseload : str
        The caseload's identity: its file's sha256, or how it was generated.
    contract : Contract
    provider : ProviderSettings
    provider_knows : str
    mode : str
    seed : int
    model_dir : pathlib.Path, optional
        The model's folder, when the run uses the model's prediction.

    Returns
    -------
    str
        24 hexadecimal characters.
    """
    fields = sorted(f.name for f in dataclasses.fields(SimulationResult))
    doc = {
        "format": FORMAT_VERSION,
        "package": __version__,
        "code": code_digest(),
        "result_fields": fields,
        "caseload": caseload,
        "contract": contract.sha256,
        "provider": provider.to_dict(),
        "provider_knows": provider_knows,
        "mode": mode,
        "seed": int(seed),
        "model": _model_digest(model_dir),
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def save_result(result: SimulationResult, directory: Path) -> Path:
    """Write a (slim) simulation result to a folder: Parquet tables and a JSON document.

    Written to a temporary folder first and renamed, so that a reader never sees half.
    """
    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    meta: dict[str, Any] = {}
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if f.name == "_gap_inputs":
            continue
        if isinstance(value, pd.DataFrame):
            value.to_parquet(tmp / f"{f.name}.parquet", index=False)
            meta[f.name] = {"frame": f"{f.name}.parquet"}
        elif isinstance(value, ProviderSettings):
            meta[f.name] = {"provider": value.to_dict()}
        elif value is None or isinstance(value, str | int | float | bool | dict | list):
            meta[f.name] = {"value": value}
        else:  # a new kind of field: do not store what cannot be read back faithfully
            shutil.rmtree(tmp, ignore_errors=True)
            raise TypeError(f"cannot store result field {f.name!r} of type {type(value)}")
    (tmp / "result.json").write_text(json.dumps(meta, default=str), encoding="utf-8")
    shutil.rmtree(directory, ignore_errors=True)
    tmp.replace(directory)
    return directory


def load_result(directory: Path) -> SimulationResult | None:
    """Read a result written by :func:`save_result` (``None`` when absent or unreadable)."""
    directory = Path(directory)
    meta_path = directory / "result.json"
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(SimulationResult):
            if f.name == "_gap_inputs":
                continue
            entry = meta.get(f.name)
            if entry is None:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    return None
                continue
            if "frame" in entry:
                kwargs[f.name] = pd.read_parquet(directory / entry["frame"])
            elif "provider" in entry:
                kwargs[f.name] = ProviderSettings(**entry["provider"])
            else:
                kwargs[f.name] = entry["value"]
        return SimulationResult(**kwargs)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("prepared result in %s not read: %s", directory, exc)
        return None


def caseload_identity(data: AppData) -> str:
    """Return the default caseload's identity: its file's sha256, or how it is generated."""
    if data.uses_file:
        return "file:" + file_digest(data.caseload_file)
    return f"generated:{data.caseload_n or FALLBACK_N}:{DEFAULT_SEED}:{DEFAULT_PROVIDERS}"


def _run_key(data: AppData, identity: str, run: DesignerRun, *, mode: str, seed: int) -> str:
    return result_key(
        caseload=identity,
        contract=run.contract,
        provider=run.provider,
        provider_knows=run.provider_knows,
        mode=mode,
        seed=seed,
        model_dir=data.model_folder if run.needs_prediction else None,
    )


def find_prepared(
    data: AppData, run: DesignerRun, *, mode: str, seed: int, identity: str | None = None
) -> SimulationResult | None:
    """Return the prepared result of a run on the default caseload, if one is on disk.

    Parameters
    ----------
    data : AppData
    run : DesignerRun
    mode : str
    seed : int
    identity : str, optional
        :func:`caseload_identity` when the caller has it already (hashing the file takes
        a few tens of milliseconds).
    """
    ident = identity or caseload_identity(data)
    key = _run_key(data, ident, run, mode=mode, seed=seed)
    return load_result(prepared_dir(data.root) / key)


def prepare_results(
    data: AppData,
    scenario: Scenario | None = None,
    *,
    predict: Callable[[pd.DataFrame], Any] | None = None,
) -> list[Path]:
    """Simulate a scenario's designer runs on the default caseload and store them.

    ``make prepare`` calls this for the default scenario, so that the designer's first
    results on a cold server are read from disk rather than simulated.

    Parameters
    ----------
    data : AppData
    scenario : Scenario, optional
        Default: the default scenario.
    predict : callable, optional
        ``predict(caseload)`` -> predicted chances, for runs that need them (skipped
        without it).

    Returns
    -------
    list of pathlib.Path
        The folders written (runs already prepared are skipped).
    """
    scenario = scenario or Scenario()
    identity = caseload_identity(data)
    runs = designer_runs(scenario)
    todo = {}
    for run in runs.values():
        key = _run_key(data, identity, run, mode=scenario.mode, seed=scenario.seed)
        if not (prepared_dir(data.root) / key / "result.json").is_file():
            todo[key] = run
    if not todo:
        return []
    caseload = data.load_caseload("default")
    predicted = None
    if any(r.needs_prediction for r in todo.values()) and predict is not None:
        predicted = predict(caseload)
    written = []
    for key, run in todo.items():
        if run.needs_prediction and predicted is None:
            continue
        result = simulate_run(
            caseload, run, predicted=predicted, mode=scenario.mode, seed=scenario.seed
        )
        written.append(save_result(result, prepared_dir(data.root) / key))
    return written

