"""Which data the app works on: the default caseload, the sample, held-out people, the model.

:class:`AppData` says where each lives and how to get it: the default caseload is the file
``make prepare`` writes when it is there, else a smaller one generated in memory (a test or
a demo can force a size); the audit's sample is shipped; the distance model is
``models/default`` unless another folder is named. The app only caches what these
functions return.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.caseload.io import read_caseload
from pbr_fairness.prepare import (
    DEFAULT_PROVIDERS,
    DEFAULT_SEED,
    default_caseload_path,
    default_model_dir,
    project_root,
)
from pbr_fairness.recipes.response import DEFAULT_RESPONSE, response_caseload_size

__all__ = [
    "CASELOAD_KEYS",
    "DESIGNER_DRAWS",
    "DESIGNER_PEOPLE",
    "ENV_CASELOAD_N",
    "ENV_EVALUATION_N",
    "ENV_MODEL_DIR",
    "ENV_UNCERTAINTY_DRAWS",
    "ENV_UNCERTAINTY_PEOPLE",
    "EVALUATION_CASELOAD",
    "FALLBACK_N",
    "AppData",
]

#: Environment variable forcing an in-memory default caseload of this many people.
ENV_CASELOAD_N = "PBR_FAIRNESS_APP_CASELOAD_N"
#: Environment variable setting the size of the held-out caseload of the model page.
ENV_EVALUATION_N = "PBR_FAIRNESS_APP_EVALUATION_N"
#: Draws of the designer's "how sure" ranges (the documented intervals use 200).
DESIGNER_DRAWS = 40
#: People in each of those draws' caseloads (the documented intervals use 50,000).
DESIGNER_PEOPLE = 10_000
#: Environment variables setting the draws and people of the designer's "how sure" ranges.
ENV_UNCERTAINTY_DRAWS = "PBR_FAIRNESS_APP_UNCERTAINTY_DRAWS"
ENV_UNCERTAINTY_PEOPLE = "PBR_FAIRNESS_APP_UNCERTAINTY_PEOPLE"
#: Environment variable naming another distance-model folder.
ENV_MODEL_DIR = "PBR_FAIRNESS_APP_MODEL_DIR"
#: People generated in memory when ``make prepare`` has not written the default caseload.
FALLBACK_N = 50_000
#: Caseload keys the designer and the optimiser know.
CASELOAD_KEYS: tuple[str, ...] = ("default", "sample")
#: Held-out synthetic people the model page evaluates on (a seed the model never saw).
EVALUATION_CASELOAD: dict[str, int] = {"n": 20_000, "rng": 7, "providers": 4}

def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text else None


@dataclass(frozen=True)
class AppData:
    """Where the app's data and model live.

    Attributes
    ----------
    root : pathlib.Path
        Project folder (``data/`` and ``models/`` under it).
    caseload_n : int or None
        Force an in-memory default caseload of this many people (``None``: the prepared
        file when present, else :data:`FALLBACK_N` people generated in memory).
    evaluation_n : int
        People in the held-out caseload of the model page.
    model_dir : pathlib.Path or None
        The distance model's folder (``None``: ``models/default``).
    uncertainty_draws, uncertainty_people : int
        Draws and people of the designer's ranges of its headline figures
        (:func:`pbr_fairness.recipes.uncertainty.designer_uncertainty`).
    """

    root: Path
    caseload_n: int | None = None
    evaluation_n: int = EVALUATION_CASELOAD["n"]
    model_dir: Path | None = None
    uncertainty_draws: int = DESIGNER_DRAWS
    uncertainty_people: int = DESIGNER_PEOPLE

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> AppData:
        """Read the settings from the environment (unset variables: the defaults).

        :data:`ENV_CASELOAD_N`, :data:`ENV_EVALUATION_N`, :data:`ENV_MODEL_DIR`,
        :data:`ENV_UNCERTAINTY_DRAWS` and :data:`ENV_UNCERTAINTY_PEOPLE`.

        Examples
        --------
        >>> AppData.from_environment({ENV_CASELOAD_N: "4000"}).caseload_n
        4000
        """
        env = os.environ if environ is None else environ
        model = env.get(ENV_MODEL_DIR, "").strip()
        return cls(
            root=project_root(),
            caseload_n=_int(env.get(ENV_CASELOAD_N)),
            evaluation_n=_int(env.get(ENV_EVALUATION_N)) or EVALUATION_CASELOAD["n"],
            model_dir=Path(model) if model else None,
            uncertainty_draws=_int(env.get(ENV_UNCERTAINTY_DRAWS)) or DESIGNER_DRAWS,
            uncertainty_people=_int(env.get(ENV_UNCERTAINTY_PEOPLE)) or DESIGNER_PEOPLE,
        )

    # ------------------------------------------------------------------ caseloads
    @property
    def caseload_file(self) -> Path:
        """The prepared default caseload (``data/synthetic/default_caseload.parquet``)."""
        return default_caseload_path(self.root)

    @property
    def sample_file(self) -> Path:
        """The shipped sample caseload of the audit (``data/synthetic/sample_caseload.csv``)."""
        return self.root / "data" / "synthetic" / "sample_caseload.csv"

    @property
    def uses_file(self) -> bool:
        """Whether the default caseload is the prepared file."""
        return self.caseload_n is None and self.caseload_file.is_file()

    def caseload_id(self, key: str = "default", response: str = DEFAULT_RESPONSE) -> str:
        """Return a cache key that changes when the caseload behind ``key`` changes.

        Examples
        --------
        >>> AppData.from_environment({}).caseload_id("default", "gain_rises")
        'default:gain_rises:50000:20110601'
        """
        if key != "default":
            return key
        n = response_caseload_size(response, self.caseload_n)
        if response != DEFAULT_RESPONSE:
            return f"default:{response}:{n}:{DEFAULT_SEED}"
        if self.uses_file:
            stat = self.caseload_file.stat()
            return f"default:file:{stat.st_size}:{stat.st_mtime_ns}"
        return f"default:{self.caseload_n or FALLBACK_N}:{DEFAULT_SEED}"

    def caseload_source(self, response: str = DEFAULT_RESPONSE) -> str:
        """Describe where the default caseload comes from, in words (Markdown)."""
        n = response_caseload_size(response, self.caseload_n)
        if response != DEFAULT_RESPONSE:
            return (
                f"generated in memory for the {response} response: `make_caseload({n:,}, "
                f"rng={DEFAULT_SEED}, providers={DEFAULT_PROVIDERS}, response=\"{response}\")`; "
                "the same recipe as the default caseload, with fewer people"
            )
        if self.uses_file:
            return f"`{self.caseload_file.relative_to(self.root)}` (made by `make prepare`)"
        n = self.caseload_n or FALLBACK_N
        return (
            f"generated in memory: `make_caseload({n:,}, rng={DEFAULT_SEED}, "
            f"providers={DEFAULT_PROVIDERS})` (run `make prepare` for the full 200,000-person "
            "file)"
        )

    def load_caseload(self, key: str = "default", response: str = DEFAULT_RESPONSE) -> pd.DataFrame:
        """Return a known caseload (``"default"`` or ``"sample"``).

        Parameters
        ----------
        key : {"default", "sample"}
        response : str, default "evidence"
            The response scenario of the default caseload: another than the default is
            generated with the default's seed and providers and
            :func:`~pbr_fairness.recipes.response.response_caseload_size` people.

        Raises
        ------
        KeyError
            For another key.
        """
        if key == "default":
            n_response = response_caseload_size(response, self.caseload_n)
            if response != DEFAULT_RESPONSE:
                return make_caseload(n_response or FALLBACK_N, rng=DEFAULT_SEED,
                                     providers=DEFAULT_PROVIDERS, response=response)
            if self.uses_file:
                return read_caseload(self.caseload_file)
            n = self.caseload_n or FALLBACK_N
            return make_caseload(n, rng=DEFAULT_SEED, providers=DEFAULT_PROVIDERS)
        if key == "sample":
            return read_caseload(self.sample_file)
        raise KeyError(f"unknown caseload {key!r}; known: {', '.join(CASELOAD_KEYS)}")

    def evaluation_caseload(self) -> pd.DataFrame:
        """Return the held-out synthetic people the model page scores the model on."""
        f = EVALUATION_CASELOAD
        return make_caseload(self.evaluation_n, rng=f["rng"], providers=f["providers"])

    # ------------------------------------------------------------------ model
    @property
    def model_folder(self) -> Path:
        """The distance model's folder."""
        return self.model_dir or default_model_dir(self.root)

    def model_available(self) -> bool:
        """Whether a distance model is on disk."""
        d = self.model_folder
        return d.is_dir() and any(d.glob("*.json"))

    def model_card(self) -> dict[str, Any] | None:
        """Return the model card (JSON), or ``None`` when there is none."""
        d = self.model_folder
        cards = sorted(d.glob("*card*.json")) if d.is_dir() else []
        data = json.loads(cards[0].read_text(encoding="utf-8")) if cards else None
        return data if isinstance(data, dict) else None

    def model_card_markdown(self) -> str | None:
        """Return the model card (Markdown), or ``None`` when there is none."""
        d = self.model_folder
        if not d.is_dir():
            return None
        cards = sorted(d.glob("*card*.md")) or sorted(d.glob("*.md"))
        return cards[0].read_text(encoding="utf-8") if cards else None
