"""pbr-fairness."""
