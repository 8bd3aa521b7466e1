"""The sweep specification: what to vary, over which caseload, with which seeds.

A spec is a YAML file validated as a whole (pydantic, unknown keys rejected) before anything
is built; ``examples/sweep_small.yaml`` and ``docs/sweep.md`` show one. Its keys: ``name``,
``seed`` (root of ``numpy.random.SeedSequence``), ``seeds`` (replicates per design point,
common random numbers across design points), ``caseload`` (``n``/``providers``/``seed`` of a
synthetic caseload, or ``path``), ``contract`` (base contract), ``provider`` (base provider
settings), ``mode``, ``provider_knows``, ``replications``, ``breakdowns``, ``measures`` and
``parameters`` (``grid`` of lists, plus ``random`` or ``latin_hypercube`` with ``n`` and
``ranges``).

Parameter names are ``contract`` (the base contract: a preset name or YAML path), ``mode``,
``provider_knows``, ``replications``, ``provider.<field>`` (a
:class:`~pbr_fairness.simulation.ProviderSettings` field) and ``contract.<dotted.path>`` (a
value inside the contract's YAML, as written by ``contract_to_yaml``; list items by index).
Design points are the Cartesian product of the grid with the sampled points; each design
point is run once per seed replicate, and a (design point, replicate) pair is a *scenario*.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pbr_fairness.errors import InputError, Problem
from pbr_fairness.limits import MAX_SAMPLE_VALUES, MAX_SCENARIOS, read_limited

__all__ = [
    "BREAKDOWNS",
    "SPECIAL_PARAMETERS",
    "CaseloadSpec",
    "ParametersSpec",
    "RangeSpec",
    "SampleSpec",
    "Scenario",
    "SweepSpec",
    "expand_scenarios",
    "latin_hypercube",
    "load_spec",
    "replicate_seeds",
]

logger = logging.getLogger(__name__)

#: Breakdowns a sweep may keep (those of ``SimulationResult.to_frame``).
BREAKDOWNS: tuple[str, ...] = (
    "overall",
    "payment_group",
    "decile_true_p0",
    "decile_predicted",
    "provider",
    "sex",
    "age_band",
    "disability",
    "ethnicity",
)
#: Parameter names that are not dotted paths.
SPECIAL_PARAMETERS: tuple[str, ...] = ("contract", "mode", "provider_knows", "replications")
MODES: tuple[str, ...] = ("expected", "monte_carlo")
PROVIDER_KNOWS: tuple[str, ...] = ("truth", "model")

Scalar = bool | int | float | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseloadSpec(_Strict):
    """The caseload the scenarios run on.

    Either ``n`` (a synthetic caseload from ``make_caseload(n, rng=seed, providers=...)``) or
    ``path`` (a CSV or Parquet file, relative to the spec file).
    """

    n: int | None = Field(None, ge=10, le=50_000_000, description="People to generate.")
    providers: int = Field(1, ge=1, le=1000, description="Providers in the caseload.")
    seed: int = Field(0, ge=0, description="Seed of the synthetic caseload.")
    path: str | None = Field(None, description="Caseload file instead of a synthetic one.")
    resample: bool = Field(
        False, description="Draw a new synthetic caseload for every seed replicate."
    )
    response: Literal["evidence", "gain_falls", "gain_rises"] | None = Field(
        None,
        description="Response scenario of the synthetic caseload (default: the generator's).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> CaseloadSpec:
        if (self.n is None) == (self.path is None):
            raise ValueError("give exactly one of 'n' (synthetic) or 'path' (a caseload file)")
        if self.path is not None and self.resample:
            raise ValueError("'resample' needs a synthetic caseload ('n'), not a file")
        if self.path is not None and self.response is not None:
            raise ValueError("'response' shapes a synthetic caseload ('n'), not a file")
        return self


class RangeSpec(_Strict):
    """A range to sample a parameter from: ``[low, high]`` or a mapping."""

    low: float
    high: float
    scale: Literal["linear", "log"] = "linear"
    integer: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, data: Any) -> Any:
        if isinstance(data, list | tuple):
            if len(data) != 2:
                raise ValueError("a range is [low, high]")
            return {"low": data[0], "high": data[1]}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if not (np.isfinite(self.low) and np.isfinite(self.high)) or self.low >= self.high:
            raise ValueError(f"need finite low < high, got [{self.low}, {self.high}]")
        if self.scale == "log" and self.low <= 0:
            raise ValueError("a log-scale range needs low > 0")
        return self

    def scale_unit(self, u: np.ndarray) -> np.ndarray:
        """Map points of ``[0, 1)`` onto the range."""
        if self.scale == "log":
            x = np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        if self.integer:
            x = np.clip(np.floor(x), np.ceil(self.low), np.floor(self.high))
        return x


class SampleSpec(_Strict):
    """``n`` points drawn from the ranges (uniform random or Latin hypercube)."""

    n: int = Field(..., ge=1, le=1_000_000)
    ranges: dict[str, RangeSpec] = Field(..., min_length=1)


class ParametersSpec(_Strict):
    """What varies: a grid, and at most one of random / Latin-hypercube samples."""

    grid: dict[str, list[Scalar]] = Field(default_factory=dict)
    random: SampleSpec | None = None
    latin_hypercube: SampleSpec | None = None

    @field_validator("grid")
    @classmethod
    def _non_empty(cls, grid: dict[str, list[Scalar]]) -> dict[str, list[Scalar]]:
        for key, values in grid.items():
            if not values:
                raise ValueError(f"grid parameter {key!r} has no values")
        return grid

    @model_validator(mode="after")
    def _one_sampler(self) -> ParametersSpec:
        if self.random is not None and self.latin_hypercube is not None:
            raise ValueError("give at most one of 'random' and 'latin_hypercube'")
        sample = self.random or self.latin_hypercube
        if sample is not None:
            both = set(sample.ranges) & set(self.grid)
            if both:
                raise ValueError(f"parameters both in the grid and sampled: {sorted(both)}")
        return self


class SweepSpec(_Strict):
    """A whole sweep, as read from YAML."""

    name: str = "sweep"
    seed: int = Field(0, ge=0, description="Root entropy of the SeedSequence.")
    seeds: int = Field(1, ge=1, le=100_000, description="Seed replicates per design point.")
    caseload: CaseloadSpec
    contract: str = "work_programme_2011"
    provider: dict[str, float] = Field(default_factory=dict)
    mode: Literal["expected", "monte_carlo"] = "expected"
    provider_knows: Literal["truth", "model"] = "truth"
    replications: int = Field(100, ge=2, le=100_000)
    predicted_column: str | None = Field(
        None, description="Caseload column with predicted probabilities (band/smooth tariffs)."
    )
    breakdowns: list[str] = Field(default_factory=lambda: ["overall", "payment_group"])
    measures: list[str] | None = None
    parameters: ParametersSpec = Field(default_factory=ParametersSpec)

    @field_validator("breakdowns")
    @classmethod
    def _known_breakdowns(cls, value: list[str]) -> list[str]:
        bad = [b for b in value if b not in BREAKDOWNS]
        if bad:
            raise ValueError(f"unknown breakdowns {bad}; allowed: {', '.join(BREAKDOWNS)}")
        if not value:
            raise ValueError("give at least one breakdown")
        return value

    @model_validator(mode="after")
    def _known_parameters(self) -> SweepSpec:
        names = list(self.parameters.grid)
        sample = self.parameters.random or self.parameters.latin_hypercube
        if sample is not None:
            names += list(sample.ranges)
        for name in names:
            if name in SPECIAL_PARAMETERS:
                continue
            head, _, rest = name.partition(".")
            if head not in ("provider", "contract") or not rest:
                raise ValueError(
                    f"unknown parameter {name!r}: use contract, mode, provider_knows, "
                    "replications, provider.<field> or contract.<path>"
                )
        for value in self.parameters.grid.get("mode", []):
            if value not in MODES:
                raise ValueError(f"mode {value!r} is not one of {MODES}")
        for value in self.parameters.grid.get("provider_knows", []):
            if value not in PROVIDER_KNOWS:
                raise ValueError(f"provider_knows {value!r} is not one of {PROVIDER_KNOWS}")
        if sample is not None:
            for special in ("contract", "mode", "provider_knows"):
                if special in sample.ranges:
                    raise ValueError(f"{special!r} can only be a grid parameter")
        return self

    @model_validator(mode="after")
    def _bounded(self) -> SweepSpec:
        # Counted with Python integers before anything is expanded (pbr_fairness.limits).
        sample = self.parameters.random or self.parameters.latin_hypercube
        if sample is not None and sample.n * len(sample.ranges) > MAX_SAMPLE_VALUES:
            raise ValueError(
                f"a sample of {sample.n:,} points x {len(sample.ranges)} ranges ="
                f" {sample.n * len(sample.ranges):,} values is more than the limit of"
                f" {MAX_SAMPLE_VALUES:,}; use fewer points or ranges"
            )
        scenarios = self.n_designs * self.seeds
        if scenarios > MAX_SCENARIOS:
            raise ValueError(
                f"{scenarios:,} scenarios ({self.n_designs:,} design points x {self.seeds}"
                f" seeds) is more than the limit of {MAX_SCENARIOS:,} scenarios; split the"
                " spec into several sweeps, or run them on a Dask cluster (--backend dask)"
            )
        return self

    # -- derived -------------------------------------------------------------------------
    @property
    def sampler(self) -> tuple[str, SampleSpec] | None:
        """The sampling method and its settings, if any."""
        if self.parameters.random is not None:
            return "random", self.parameters.random
        if self.parameters.latin_hypercube is not None:
            return "latin_hypercube", self.parameters.latin_hypercube
        return None

    @property
    def parameter_names(self) -> list[str]:
        """Names of the varied parameters, grid first, in the order written."""
        names = list(self.parameters.grid)
        s = self.sampler
        if s is not None:
            names += list(s[1].ranges)
        return names

    def fingerprint(self) -> str:
        """Hash of every setting that changes results but is not a per-scenario parameter.

        Two runs whose fingerprints differ must not share an output file; growing the grid,
        the sample or the number of seeds keeps the fingerprint (finished scenarios are kept).
        """
        body = self.model_dump(mode="json", exclude={"name", "parameters", "seeds"})
        caseload_path = self.caseload.path
        if caseload_path is not None:
            body["caseload_sha256"] = _file_sha256(Path(caseload_path))
        return _hash(body)

    @property
    def n_designs(self) -> int:
        """Number of design points (grid size times sample size)."""
        n = 1
        for values in self.parameters.grid.values():
            n *= len(values)
        s = self.sampler
        return n * (s[1].n if s is not None else 1)


@dataclass(frozen=True)
class Scenario:
    """One run: a design point with one seed replicate.

    Attributes
    ----------
    scenario_id : str
        Hash of the spec fingerprint, the parameters and the seed index.
    design_id : str
        Hash of the fingerprint and the parameters (the same for every replicate).
    design_index, seed_index : int
        Position in the expansion.
    params : dict
        Parameter name -> value.
    seed_entropy : int
        Root entropy; with ``seed_spawn_key`` rebuilds the replicate's SeedSequence.
    seed_spawn_key : tuple of int
        Spawn key of the replicate's SeedSequence.
    """

    scenario_id: str
    design_id: str
    design_index: int
    seed_index: int
    params: dict[str, Scalar]
    seed_entropy: int
    seed_spawn_key: tuple[int, ...]

    def seed_sequence(self) -> np.random.SeedSequence:
        """Return the replicate's SeedSequence (identical on every backend)."""
        return np.random.SeedSequence(self.seed_entropy, spawn_key=self.seed_spawn_key)


def _hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return "missing"
    return h.hexdigest()


def _sampling_and_replicate_roots(
    seed: int,
) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    sampling, replicates = np.random.SeedSequence(seed).spawn(2)
    return sampling, replicates


def replicate_seeds(seed: int, seeds: int) -> list[np.random.SeedSequence]:
    """Return the SeedSequence of each replicate: ``SeedSequence(seed).spawn(2)[1].spawn(seeds)``.

    Replicate ``r`` is the same whatever the number of replicates, so adding seeds to a spec
    keeps the finished ones.
    """
    return _sampling_and_replicate_roots(seed)[1].spawn(seeds)


def latin_hypercube(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` Latin-hypercube points in ``[0, 1)^d``: one point in each ``1/n`` slice per axis.

    The construction of ``scipy.stats.qmc.LatinHypercube(d, scramble=True)``: an independent
    random permutation of the ``n`` strata on every axis, and a uniform position within each
    stratum (written out here to spare every sweep the import of ``scipy.stats``).

    Examples
    --------
    >>> u = latin_hypercube(5, 2, np.random.default_rng(0))
    >>> sorted(np.floor(u[:, 0] * 5).astype(int).tolist())
    [0, 1, 2, 3, 4]
    """
    strata = np.stack([rng.permutation(n) for _ in range(d)], axis=1)
    return (strata + rng.random((n, d))) / n


def _sample_points(spec: SweepSpec) -> list[dict[str, Scalar]]:
    s = spec.sampler
    if s is None:
        return [{}]
    method, sample = s
    names = list(sample.ranges)
    sampling_ss = _sampling_and_replicate_roots(spec.seed)[0]
    gen = np.random.default_rng(sampling_ss)
    if method == "random":
        u = gen.random((sample.n, len(names)))
    else:
        u = latin_hypercube(sample.n, len(names), gen)
    columns = {name: sample.ranges[name].scale_unit(u[:, j]) for j, name in enumerate(names)}
    points = []
    for i in range(sample.n):
        point: dict[str, Scalar] = {}
        for name in names:
            v = columns[name][i]
            point[name] = int(v) if sample.ranges[name].integer else float(v)
        points.append(point)
    return points


def _canonical(value: Scalar) -> Scalar:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    return float(value)


def expand_scenarios(spec: SweepSpec) -> list[Scenario]:
    """Every scenario of a spec: design points (grid x sample) times seed replicates.

    Parameters
    ----------
    spec : SweepSpec
        A validated spec.

    Returns
    -------
    list of Scenario
        Ordered by seed replicate, then design point (replicates share a caseload when
        ``caseload.resample`` is set, so workers build each one once).

    Examples
    --------
    >>> spec = SweepSpec.model_validate({"caseload": {"n": 100}, "seeds": 2,
    ...     "parameters": {"grid": {"provider.information_noise": [0.0, 0.5]}}})
    >>> [(s.design_index, s.seed_index) for s in expand_scenarios(spec)]
    [(0, 0), (1, 0), (0, 1), (1, 1)]
    """
    grid = spec.parameters.grid
    grid_points = [
        dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())
    ]
    samples = _sample_points(spec)
    designs = [
        {k: _canonical(v) for k, v in {**g, **s}.items()} for g in grid_points for s in samples
    ]
    fp = spec.fingerprint()
    design_ids = [_hash({"fingerprint": fp, "params": d}) for d in designs]
    duplicates = len(set(design_ids)) != len(design_ids)
    if duplicates:
        logger.warning("the spec has repeated design points; they are run once each")
    seeds = replicate_seeds(spec.seed, spec.seeds)
    out: list[Scenario] = []
    seen: set[str] = set()
    for r, ss in enumerate(seeds):
        for i, (params, did) in enumerate(zip(designs, design_ids, strict=True)):
            sid = _hash({"design": did, "seed_index": r})
            if sid in seen:
                continue
            seen.add(sid)
            out.append(
                Scenario(
                    scenario_id=sid,
                    design_id=did,
                    design_index=i,
                    seed_index=r,
                    params=params,
                    seed_entropy=int(ss.entropy),  # type: ignore[arg-type]  # an int here
                    seed_spawn_key=tuple(int(x) for x in ss.spawn_key),
                )
            )
    return out


def _problems_from_validation(exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or None
        problems.append(Problem(err["msg"], column=loc))
    return problems


def _parameter_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Every bad parameter name and grid value of a raw spec (pydantic stops at the first)."""
    params = data.get("parameters")
    if not isinstance(params, Mapping):
        return []
    problems = []
    raw_grid = params.get("grid")
    grid: Mapping[str, Any] = raw_grid if isinstance(raw_grid, Mapping) else {}
    names = [(f"parameters.grid.{k}", k) for k in grid]
    for sampler in ("random", "latin_hypercube"):
        block = params.get(sampler)
        if isinstance(block, Mapping) and isinstance(block.get("ranges"), Mapping):
            names += [(f"parameters.{sampler}.ranges.{k}", k) for k in block["ranges"]]
    for where, name in names:
        head, _, rest = str(name).partition(".")
        if name not in SPECIAL_PARAMETERS and (head not in ("provider", "contract") or not rest):
            problems.append(Problem(
                f"unknown parameter {name!r}: use contract, mode, provider_knows, replications,"
                " provider.<field> or contract.<path>", column=where))
    for key, allowed in (("mode", MODES), ("provider_knows", PROVIDER_KNOWS)):
        values = grid.get(key)
        for value in values if isinstance(values, list) else []:
            if value not in allowed:
                problems.append(Problem(f"{value!r} is not one of {', '.join(allowed)}",
                                        column=f"parameters.grid.{key}"))
    return problems


def load_spec(source: str | Path | Mapping[str, Any]) -> SweepSpec:
    """Read and validate a sweep spec.

    Parameters
    ----------
    source : str, Path or mapping
        A YAML file, or the already parsed mapping. A caseload ``path`` in a file is taken
        relative to the file.

    Returns
    -------
    SweepSpec

    Raises
    ------
    InputError
        Naming the file and every bad key.
    FileNotFoundError
        If the file does not exist.
    """
    name = "spec"
    base_dir: Path | None = None
    if isinstance(source, Mapping):
        data: Any = dict(source)
    else:
        path = Path(source)
        name = str(path)
        base_dir = path.parent
        raw = read_limited(path, what="sweep spec")
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise InputError([f"not valid YAML: {exc}"], source=name) from None
    if not isinstance(data, dict):
        raise InputError(["a sweep spec is a YAML mapping of keys to values"], source=name)
    extra = _parameter_problems(data)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        found = _problems_from_validation(exc)
        if extra:  # the model-level check reports only the first bad parameter: keep all
            found = [p for p in found if "unknown parameter" not in p.message
                     and not p.message.startswith(("mode ", "provider_knows "))]
        raise InputError([*found, *extra], source=name) from None
    if base_dir is not None and spec.caseload.path is not None:
        p = Path(spec.caseload.path)
        if not p.is_absolute():
            p = (base_dir / p).resolve()
            spec = spec.model_copy(
                update={"caseload": spec.caseload.model_copy(update={"path": str(p)})}
            )
    return spec
