"""Privacy: identifier detection, pseudonymization, anonymization, risk, differential privacy."""
