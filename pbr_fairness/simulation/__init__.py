"""pbr_fairness.simulation."""
