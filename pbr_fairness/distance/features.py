"""Feature handling for the distance model: which columns, of what kind, encoded how.

The model sees only characteristics known at referral. A :class:`FeatureSpec` records each
input column's name, kind (``numeric``, ``boolean`` or ``categorical``) and, for categorical
columns, the ordered category list. It is stored as JSON beside the model and turns any
table into the float matrix LightGBM reads: numbers stay numbers, booleans become 0/1,
categories become their integer code (LightGBM's native categorical handling), and missing
or unseen values become ``NaN`` (LightGBM's missing value).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pbr_fairness.caseload import schema
from pbr_fairness.errors import InputError, Problem

__all__ = [
    "DEFAULT_FEATURES",
    "FORBIDDEN_FEATURES",
    "FeatureSpec",
    "default_feature_names",
    "infer_feature_spec",
]

logger = logging.getLogger(__name__)

FeatureKind = Literal["numeric", "boolean", "categorical"]

#: Characteristics known at referral (schema) plus the payment group, in schema order.
DEFAULT_FEATURES: tuple[str, ...] = ("payment_group", *schema.FEATURE_COLUMNS)
#: Columns that must never be model inputs: truth, outcomes, what the provider did, identity.
FORBIDDEN_FEATURES: frozenset[str] = frozenset(
    (*schema.TRUTH_COLUMNS, *schema.OUTCOME_COLUMNS, *schema.PROVIDER_COLUMNS, "person_id")
)

_TRUE = frozenset({"true", "yes", "y", "1", "t", "1.0"})
_FALSE = frozenset({"false", "no", "n", "0", "f", "0.0"})


def default_feature_names(columns: Sequence[str]) -> list[str]:
    """Return the default features found among ``columns``.

    Parameters
    ----------
    columns : sequence of str
        Column names of a table.

    Returns
    -------
    list of str
        ``payment_group`` and the schema's characteristics known at referral, in schema
        order, that are present.
    """
    present = set(columns)
    return [c for c in DEFAULT_FEATURES if c in present]


def _to_boolean(values: pd.Series) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Return 0/1/NaN floats and a mask of values that are not booleans."""
    if pd.api.types.is_bool_dtype(values.dtype):
        out = values.to_numpy(dtype=float, na_value=np.nan)
        return out, np.zeros(len(values), dtype=bool)
    if pd.api.types.is_numeric_dtype(values.dtype):
        out = values.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isnan(out) & (out != 0.0) & (out != 1.0)
        out[bad] = np.nan
        return out, bad
    text = values.astype("string").str.strip().str.lower()
    out = np.full(len(values), np.nan)
    is_true = text.isin(_TRUE).to_numpy(dtype=bool, na_value=False)
    is_false = text.isin(_FALSE).to_numpy(dtype=bool, na_value=False)
    out[is_true] = 1.0
    out[is_false] = 0.0
    missing = text.isna().to_numpy(dtype=bool) | (text == "").to_numpy(dtype=bool, na_value=True)
    bad = ~(is_true | is_false | missing)
    return out, bad


def _category_codes(name: str, col: pd.Series, cats: tuple[str, ...]) -> NDArray[np.float64]:
    """Return the codes of a column's values among ``cats`` (missing, unseen: ``NaN``)."""
    if isinstance(col.dtype, pd.CategoricalDtype) and tuple(map(str, col.cat.categories)) == cats:
        codes = col.cat.codes.to_numpy()
    else:
        text = col.astype("string")
        codes = pd.Index(list(cats)).get_indexer(text.to_numpy(dtype=object))
        unseen = (codes < 0) & text.notna().to_numpy(dtype=bool)
        if unseen.any():
            examples = sorted(set(text[unseen].head(1000).tolist()))[:5]
            logger.warning(
                "column %s: %d value(s) not seen in training (e.g. %s) treated as missing",
                name,
                int(unseen.sum()),
                examples,
            )
    vals = codes.astype(np.float64)
    vals[codes < 0] = np.nan
    return vals


def _boolean_values(name: str, col: pd.Series) -> tuple[NDArray[np.float64], Problem | None]:
    """Return a boolean column as 0/1 (``NaN`` missing) and the problem of unreadable values."""
    vals, bad = _to_boolean(col)
    if not bad.any():
        return vals, None
    row = int(np.flatnonzero(bad)[0]) + 1
    return vals, Problem(
        f"{int(bad.sum())} value(s) are not true/false, yes/no or 1/0"
        f" (first: {col.iloc[row - 1]!r})",
        row=row,
        column=name,
    )


def _numbers(name: str, col: pd.Series) -> tuple[NDArray[np.float64], Problem | None]:
    """Return a numeric column as floats (``NaN`` missing) and the problem of text in it."""
    if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
        return col.to_numpy(dtype=np.float64, na_value=np.nan), None
    num = pd.to_numeric(col, errors="coerce")
    vals = num.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = num.isna().to_numpy() & col.notna().to_numpy() & (
        col.astype("string").str.strip() != ""
    ).to_numpy(dtype=bool, na_value=False)
    if not bad.any():
        return vals, None
    row = int(np.flatnonzero(bad)[0]) + 1
    return vals, Problem(
        f"{int(bad.sum())} value(s) are not numbers (first: {col.iloc[row - 1]!r})",
        row=row,
        column=name,
    )


@dataclass(frozen=True)
class FeatureSpec:
    """Names, kinds and categories of a model's input columns.

    Parameters
    ----------
    names : tuple of str
        Input columns in model order.
    kinds : tuple of {"numeric", "boolean", "categorical"}
        Kind of each column.
    categories : dict of str to tuple of str
        Ordered categories of each categorical column; a value's code is its position.
    """

    names: tuple[str, ...]
    kinds: tuple[FeatureKind, ...]
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def categorical_indices(self) -> list[int]:
        """Positions of the categorical columns (LightGBM's ``categorical_feature``)."""
        return [i for i, k in enumerate(self.kinds) if k == "categorical"]

    @property
    def n_categories(self) -> tuple[int | None, ...]:
        """Per column: its number of categories, or ``None`` for a number or boolean."""
        return tuple(
            len(self.categories[name]) if kind == "categorical" else None
            for name, kind in zip(self.names, self.kinds, strict=True)
        )

    def to_frame(self, Xm: NDArray[np.float64]) -> pd.DataFrame:
        """Turn an encoded matrix back into a typed table.

        Parameters
        ----------
        Xm : numpy.ndarray of shape (n, len(names))
            Output of :meth:`encode`.

        Returns
        -------
        pandas.DataFrame
            One column per feature: categorical columns as pandas categoricals with this
            description's categories (so that a value's code is unchanged), the others as
            floats (booleans as 0/1), missing values as missing.

        Examples
        --------
        >>> spec = FeatureSpec(("g", "x"), ("categorical", "numeric"), {"g": ("a", "b")})
        >>> frame = spec.to_frame(np.array([[1.0, 0.5], [np.nan, 2.0]]))
        >>> frame["g"].tolist(), frame["x"].tolist()
        (['b', nan], [0.5, 2.0])
        """
        cols: dict[str, Any] = {}
        for j, (name, kind) in enumerate(zip(self.names, self.kinds, strict=True)):
            x = Xm[:, j]
            if kind == "categorical":
                codes = np.where(np.isnan(x), -1, x).astype(np.int64)
                cats = list(self.categories[name])
                cols[name] = pd.Categorical.from_codes(codes, categories=cats)
            else:
                cols[name] = x
        return pd.DataFrame(cols, copy=False)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description."""
        return {
            "names": list(self.names),
            "kinds": list(self.kinds),
            "categories": {k: list(v) for k, v in self.categories.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str | None = None) -> FeatureSpec:
        """Build from :meth:`to_dict` output, checking its structure.

        Raises
        ------
        InputError
            If keys are missing or malformed.
        """
        try:
            names = tuple(str(n) for n in data["names"])
            kinds = tuple(str(k) for k in data["kinds"])
            cats = {str(k): tuple(str(x) for x in v) for k, v in data["categories"].items()}
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(
                [Problem(f"malformed feature description ({exc!r})", column="features")],
                source=source,
            ) from None
        problems = []
        if len(names) != len(kinds):
            problems.append(Problem("names and kinds differ in length", column="features"))
        for name, kind in zip(names, kinds, strict=False):
            if kind not in ("numeric", "boolean", "categorical"):
                problems.append(
                    Problem(f"kind {kind!r} of {name!r} is not numeric/boolean/categorical")
                )
            if kind == "categorical" and name not in cats:
                problems.append(Problem(f"no categories stored for {name!r}", column=name))
        if problems:
            raise InputError(problems, source=source)
        return cls(names, kinds, cats)  # type: ignore[arg-type]

    def encode(self, frame: pd.DataFrame, *, source: str | None = None) -> NDArray[np.float64]:
        """Turn a table into the float matrix the booster reads.

        Parameters
        ----------
        frame : pandas.DataFrame
            Must hold every column in :attr:`names`; other columns are ignored.
        source : str, optional
            Name of the table, used in error messages.

        Returns
        -------
        numpy.ndarray of shape (n, len(names))
            Fortran-ordered; missing, unseen or unreadable values are ``NaN``.

        Raises
        ------
        InputError
            If a column is missing, or a numeric column holds text.
        """
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            allowed = ", ".join(self.names)
            raise InputError(
                [
                    Problem(f"column is missing; the model needs {allowed}", column=m)
                    for m in missing
                ],
                source=source,
            )
        # Column-major: each feature is one contiguous row of ``cols`` (fast per-feature
        # arithmetic); LightGBM reads the Fortran-ordered ``cols.T`` without a copy.
        cols = np.empty((len(self.names), len(frame)), dtype=np.float64)
        out = cols.T
        problems: list[Problem] = []
        for j, (name, kind) in enumerate(zip(self.names, self.kinds, strict=True)):
            col = frame[name]
            problem = None
            if kind == "categorical":
                out[:, j] = _category_codes(name, col, self.categories[name])
            elif kind == "boolean":
                out[:, j], problem = _boolean_values(name, col)
            else:
                out[:, j], problem = _numbers(name, col)
            if problem is not None:
                problems.append(problem)
        if problems:
            raise InputError(problems, source=source)
        return out


def _kind_of(name: str, col: pd.Series) -> FeatureKind:
    """Infer a column's kind: the schema's when it is a schema column, else from its type."""
    try:
        spec = schema.column(name)
    except KeyError:
        spec = None
    if spec is not None and spec.role in ("characteristic", "identity"):
        if spec.kind == "category":
            return "categorical"
        if spec.kind in ("bool", "binary"):
            return "boolean"
        if spec.kind in ("int", "float"):
            return "numeric"
    if pd.api.types.is_bool_dtype(col.dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(col.dtype):
        return "numeric"
    return "categorical"


def _feature_problems(frame: pd.DataFrame, names: list[str]) -> list[Problem]:
    """Return the problems of a list of features: none, repeated, missing or forbidden."""
    problems: list[Problem] = []
    if not names:
        allowed = ", ".join(DEFAULT_FEATURES)
        problems.append(Problem(f"no model features found; expected some of {allowed}"))
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(Problem("feature named twice", column=name))
        seen.add(name)
        if name not in frame.columns:
            problems.append(Problem("feature column is missing from the table", column=name))
        elif name in FORBIDDEN_FEATURES:
            problems.append(
                Problem(
                    "not known at referral (truth, outcome, provider or identifier) and may"
                    " not be a model feature",
                    column=name,
                )
            )
    return problems


def _categories_of(name: str, col: pd.Series) -> tuple[str, ...]:
    """Return a categorical feature's categories, in order.

    The schema's categories first and then any others seen (except for ``payment_group``,
    whose categories are those seen), else the column's own categories, else the sorted
    values seen.
    """
    try:
        spec = schema.column(name)
    except KeyError:
        spec = None
    observed = sorted(set(col.dropna().astype(str).tolist()))
    if spec is not None and spec.categories and name != "payment_group":
        extra = [c for c in observed if c not in spec.categories]
        return (*spec.categories, *extra)
    if isinstance(col.dtype, pd.CategoricalDtype):
        return tuple(str(c) for c in col.cat.categories)
    return tuple(observed)


def infer_feature_spec(
    frame: pd.DataFrame,
    features: Sequence[str] | None = None,
    *,
    max_categories: int = 200,
    source: str | None = None,
    target: str | None = None,
) -> FeatureSpec:
    """Decide the model inputs and their kinds from a training table.

    Parameters
    ----------
    frame : pandas.DataFrame
        Training table.
    features : sequence of str, optional
        Input columns. Default: :func:`default_feature_names` of the table.
    max_categories : int, default 200
        Largest number of distinct values a categorical column may have (more usually means
        an identifier was passed as a feature).
    source : str, optional
        Name of the table, used in error messages.
    target : str, optional
        The outcome column: never a feature (it would give the answer away). It is left out
        of the default features, and refused among given ones.

    Returns
    -------
    FeatureSpec

    Raises
    ------
    InputError
        If a feature is missing, forbidden (truth, outcome, provider, identifier, the
        target), repeated, or no feature is left.
    """
    names = list(features) if features is not None else [
        n for n in default_feature_names(frame.columns) if n != target
    ]
    leak = target is not None and target in names
    names = [n for n in names if n != target]
    problems = _feature_problems(frame, names)
    if leak:
        problems.insert(0, Problem("the outcome (--target) cannot also be a feature: the model"
                                   " would learn the answer from it", column=target))
    if problems:
        raise InputError(problems, source=source)
    kinds: list[FeatureKind] = []
    categories: dict[str, tuple[str, ...]] = {}
    for name in names:
        col = frame[name]
        kind = _kind_of(name, col)
        if kind == "categorical":
            cats = _categories_of(name, col)
            if len(cats) > max_categories:
                raise InputError(
                    [
                        Problem(
                            f"has {len(cats)} distinct values (at most {max_categories} allowed"
                            " for a categorical feature); is it an identifier?",
                            column=name,
                        )
                    ],
                    source=source,
                )
            categories[name] = cats
        kinds.append(kind)
    return FeatureSpec(tuple(names), tuple(kinds), categories)
