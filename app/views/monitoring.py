"""Monitoring: a monitor's alerts with their evidence, per-group rates over time, the sequential
test against its boundary, drift per feature and window, performance per group; reviewers
acknowledge alerts."""

from __future__ import annotations

from typing import Any

import altair as alt
import streamlit as st
from common import attempt, code, identity, md, store

from responsible_ai.monitor.dashboard import (
    check_ids,
    drift_frame,
    performance_frame,
    rates_frame,
    sequential_frame,
)
from responsible_ai.store.monitors import (
    acknowledge_alert,
    monitor_alerts,
    monitor_names,
    monitor_windows,
)

st.title("Monitoring")
the_store = store()
names = attempt(lambda: monitor_names(the_store)) or []
if not names:
    st.info(
        "No monitor yet. Record one with `rai monitor LOGS --policy policies/monitoring.yaml "
        "--store`, for example on `sample_data/monitoring/german_credit_logs`, or here on that "
        "shipped year of the German credit model's predictions."
    )
    if st.button("Monitor the shipped sample log", key="monitor_sample"):
        from responsible_ai.monitor.sample import record_shipped_monitor

        with st.spinner("Counting a year of daily windows..."):
            recorded = attempt(lambda: record_shipped_monitor(the_store, identity()))
        if recorded is not None:
            st.rerun()
    st.stop()
name = st.selectbox("Monitor", names, key="monitor_name")
windows = attempt(lambda: monitor_windows(the_store, name)) or []
alerts = attempt(lambda: monitor_alerts(the_store, name)) or []
fired = [a for a in alerts if a["status"] in ("fail", "warn", "error")]
last = windows[-1] if windows else None

top = st.columns(4)
top[0].metric("Alerts firing", len(fired))
top[1].metric("Windows", len(windows))
top[2].metric("Last window", last["window"] if last else "-")
top[3].metric("Predictions in it", f"{last['rows']:,}" if last else "-")

st.subheader("Alerts")
signer = identity()


def _acknowledge(alert: dict[str, Any], firing: bool) -> None:
    if not firing:
        return
    if signer.role not in ("reviewer", "admin"):
        st.caption(f"{code(signer.username)} ({md(signer.role)}) cannot acknowledge: reviewers do.")
        return
    with st.form(key=f"ack_{alert['id']}", clear_on_submit=True):
        comment = st.text_input("What is being done", key=f"ack_comment_{alert['id']}")
        if st.form_submit_button("Acknowledge"):
            alert_id = int(alert["id"])
            done = attempt(lambda: acknowledge_alert(the_store, name, alert_id, comment, signer))
            if done is not None:
                st.rerun()


badge = {"fail": ":red[**FIRING**]", "warn": ":orange[**WARN**]", "error": ":red[**ERROR**]"}
for alert in alerts:
    firing = alert in fired
    label = badge.get(alert["status"], ":green[ok]")
    window = f" · since window {md(alert['alert_window'])}" if alert.get("alert_window") else ""
    st.markdown(
        f"{label} **{md(alert['rule'])}** ({md(alert['severity'])}){window}  \n"
        f"{md(alert['message'])}"
    )
    for ack in alert["acknowledgements"]:
        st.caption(
            f"Acknowledged by {md(ack['reviewer'])} ({md(ack['role'])}) at "
            f"{md(ack['created_at'])}: {md(ack['comment'])}"
        )
    with st.expander("Evidence" + (" and acknowledgement" if firing else "")):
        st.json(alert["evidence"], expanded=False)
        _acknowledge(alert, firing)

checks = check_ids(windows)
if checks:
    st.subheader("Fairness over time")
    check = st.selectbox("Check", checks, key="monitor_check")
    rates = rates_frame(windows, check)
    base = alt.Chart(rates).encode(x=alt.X("window:T", title="window"))
    band = base.mark_area(opacity=0.2).encode(
        y=alt.Y("low:Q", title="rate (95% interval)"), y2="high:Q", color="group:N"
    )
    line = base.mark_line().encode(
        y="rate:Q", color="group:N", tooltip=["window:T", "group", "rate", "low", "high", "rows"]
    )
    st.altair_chart((band + line).facet(row="metric:N"), width="stretch")

sequential = [a for a in alerts if str(a["evidence"].get("test", "")).startswith("betting")]
for alert in sequential:
    path = sequential_frame(alert)
    st.subheader(f"Sequential test: {alert['rule']}")
    pair = " over ".join(alert["evidence"].get("pair", []))
    st.caption(
        f"Log wealth of the bet that {md(pair)} exceeds the tolerance "
        f"{alert['evidence'].get('tolerance')}; an alert when it crosses the boundary "
        f"(false-alarm chance at most {alert['evidence'].get('alpha')} over all windows)."
    )
    chart = alt.Chart(path).encode(x=alt.X("window:T", title="window"))
    st.altair_chart(
        chart.mark_line().encode(y=alt.Y("log_wealth:Q", title="log wealth"))
        + chart.mark_rule(color="red", strokeDash=[4, 4]).encode(y="boundary:Q"),
        width="stretch",
    )

drift = drift_frame(windows)
if not drift.empty:
    st.subheader("Drift by feature and window")
    st.caption("Colour: how far past its threshold each window's drift is (1 = at it).")
    heat = (
        alt.Chart(drift)
        .mark_rect()
        .encode(
            x=alt.X("window:T", title="window"),
            x2="end:T",
            y=alt.Y("feature:N", title=None),
            color=alt.Color("strength:Q", scale=alt.Scale(scheme="orangered", domain=[0, 5])),
            tooltip=["window:T", "feature", "method", "score", "threshold", "drifted"],
        )
    )
    st.altair_chart(heat, width="stretch")

if last and last.get("performance"):
    st.subheader("Performance per group")
    by = st.selectbox("Groups of", list(last["performance"]), key="monitor_by")
    metric = st.selectbox("Metric", list(last["performance"][by]), key="monitor_metric")
    perf = performance_frame(windows, by, metric)
    st.caption("Lines: estimated from calibrated scores (band: 95% interval); dots: realised.")
    base = alt.Chart(perf).encode(x=alt.X("window:T", title="window"), color="group:N")
    st.altair_chart(
        base.mark_area(opacity=0.15).encode(y=alt.Y("low:Q", title=metric), y2="high:Q")
        + base.mark_line().encode(y="estimated:Q")
        + base.mark_point(size=12, filled=True).encode(y="realised:Q"),
        width="stretch",
    )
