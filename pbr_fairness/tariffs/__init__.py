"""pbr_fairness.tariffs."""
