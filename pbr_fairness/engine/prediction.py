"""The one rule that says whether a simulation needs a model's predicted probabilities.

A contract priced on predicted distance (bands, a smooth schedule) needs each person's
prediction to price them; a provider that acts on the model (``provider_knows="model"``)
needs it to form its estimate. Every caller (the simulator, the optimiser, the sweeps, the
command line and the app) asks :func:`needs_prediction` rather than deciding for itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Protocol, cast, get_args

from pbr_fairness.errors import InputError, Problem

__all__ = [
    "PROVIDER_KNOWS",
    "PricedContract",
    "ProviderKnows",
    "as_provider_knows",
    "needs_prediction",
]

#: What the provider's estimate of each person's chances is based on.
ProviderKnows = Literal["truth", "model", "posterior"]
PROVIDER_KNOWS: tuple[str, ...] = get_args(ProviderKnows)


def as_provider_knows(value: object) -> ProviderKnows:
    """Check a ``provider_knows`` value (from a file, a form or an option) and return it typed.

    Examples
    --------
    >>> as_provider_knows("model")
    'model'
    """
    if value not in PROVIDER_KNOWS:
        raise InputError(
            [
                Problem(
                    f"must be one of {', '.join(PROVIDER_KNOWS)}, got {value!r}",
                    column="provider_knows",
                )
            ]
        )
    return cast(ProviderKnows, value)


class PricedContract(Protocol):
    """Anything with a pricing ``basis`` (a :class:`~pbr_fairness.contracts.Contract`)."""

    @property
    def basis(self) -> str:
        """``"payment_group"``, ``"distance_band"`` or ``"smooth"``."""
        ...


def needs_prediction(
    contracts: PricedContract | str | Iterable[PricedContract | str | None] | None = None,
    provider_knows: str = "truth",
) -> bool:
    """Whether predicted probabilities are needed to simulate these contracts.

    Parameters
    ----------
    contracts : contract, basis name, or an iterable of them, optional
        The contracts (or their ``basis`` strings) that will be priced; ``None`` entries
        are ignored.
    provider_knows : str, default "truth"
        What the provider's estimate is based on; ``"model"`` needs the prediction.

    Returns
    -------
    bool

    Examples
    --------
    >>> needs_prediction("payment_group")
    False
    >>> needs_prediction(["payment_group", "distance_band"])
    True
    >>> needs_prediction(None, provider_knows="model")
    True

    A contract's instruments count too (a scheme by distance band needs the prediction):

    >>> from pbr_fairness.contracts import load_contract
    >>> needs_prediction(load_contract("funded_hours_by_need"))
    True
    """
    if provider_knows == "model":
        return True
    if contracts is None:
        return False
    if isinstance(contracts, str) or hasattr(contracts, "basis"):
        items: Iterable[PricedContract | str | None] = [contracts]  # type: ignore[list-item]
    else:
        items = contracts
    for c in items:
        if c is None:
            continue
        if isinstance(c, str):
            if c != "payment_group":
                return True
            continue
        # a contract knows whether its whole terms price on a probability (band or smooth
        # fees, or an instrument on distance-band cells or with a shape, unless it prices on
        # an independent assessment); anything else is judged by its fees' basis
        whole = getattr(c, "terms_need_prediction", None)
        if whole if isinstance(whole, bool) else c.basis != "payment_group":
            return True
    return False
