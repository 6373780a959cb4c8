"""Rewrite ``sample_data/monitoring/``: a year of German credit prediction logs and the reference.

Run from the checkout: ``python scripts/make_monitoring_sample.py``. Deterministic (seeded).
"""

from __future__ import annotations

from pathlib import Path

from responsible_ai.monitor.sample import (
    make_german_credit_logs,
    write_monthly_logs,
    write_reference,
)

ROOT = Path(__file__).resolve().parents[1] / "sample_data" / "monitoring"

if __name__ == "__main__":
    logs = make_german_credit_logs()
    for path in write_monthly_logs(logs, ROOT / "german_credit_logs"):
        print(f"wrote {path}")
    print(f"wrote {write_reference(ROOT / 'german_credit_reference.parquet')}")
