"""Subcommands on the distance model: ``train`` and ``predict``."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from pbr_fairness.cli._app import app
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.limits import MAX_BOOTSTRAP, check_count, check_seed
from pbr_fairness.outputs import (
    atomic_dir,
    check_output,
    check_output_dir,
    check_replaceable_dir,
    write_json,
)

#: Files of a model directory (written by ``DistanceModel.save`` and ``write_model_card``).
MODEL_FILES = ("model.txt", "calibration.json", "preprocessing.json", "model_card.json",
               "model_card.md")
TABLE_SUFFIXES = (".csv", ".txt", ".parquet", ".pq")

logger = logging.getLogger(__name__)

_MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        "-m",
        help="Rename a column: SOURCE=TARGET (repeatable), e.g. --map gender=sex.",
    ),
]
_MapFile = Annotated[
    Path | None, typer.Option("--map-file", help="YAML file of 'source: target' lines.")
]
_JsonOption = Annotated[
    Path | None,
    typer.Option("--json", help="Also write the metrics as JSON to this file ('-': stdout)."),
]


def _write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is not None:
        write_json(path, payload)


def _mapping(map_options: list[str] | None, map_file: Path | None) -> dict[str, str]:
    from pbr_fairness.caseload.mapping import load_map_file, parse_map_options

    mapping: dict[str, str] = {}
    if map_file is not None:
        mapping.update(load_map_file(map_file))
    mapping.update(parse_map_options(map_options))
    return mapping


def _read_any_table(path: Path, mapping: dict[str, str]) -> Any:
    """Read any person-level table with the caseload checks (see ``read_person_table``)."""
    from pbr_fairness.caseload.io import read_person_table

    return read_person_table(path, mapping=mapping or None)


def _parse_features(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [f.strip() for f in text.split(",") if f.strip()]
    if not names:
        raise InputError(["give at least one feature, e.g. --features age,sex"], "--features")
    return names


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


@app.command("train")
def train_command(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            "-d",
            help="Person-level table (.csv/.parquet). Omit to recreate the shipped default"
            " model from its seed on synthetic data.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Model directory to write (default: models/default)."),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="Outcome column (0/1, true/false, yes/no) for any table; default job_outcome"
            " on a schema caseload.",
        ),
    ] = None,
    positive: Annotated[
        str | None,
        typer.Option("--positive", help="Value of --target that counts as a job outcome."),
    ] = None,
    features: Annotated[
        str | None,
        typer.Option(
            "--features",
            help="Comma-separated feature columns (after --map). Default: the schema's"
            " characteristics known at referral that the table has.",
        ),
    ] = None,
    map_options: _MapOption = None,
    map_file: _MapFile = None,
    calibration: Annotated[
        str, typer.Option("--calibration", help="platt, isotonic or none.")
    ] = "platt",
    test_fraction: Annotated[
        float,
        typer.Option(
            "--test-fraction",
            min=0.05,
            max=0.5,
            help="Share of --data held out to measure accuracy and fairness.",
        ),
    ] = 0.25,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Random seed (default: the default's).")
    ] = None,
    n: Annotated[
        int | None,
        typer.Option("--n", min=100, help="Synthetic training size without --data."),
    ] = None,
    n_test: Annotated[
        int | None, typer.Option("--n-test", min=100, help="Synthetic test size without --data.")
    ] = None,
    n_boot: Annotated[
        int, typer.Option("--n-boot", min=10, help="Bootstrap replicates of the fairness table.")
    ] = 200,
    json_out: _JsonOption = None,
) -> int:
    """Train the distance model and write it with its model card.

    Without --data: recreate the shipped default model from its seed (synthetic training
    and test caseloads). With --data: a schema caseload, or with --target/--features any
    person-level table (other column names via --map).
    """
    from pbr_fairness.distance import default as default_mod
    from pbr_fairness.distance.calibration import CALIBRATION_METHODS

    problems = []
    if calibration not in CALIBRATION_METHODS:
        problems.append(Problem(f"{calibration!r} is not one of"
                                f" {', '.join(CALIBRATION_METHODS)}", column="--calibration"))
    if not 0.05 <= test_fraction <= 0.5:  # also NaN
        problems.append(Problem(f"must be from 0.05 to 0.5, got {test_fraction:g}",
                                column="--test-fraction"))
    if data is not None and (n is not None or n_test is not None):
        problems.append(Problem("--n and --n-test size a synthetic training set; they do not go"
                                " with --data", column="--n"))
    if data is None and (target or features or map_options or map_file):
        problems.append(Problem("--target, --features and --map need --data", column="--data"))
    if data is not None and out is None:
        problems.append(Problem("give --out DIR for a model trained on --data", column="--out"))
    if problems:
        raise InputError(problems)
    check_count(n_boot, maximum=MAX_BOOTSTRAP, option="--n-boot", what="bootstrap replicates",
                way_round="the fairness intervals need a few hundred")
    # sklearn's random_state takes seeds up to 2^32 - 1.
    seed = default_mod.DEFAULT_SEED if seed is None else check_seed(
        seed, option="--seed", maximum=2**32 - 1)
    target_dir = out if out is not None else default_mod.default_model_dir()
    check_output_dir(target_dir, option="--out", inputs=[data, map_file], names=MODEL_FILES)
    check_replaceable_dir(target_dir, names=MODEL_FILES, option="--out")
    check_output(json_out, option="--json", inputs=[data, map_file], suffixes=(".json",),
                 create_parent=True)
    if data is None:
        with atomic_dir(target_dir, names=MODEL_FILES) as tmp:
            result = default_mod.train_default_model(
                tmp,
                n=n or default_mod.DEFAULT_N_TRAIN,
                n_test=n_test or default_mod.DEFAULT_N_TEST,
                seed=seed,
                n_boot=n_boot,
                model_params={"calibration": calibration},
            )
        metrics = result.evaluation.metrics() if result.evaluation is not None else {}
        _write_json(json_out, {"model": str(target_dir), "seed": seed, **metrics})
        typer.echo(result.summary())
        typer.echo(f"wrote the model and its card to {target_dir}")
        return 0
    assert out is not None
    return _train_on_file(
        data, out, target=target, positive=positive, features=_parse_features(features),
        mapping=_mapping(map_options, map_file), calibration=calibration,
        test_fraction=test_fraction, seed=seed, n_boot=n_boot, json_out=json_out,
    )


def _train_on_file(
    data: Path,
    out: Path,
    *,
    target: str | None,
    positive: str | None,
    features: list[str] | None,
    mapping: dict[str, str],
    calibration: str,
    test_fraction: float,
    seed: int,
    n_boot: int,
    json_out: Path | None,
) -> int:
    import numpy as np
    import pandas as pd

    from pbr_fairness.caseload.schema import PROTECTED_CHARACTERISTICS
    from pbr_fairness.distance.evaluation import evaluate_distance_model
    from pbr_fairness.distance.explanations import explain
    from pbr_fairness.distance.fairness import fairness_report
    from pbr_fairness.distance.groups import available_characteristics
    from pbr_fairness.distance.model import DistanceModel, _as_target

    label = str(data)
    generic = target is not None or features is not None
    if generic:
        frame = _read_any_table(data, mapping)
    else:
        from pbr_fairness.caseload.io import read_caseload

        frame = read_caseload(data, mapping=mapping)
    target = target or "job_outcome"
    if target not in frame.columns:
        raise InputError(
            [Problem("outcome column is missing; name it with --target (or --map it to"
                     " job_outcome)", column=target)],
            source=label,
        )
    if positive is not None:
        col = frame[target]
        if pd.api.types.is_numeric_dtype(col.dtype):
            try:
                hit = col.to_numpy(dtype=float) == float(positive)
            except ValueError:
                raise InputError(
                    [Problem(f"--positive {positive!r} is not a number but the column is",
                             column=target)],
                    source=label,
                ) from None
        else:
            hit = (col.astype("string").str.strip() == positive).to_numpy(
                dtype=bool, na_value=False
            )
        frame = frame.assign(**{target: pd.Series(hit.astype(float), index=frame.index)
                                .where(col.notna())})
    y = _as_target(target, frame, label)
    if len(frame) < 100:
        raise InputError([f"need at least 100 rows to train and test, got {len(frame)}"], label)
    from sklearn.model_selection import train_test_split

    idx_train, idx_test = train_test_split(
        np.arange(len(frame)), test_size=test_fraction, stratify=y, random_state=seed
    )
    train = frame.iloc[np.sort(idx_train)].reset_index(drop=True)
    test = frame.iloc[np.sort(idx_test)].reset_index(drop=True)
    ss_model, ss_boot = np.random.SeedSequence(seed).spawn(2)
    model = DistanceModel(
        features=features, calibration=calibration,  # type: ignore[arg-type]  # checked above
        rng=np.random.default_rng(ss_model),
    )
    model.fit(train, target, source=label)
    evaluation = evaluate_distance_model(model, test, target=target, train=train)
    fairness = None
    if available_characteristics(test, PROTECTED_CHARACTERISTICS):
        fairness = fairness_report(
            model, test, target=target, n_boot=n_boot, rng=np.random.default_rng(ss_boot),
            min_group_size=min(100, max(30, len(test) // 20)),
        )
    importance = explain(model, test.iloc[:2000]).global_importance()
    with atomic_dir(out, names=MODEL_FILES) as tmp:
        _save_model(model, tmp, data=data, label=label, frame=frame, target=target,
                    positive=positive, mapping=mapping, test_fraction=test_fraction, test=test,
                    train=train, evaluation=evaluation, fairness=fairness,
                    importance=importance, seed=seed)
    metrics = evaluation.metrics()
    _write_json(json_out, {"model": str(out), "seed": seed, "n_train": len(train), **metrics})
    typer.echo(evaluation.summary())
    typer.echo(f"wrote the model and its card to {out}")
    return 0


def _save_model(model: Any, out: Path, *, data: Path, label: str, frame: Any, target: str,
                positive: str | None, mapping: dict[str, str], test_fraction: float,
                test: Any, train: Any, evaluation: Any, fairness: Any, importance: Any,
                seed: int) -> None:
    """Write the model and its card into ``out``."""
    from pbr_fairness.distance.card import build_model_card, write_model_card

    model.save(out)
    training = {
        "source": Path(label).name,
        "file_hash": _file_hash(data),
        "rows": len(frame),
        "target": target,
        "positive": positive,
        "mapping": mapping,
        "test_fraction": test_fraction,
        "n_test": len(test),
        "test_hash": evaluation.provenance["test_hash"],
    }
    card = build_model_card(
        model, target=target, training=training, evaluation=evaluation, fairness=fairness,
        importance=importance, seed=seed,
        notes=[f"Trained on {len(train):,} rows of {Path(label).name}; accuracy and fairness"
               f" measured on the {len(test):,} held-out rows."],
    )
    write_model_card(card, out)


@app.command("predict")
def predict_command(
    data: Annotated[Path, typer.Option("--data", "-d", help="People (.csv/.parquet).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (.csv/.parquet).")],
    model_dir: Annotated[
        Path | None,
        typer.Option("--model", help="Model directory (default: models/default)."),
    ] = None,
    map_options: _MapOption = None,
    map_file: _MapFile = None,
    id_column: Annotated[
        str, typer.Option("--id-column", help="Identifier column copied to the output.")
    ] = "person_id",
    n_bands: Annotated[
        int, typer.Option("--n-bands", min=1, max=100, help="Number of numbered bands.")
    ] = 10,
    target: Annotated[
        str, typer.Option("--target", help="Outcome column used for --json metrics if present.")
    ] = "job_outcome",
    json_out: _JsonOption = None,
) -> int:
    """Predict each person's chance of a job outcome, distance and band.

    Writes person_id (or row, 1-based, when there is no identifier), p_job_outcome,
    distance (1 - p_job_outcome), band (1 = furthest from work .. n-bands = closest) and
    band_name.
    """
    import numpy as np
    import pandas as pd

    from pbr_fairness.caseload.io import table_format, write_table
    from pbr_fairness.distance.default import default_model_dir
    from pbr_fairness.distance.metrics import brier_score, expected_calibration_error, roc_auc
    from pbr_fairness.distance.model import DistanceModel, _as_target

    table_format(out)
    check_output(out, option="--out", inputs=[data, map_file], suffixes=TABLE_SUFFIXES,
                 create_parent=True)
    check_output(json_out, option="--json", inputs=[data, map_file, out], suffixes=(".json",),
                 create_parent=True)
    model = DistanceModel.load(model_dir or default_model_dir())
    frame = _read_any_table(data, _mapping(map_options, map_file))
    try:
        proba = model.predict_proba(frame)[:, 1]
    except InputError as exc:
        raise InputError(exc.problems, source=str(data)) from None
    distance = 1.0 - proba
    result = pd.DataFrame(
        {
            "p_job_outcome": proba,
            "distance": distance,
            "band": model.predict_band(frame, n_bands=n_bands),
            "band_name": model.predict_band_name(frame),
        }
    )
    if id_column in frame.columns:
        result.insert(0, id_column, frame[id_column].astype("string").to_numpy())
    else:
        result.insert(0, "row", np.arange(1, len(frame) + 1))
    write_table(result, out)
    summary: dict[str, Any] = {
        "model": str(model_dir or default_model_dir()),
        "out": str(out),
        "n": len(frame),
        "mean_p_job_outcome": float(proba.mean()) if len(proba) else None,
    }
    if target in frame.columns:
        # Outcomes are not needed to predict: all 0 (not known yet) or unreadable, the
        # metrics are left out and the reason is given.
        try:
            y = _as_target(target, frame, str(data))
        except InputError as exc:
            summary["metrics_skipped"] = "; ".join(p.message for p in exc.problems)
        else:
            summary.update(
                {"auc": roc_auc(y, proba), "brier": brier_score(y, proba),
                 "ece": expected_calibration_error(y, proba)}
            )
            if "true_p_observable" in frame.columns:
                summary["oracle_auc"] = roc_auc(
                    y, frame["true_p_observable"].to_numpy(dtype=float))
    _write_json(json_out, summary)
    typer.echo(f"wrote predictions for {len(frame)} people to {out}")
    return 0
