"""pbr_fairness.audit."""
