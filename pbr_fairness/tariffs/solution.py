"""A proposed contract at one budget, and the grid of fee factors the optimiser searches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pbr_fairness.contracts import Contract, smooth_multiplier
from pbr_fairness.engine.evaluation import Evaluation

__all__ = ["GRID", "LazyContract", "Solution", "smooth_factor_of"]

#: Outcome-fee factors tried per cell (multiples of the baseline's average outcome fees).
GRID: NDArray[np.float64] = np.r_[0.0, np.geomspace(0.01, 400.0, 255)]


class LazyContract:
    """Build a contract on first use (building validates and hashes: ~0.1 s)."""

    def __init__(self, factory: Callable[[], Contract]) -> None:
        self._factory = factory
        self._value: Contract | None = None

    def get(self) -> Contract:
        """Return the contract, building it the first time."""
        if self._value is None:
            self._value = self._factory()
        return self._value


@dataclass(frozen=True, eq=False)
class Solution:
    """A proposed contract at one budget and what the provider does under it."""

    lazy_contract: LazyContract
    evaluation: Evaluation
    measures: dict[str, float]
    budget: float
    attachment_fee: float
    feasible: bool
    minimax_parked_share: float
    parameters: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def contract(self) -> Contract:
        """The proposed contract (built on first use)."""
        return self.lazy_contract.get()


def smooth_factor_of(
    q: NDArray[np.float64], reference: float, elasticity: float, floor: float
) -> NDArray[np.float64]:
    """Return ``(reference / max(q, floor)) ** elasticity``, the smooth fee multiplier."""
    return smooth_multiplier(q, reference, elasticity, floor)
