"""Differential privacy with IBM diffprivlib: statistics, fairness reports, models, budget."""
