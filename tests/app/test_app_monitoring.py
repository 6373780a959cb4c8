"""The Monitoring page: alerts with evidence, charts, and a reviewer's acknowledgement."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from app_testing import APP, open_page, texts
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "sample_data" / "monitoring" / "german_credit_logs"
POLICY = ROOT / "policies" / "monitoring.yaml"


def test_without_a_monitor_the_page_says_how_to_record_one(app) -> None:
    open_page(app, "views/monitoring.py")
    assert "No monitor yet" in texts(app)


def test_the_shipped_sample_log_is_monitored_from_the_page(app) -> None:
    open_page(app, "views/monitoring.py")
    app.button(key="monitor_sample").click()
    app.run()
    assert not app.exception, app.exception
    assert "No monitor yet" not in texts(app)
    assert [m.value for m in app.metric][:2] == ["3", "365"]  # the planted alerts, a year


@pytest.fixture
def monitored_app(app_env, tmp_path) -> AppTest:
    from responsible_ai.monitor.run import monitor
    from responsible_ai.store import ReviewStore
    from responsible_ai.store.monitors import save_monitor_run
    from responsible_ai.store.store import default_store_url

    folder = tmp_path / "logs"
    folder.mkdir()
    for month in ("2025-06", "2025-07"):
        shutil.copy(LOGS / f"{month}.parquet", folder)
    result = monitor(folder, POLICY)
    store = ReviewStore(default_store_url())
    try:
        save_monitor_run(store, result, result.fresh_counts)
    finally:
        store.close()
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return open_page(at, "views/monitoring.py")


def test_alerts_charts_and_acknowledgement(monitored_app) -> None:
    at = monitored_app
    shown = texts(at)
    assert "FIRING" in shown and "input-drift" in shown
    assert "credit_amount" in shown
    assert [m.value for m in at.metric][:2] == ["3", "61"]
    assert len(at.get("vega_lite_chart")) == 4  # rates, sequential test, drift, performance
    at.text_input[0].input("rolling back model v2")
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    assert "Acknowledged by local:" in texts(at)
    assert "rolling back model v2" in texts(at)
