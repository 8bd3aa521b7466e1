"""The evaluation engine: the one home of the provider's and the planner's maths.

Every formula of the simulator is defined once here and called from everywhere else (the
simulator, the sweeps, national-size runs, the tariff optimiser, the synthetic generator and
the audit's scenarios); ``docs/architecture.md`` lists where each one lives.
"""

from __future__ import annotations

from pbr_fairness.engine.prediction import needs_prediction

__all__ = ["needs_prediction"]
