"""pbr_fairness.caseload."""
