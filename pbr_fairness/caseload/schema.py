"""The caseload schema: one definition used by the generator, the loader and the audit.

Every column a caseload may hold is described once here, with its type, whether it is
required, its allowed range or categories and a one-line description. The validator
(:mod:`pbr_fairness.caseload.validation`), the synthetic generator
(:mod:`pbr_fairness.caseload.generator`) and the documentation all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from pbr_fairness.limits import MAX_HOURS

__all__ = [
    "AGE_BANDS",
    "BENEFITS",
    "COLUMNS",
    "ETHNICITIES",
    "FEATURE_COLUMNS",
    "OUTCOME_COLUMNS",
    "PAYMENT_GROUPS",
    "PAYMENT_GROUP_NAMES",
    "PROTECTED_CHARACTERISTICS",
    "PROVIDER_COLUMNS",
    "QUALIFICATIONS",
    "REGIONS",
    "SEXES",
    "TRUTH_COLUMNS",
    "ColumnSpec",
    "age_band",
    "column",
]

Kind = Literal["id", "str", "category", "int", "float", "bool", "binary"]
Role = Literal["identity", "characteristic", "provider", "outcome", "truth", "derived"]

#: Work Programme payment groups (DWP; see ``shared/reference/work_programme.md``).
PAYMENT_GROUP_NAMES: dict[str, str] = {
    "PG1": "JSA 18-24",
    "PG2": "JSA 25+",
    "PG3": "JSA early access",
    "PG4": "JSA ex-IB",
    "PG5": "ESA volunteers",
    "PG6": "ESA new claimants",
    "PG7": "ESA ex-IB",
    "PG8": "IB/IS volunteers",
    "PG9": "JSA prison leavers",
}
PAYMENT_GROUPS: tuple[str, ...] = tuple(PAYMENT_GROUP_NAMES)
SEXES: tuple[str, ...] = ("F", "M", "X")
ETHNICITIES: tuple[str, ...] = ("White", "Mixed", "Asian", "Black", "Other")
QUALIFICATIONS: tuple[str, ...] = ("none", "gcse", "a_level", "degree")
BENEFITS: tuple[str, ...] = ("JSA", "ESA", "IB", "IS")
#: The 12 UK ITL1 regions (ONS International Territorial Levels, 2021).
REGIONS: tuple[str, ...] = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
    "Wales",
    "Scotland",
    "Northern Ireland",
)
#: Age bands used for disaggregated measures and fairness tables.
AGE_BANDS: tuple[str, ...] = ("16-24", "25-34", "35-49", "50-70")
#: Protected characteristics over which every measure is disaggregated.
PROTECTED_CHARACTERISTICS: tuple[str, ...] = ("sex", "age_band", "disability", "ethnicity")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the caseload schema.

    Parameters
    ----------
    name : str
        Column name.
    kind : {"id", "str", "category", "int", "float", "bool", "binary"}
        Logical type. ``bool`` accepts true/false, yes/no and 1/0; ``binary`` is 0/1.
    role : str
        What the column is for (identity, characteristic, provider, outcome, truth).
    required : bool
        Whether every caseload must hold it.
    description : str
        One sentence, shown in the README and in validation messages.
    categories : tuple of str, optional
        Allowed values of a categorical column.
    minimum, maximum : float, optional
        Inclusive bounds of a numeric column.
    """

    name: str
    kind: Kind
    role: Role
    required: bool
    description: str
    categories: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


#: Upper bounds of the schema's open-ended measurements (see also :mod:`pbr_fairness.limits`).
MAX_MONTHS_UNEMPLOYED = 600.0  # fifty years
MAX_MONTHS_IN_WORK = 120.0  # the longest contract window
MAX_RESPONSIVENESS = 100.0  # per hour: the whole gain within a minute of support

COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("person_id", "id", "identity", True, "Unique identifier of the person."),
    ColumnSpec(
        "payment_group",
        "category",
        "identity",
        True,
        "Contract payment group (PG1..PG9 by default; a contract may define others).",
        categories=PAYMENT_GROUPS,
    ),
    ColumnSpec("age", "int", "characteristic", False, "Age in years at referral.", None, 16, 70),
    ColumnSpec("sex", "category", "characteristic", False, "Sex: F, M or X.", SEXES),
    ColumnSpec(
        "disability",
        "bool",
        "characteristic",
        False,
        "Work-limiting health condition or disability.",
    ),
    ColumnSpec("ethnicity", "category", "characteristic", False, "Ethnic group.", ETHNICITIES),
    ColumnSpec(
        "months_unemployed",
        "float",
        "characteristic",
        False,
        "Months out of work before referral.",
        None,
        0,
        MAX_MONTHS_UNEMPLOYED,
    ),
    ColumnSpec(
        "qualification",
        "category",
        "characteristic",
        False,
        "Highest qualification.",
        QUALIFICATIONS,
    ),
    ColumnSpec("region", "category", "characteristic", False, "UK ITL1 region.", REGIONS),
    ColumnSpec(
        "local_unemployment_rate",
        "float",
        "characteristic",
        False,
        "Unemployment rate of the local labour market (0-1).",
        None,
        0,
        1,
    ),
    ColumnSpec("lone_parent", "bool", "characteristic", False, "Lone parent."),
    ColumnSpec("carer", "bool", "characteristic", False, "Unpaid carer."),
    ColumnSpec("homeless", "bool", "characteristic", False, "Homeless or in insecure housing."),
    ColumnSpec("criminal_record", "bool", "characteristic", False, "Has a criminal record."),
    ColumnSpec(
        "english_language_need",
        "bool",
        "characteristic",
        False,
        "Needs support with English.",
    ),
    ColumnSpec("benefit", "category", "characteristic", False, "Main benefit.", BENEFITS),
    ColumnSpec("provider_id", "str", "provider", False, "Provider the person was referred to."),
    ColumnSpec(
        "support_hours",
        "float",
        "provider",
        False,
        "Hours of support the provider gave over the contract window.",
        None,
        0,
        MAX_HOURS,
    ),
    ColumnSpec(
        "job_outcome",
        "binary",
        "outcome",
        False,
        "1 if a paid job outcome was reached within the window, else 0.",
    ),
    ColumnSpec(
        "months_in_work_after_outcome",
        "float",
        "outcome",
        False,
        "Months in work after the job outcome.",
        None,
        0,
        MAX_MONTHS_IN_WORK,
    ),
    ColumnSpec(
        "true_p0",
        "float",
        "truth",
        False,
        "Synthetic truth: probability of a job outcome with no support.",
        None,
        0,
        1,
    ),
    ColumnSpec(
        "true_pmax",
        "float",
        "truth",
        False,
        "Synthetic truth: probability of a job outcome with unlimited support.",
        None,
        0,
        1,
    ),
    ColumnSpec(
        "true_k",
        "float",
        "truth",
        False,
        "Synthetic truth: responsiveness to support, per hour.",
        None,
        0,
        MAX_RESPONSIVENESS,
    ),
    ColumnSpec(
        "true_exit_hazard",
        "float",
        "truth",
        False,
        "Synthetic truth: hazard of leaving work per 4-week period.",
        None,
        0,
        1,
    ),
    ColumnSpec(
        "true_p_observable",
        "float",
        "truth",
        False,
        "Synthetic truth: job-outcome probability under the historic regime given only the"
        " observed characteristics (the ceiling for any model).",
        None,
        0,
        1,
    ),
)

_BY_NAME = {c.name: c for c in COLUMNS}

#: Characteristics known at referral: the only inputs a distance model may use.
FEATURE_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.role == "characteristic")
PROVIDER_COLUMNS: tuple[str, ...] = ("provider_id", "support_hours")
OUTCOME_COLUMNS: tuple[str, ...] = ("job_outcome", "months_in_work_after_outcome")
TRUTH_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.role == "truth")


def column(name: str) -> ColumnSpec:
    """Return the specification of a schema column.

    Parameters
    ----------
    name : str
        Column name.

    Returns
    -------
    ColumnSpec

    Raises
    ------
    KeyError
        If ``name`` is not in the schema.
    """
    return _BY_NAME[name]


def age_band(age: ArrayLike) -> pd.Categorical:
    """Map ages to the bands of :data:`AGE_BANDS`.

    Parameters
    ----------
    age : array-like
        Ages in years.

    Returns
    -------
    pandas.Categorical
        Age band labels.

    Examples
    --------
    >>> list(age_band([18, 30, 40, 60]))
    ['16-24', '25-34', '35-49', '50-70']
    """
    a = np.asarray(age, dtype=float)
    codes = np.searchsorted(np.array([25.0, 35.0, 50.0]), a, side="right")
    codes = np.where(np.isnan(a), -1, codes)
    return pd.Categorical.from_codes(codes, categories=list(AGE_BANDS))
