"""Prepare the default data the app starts with: ``python -m pbr_fairness.prepare``.

Three things, each made only when missing (``make prepare`` and ``make app`` run this):

- the default caseload ``data/synthetic/default_caseload.parquet``: 200,000 synthetic people,
  seed 20110601 (the Work Programme's start, 1 June 2011), 4 providers. It is generated, not
  shipped, and git-ignored;
- the default distance model in ``models/default/``, trained by
  :func:`pbr_fairness.distance.train_default_model` when that folder holds no model;
- the pricing model in ``models/pricing/`` (the same recipe and seed without sex and
  ethnicity, which tariffs are priced on), trained by
  :func:`pbr_fairness.distance.train_pricing_model` when that folder holds no model.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pbr_fairness import distance
from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.caseload.io import write_caseload

__all__ = [
    "DEFAULT_N",
    "DEFAULT_PROVIDERS",
    "DEFAULT_SEED",
    "PreparedDefaults",
    "default_caseload_path",
    "default_model_dir",
    "prepare_defaults",
    "pricing_model_dir",
    "project_root",
]

logger = logging.getLogger(__name__)

#: People in the default caseload.
DEFAULT_N = 200_000
#: Seed of the default caseload: the Work Programme started on 1 June 2011.
DEFAULT_SEED = 20110601
#: Providers in the default caseload.
DEFAULT_PROVIDERS = 4


def project_root() -> Path:
    """Return the folder the project's data and models live in.

    The source checkout holding this package when there is one (the package is installed
    in editable mode by ``make``), else the current directory.

    Returns
    -------
    pathlib.Path
    """
    here = Path(__file__).resolve().parent.parent
    return here if (here / "pyproject.toml").is_file() else Path.cwd()


def default_caseload_path(root: str | Path | None = None) -> Path:
    """Return where the default caseload lives: ``data/synthetic/default_caseload.parquet``.

    Parameters
    ----------
    root : str or path, optional
        Project folder (default: :func:`project_root`).

    Returns
    -------
    pathlib.Path
    """
    return Path(root or project_root()) / "data" / "synthetic" / "default_caseload.parquet"


def default_model_dir(root: str | Path | None = None) -> Path:
    """Return the folder of the default distance model: ``models/default``.

    Parameters
    ----------
    root : str or path, optional
        Project folder (default: :func:`project_root`).

    Returns
    -------
    pathlib.Path
    """
    return Path(root or project_root()) / "models" / "default"


def pricing_model_dir(root: str | Path | None = None) -> Path:
    """Return the folder of the pricing model: ``models/pricing``.

    Parameters
    ----------
    root : str or path, optional
        Project folder (default: :func:`project_root`).

    Returns
    -------
    pathlib.Path
    """
    return Path(root or project_root()) / "models" / "pricing"


@dataclass(frozen=True)
class PreparedDefaults:
    """What :func:`prepare_defaults` found and made.

    Attributes
    ----------
    caseload : pathlib.Path
        The default caseload file.
    model_dir : pathlib.Path
        The default model folder.
    created : tuple of str
        What was made in this run (``"caseload"``, ``"model"``, ``"pricing model"``).
    notes : tuple of str
        Anything skipped, and why.
    pricing_model_dir : pathlib.Path, optional
        The pricing model folder.
    """

    caseload: Path
    model_dir: Path
    created: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    pricing_model_dir: Path | None = None

    def summary(self) -> str:
        """Describe the outcome in a few lines.

        Returns
        -------
        str
        """
        lines = [f"default caseload: {self.caseload}", f"default model: {self.model_dir}"]
        if self.pricing_model_dir is not None:
            lines.append(f"pricing model: {self.pricing_model_dir}")
        lines.append("created: " + (", ".join(self.created) or "nothing (all present)"))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


def _model_present(model_dir: Path) -> bool:
    if not model_dir.is_dir():
        return False
    return any(p.is_file() and not p.name.startswith(".") for p in model_dir.iterdir())


def prepare_defaults(
    root: str | Path | None = None,
    *,
    n: int = DEFAULT_N,
    seed: int = DEFAULT_SEED,
    providers: int = DEFAULT_PROVIDERS,
    force: bool = False,
    model: bool = True,
) -> PreparedDefaults:
    """Create the default caseload and model if they are missing.

    Parameters
    ----------
    root : str or path, optional
        Project folder (default: :func:`project_root`).
    n : int, default 200_000
        People in the default caseload.
    seed : int, default 20110601
        Seed of the default caseload.
    providers : int, default 4
        Providers in the default caseload.
    force : bool, default False
        Make both again even if present.
    model : bool, default True
        Also make the default model and the pricing model when missing.

    Returns
    -------
    PreparedDefaults
        Paths, what was created and notes on anything skipped.
    """
    caseload_path = default_caseload_path(root)
    model_dir = default_model_dir(root)
    pricing_dir = pricing_model_dir(root)
    created: list[str] = []
    notes: list[str] = []
    if force or not caseload_path.is_file():
        logger.info("generating the default caseload (%d people, seed %d)", n, seed)
        frame = make_caseload(n, rng=seed, providers=providers)
        tmp = caseload_path.with_name(caseload_path.name + ".tmp.parquet")
        write_caseload(frame, tmp)
        tmp.replace(caseload_path)  # atomic: a crash never leaves half a file behind
        created.append("caseload")
    else:
        logger.info("default caseload present: %s", caseload_path)
    if model and (force or not _model_present(model_dir)):
        train = getattr(distance, "train_default_model", None)  # looked up now: tests replace it
        if train is None:
            note = "pbr_fairness.distance.train_default_model is not available; no model made"
            logger.warning(note)
            notes.append(note)
        else:
            logger.info("training the default distance model into %s", model_dir)
            train(model_dir)
            created.append("model")
    elif model:
        logger.info("default model present: %s", model_dir)
    if model and (force or not _model_present(pricing_dir)):
        train_pricing = getattr(distance, "train_pricing_model", None)  # tests replace it
        if train_pricing is None:
            note = "pbr_fairness.distance.train_pricing_model is not available; no model made"
            logger.warning(note)
            notes.append(note)
        else:
            logger.info("training the pricing model into %s", pricing_dir)
            train_pricing(pricing_dir)
            created.append("pricing model")
    elif model:
        logger.info("pricing model present: %s", pricing_dir)
    return PreparedDefaults(
        caseload_path, model_dir, tuple(created), tuple(notes), pricing_dir
    )


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m pbr_fairness.prepare``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m pbr_fairness.prepare",
        description="Create the default caseload and distance model if they are missing.",
    )
    parser.add_argument("--root", type=Path, default=None, help="project folder")
    parser.add_argument("--force", action="store_true", help="make both again")
    parser.add_argument("--no-model", action="store_true", help="skip the model")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="prepare: %(message)s", stream=sys.stderr)
    result = prepare_defaults(args.root, force=args.force, model=not args.no_model)
    logger.info("%s", result.summary().replace("\n", "; "))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
