"""Group fairness from per-group sufficient statistics, with fairlearn's definitions."""
