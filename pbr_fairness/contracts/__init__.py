"""pbr_fairness.contracts."""
