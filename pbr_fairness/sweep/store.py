"""Resumable Parquet output of a sweep.

While a sweep runs, finished scenarios are flushed in batches to part files in
``<out>.parts/`` (each written to a temporary name and renamed, so a part is whole or
absent). When the sweep ends, the existing output and the parts are merged into ``<out>``
(again written to a temporary name and renamed) and the parts removed. On a re-run, the
scenario ids found in ``<out>`` and in any leftover parts are skipped. Every file carries
the spec fingerprint in its Parquet metadata; a different fingerprint is refused unless
``overwrite`` is asked for.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pbr_fairness.errors import InputError

__all__ = ["ResultStore"]

logger = logging.getLogger(__name__)

_META_KEY = b"pbr_fairness_sweep"


class ResultStore:
    """Finished scenarios of one sweep output file.

    Parameters
    ----------
    out : path
        The Parquet file the sweep writes.
    fingerprint : str
        The spec fingerprint (see :meth:`SweepSpec.fingerprint`).
    metadata : dict
        Provenance stored in the file (package version, spec name, seed ...).
    overwrite : bool, default False
        Discard an existing output (and parts) instead of resuming from it.
    """

    def __init__(
        self,
        out: str | Path,
        fingerprint: str,
        metadata: dict | None = None,
        *,
        overwrite: bool = False,
    ) -> None:
        self.out = Path(out)
        self.parts_dir = self.out.with_name(self.out.name + ".parts")
        self.fingerprint = fingerprint
        self.metadata = {"fingerprint": fingerprint, **(metadata or {})}
        self._pending: list[pd.DataFrame] = []
        self._pending_rows = 0
        self._part_counter = 0
        if overwrite:
            if self.out.exists():
                self.out.unlink()
            if self.parts_dir.exists():
                shutil.rmtree(self.parts_dir)
        self._check_fingerprints()

    # -- reading ----------------------------------------------------------------------
    def _files(self) -> list[Path]:
        files = [self.out] if self.out.exists() else []
        if self.parts_dir.is_dir():
            files += sorted(self.parts_dir.glob("part-*.parquet"))
        return files

    @staticmethod
    def _file_meta(path: Path) -> dict:
        try:
            meta = pq.read_schema(path).metadata or {}
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(
                [f"cannot read it as Parquet ({exc}); remove it or pass --overwrite"],
                source=str(path),
            ) from None
        raw = meta.get(_META_KEY)
        return json.loads(raw) if raw else {}

    def _check_fingerprints(self) -> None:
        for path in self._files():
            fp = self._file_meta(path).get("fingerprint")
            if fp != self.fingerprint:
                raise InputError(
                    [
                        "it holds results of a different sweep spec (caseload, contract, "
                        "provider, mode, seed or breakdowns differ); choose another --out "
                        "or pass --overwrite to replace it"
                    ],
                    source=str(path),
                )

    def finished_ids(self) -> set[str]:
        """Scenario ids already written (to the output or to leftover parts)."""
        done: set[str] = set()
        for path in self._files():
            col = pq.read_table(path, columns=["scenario_id"]).column("scenario_id")
            done.update(col.unique().to_pylist())
        return done

    # -- writing ----------------------------------------------------------------------
    def _write(self, frame: pd.DataFrame, path: Path, compression: str = "zstd") -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[_META_KEY] = json.dumps(self.metadata, default=str).encode()
        table = table.replace_schema_metadata(meta)
        tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
        pq.write_table(table, tmp, compression=compression)
        os.replace(tmp, path)

    def add(self, frame: pd.DataFrame) -> None:
        """Queue the rows of finished scenarios (whole scenarios only)."""
        self._pending.append(frame)
        self._pending_rows += len(frame)

    def flush(self) -> None:
        """Write queued rows to a new part file."""
        if not self._pending:
            return
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        frame = pd.concat(self._pending, ignore_index=True)
        self._part_counter += 1
        name = f"part-{time.time_ns()}-{os.getpid()}-{self._part_counter:06d}.parquet"
        self._write(frame, self.parts_dir / name, compression="snappy")  # fast, temporary
        self._pending, self._pending_rows = [], 0

    @property
    def pending_rows(self) -> int:
        """Rows queued and not yet flushed."""
        return self._pending_rows

    def finalise(self) -> pd.DataFrame:
        """Merge the output and every part into the output file; return all rows."""
        self.flush()
        files = self._files()
        if not files:
            frame = pd.DataFrame()
        else:
            frames = [pq.read_table(p).to_pandas() for p in files]
            frame = pd.concat(frames, ignore_index=True)
            frame = frame.drop_duplicates(
                subset=["scenario_id", "breakdown", "group", "measure"], keep="first"
            )
            frame = frame.sort_values(
                ["seed_index", "design_index", "breakdown", "group", "measure"], kind="stable"
            ).reset_index(drop=True)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._write(frame, self.out)
        if self.parts_dir.exists():
            shutil.rmtree(self.parts_dir)
        return frame
