"""Explanations: SHAP values, attributions by group, proxies for sensitive features."""
