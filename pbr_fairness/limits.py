"""Limits on the work one call may ask for: every bound in one place, each with its reason.

Crossing a limit raises :class:`~pbr_fairness.errors.LimitError` (an ``InputError``: exit
code 2 and a message on the command line) *before* any work starts. The message gives the
estimate (memory, time or size) and the way round: smaller pieces, ``pbr-fairness national``
(chunks of bounded memory), several sweeps, or a Dask cluster.

- People held in memory at once (``synth``, ``simulate``, a caseload read from a file): a
  memory estimate (:data:`BYTES_PER_PERSON`, :data:`BYTES_PER_CSV_BYTE`) must stay under
  :data:`MEMORY_SHARE` of the memory available. Way round: ``national`` (chunks).
- People in one ``national`` run: :data:`MAX_NATIONAL_PEOPLE`; its chunks: the memory
  estimate. Way round: several seeds, or a sweep on Dask.
- Providers of a synthetic caseload: :data:`MAX_PROVIDERS`.
- Monte Carlo: :data:`MAX_REPLICATIONS` replications and :data:`MAX_PERSON_REPLICATIONS`
  people x replications. Way round: fewer replications, or seeds of a sweep (Dask).
- Sweeps: :data:`MAX_SCENARIOS` scenarios (design points x seed replicates, counted before
  anything is expanded) and :data:`MAX_SAMPLE_VALUES` sampled values (points x ranges). Way
  round: several sweeps, or a Dask cluster.
- Worker processes (``--jobs``): :func:`max_jobs` (4 per core, at most 256). Way round: Dask
  across machines.
- YAML files (contracts, provider settings, sweep specs, column maps): :data:`MAX_YAML_BYTES`
  (real ones are a few kB), checked before the file is read.
- Bootstrap replicates of the model's fairness table: :data:`MAX_BOOTSTRAP`.
- Fees of a contract: :data:`MAX_FEE_GBP` each (the Work Programme's largest payment is about
  GBP 14,000); a contract's budget: :data:`MAX_BUDGET_GBP`; fee ratios: :data:`MAX_FEE_RATIO`.
- Hours of support of one person: :data:`MAX_HOURS`; provider settings:
  :data:`MAX_CAPACITY_HOURS`, :data:`MAX_COST_PER_HOUR`, :data:`MAX_INFORMATION_NOISE`; the
  planner's :data:`MAX_SOCIAL_VALUE_GBP`; seeds: 0 to :data:`MAX_SEED`.

Examples
--------
>>> check_count(5, maximum=10, option="--jobs", what="worker processes", way_round="x")
>>> check_count(50, maximum=10, option="--jobs", what="worker processes",
...             way_round="use Dask")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pbr_fairness.errors.LimitError: option --jobs: 50 worker processes is more than the limit of 10; ...
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pbr_fairness.errors import InputError, LimitError, Problem, show_value

__all__ = [
    "BYTES_PER_CSV_BYTE",
    "BYTES_PER_PERSON",
    "MAX_BOOTSTRAP",
    "MAX_BUDGET_GBP",
    "MAX_CAPACITY_HOURS",
    "MAX_COST_PER_HOUR",
    "MAX_FEE_GBP",
    "MAX_FEE_RATIO",
    "MAX_HOURS",
    "MAX_INFORMATION_NOISE",
    "MAX_NATIONAL_PEOPLE",
    "MAX_PERSON_REPLICATIONS",
    "MAX_PROVIDERS",
    "MAX_REPLICATIONS",
    "MAX_SAMPLE_VALUES",
    "MAX_SCENARIOS",
    "MAX_SEED",
    "MAX_SOCIAL_VALUE_GBP",
    "MAX_YAML_BYTES",
    "MEMORY_SHARE",
    "available_memory",
    "check_count",
    "check_memory",
    "check_people",
    "check_rng",
    "check_seed",
    "check_table_file",
    "max_jobs",
    "read_limited",
]

#: Peak memory per person of generating, simulating or reading a caseload (bytes). Measured:
#: ``make_caseload`` about 540 B per person, ``simulate_contract`` about 410 B more; doubled
#: for the copies made when a table is written or converted.
BYTES_PER_PERSON = 2_000
#: Peak memory per byte of a CSV file read as text cells (pyarrow strings, then pandas).
BYTES_PER_CSV_BYTE = 10
#: Share of the available memory one run may plan to use.
MEMORY_SHARE = 0.8
#: People in one ``national`` run: about 6 microseconds per person on one core, so 10^9
#: people take roughly 1.5 hours.
MAX_NATIONAL_PEOPLE = 1_000_000_000
#: Providers of a synthetic caseload.
MAX_PROVIDERS = 100_000
#: Bootstrap replicates of the distance model's fairness table.
MAX_BOOTSTRAP = 10_000
#: Monte Carlo replications of one simulation.
MAX_REPLICATIONS = 100_000
#: People x replications of one Monte Carlo simulation: about 0.25 microseconds each, so the
#: limit is about 4 minutes of drawing.
MAX_PERSON_REPLICATIONS = 1_000_000_000
#: Scenarios (design points x seed replicates) of one sweep.
MAX_SCENARIOS = 1_000_000
#: Values drawn by a sweep's random or Latin-hypercube sample (points x ranges).
MAX_SAMPLE_VALUES = 10_000_000
#: Bytes of a YAML file (contracts, provider settings, sweep specs, column maps are kB).
MAX_YAML_BYTES = 1_000_000
#: Largest payment of a contract, pounds (attachment, job-outcome or sustainment fee).
MAX_FEE_GBP = 1_000_000.0
#: Hours of support one person can receive: every hour of a 24-month window (730 h a month).
MAX_HOURS = 17_520.0
#: A provider's capacity, hours per person on average: far above any caseload's need, so that
#: ``1e6`` can stand for "no capacity constraint", yet finite sums stay finite.
MAX_CAPACITY_HOURS = 1e9
#: Cost of an hour of support, pounds (a provider's hour costs about GBP 20-60).
MAX_COST_PER_HOUR = 10_000.0
#: Standard deviation of the provider's logit noise (10 already makes its estimate random).
MAX_INFORMATION_NOISE = 10.0
#: Social value of one additional job to the planner, pounds.
MAX_SOCIAL_VALUE_GBP = 10_000_000.0
#: Highest ratio between a tariff's outcome-fee factors (``optimise --max-fee-ratio``).
MAX_FEE_RATIO = 1000.0
#: Government budget of one contract, pounds (the whole Work Programme cost about GBP 3bn).
MAX_BUDGET_GBP = 1e11
#: Largest seed (numpy seeds are non-negative whole numbers).
MAX_SEED = 2**63 - 1


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), if known.

    Returns
    -------
    int or None
        ``None`` when the platform does not say.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return None


def _gb(nbytes: float) -> str:
    return f"{nbytes / 2**30:.1f} GB"


def check_memory(estimate: float, *, option: str, what: str, way_round: str) -> None:
    """Refuse work whose memory estimate exceeds :data:`MEMORY_SHARE` of what is available.

    Parameters
    ----------
    estimate : float
        Bytes the work needs at its peak.
    option : str
        The option (or argument) that sets the size, named in the message.
    what : str
        The work, e.g. ``"generating 10,000,000,000 people"``.
    way_round : str
        What to do instead.

    Raises
    ------
    LimitError
        When the estimate is too large.
    """
    free = available_memory()
    if free is None or estimate <= MEMORY_SHARE * free:
        return
    raise LimitError(
        [Problem(f"{what} needs about {_gb(estimate)} of memory; {_gb(free)} is available."
                 f" {way_round}", column=option)]
    )


def check_people(n: int, *, option: str, way_round: str | None = None) -> None:
    """Refuse to hold ``n`` people in memory when they would not fit.

    Parameters
    ----------
    n : int
        People.
    option : str
        The option that sets ``n``.
    way_round : str, optional
        What to do instead (default: ``national``, which works in chunks).

    Raises
    ------
    LimitError
    """
    check_memory(
        float(n) * BYTES_PER_PERSON,
        option=option,
        what=f"holding {n:,} people in memory",
        way_round=way_round
        or "Use `pbr-fairness national` (chunks of bounded memory) or fewer people.",
    )


def check_count(value: int, *, maximum: int, option: str, what: str, way_round: str) -> None:
    """Refuse a count above its documented limit.

    Parameters
    ----------
    value : int
        The count asked for.
    maximum : int
        The limit.
    option : str
        Where the count comes from.
    what : str
        What is counted (plural), e.g. ``"worker processes"``.
    way_round : str
        What to do instead.

    Raises
    ------
    LimitError
    """
    if value > maximum:
        raise LimitError(
            [Problem(f"{value:,} {what} is more than the limit of {maximum:,}; {way_round}",
                     column=option)]
        )


def max_jobs() -> int:
    """Most worker processes one machine may start: 4 per core, at most 256."""
    return max(1, min(256, 4 * (os.cpu_count() or 1)))


def check_seed(seed: object, *, option: str = "seed", maximum: int = MAX_SEED) -> int:
    """Return a seed as an ``int`` after checking it is a whole number from 0 to ``maximum``.

    Parameters
    ----------
    seed : object
        The seed given.
    option : str, default "seed"
        Named in the message.
    maximum : int, default MAX_SEED
        Largest seed accepted (scikit-learn's ``random_state`` takes at most 2^32 - 1).

    Returns
    -------
    int

    Raises
    ------
    InputError
        For a negative, fractional, non-numeric or too large seed.

    Examples
    --------
    >>> check_seed(7)
    7
    """
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool | np.bool_):
        value = int(seed)
        if 0 <= value <= maximum:
            return value
    raise InputError(
        [Problem(f"a seed must be a whole number from 0 to {maximum}, got {show_value(seed)}",
                 column=option)]
    )


def check_rng(rng: object, *, option: str = "rng") -> None:
    """Check a random generator argument: a Generator, a SeedSequence, ``None`` or a seed.

    Parameters
    ----------
    rng : object
        The argument.
    option : str, default "rng"
        Named in the message.

    Raises
    ------
    InputError
        For a negative, fractional or too large seed, or anything else.

    Examples
    --------
    >>> check_rng(np.random.default_rng(1))
    >>> check_rng(-1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pbr_fairness.errors.InputError: column rng: a seed must be a whole number from 0 to ...
    """
    if rng is None or isinstance(rng, np.random.Generator | np.random.SeedSequence):
        return
    check_seed(rng, option=option)


def read_limited(path: str | os.PathLike[str], *, maximum: int = MAX_YAML_BYTES,
                 what: str = "YAML file") -> bytes:
    """Read a small file, refusing one larger than ``maximum`` bytes before reading it.

    Parameters
    ----------
    path : str or path-like
        The file.
    maximum : int, default MAX_YAML_BYTES
        Largest size accepted.
    what : str, default "YAML file"
        What the file is, for the message.

    Returns
    -------
    bytes

    Raises
    ------
    LimitError
        When the file is larger.
    FileNotFoundError, IsADirectoryError, PermissionError
        As :meth:`pathlib.Path.read_bytes`.
    """
    p = Path(path)
    size = p.stat().st_size
    if size > maximum:
        raise LimitError(
            [Problem(f"a {what} of {size:,} bytes is larger than the limit of {maximum:,}"
                     " bytes; a real one is a few kB (is this the right file?)")],
            source=str(p),
        )
    with p.open("rb") as fh:
        data = fh.read(maximum + 1)
    if len(data) > maximum:  # grew while reading
        raise LimitError([Problem(f"larger than the limit of {maximum:,} bytes")], source=str(p))
    return data


def check_table_file(size: int, *, source: str, parquet: bool = False) -> None:
    """Refuse a caseload file whose reading would not fit in memory.

    Parameters
    ----------
    size : int
        File size, bytes.
    source : str
        The file's name, for the message.
    parquet : bool, default False
        Parquet is compressed: its in-memory size is taken as 6 times the file's.

    Raises
    ------
    LimitError
    """
    factor = 6 if parquet else BYTES_PER_CSV_BYTE
    free = available_memory()
    estimate = float(size) * factor
    if free is None or estimate <= MEMORY_SHARE * free:
        return
    raise LimitError(
        [Problem(f"reading this {size / 2**20:,.0f} MB file needs about {_gb(estimate)} of"
                 f" memory; {_gb(free)} is available. Split it into smaller files, convert it"
                 " to Parquet, or use `pbr-fairness national` for national-size runs.")],
        source=source,
    )

