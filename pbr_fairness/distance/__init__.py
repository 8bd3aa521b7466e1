"""pbr_fairness.distance."""
